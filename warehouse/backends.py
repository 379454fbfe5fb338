"""Where the warehouse lives, chosen by one string (`--db` / `--warehouse`, or `warehouse =` in the
sources file):

- a file path (`warehouse.duckdb`, the embedded default): `DuckDBFile`, one writer publishing a
  staged copy (warehouse/publish.py);
- `ducklake:postgres:<libpq settings> [data_path=<folder or s3://bucket/prefix/>]`: `DuckLake`, the
  catalog in PostgreSQL, the rows as Parquet files under `data_path` (needed the first time only:
  the catalog remembers it; an object store through warehouse/objectstore.py). Writers take a
  PostgreSQL advisory lock and write the whole run in one transaction: its commit is the
  publication (no copy), readers read committed snapshots and never wait.

Both give the loaders a DuckDB connection whose default catalog holds the schema.
"""

from __future__ import annotations

import functools
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import duckdb
from fiscaldocs.warehouse import objectstore, publish
from fiscaldocs.warehouse.schema import create_schema

DUCKLAKE_PREFIX = "ducklake:postgres:"
# One writer at a time per PostgreSQL database: the key of the advisory lock ('fiscaldocs' as an int).
WRITER_LOCK_KEY = int.from_bytes(b"fiscaldc", "big") & 0x7FFF_FFFF_FFFF_FFFF
LAKE = "lake"


class WarehouseUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class DuckDBFile:
    path: Path
    run_is_one_transaction = False  # each document commits into the staged copy; the rename publishes

    def exists(self) -> bool:
        return self.path.exists()

    @contextmanager
    def writer(self, wait: bool = False, on_wait=lambda msg: None) -> Iterator[duckdb.DuckDBPyConnection]:
        with publish.staged(self.path, wait=wait, on_wait=on_wait) as con:
            yield con

    @contextmanager
    def small_writer(self, wait: bool = False, on_wait=lambda msg: None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A few rows in one transaction, without copying the warehouse when nobody reads it."""
        with publish.small(self.path, wait=wait, on_wait=on_wait) as con:
            yield con

    def reader(self) -> duckdb.DuckDBPyConnection:
        return publish.read_only(self.path)

    def __str__(self) -> str:
        return str(self.path)


@dataclass(frozen=True)
class DuckLake:
    dsn: str  # libpq key=value settings of the catalog database
    data_path: str | None = None
    run_is_one_transaction = True  # the commit publishes the run

    def exists(self) -> bool:
        """Whether a first run has created the catalog (a reader cannot attach before)."""
        import psycopg

        try:
            with psycopg.connect(self.dsn, connect_timeout=10) as con:
                return con.execute("SELECT to_regclass('ducklake_metadata') IS NOT NULL").fetchone()[0]
        except psycopg.Error as exc:
            raise WarehouseUnavailable(f"{self}: cannot reach the PostgreSQL catalog: {exc}") from exc

    @contextmanager
    def writer(self, wait: bool = False, on_wait=lambda msg: None) -> Iterator[duckdb.DuckDBPyConnection]:
        """The run's connection, inside one transaction committed when the block exits cleanly."""
        with self.locked(wait, on_wait) as con:
            con.execute("BEGIN TRANSACTION")  # schema, rows and run record: one snapshot
            try:
                create_schema(con, str(self), constraints=False)
                yield con
                con.execute("COMMIT")
            except BaseException:
                con.execute("ROLLBACK")
                raise

    @contextmanager
    def locked(self, wait: bool = False, on_wait=lambda msg: None) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection to the lake (autocommit) while this process holds the writers' advisory lock:
        runs and maintenance (warehouse/maintenance.py) queue on it, so each sees every earlier
        writer's rows and none is lost; without `wait`, finding another writer fails at once
        (WarehouseBusy), as with a file."""
        import psycopg

        try:
            lock = psycopg.connect(self.dsn, autocommit=True)
        except psycopg.Error as exc:
            raise WarehouseUnavailable(f"{self}: cannot reach the PostgreSQL catalog: {exc}") from exc
        with lock:
            if not lock.execute("SELECT pg_try_advisory_lock(%s)", [WRITER_LOCK_KEY]).fetchone()[0]:
                if not wait:
                    raise publish.WarehouseBusy(f"{self}: another ingestion run is writing it "
                                                "(PostgreSQL advisory lock; --wait to wait for it)")
                on_wait(f"{self}: another run is writing; waiting for it")
                lock.execute("SELECT pg_advisory_lock(%s)", [WRITER_LOCK_KEY])
            try:
                con = self._connect(read_only=False)  # attached after the lock: the latest snapshot
                try:
                    yield con
                finally:
                    con.close()
            finally:
                lock.execute("SELECT pg_advisory_unlock(%s)", [WRITER_LOCK_KEY])

    def small_writer(self, wait: bool = False, on_wait=lambda msg: None):
        """Every DuckLake write is one transaction and no copy."""
        return self.writer(wait=wait, on_wait=on_wait)

    def reader(self) -> duckdb.DuckDBPyConnection:
        if not self.exists():
            raise FileNotFoundError(f"{self}: no warehouse yet (run `fiscaldocs ingest` first)")
        return self._connect(read_only=True)

    def _connect(self, read_only: bool) -> duckdb.DuckDBPyConnection:
        con = duckdb.connect(config={"autoinstall_known_extensions": False})  # never a download at run time
        con.execute("SET enable_progress_bar = false")
        for path in extension_files():
            con.execute(f"LOAD '{path}'")
        options = [f"DATA_PATH '{_sql_text(self.data_path)}'"] if self.data_path else []
        if read_only:
            options.append("READ_ONLY")
        try:
            # An object store needs httpfs and its secret before ATTACH (which would else try to
            # download httpfs); without data_path in the spec, the catalog says where the files are.
            data_path = self.data_path or self.catalog_data_path()
            if objectstore.is_remote(data_path):
                objectstore.enable(con, data_path)
            con.execute(f"ATTACH '{_sql_text(DUCKLAKE_PREFIX + self.dsn)}' AS {LAKE}"
                        + (f" ({', '.join(options)})" if options else ""))
        except (duckdb.Error, objectstore.ObjectStoreError) as exc:
            con.close()
            raise WarehouseUnavailable(f"{self}: cannot attach the DuckLake catalog: {exc}") from exc
        except BaseException:
            con.close()
            raise
        con.execute(f"USE {LAKE}")
        return con

    def catalog_data_path(self) -> str | None:
        """The data path the catalog remembers (none before the first run)."""
        import psycopg

        try:
            with psycopg.connect(self.dsn, connect_timeout=10) as con:
                if not con.execute("SELECT to_regclass('ducklake_metadata') IS NOT NULL").fetchone()[0]:
                    return None
                row = con.execute("SELECT value FROM ducklake_metadata WHERE key = 'data_path' AND scope IS NULL"
                                  ).fetchone()
        except psycopg.Error as exc:
            raise WarehouseUnavailable(f"{self}: cannot reach the PostgreSQL catalog: {exc}") from exc
        return row[0] if row else None

    def __str__(self) -> str:
        return DUCKLAKE_PREFIX + self.dsn + (f" data_path={self.data_path}" if self.data_path else "")


Backend = DuckDBFile | DuckLake


def backend(spec: str | os.PathLike) -> Backend:
    """The warehouse a `--db` value names."""
    text = os.fspath(spec)
    if not text.startswith(DUCKLAKE_PREFIX):
        if text.startswith("ducklake:"):
            raise WarehouseUnavailable(f"{text}: only a PostgreSQL catalog is supported (ducklake:postgres:…); "
                             "an SQLite or DuckDB catalog loses rows with several writers")
        return DuckDBFile(Path(text))
    settings, data_path = [], None
    for token in text[len(DUCKLAKE_PREFIX):].split():
        if token.startswith("data_path="):
            data_path = token.split("=", 1)[1]
        else:
            settings.append(token)
    if data_path and not data_path.endswith("/"):
        data_path += "/"
    return DuckLake(" ".join(settings), data_path)


def read_only(spec: str | os.PathLike) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the published warehouse (a DuckDB file or a DuckLake snapshot)."""
    return backend(spec).reader()


@functools.cache
def extension_files() -> tuple[str, ...]:
    """The postgres and ducklake extensions, from the duckdb-extension-* wheels (no download at run
    time). The postgres wheel ships `postgres.duckdb_extension` but DuckDB loads a file by the name
    its entry point has (postgres_scanner), hence a link of that name in a private folder."""
    import duckdb_extension_ducklake
    import duckdb_extension_postgres

    def find(module, name: str) -> Path:
        folder = Path(module.__file__).parent / "extensions" / f"v{duckdb.__version__}"
        path = folder / f"{name}.duckdb_extension"
        if not path.exists():
            raise WarehouseUnavailable(f"{path}: missing; install {module.__name__.replace('_', '-')}=="
                                       f"{duckdb.__version__} (the wheel matching duckdb)")
        return path

    target = find(duckdb_extension_postgres, "postgres")
    links = Path(tempfile.gettempdir()) / f"fiscaldocs-duckdb-ext-{os.getuid()}-{duckdb.__version__}"
    links.mkdir(mode=0o700, exist_ok=True)
    postgres = links / "postgres_scanner.duckdb_extension"
    if not (postgres.is_symlink() and postgres.resolve() == target.resolve()):
        tmp = links / f".{os.getpid()}.link"  # made aside and renamed: concurrent runs never see half a link
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        tmp.replace(postgres)
    return str(postgres), str(find(duckdb_extension_ducklake, "ducklake"))


def _sql_text(text: str) -> str:
    return text.replace("'", "''")
