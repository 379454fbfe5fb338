"""`fiscaldocs maintain`: a warehouse made by several small nights (one document per run, then two
documents replaced) is compacted under the writers' lock; every table and view returns the same
rows before and after (compared by content, not only counted); on DuckLake the default ages keep
every file and snapshot a reader or time travel may still need."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from fiscaldocs.warehouse.backends import WRITER_LOCK_KEY, backend, read_only
from fiscaldocs.warehouse.maintenance import MaintenanceError, Policy, maintain
from fiscaldocs.warehouse.publish import WarehouseBusy, writer_lock
from fiscaldocs.warehouse.runs import write_run
from lake import fresh_warehouse

NOW = datetime.now(UTC).replace(tzinfo=None)
NOW_AGES = Policy(expire_older_than="0 seconds", delete_older_than="0 seconds")


def _nights(db: str, staged: list[dict]) -> None:
    """Five nightly runs of one document each, then two nights that replace a document (the same
    content from another path: its rows are deleted and written again)."""
    for i, item in enumerate(staged[:5]):
        write_run(db, [item], [], f"night {i}", NOW)
    for i, item in enumerate(staged[:2]):
        write_run(db, [dict(item, path=item["path"] + ".moved")], [], f"replace {i}", NOW)


def _content(db: str) -> dict[str, tuple[int, int]]:
    """Every table and view of the warehouse: (rows, an order-free digest of all their values)."""
    with read_only(db) as con:
        names = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables "
                                           "WHERE table_schema = 'main' AND table_catalog = current_database()").fetchall()]
        return {n: con.execute(f'SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM "{n}" t').fetchone()
                for n in names}


def _files(folder: Path) -> dict[Path, int]:
    """Every file under the lake's data folder, with its size."""
    return {p: p.stat().st_size for p in folder.rglob("*") if p.is_file()}


def _lake_folder(db: str) -> Path:
    return Path(backend(db).data_path)


def _snapshots(db: str) -> list[int]:
    with read_only(db) as con:
        return [r[0] for r in con.execute("SELECT snapshot_id FROM ducklake_snapshots('lake') ORDER BY 1").fetchall()]


def _plant_orphan(folder: Path) -> Path:
    """A Parquet file the catalog never knew, as a writer killed before its commit leaves behind."""
    some = next(iter(sorted((folder / "main" / "facts").glob("*.parquet"))))
    orphan = some.with_name("ducklake-00000000-0000-7000-8000-000000000000.parquet")
    shutil.copyfile(some, orphan)
    return orphan


def test_lake_compacted_and_cleaned_with_the_same_rows(tmp_path, staged_samples):
    lake = fresh_warehouse("ducklake", tmp_path)
    _nights(lake, staged_samples)
    folder = _lake_folder(lake)
    orphan = _plant_orphan(folder)
    before, files_before, snapshots_before = _content(lake), _files(folder), _snapshots(lake)
    assert before["documents"][0] == 5 and before["ingest_runs"][0] == 7

    report = maintain(lake, NOW_AGES)

    assert _content(lake) == before  # every table and view, value for value
    files_after = _files(folder)
    assert len(files_after) < len(files_before) and orphan not in files_after
    assert sum(files_after.values()) < sum(files_before.values())
    # nothing unreferenced is left: the files on disk are exactly those the latest snapshot reads
    with read_only(lake) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'").fetchall()]
        listed = set()
        for t in tables:
            rows = con.execute(f"SELECT data_file, delete_file FROM ducklake_list_files('lake', '{t}')").fetchall()
            assert len(rows) <= 1, f"{t}: {len(rows)} data files after merging"
            listed |= {Path(p) for r in rows for p in r if p}
    assert set(files_after) == listed
    assert len(_snapshots(lake)) < len(snapshots_before)
    # the report says what was measured
    assert (report.before.stored_files, report.after.stored_files) == (len(files_before), len(files_after))
    assert report.rows == {name: rows for name, (rows, _) in before.items()}


def test_lake_default_ages_keep_what_readers_and_time_travel_need(tmp_path, staged_samples):
    """A week of snapshots and a day of unreferenced files stay: every file a reader could be
    reading is still there, the snapshot before maintenance still answers, the fresh orphan stays."""
    lake = fresh_warehouse("ducklake", tmp_path)
    _nights(lake, staged_samples)
    folder = _lake_folder(lake)
    orphan = _plant_orphan(folder)
    before, files_before, snapshots_before = _content(lake), _files(folder), _snapshots(lake)

    maintain(lake)

    assert _content(lake) == before
    assert files_before.items() <= _files(folder).items() and orphan.exists()
    assert set(snapshots_before) <= set(_snapshots(lake))
    with read_only(lake) as con:  # time travel to the last night before maintenance
        old = con.execute(f"SELECT count(*), coalesce(bit_xor(hash(t)), 0) FROM facts AS t AT (VERSION => "
                          f"{snapshots_before[-1]})").fetchone()
    assert old == before["facts"]


def test_lake_maintenance_queues_on_the_writers_lock(tmp_path, staged_samples):
    import psycopg

    lake = fresh_warehouse("ducklake", tmp_path)
    write_run(lake, staged_samples[:1], [], "one", NOW)
    with psycopg.connect(backend(lake).dsn, autocommit=True) as other:  # a run holding the lock
        other.execute("SELECT pg_advisory_lock(%s)", [WRITER_LOCK_KEY])
        with pytest.raises(WarehouseBusy, match="advisory lock"):
            maintain(lake)


def test_file_compacted_by_copy_then_nothing_to_do(tmp_path, staged_samples):
    db = str(tmp_path / "w.duckdb")
    _nights(db, staged_samples)
    with duckdb.connect(db, read_only=True) as con:
        free = con.execute("SELECT free_blocks FROM pragma_database_size()").fetchone()[0]
        comments = con.execute("SELECT count(*) FROM duckdb_columns() WHERE comment IS NOT NULL").fetchone()[0]
    assert free > 0, "replaced documents leave free blocks in the file"
    before, size_before = _content(db), os.path.getsize(db)

    report = maintain(db)

    assert _content(db) == before
    assert os.path.getsize(db) < size_before and report.after.stored_bytes == os.path.getsize(db)
    with duckdb.connect(db, read_only=True) as con:
        assert con.execute("SELECT free_blocks FROM pragma_database_size()").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM duckdb_columns() WHERE comment IS NOT NULL").fetchone()[0] == comments
        assert con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
                           ).fetchone()[0] > 0
    assert not Path(db + ".next").exists()
    size = os.path.getsize(db)
    again = maintain(db)
    assert "nothing to do" in again.steps[0].result and os.path.getsize(db) == size
    write_run(db, staged_samples[5:6], [], "a night after", NOW)  # still a warehouse runs write into
    assert _content(db)["documents"][0] == 6


def test_file_maintenance_refused_while_a_run_writes(tmp_path, staged_samples):
    db = tmp_path / "w.duckdb"
    write_run(str(db), staged_samples[:1], [], "one", NOW)
    with writer_lock(db), pytest.raises(WarehouseBusy):
        maintain(db)


def test_cli_maintain(tmp_path, staged_samples, capsys):
    from fiscaldocs.cli import main

    db = str(tmp_path / "w.duckdb")
    _nights(db, staged_samples)
    assert main(["maintain", "--db", db]) == 0
    out = capsys.readouterr().out
    assert "free blocks" in out and "rows unchanged in all" in out
    assert main(["maintain", "--db", db, "--expire-older-than", "a week"]) == 2
    assert "not an interval" in capsys.readouterr().err
    with pytest.raises(MaintenanceError, match="share"):
        maintain(db, Policy(rewrite_delete_threshold=0))
    assert main(["maintain", "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "no warehouse yet" in capsys.readouterr().err


def test_weekly_flow_maintains_the_warehouse(prefect_harness, tmp_path, staged_samples):
    """prefect.yaml's weekly-maintenance flow: the same maintenance, its report returned."""
    from fiscaldocs.flows.maintain import maintain_flow

    db = str(tmp_path / "w.duckdb")
    _nights(db, staged_samples)
    before, size = _content(db), os.path.getsize(db)
    result = maintain_flow(db=db)
    assert _content(db) == before and os.path.getsize(db) < size
    assert result["before"]["stored_bytes"] == size and result["after"]["free_blocks"] == 0
