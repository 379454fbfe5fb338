"""DuckLake on PostgreSQL with several writers and readers: writers queue on the advisory lock and
lose no rows; a reader during a write sees the state before it or after it, never a part."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime

import pytest
from conftest import SAMPLES
from fiscaldocs.warehouse.backends import WarehouseUnavailable, backend, read_only
from fiscaldocs.warehouse.runs import loaded_documents, previous_fetches, write_run
from lake import fresh_warehouse

NOW = datetime.now(UTC).replace(tzinfo=None)
COUNTED = ("documents", "text_blocks", "doc_tables", "table_cells", "claims", "facts", "indicators", "checks")

# A separate process running one write_run, as a second nightly job or a team member's run would.
WRITER = """
import json, sys
from datetime import datetime
from fiscaldocs.warehouse.runs import loaded_documents, previous_fetches, write_run
db, items, label = json.loads(sys.argv[1])
write_run(db, items, [], label, datetime(2026, 1, 1), wait=True)  # writers queue on the lock
"""


def _writer(db: str, items: list[dict], label: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", WRITER, json.dumps([db, items, label])],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _counts(db: str) -> dict[str, int]:
    with read_only(db) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in COUNTED}


def test_spec_parsing():
    lake = backend("ducklake:postgres:dbname=fd host=/run/pg data_path=/srv/lake")
    assert (lake.dsn, lake.data_path) == ("dbname=fd host=/run/pg", "/srv/lake/")
    assert str(backend("warehouse.duckdb")) == "warehouse.duckdb"
    with pytest.raises(WarehouseUnavailable, match="SQLite"):
        backend("ducklake:sqlite:meta.sqlite")


def test_a_lake_before_its_first_run_reads_as_no_warehouse_yet(tmp_path):
    lake = fresh_warehouse("ducklake", tmp_path)
    assert loaded_documents(lake) == {} and previous_fetches(lake, "portal") == []
    with pytest.raises(FileNotFoundError, match="no warehouse yet"):
        read_only(lake)


def test_four_writers_lose_no_rows(tmp_path, staged_samples):
    """4 processes at once, each loading its share of the sample corpus: the lake holds every row
    of every share — the same counts as one file warehouse loaded with all of them in one run."""
    lake = fresh_warehouse("ducklake", tmp_path / "lake")
    reference = fresh_warehouse("duckdb", tmp_path)
    write_run(reference, staged_samples, [], "all", NOW)
    shares = [staged_samples[i::4] for i in range(4)]
    writers = [_writer(lake, share, f"share {i}") for i, share in enumerate(shares)]
    for w in writers:
        _, err = w.communicate(timeout=600)
        assert w.returncode == 0, err
    assert _counts(lake) == _counts(reference)
    assert _counts(lake)["documents"] == 11
    with read_only(lake) as con:
        assert con.execute("SELECT count(*), count(DISTINCT sources) FROM ingest_runs").fetchone() == (4, 4)


def test_reader_during_a_write_sees_committed_snapshots_only(tmp_path, staged_samples):
    lake = fresh_warehouse("ducklake", tmp_path)
    write_run(lake, staged_samples[:2], [], "first two", NOW)
    before = _counts(lake)
    writer = _writer(lake, staged_samples[2:], "the rest")
    seen = []
    while writer.poll() is None:  # read, with new connections, until the writer is done: never blocked
        with read_only(lake) as con:
            seen.append(con.execute("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM facts)")
                        .fetchone())
        time.sleep(0.05)
    _, err = writer.communicate()
    assert writer.returncode == 0, err
    after = _counts(lake)
    assert after["documents"] == 11
    states = {(before["documents"], before["facts"]), (after["documents"], after["facts"])}
    assert seen and set(seen) <= states, set(seen) - states
    assert (before["documents"], before["facts"]) in seen  # it did read while the write went on


def test_cli_ingest_into_the_lake_named_by_the_sources_file(prefect_harness, tmp_path, capsys):
    """`warehouse = "ducklake:postgres:…"` in the sources file sends the run to the lake;
    `fiscaldocs query --warehouse …` reads it back."""
    from fiscaldocs.cli import main

    lake = fresh_warehouse("ducklake", tmp_path)
    (tmp_path / "docs").mkdir()
    shutil.copyfile(SAMPLES / "ningxiang_2024_performance_self_evaluation.docx", tmp_path / "docs" / "a.docx")
    sources = tmp_path / "sources.toml"
    sources.write_text(f'warehouse = "{lake}"\n[[source]]\nname = "t"\npaths = ["docs"]\n', encoding="utf-8")
    assert main(["ingest", "--sources", str(sources)]) == 0
    capsys.readouterr()
    assert main(["query", "--warehouse", lake, "SELECT file_name, status FROM documents"]) == 0
    out = capsys.readouterr().out
    assert "a.docx" in out and "ok" in out
