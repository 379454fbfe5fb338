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

import errno
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


class WarehouseWriteError(RuntimeError):
    """The next state could not be written (disk full, permission denied, read-only file system):
    one line saying so; the next state's files are removed and the live warehouse is untouched."""


@contextmanager
def writer_lock(db: Path, wait: bool = False, on_wait=lambda msg: None) -> Iterator[None]:
    """The one-writer lock; `wait`: wait for another run to finish instead of failing."""
    lock_path = db.with_name(db.name + ".lock")
    try:
        fh = lock_path.open("w")
    except OSError as exc:
        raise WarehouseWriteError(f"{db}: cannot write the warehouse: {_reason(exc)}") from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if not wait:
                raise WarehouseBusy(f"{db}: another ingestion run is writing it (lock {lock_path}); "
                                    "`ingest --wait` waits for it") from None
            on_wait(f"{db}: another ingestion run is writing it; waiting for it to finish")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _reason(exc: BaseException) -> str:
    """Disk full, permission denied … in plain words, from an OSError or DuckDB's message."""
    text = str(exc)
    code = getattr(exc, "errno", None)
    if code in (errno.ENOSPC, errno.EDQUOT) or "No space left" in text or "Disk quota" in text:
        return "disk full (no space left on the device)"
    if code == errno.EFBIG or "File too large" in text:
        return "file too large for the file system or the process's file size limit"
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return f"permission denied ({getattr(exc, 'filename', None) or text})"
    if code == errno.EROFS or "Read-only file system" in text:
        return "read-only file system"
    return f"{type(exc).__name__}: {text}"


def _is_storage_error(exc: BaseException) -> bool:
    return isinstance(exc, (OSError, duckdb.IOException, duckdb.PermissionException)) or (
        isinstance(exc, duckdb.Error) and _reason(exc) != f"{type(exc).__name__}: {exc}")


def _remove(*paths: Path) -> None:
    for p in paths:
        try:
            p.unlink(missing_ok=True)
        except OSError:
            pass


@contextmanager
def staged(db: Path, wait: bool = False, on_wait=lambda msg: None) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection to the next state of `db`; published when the block exits without error.
    Whatever happens, the live file is never written: a failure removes the next state's files
    (`.next`, `.next.wal`), and a full disk or a refused write is a `WarehouseWriteError`."""
    db = Path(db)
    _make_parent(db)
    with writer_lock(db, wait, on_wait), _staged_locked(db) as con:
        yield con


@contextmanager
def small(db: Path, wait: bool = False, on_wait=lambda msg: None) -> Iterator[duckdb.DuckDBPyConnection]:
    """One small transaction (a no-change run's ingest_runs row) committed straight into the live
    file, with no copy: DuckDB commits a transaction atomically (through its WAL), so no reader
    ever sees half of it. Only when no process has the file open (DuckDB's own file lock refuses
    us otherwise) and its schema is current; else the staged copy, as for any run."""
    from fiscaldocs.warehouse.schema import is_current

    db = Path(db)
    _make_parent(db)
    with writer_lock(db, wait, on_wait):
        con = None
        if db.exists():
            try:
                con = duckdb.connect(str(db))
            except duckdb.IOException:  # a reader has it open: leave it alone
                con = None
            if con is not None and not is_current(con):
                con.close()
                con = None
        if con is None:
            with _staged_locked(db) as staged_con:
                yield staged_con
            return
        try:
            con.execute("BEGIN TRANSACTION")
            yield con
            con.execute("COMMIT")
        except BaseException as exc:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            if _is_storage_error(exc):
                raise WarehouseWriteError(f"{db}: cannot write the warehouse: {_reason(exc)}; "
                                          "nothing was changed") from None
            raise
        finally:
            con.close()


def _make_parent(db: Path) -> None:
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise WarehouseWriteError(f"{db}: cannot write the warehouse: {_reason(exc)}") from None


@contextmanager
def _staged_locked(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """`staged`, the writer lock already held."""
    stage = db.with_name(db.name + ".next")
    leftovers = (stage, stage.with_name(stage.name + ".wal"))
    _remove(*leftovers)
    con = None
    try:
        if db.exists():
            shutil.copyfile(db, stage)
        con = duckdb.connect(str(stage))
        create_schema(con, str(db))
        yield con
        con.execute("CHECKPOINT")
        con.close()
        os.replace(stage, db)
    except BaseException as exc:
        if con is not None:
            try:
                con.close()
            except duckdb.Error:
                pass
        _remove(*leftovers)
        if _is_storage_error(exc):
            raise WarehouseWriteError(f"{db}: cannot write the warehouse: {_reason(exc)}; "
                                      "nothing was changed") from None
        raise


def read_only(db: Path) -> duckdb.DuckDBPyConnection:
    if not Path(db).exists():
        raise FileNotFoundError(f"{db}: no warehouse yet (run `fiscaldocs ingest` first)")
    return duckdb.connect(str(db), read_only=True)
