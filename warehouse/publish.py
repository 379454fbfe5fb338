"""Publish a new warehouse state atomically, so dashboards never block the nightly run and never
see a half-loaded state.

DuckDB lets one process write or many read, never both. The run builds the next state in a copy
beside the live file (`warehouse.duckdb.next`), checkpoints it, and renames it over the live file
(`os.replace`, atomic on one filesystem). Readers that hold the old file keep their snapshot (the
old inode lives until they close it); new connections see the new state. A run that dies leaves
the live file untouched; the next run starts its copy afresh. A lock file keeps runs from
overlapping.
"""

from __future__ import annotations

import fcntl
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
from fiscaldocs.warehouse.schema import create_schema


class WarehouseBusy(RuntimeError):
    pass


@contextmanager
def writer_lock(db: Path) -> Iterator[None]:
    lock_path = db.with_name(db.name + ".lock")
    with lock_path.open("w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise WarehouseBusy(f"{db}: another ingestion run is writing it (lock {lock_path})") from exc
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


@contextmanager
def staged(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the next state of `db`; published when the block exits without error."""
    db = Path(db)
    db.parent.mkdir(parents=True, exist_ok=True)
    stage = db.with_name(db.name + ".next")
    with writer_lock(db):
        for leftover in (stage, stage.with_name(stage.name + ".wal")):
            leftover.unlink(missing_ok=True)
        if db.exists():
            shutil.copyfile(db, stage)
        con = duckdb.connect(str(stage))
        try:
            create_schema(con, str(db))
            yield con
            con.execute("CHECKPOINT")
        except BaseException:
            con.close()
            stage.unlink(missing_ok=True)
            raise
        con.close()
        os.replace(stage, db)


def read_only(db: Path) -> duckdb.DuckDBPyConnection:
    if not Path(db).exists():
        raise FileNotFoundError(f"{db}: no warehouse yet (run `fiscaldocs ingest` first)")
    return duckdb.connect(str(db), read_only=True)
