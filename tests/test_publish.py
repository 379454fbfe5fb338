"""Dashboards and the nightly run together: a reader process keeps querying while an ingest
publishes, and never blocks it nor sees a half-loaded state; an ingest killed mid-way leaves the
live warehouse as it was, and a rerun completes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from fiscaldocs.warehouse.runs import write_run

NOW = datetime.now(UTC).replace(tzinfo=None)
ROOT = Path(__file__).resolve().parent.parent

READER = textwrap.dedent("""
    import json, os, sys, time, duckdb
    db, stop, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
    seen, errors, end, last = [], [], time.monotonic() + seconds, False
    while time.monotonic() < end and not last:
        last = os.path.exists(stop)  # one more read once the writer is done, then stop
        try:
            with duckdb.connect(db, read_only=True) as con:
                # one snapshot: the document count and the facts of exactly those documents
                docs, facts = con.execute(
                    "SELECT (SELECT count(*) FROM documents), "
                    "(SELECT count(*) FROM facts WHERE doc_id IN (SELECT doc_id FROM documents))").fetchone()
            seen.append([time.time(), docs, facts])
        except Exception as exc:
            errors.append(repr(exc))
        time.sleep(0.01)
    print(json.dumps({"seen": seen, "errors": errors}))
""")


def test_reader_never_blocks_nor_sees_a_partial_state(tmp_path, staged_samples):
    db = tmp_path / "w.duckdb"
    first, rest = staged_samples[:2], staged_samples[2:]
    write_run(db, first, [], "first", NOW)
    with duckdb.connect(str(db), read_only=True) as con:
        before = list(con.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM facts)").fetchone())
    stop = tmp_path / "writer-done"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop), "120"], stdout=subprocess.PIPE,
                              text=True)
    time.sleep(1.0)
    start, wall_start = time.monotonic(), time.time()
    write_run(db, first + rest, [], "all", NOW)  # the writer is never refused a lock by the reader
    took, wall_end = time.monotonic() - start, time.time()
    stop.touch()
    out = json.loads(reader.communicate(timeout=150)[0])
    with duckdb.connect(str(db), read_only=True) as con:
        after = list(con.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM facts)").fetchone())
    assert out["errors"] == []
    states = {(docs, facts) for _, docs, facts in out["seen"]}
    assert states <= {tuple(before), tuple(after)}  # only whole states
    assert tuple(after) in states and tuple(before) in states
    # the reader was not blocked by the write: it read (the old state) while the write was going on
    assert any(wall_start < t < wall_end and (docs, facts) == tuple(before) for t, docs, facts in out["seen"])
    assert after[0] == 11 and took < 30


KILLABLE = textwrap.dedent("""
    import json, sys, time
    from datetime import datetime
    from pathlib import Path
    from fiscaldocs.warehouse.runs import write_run
    items = json.loads(Path(sys.argv[2]).read_text())
    def slow(msg):
        print(msg, flush=True)
        time.sleep(0.5)
    write_run(Path(sys.argv[1]), items, [], "killed", datetime(2026, 1, 1), progress=slow)
""")


def test_kill_mid_ingest_then_rerun(tmp_path, staged_samples):
    db = tmp_path / "w.duckdb"
    write_run(db, staged_samples[:2], [], "first", NOW)
    live_before = db.read_bytes()
    items = tmp_path / "items.json"
    items.write_text(json.dumps(staged_samples))
    proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(db), str(items)], stdout=subprocess.PIPE,
                            text=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    for _ in range(4):  # let it load a few documents into the next state
        assert proc.stdout.readline()
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    assert db.read_bytes() == live_before  # the live warehouse is untouched
    assert (tmp_path / "w.duckdb.next").exists()  # the abandoned next state
    summary = write_run(db, staged_samples, [], "rerun", NOW)
    assert summary.count("new") == 9 and summary.count("skipped") == 2
    assert not (tmp_path / "w.duckdb.next").exists()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 11
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 2  # the killed run left nothing
