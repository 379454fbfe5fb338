"""Readers that see each run: a long-lived process (a dashboard, a notebook) keeps reading while
runs publish, and sees every new run without restarting — where a plain DuckDB connection in the
same process stays on the state it first opened."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

from fiscaldocs.warehouse.runs import write_run

READER_SCRIPT = textwrap.dedent("""
    import sys, time
    import duckdb
    from fiscaldocs.warehouse.reader import Reader

    db = sys.argv[1]
    reader = Reader(db)
    held = duckdb.connect(db, read_only=True)   # what a cached connection in a dashboard does
    deadline = time.monotonic() + 120
    last = None
    while time.monotonic() < deadline:
        runs = int(reader.query("SELECT count(*) AS n FROM ingest_runs")["n"][0])
        plain = duckdb.connect(db, read_only=True).execute("SELECT count(*) FROM ingest_runs").fetchone()[0]
        if runs != last:
            print(f"reader={runs} plain={plain}", flush=True)
            last = runs
        if runs >= 3:
            break
        time.sleep(0.05)
""")


def _publish_run(db: Path, name: str) -> None:
    """A real (empty) run through the single writer: copy, write, checkpoint, rename."""
    write_run(db, [], [], name, datetime.now(UTC).replace(tzinfo=None))


def _wait_line(proc: subprocess.Popen, timeout: float = 60) -> str:
    start = time.monotonic()
    line = proc.stdout.readline()
    assert line, f"reader process ended early: {proc.stderr.read()}"
    assert time.monotonic() - start < timeout
    return line.strip()


def test_long_lived_reader_sees_each_run(tmp_path):
    db = tmp_path / "warehouse.duckdb"
    _publish_run(db, "run 1")
    proc = subprocess.Popen([sys.executable, "-c", READER_SCRIPT, str(db)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        assert _wait_line(proc) == "reader=1 plain=1"
        _publish_run(db, "run 2")
        # The plain connect() in that process is handed DuckDB's cached instance of the old file
        # (the problem this helper solves); the reader opens the file the path names now.
        assert _wait_line(proc) == "reader=2 plain=1"
        _publish_run(db, "run 3")
        assert _wait_line(proc) == "reader=3 plain=1"
        assert proc.wait(timeout=60) == 0
    finally:
        proc.kill()


def test_reader_never_blocks_a_run(tmp_path):
    """A reader holding the warehouse open does not keep a run from publishing, in-process too."""
    from fiscaldocs.warehouse.reader import Reader

    db = tmp_path / "warehouse.duckdb"
    _publish_run(db, "run 1")
    reader = Reader(db)
    con = reader.connection()
    assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 1
    _publish_run(db, "run 2")
    assert reader.connection() is not con
    assert reader.query("SELECT count(*) AS n FROM ingest_runs")["n"][0] == 2
    reader.close()
