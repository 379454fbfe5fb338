"""Readers that see each run: read-only connections to the warehouse's latest published state.

A run publishes by renaming a new file over the live one (warehouse/publish.py). A process that
keeps a connection open would never see it: DuckDB caches the open database per path inside a
process, so every later `duckdb.connect(path)` there returns the old state, and the old file stays
pinned on disk. This module never uses that cache: each connection is a fresh in-memory DuckDB
that ATTACHes the file read-only, so it opens whatever file the path names now. `Reader` keeps one
such connection and reopens it when the file at the path changes (another inode or mtime), which
costs a `stat` per query; the old connection is closed, so the replaced file is freed.

Each connection is then locked down for people's SQL: external access off (no COPY … TO, no
ATTACH, no reading files or URLs), configuration locked so the query cannot turn it back on.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import duckdb

ALIAS = "warehouse"


class NoWarehouse(FileNotFoundError):
    pass


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def open_reader(db: Path | str, locked: bool = True) -> duckdb.DuckDBPyConnection:
    """A read-only connection to the file `db` names now (never a cached instance of an older one),
    or to the latest committed snapshot of a DuckLake warehouse (`ducklake:postgres:…`)."""
    from fiscaldocs.warehouse.backends import DuckLake, backend

    lake = backend(db)
    if isinstance(lake, DuckLake):  # a fresh attach per connection: the latest snapshot
        con = lake.reader()
        if locked:
            _lock(con)
        return con
    db = Path(db)
    if not db.is_file():
        raise NoWarehouse(f"{db}: no warehouse yet (run `fiscaldocs ingest` first)")
    con = duckdb.connect(":memory:")
    try:
        _attach(con, db)
        con.execute(f"USE {ALIAS}")
        if locked:
            _lock(con)
    except BaseException:
        con.close()
        raise
    return con


def _attach(con: duckdb.DuckDBPyConnection, db: Path, tries: int = 40) -> None:
    """ATTACH read-only; while a no-change run commits its one row into the live file (tens of
    milliseconds, warehouse/publish.small) DuckDB's file lock refuses readers: try again briefly."""
    import time

    for attempt in range(tries):
        try:
            con.execute(f"ATTACH {_quote(str(db.resolve()))} AS {ALIAS} (READ_ONLY)")
            return
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or attempt == tries - 1:
                raise
            time.sleep(0.05)


def _lock(con: duckdb.DuckDBPyConnection) -> None:
    """For people's SQL: no COPY … TO, no ATTACH, no reading files or URLs, and no way to turn it back on."""
    con.execute("SET enable_external_access = false")
    con.execute("SET lock_configuration = true")


def _signature(db: Path) -> tuple[int, int, int] | None:
    try:
        st = os.stat(db)
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_mtime_ns, st.st_size)


class Reader:
    """A long-lived reader (a dashboard, a notebook, a server): `reader.connection()` before each
    query returns a connection to the latest published state, reopened only when a run has
    published since. Thread-safe; `cursor()` gives each thread or query its own cursor."""

    def __init__(self, db: Path | str, locked: bool = True):
        self.db = Path(db)
        self.locked = locked
        self._con: duckdb.DuckDBPyConnection | None = None
        self._sig: tuple[int, int, int] | None = None
        self._lock = threading.Lock()

    def connection(self) -> duckdb.DuckDBPyConnection:
        with self._lock:
            sig = _signature(self.db)
            if self._con is None or sig != self._sig:
                fresh = open_reader(self.db, self.locked)
                if self._con is not None:
                    self._con.close()
                self._con, self._sig = fresh, sig
            return self._con

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A cursor of its own (one per thread or query) on the latest state; a cursor starts in
        the in-memory catalog, so it is pointed at the warehouse first."""
        cur = self.connection().cursor()
        cur.execute(f"USE {ALIAS}")
        return cur

    def query(self, sql: str, params: list | None = None):
        """Rows of `sql` as a pandas DataFrame, from the latest published state. DECIMAL columns
        stay exact `Decimal`s (`.df()` would turn them into floats)."""
        import pandas as pd

        cur = self.cursor()
        try:
            cur.execute(sql, params or [])
            columns = [d[0] for d in cur.description]
            return pd.DataFrame.from_records(cur.fetchall(), columns=columns)
        finally:
            cur.close()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None
