"""Housekeeping of the warehouse (`fiscaldocs maintain`), under the same writer lock as a run, so it
never races one.

- **DuckLake**: every run is one transaction writing small Parquet files (and deleting, when a
  document is replaced), so nights pile up small files and snapshots. In DuckLake's own order
  (its CHECKPOINT statement runs the same functions): rows still inlined in the catalog are written
  to Parquet (`ducklake_flush_inlined_data`); files with many deleted rows are rewritten without
  them (`ducklake_rewrite_data_files`); adjacent small files are merged (`ducklake_merge_adjacent_files`,
  which keeps time travel); the row counts of every table and view are checked unchanged; snapshots
  older than `expire_older_than` are expired (`ducklake_expire_snapshots`; the default keeps a week
  of them, so readers' and time-travel snapshots survive); files no snapshot references any more
  (`ducklake_cleanup_old_files`) and files in the data path the catalog never knew — a killed
  writer's — (`ducklake_delete_orphaned_files`) are deleted once they are `delete_older_than` old;
  the counts are checked again. Each function commits on its own: DuckLake refuses compaction and
  changes in one transaction.
- **DuckDB file**: each run already publishes a checkpointed file; what it cannot give back is the
  space of deleted rows (free blocks, reused by later writes but never returned). When there are
  free blocks, the file is compacted by copying: `COPY FROM DATABASE` into a fresh file (tables,
  rows, views, comments, constraints), counts checked, renamed over the live file (atomic, as a
  run's publish); readers holding the old file keep it. No free block: nothing to do.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
from fiscaldocs.warehouse import publish
from fiscaldocs.warehouse.backends import LAKE, DuckLake, backend


@dataclass(frozen=True)
class Policy:
    expire_older_than: str = "7 days"  # snapshots younger than this stay (time travel, readers)
    delete_older_than: str = "1 day"  # unreferenced files younger than this stay (a query may still read them)
    rewrite_delete_threshold: float = 0.5  # rewrite a data file once this share of its rows is deleted


@dataclass(frozen=True)
class Footprint:
    stored_files: int  # files on the storage (the data path, or the DuckDB file)
    stored_bytes: int
    snapshots: int | None = None  # DuckLake
    current_files: int | None = None  # DuckLake: data and delete files the latest snapshot reads
    scheduled_files: int | None = None  # DuckLake: no longer referenced, waiting for the cleanup
    free_blocks: int | None = None  # DuckDB file
    total_blocks: int | None = None


@dataclass(frozen=True)
class Step:
    name: str
    result: str


@dataclass
class MaintenanceReport:
    warehouse: str
    before: Footprint
    after: Footprint
    rows: dict[str, int]  # every table and view: the same before and after (checked)
    steps: list[Step] = field(default_factory=list)


class MaintenanceError(RuntimeError):
    """A setting maintenance cannot use, or a step that went wrong: one line saying which."""


class RowsChanged(MaintenanceError):
    """A maintenance step changed what a table or view returns: stopped, with what differs."""


def maintain(spec: str | os.PathLike, policy: Policy = Policy(), wait: bool = False,
             on_wait: Callable[[str], None] = lambda msg: None) -> MaintenanceReport:
    _check_policy(policy)
    warehouse = backend(spec)
    if not warehouse.exists():
        raise FileNotFoundError(f"{warehouse}: no warehouse yet (run `fiscaldocs ingest` first)")
    if isinstance(warehouse, DuckLake):
        return _maintain_lake(warehouse, policy, wait, on_wait)
    return _maintain_file(warehouse.path, wait, on_wait)


def row_counts(con: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, int]:
    """Rows of every table and view of the warehouse schema."""
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_catalog = ? AND table_schema = 'main' "
        "ORDER BY table_name", [catalog]).fetchall()]
    return {n: con.execute(f'SELECT count(*) FROM "{catalog}".main."{n}"').fetchone()[0] for n in names}


# --- DuckLake -------------------------------------------------------------------------------------

def _maintain_lake(lake: DuckLake, policy: Policy, wait: bool, on_wait) -> MaintenanceReport:
    expire, delete = policy.expire_older_than, policy.delete_older_than
    with lake.locked(wait, on_wait) as con:
        data_path = lake.data_path or lake.catalog_data_path()
        before, rows = _lake_footprint(con, data_path), row_counts(con, LAKE)
        start = con.execute(f"SELECT id FROM ducklake_current_snapshot('{LAKE}')").fetchone()[0]
        steps = []

        def call(sql: str, params: list | None = None) -> list[tuple]:
            return con.execute(sql, params or []).fetchall()

        flushed = call(f"CALL ducklake_flush_inlined_data('{LAKE}')")
        steps.append(Step("flush inlined data", f"{sum(r[2] for r in flushed)} rows of {len(flushed)} tables "
                                                "moved from the catalog to Parquet"))
        rewritten = call(f"CALL ducklake_rewrite_data_files('{LAKE}', delete_threshold => ?)",
                         [policy.rewrite_delete_threshold])
        steps.append(Step("rewrite data files", f"{sum(r[2] for r in rewritten)} files past the deleted-rows threshold "
                          f"({policy.rewrite_delete_threshold:.0%}) → {sum(r[3] for r in rewritten)}"))
        merged = call(f"CALL ducklake_merge_adjacent_files('{LAKE}')")
        steps.append(Step("merge adjacent files", f"{sum(r[2] for r in merged)} files of {len(merged)} tables → "
                                                  f"{sum(r[3] for r in merged)}"))
        _check(rows, row_counts(con, LAKE), lake, f"compaction (time travel to snapshot {start} has the rows before it)")
        expired = call(f"CALL ducklake_expire_snapshots('{LAKE}', older_than => now() - CAST(? AS INTERVAL))", [expire])
        steps.append(Step("expire snapshots", f"{len(expired)} older than {expire}"))
        cleaned = call(f"CALL ducklake_cleanup_old_files('{LAKE}', older_than => now() - CAST(? AS INTERVAL))", [delete])
        steps.append(Step("delete unreferenced files", f"{len(cleaned)} unreferenced for over {delete}"))
        orphans = call(f"CALL ducklake_delete_orphaned_files('{LAKE}', older_than => now() - CAST(? AS INTERVAL))",
                       [delete])
        steps.append(Step("delete orphaned files", f"{len(orphans)} unknown to the catalog, older than {delete}"))
        _check(rows, row_counts(con, LAKE), lake, "deleting files")
        return MaintenanceReport(str(lake), before, _lake_footprint(con, data_path), rows, steps)


def _check_policy(policy: Policy) -> None:
    """Ages as DuckDB reads an INTERVAL ('7 days', '36 hours', '0 seconds'), never negative; a share."""
    if not 0 < policy.rewrite_delete_threshold <= 1:
        raise MaintenanceError(f"rewrite delete threshold {policy.rewrite_delete_threshold}: expected a share in (0, 1]")
    with duckdb.connect() as con:
        for what, text in (("expire older than", policy.expire_older_than),
                           ("delete older than", policy.delete_older_than)):
            try:
                negative = con.execute("SELECT CAST(? AS INTERVAL) < INTERVAL 0 SECOND", [text]).fetchone()[0]
            except duckdb.ConversionException:
                raise MaintenanceError(f"{what}: {text!r} is not an interval (e.g. '7 days', '12 hours')") from None
            if negative:
                raise MaintenanceError(f"{what}: {text!r} is negative")


def _lake_footprint(con: duckdb.DuckDBPyConnection, data_path: str | None) -> Footprint:
    meta = f"__ducklake_metadata_{LAKE}"
    current = con.execute(
        f"SELECT (SELECT count(*) FROM {meta}.ducklake_data_file WHERE end_snapshot IS NULL)"
        f" + (SELECT count(*) FROM {meta}.ducklake_delete_file WHERE end_snapshot IS NULL)").fetchone()[0]
    scheduled = con.execute(f"SELECT count(*) FROM {meta}.ducklake_files_scheduled_for_deletion").fetchone()[0]
    snapshots = con.execute(f"SELECT count(*) FROM ducklake_snapshots('{LAKE}')").fetchone()[0]
    files, size = _stored(con, data_path) if data_path else (0, 0)
    return Footprint(files, size, snapshots=snapshots, current_files=current, scheduled_files=scheduled)


def _stored(con: duckdb.DuckDBPyConnection, data_path: str) -> tuple[int, int]:
    """Files and bytes under the data path, a folder or an object store (listed through DuckDB)."""
    pattern = data_path.rstrip("/") + "/**"
    if not con.execute("SELECT count(*) FROM glob(?)", [pattern]).fetchone()[0]:
        return 0, 0
    files, size = con.execute("SELECT count(*), coalesce(sum(size), 0) FROM read_blob(?)", [pattern]).fetchone()
    return files, int(size)


def _check(before: dict[str, int], after: dict[str, int], where, what: str) -> None:
    if after != before:
        differ = {k: (before.get(k), after.get(k)) for k in sorted(before.keys() | after.keys())
                  if before.get(k) != after.get(k)}
        raise RowsChanged(f"{where}: rows changed by {what}: {differ} (table: before, after); stopped")


# --- DuckDB file ----------------------------------------------------------------------------------

def _maintain_file(db: Path, wait: bool, on_wait) -> MaintenanceReport:
    stage = db.with_name(db.name + ".next")  # the name a run stages under: the same lock, the same cleanup
    leftovers = (stage, stage.with_name(stage.name + ".wal"))
    with publish.writer_lock(db, wait, on_wait):
        con = duckdb.connect()
        try:
            con.execute(f"ATTACH '{_sql(str(db))}' AS live (READ_ONLY)")
            before, rows = _file_footprint(con, "live", db), row_counts(con, "live")
            if not before.free_blocks:
                return MaintenanceReport(str(db), before, before, rows,
                                         [Step("compact", "nothing to do: no free blocks (each run checkpoints)")])
            for p in leftovers:
                p.unlink(missing_ok=True)
            try:
                con.execute(f"ATTACH '{_sql(str(stage))}' AS compacted")
                con.execute("COPY FROM DATABASE live TO compacted")
                con.execute("DETACH live")
                con.execute("CHECKPOINT compacted")
                _check(rows, row_counts(con, "compacted"), db, "copying")
                con.execute("DETACH compacted")
                os.replace(stage, db)
            except BaseException as exc:
                for p in leftovers:
                    p.unlink(missing_ok=True)
                if isinstance(exc, (OSError, duckdb.IOException)):
                    raise publish.WarehouseWriteError(f"{db}: cannot compact the warehouse: {exc}; "
                                                      "nothing was changed") from None
                raise
            con.execute(f"ATTACH '{_sql(str(db))}' AS live (READ_ONLY)")
            after = _file_footprint(con, "live", db)
            step = Step("compact", f"{before.free_blocks} free blocks of {before.total_blocks} dropped "
                                   "by copying into a fresh file")
            return MaintenanceReport(str(db), before, after, rows, [step])
        finally:
            con.close()


def _file_footprint(con: duckdb.DuckDBPyConnection, alias: str, db: Path) -> Footprint:
    total, free = con.execute("SELECT total_blocks, free_blocks FROM pragma_database_size() WHERE database_name = ?",
                              [alias]).fetchone()
    files = [p for p in (db, db.with_name(db.name + ".wal")) if p.exists()]
    return Footprint(len(files), sum(p.stat().st_size for p in files), free_blocks=free, total_blocks=total)


def _sql(text: str) -> str:
    return text.replace("'", "''")


def render(report: MaintenanceReport) -> str:
    """The report as people read it: what each step did, then before → after."""
    lines = [f"maintain {report.warehouse}"]
    lines += [f"  {s.name:<31} {s.result}" for s in report.steps]
    rows = [("files stored", "stored_files"), ("bytes stored", "stored_bytes"), ("snapshots", "snapshots"),
            ("files the latest snapshot reads", "current_files"), ("files awaiting deletion", "scheduled_files"),
            ("free blocks", "free_blocks"), ("blocks", "total_blocks")]
    lines.append(f"  {'':<31} {'before':>12} {'after':>12}")
    for label, attr in rows:
        b, a = getattr(report.before, attr), getattr(report.after, attr)
        if b is not None:
            lines.append(f"  {label:<31} {b:>12,} {a:>12,}")
    lines.append(f"  rows unchanged in all {len(report.rows)} tables and views "
                 f"(documents {report.rows.get('documents', 0):,}, facts {report.rows.get('facts', 0):,})")
    return "\n".join(lines) + "\n"
