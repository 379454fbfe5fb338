"""Clean failures of the warehouse write: a full disk, a refused write and a warehouse locked by
another run end in one clear line; the next state's files (`.next`, `.next.wal`) are removed and
the live warehouse is untouched; `ingest --wait` waits for the other run instead.

A full disk is a real one: a 4 MB tmpfs mounted for the test (CI runs as root; skipped where
mounting is not allowed). A refused write: a process running as `nobody` in a root-owned folder."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fiscaldocs.warehouse.publish import WarehouseBusy, WarehouseWriteError, writer_lock
from fiscaldocs.warehouse.runs import write_run

ROOT = Path(__file__).resolve().parent.parent


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def tiny_fs(tmp_path):
    mount = tmp_path / "fs"
    mount.mkdir()
    if os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a tiny file system needs root (to mount a tmpfs)")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def _fill(folder: Path, leave: int) -> None:
    """Fill the file system of `folder` until `leave` bytes are free."""
    free = shutil.disk_usage(folder).free
    with (folder / "filler").open("wb") as fh:
        fh.write(b"\0" * max(0, free - leave))


def _junk(rows: int):
    def audit(con):  # writes a lot into the next state, as a big run would
        con.execute(f"CREATE TABLE junk AS SELECT range AS i, repeat('x', 200) AS s FROM range({rows})")
        return []

    return audit


def test_disk_full_while_writing_leaves_the_live_warehouse_untouched(tiny_fs):
    db = tiny_fs / "warehouse.duckdb"
    write_run(db, [], [], "first", _now())
    before = _digest(db)
    _fill(tiny_fs, leave=db.stat().st_size + 300_000)  # room for the copy, not for the run's data
    with pytest.raises(WarehouseWriteError) as err:
        write_run(db, [], [], "second", _now(), cross_audit=_junk(200_000))
    message = str(err.value)
    assert message == f"{db}: cannot write the warehouse: disk full (no space left on the device); nothing was changed"
    assert "\n" not in message
    assert not (tiny_fs / "warehouse.duckdb.next").exists() and not (tiny_fs / "warehouse.duckdb.next.wal").exists()
    assert _digest(db) == before


def test_disk_full_before_the_copy(tiny_fs):
    db = tiny_fs / "warehouse.duckdb"
    write_run(db, [], [], "first", _now())
    before = _digest(db)
    _fill(tiny_fs, leave=db.stat().st_size // 2)  # not even room for the copy
    with pytest.raises(WarehouseWriteError, match="disk full"):
        write_run(db, [], [], "second", _now())
    assert sorted(p.name for p in tiny_fs.iterdir()) == ["filler", "warehouse.duckdb", "warehouse.duckdb.lock"]
    assert _digest(db) == before


def test_cli_disk_full_is_one_line(prefect_harness, tiny_fs, tmp_path, capsys, monkeypatch):
    """`fiscaldocs ingest` on a full disk: exit 2, one line on stderr, no traceback."""
    from fiscaldocs.cli import main

    db = tiny_fs / "warehouse.duckdb"
    write_run(db, [], [], "first", _now())
    before = _digest(db)
    _fill(tiny_fs, leave=db.stat().st_size // 2)
    docs = tmp_path / "docs"
    docs.mkdir()
    shutil.copy(ROOT / "sample_docs" / "fengnan_2023_fiscal_evaluation.docx", docs)
    monkeypatch.setenv("FISCALDOCS_WORKERS", "0")
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", str(docs), "--db", str(db)]) == 2
    out, err = capsys.readouterr()
    assert err.strip().splitlines()[-1] == (
        f"fiscaldocs: {db}: cannot write the warehouse: disk full (no space left on the device); nothing was changed")
    assert "Traceback" not in err and "Traceback" not in out
    assert _digest(db) == before and not (tiny_fs / "warehouse.duckdb.next").exists()


def test_permission_denied_is_one_line(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("needs root to run the writer as another user")
    folder = tmp_path / "owned_by_root"
    folder.mkdir(mode=0o755)
    db = folder / "warehouse.duckdb"
    write_run(db, [], [], "first", _now())
    before = _digest(db)
    code = ("import os, sys; from datetime import datetime; from pathlib import Path\n"
            "from fiscaldocs.warehouse.runs import write_run\n"
            "from fiscaldocs.warehouse.publish import WarehouseWriteError\n"
            "os.setgid(65534); os.setuid(65534)  # nobody, once everything is imported\n"
            "try:\n    write_run(Path(sys.argv[1]), [], [], 'x', datetime(2026, 1, 1))\n"
            "except WarehouseWriteError as exc:\n    print(exc)\n")
    done = subprocess.run([sys.executable, "-c", code, str(db)], capture_output=True, text=True, timeout=120)
    line = done.stdout.strip()
    assert line.startswith(f"{db}: cannot write the warehouse: permission denied ({folder}"), done.stderr
    assert "\n" not in line
    assert _digest(db) == before


def test_locked_warehouse_fails_clearly_or_waits(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    write_run(db, [], [], "first", _now())
    release, holding = threading.Event(), threading.Event()

    def other_run():
        with writer_lock(db):
            holding.set()
            release.wait(30)

    holder = threading.Thread(target=other_run)
    holder.start()
    holding.wait(10)
    try:
        with pytest.raises(WarehouseBusy, match="another ingestion run is writing it .* `ingest --wait` waits for it"):
            write_run(db, [], [], "second", _now())
        said, outcome = [], {}
        waiter = threading.Thread(target=lambda: outcome.update(
            summary=write_run(db, [], [], "third", _now(), progress=said.append, wait=True)))
        waiter.start()
        time.sleep(1.0)
        assert waiter.is_alive() and said == [f"{db}: another ingestion run is writing it; waiting for it to finish"]
    finally:
        release.set()
        holder.join(10)
    waiter.join(30)
    assert "summary" in outcome  # ran once the other run let go
    import duckdb

    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 2  # first and third
