"""Loads that keep pace and nights that cost nothing (issue 14, items 2 and 3): batched loads give
the rows of a document-by-document load, the writer takes documents while others are still being
processed, a failure mid-stream leaves the live warehouse as it was, the hash cache never misses a
changed file, and a no-change rerun from the command line loads nothing and never imports Prefect."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import SAMPLES
from fiscaldocs.warehouse.backends import read_only
from fiscaldocs.warehouse.runs import write_run
from lake import BACKENDS, fresh_warehouse

from fiscaldocs.hashing import HashCache, sha256_file

NOW = datetime.now(UTC).replace(tzinfo=None)
# Tables of document rows, and the columns that are times of loading, not content.
TABLES = ("documents", "text_blocks", "doc_tables", "table_cells", "claims", "facts", "indicators", "checks",
          "regions")


def _rows(db: str) -> dict[str, list[tuple]]:
    """Every row of the document tables in storage order (rowid on a file), load times left out."""
    out = {}
    with read_only(db) as con:
        for table in TABLES:
            cols = [r[0] for r in con.execute(
                "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                "AND table_name = ? ORDER BY column_index", [table]).fetchall() if r[0] != "ingested_at"]
            order = "rowid" if db.endswith(".duckdb") else ", ".join(f'"{c}"' for c in cols)
            out[table] = con.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY {order}").fetchall()
    return out


@pytest.mark.parametrize("kind", BACKENDS)
def test_batched_load_gives_the_rows_of_a_document_by_document_load(kind, tmp_path, staged_samples):
    one_by_one = fresh_warehouse(kind, tmp_path / "a")
    batched = fresh_warehouse(kind, tmp_path / "b")
    write_run(one_by_one, staged_samples, [], "samples", NOW, batch=1)
    write_run(batched, staged_samples, [], "samples", NOW, batch=4)  # 11 documents: batches of 4, 4, 3
    rows = _rows(batched)
    assert rows == _rows(one_by_one)
    # Ground truth, read by hand: 附件3-1 of 益阳 2023 (seed 000) is 19 lines × 3 amount columns.
    with read_only(batched) as con:
        assert con.execute("""SELECT count(*) FROM facts f JOIN doc_tables t USING (doc_id, table_id)
                              JOIN documents d USING (doc_id)
                              WHERE d.file_name = 'yiyang_2023_performance_self_evaluation.pdf'
                                AND t.title = '2023年度益阳市职工医疗（含生育）保险基金预决算收支情况表'""").fetchone()[0] == 57
    # A reload changes nothing but the load times.
    summary = write_run(batched, [{**i, "stages": []} for i in staged_samples][::-1], [], "again", NOW, batch=4)
    assert {o.action for o in summary.outcomes} == {"skipped"}
    assert _rows(batched) == rows


def test_a_changed_source_in_the_same_batch_replaces_the_earlier_document(tmp_path, staged_samples):
    """Two versions of one source in one stream: the second replaces the first, as loaded one by one."""
    db = fresh_warehouse("duckdb", tmp_path)
    first, second = staged_samples[0], staged_samples[1]
    items = [first, {**second, "path": first["path"]}]
    summary = write_run(db, items, [], "two versions", NOW, batch=32)
    assert [o.action for o in summary.outcomes] == ["new", "changed"]
    with read_only(db) as con:
        assert con.execute("SELECT doc_id FROM documents").fetchall() == [(second["sha256"],)]


def test_the_writer_loads_documents_while_later_ones_are_still_coming(tmp_path, staged_samples):
    events: list[str] = []

    def stream():
        for item in staged_samples[:4]:
            events.append(f"yield {item['sha256'][:8]}")
            yield item

    write_run(fresh_warehouse("duckdb", tmp_path), stream(), [], "stream", NOW, batch=1,
              progress=lambda msg: events.append("loaded"))
    # the first document is written before the second has even been produced
    assert events.index("loaded") < events.index(f"yield {staged_samples[1]['sha256'][:8]}")
    assert events.count("loaded") == 4


@pytest.mark.parametrize("kind", BACKENDS)
def test_a_failure_mid_stream_leaves_the_live_warehouse_untouched(kind, tmp_path, staged_samples):
    db = fresh_warehouse(kind, tmp_path)
    write_run(db, staged_samples[:2], [], "first", NOW)
    before = _rows(db)

    def stream():
        yield from staged_samples[2:6]
        raise RuntimeError("extraction crashed")

    with pytest.raises(RuntimeError, match="extraction crashed"):
        write_run(db, stream(), [], "dies", NOW, batch=2)  # two batches written into the next state, then the crash
    assert _rows(db) == before
    with read_only(db) as con:
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 1


# ---------------------------------------------------------------- the hash cache


def _settle(path) -> None:
    """Make a file look older than the cache's settle time (as a file from last night is)."""
    old = time.time() - 3600
    os.utime(path, (old, old))
    time.sleep(SETTLE_WAIT)


# the cache also wants the ctime settled, which only time moves
SETTLE_WAIT = 2.1


def test_hash_cache_reads_an_unchanged_file_once(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(b"%PDF-1.4 one")
    _settle(f)
    first = HashCache(tmp_path / "work")
    assert first.sha256(f) == sha256_file(f)
    first.save()
    again = HashCache(tmp_path / "work")
    assert again.sha256(f) == sha256_file(f) and (again.hits, again.misses) == (1, 0)


def test_hash_cache_never_misses_a_changed_file(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(b"%PDF-1.4 one")
    _settle(f)
    cache = HashCache(tmp_path / "work")
    cache.sha256(f)
    cache.save()
    stat = f.stat()
    f.write_bytes(b"%PDF-1.4 two")  # same size, and the mtime put back as it was (cp -p, rsync -t)
    os.utime(f, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert f.stat().st_size == stat.st_size and f.stat().st_mtime_ns == stat.st_mtime_ns
    assert HashCache(tmp_path / "work").sha256(f) == sha256_file(f) != cache.entries[str(f)][-1]
    replaced = tmp_path / "b.pdf"  # a file renamed over it: another inode
    replaced.write_bytes(b"%PDF-1.4 new")
    os.utime(replaced, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    os.replace(replaced, f)
    assert HashCache(tmp_path / "work").sha256(f) == sha256_file(f)


def test_a_file_written_just_now_is_not_cached(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(b"%PDF-1.4 fresh")
    cache = HashCache(tmp_path / "work")
    cache.sha256(f)
    assert str(f) not in cache.entries  # it may still change within the same timestamp tick


def test_a_torn_cache_is_ignored(tmp_path):
    (tmp_path / "work").mkdir()
    (tmp_path / "work" / "hashes.json").write_text("{not json")
    f = tmp_path / "a.pdf"
    f.write_bytes(b"x")
    assert HashCache(tmp_path / "work").sha256(f) == sha256_file(f)


# ---------------------------------------------------------------- the no-change night

RERUN = """
import sys
from fiscaldocs.cli import main
code = main(["ingest", sys.argv[1], "--db", sys.argv[2]])
heavy = sorted(m for m in ("prefect", "pdfplumber", "camelot", "pdfminer", "docx") if m in sys.modules)
print("EXIT", code, "IMPORTED", ",".join(heavy) or "-")
"""


def _two_samples_in_a_folder(tmp_path, staged_samples) -> tuple[Path, list[dict]]:
    """Two staged sample documents copied into tmp_path/docs, with their writer items."""
    docs = tmp_path / "docs"
    docs.mkdir()
    items = []
    for item in staged_samples[:2]:
        target = docs / os.path.basename(item["path"])
        shutil.copyfile(item["path"], target)
        items.append({**item, "path": str(target)})
    return docs, items


@pytest.fixture
def loaded_folder(tmp_path, staged_samples):
    """Two sample documents in a folder, loaded into a warehouse file (as a first night would)."""
    docs, items = _two_samples_in_a_folder(tmp_path, staged_samples)
    db = tmp_path / "w.duckdb"
    write_run(str(db), items, [], str(docs), NOW)
    for f in docs.iterdir():
        os.utime(f, (time.time() - 3600,) * 2)
    time.sleep(SETTLE_WAIT)  # the copies' ctimes settle: the first rerun caches their hashes
    return docs, db


def _rerun(docs, db, cwd) -> str:
    proc = subprocess.run([sys.executable, "-c", RERUN, str(docs), str(db)], cwd=cwd, capture_output=True,
                          text=True, timeout=300, env=os.environ | {"PREFECT_API_URL": "http://127.0.0.1:9/api"})
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_a_no_change_rerun_loads_nothing_and_never_imports_prefect(loaded_folder, tmp_path):
    docs, db = loaded_folder
    with duckdb.connect(str(db), read_only=True) as con:
        loaded_at = con.execute("SELECT doc_id, ingested_at FROM documents ORDER BY doc_id").fetchall()
    inode = db.stat().st_ino
    for _ in range(2):  # the second run reads the hashes from the cache the first wrote
        out = _rerun(docs, db, tmp_path)
        assert "EXIT 0 IMPORTED -" in out, out
        assert "skipped (unchanged) 2" in out
    assert (tmp_path / ".fiscaldocs" / "hashes.json").exists()
    assert db.stat().st_ino == inode  # recorded in place: the warehouse was not copied
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT doc_id, ingested_at FROM documents ORDER BY doc_id").fetchall() == loaded_at
        runs = con.execute("SELECT seen, new, changed, skipped, failed FROM ingest_runs ORDER BY started_at").fetchall()
    assert runs == [(2, 2, 0, 0, 0), (2, 0, 0, 2, 0), (2, 0, 0, 2, 0)]


def test_a_changed_file_is_work_even_with_the_hash_cache(loaded_folder, tmp_path):
    from fiscaldocs.flows.changes import quiet_run

    docs, db = loaded_folder
    workdir = tmp_path / ".fiscaldocs"
    assert quiet_run([str(docs)], None, str(db), str(workdir)) is not None  # the cache is written
    assert (workdir / "hashes.json").exists()
    victim = sorted(docs.iterdir())[0]
    stat = victim.stat()
    data = bytearray(victim.read_bytes())
    data[-1] ^= 1  # same size; mtime put back
    victim.write_bytes(bytes(data))
    os.utime(victim, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert quiet_run([str(docs)], None, str(db), str(workdir)) is None  # there is work: the flow runs


def test_a_rerun_with_a_live_reader_copies_instead_of_writing_under_it(loaded_folder, tmp_path):
    """DuckDB refuses a writer while another process reads the file: the run's row then goes
    through the staged copy, and the reader keeps its snapshot."""
    docs, db = loaded_folder
    reader = subprocess.Popen([sys.executable, "-c", "import duckdb, sys, time\n"
                               f"con = duckdb.connect({str(db)!r}, read_only=True)\n"
                               "print('open', flush=True)\ntime.sleep(60)"], stdout=subprocess.PIPE, text=True)
    try:
        assert reader.stdout.readline().strip() == "open"
        inode = db.stat().st_ino
        out = _rerun(docs, db, tmp_path)
        assert "EXIT 0 IMPORTED -" in out
        assert db.stat().st_ino != inode  # published by rename, as any run
    finally:
        reader.kill()
        reader.wait()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM ingest_runs").fetchone()[0] == 2



@pytest.mark.parametrize("kind", BACKENDS)
def test_a_no_change_run_records_only_its_row_on_each_backend(kind, tmp_path, staged_samples):
    from fiscaldocs.flows.changes import quiet_run

    docs, items = _two_samples_in_a_folder(tmp_path, staged_samples)
    db = fresh_warehouse(kind, tmp_path)
    write_run(db, items, [], str(docs), NOW)
    before = _rows(db)
    summary = quiet_run([str(docs)], None, db, str(tmp_path / "work"))
    assert summary is not None and [o["action"] for o in summary["outcomes"]] == ["skipped", "skipped"]
    assert _rows(db) == before
    with read_only(db) as con:
        assert con.execute("SELECT new, skipped FROM ingest_runs ORDER BY started_at").fetchall() == [(2, 0), (0, 2)]


def test_bulk_insert_keeps_large_amounts_after_many_small_ones():
    """DuckDB types an object column from a sample of its first rows: 2,000 amounts of 1.25 then one
    of 123,456,789.1234 once failed a batch ('does not fit DECIMAL(3,2)'). Exact, whatever the order."""
    from decimal import Decimal

    from fiscaldocs.warehouse.load import _many

    con = duckdb.connect()
    con.execute("CREATE TABLE t (id INTEGER, amount DECIMAL(38,4))")
    rows = [[i, Decimal("1.25")] for i in range(2000)] + [[2000, Decimal("123456789.1234")], [2001, None],
                                                          [2002, Decimal("1E+3")]]
    _many(con, "t", rows)
    assert con.execute("SELECT amount FROM t WHERE id >= 1999 ORDER BY id").fetchall() == [
        (Decimal("1.25"),), (Decimal("123456789.1234"),), (None,), (Decimal("1000"),)]


def test_the_writer_loads_the_rows_workers_staged_and_they_are_the_processed_documents_rows(tmp_path, staged_samples,
                                                                                            monkeypatch):
    """Workers stage each document's rows beside its processed file; the writer inserts them as they
    are (no dataclass decoding), and they give exactly the rows made from the `Processed` documents."""
    from fiscaldocs.warehouse.rows import document_rows

    import fiscaldocs.staging as staging

    assert all(staging.rows_path(i["staged"]).exists() for i in staged_samples)
    from_rows = fresh_warehouse("file", tmp_path / "rows")
    write_run(from_rows, staged_samples, [], "samples", NOW)
    read = []
    monkeypatch.setattr(staging, "read_rows", lambda p: read.append(p) or document_rows(staging.read_processed(p)))
    from_processed = fresh_warehouse("file", tmp_path / "processed")
    write_run(from_processed, staged_samples, [], "samples", NOW)
    assert len(read) == len(staged_samples)  # the second run did go through the processed documents
    assert _rows(from_rows) == _rows(from_processed)
    # Exact money through the staged text: 赫山区 2021 支出决算 total as printed, 7919.57 万元.
    with read_only(from_rows) as con:
        assert con.execute("SELECT count(*) FROM facts WHERE amount_yuan = 79195700 AND doc_id = ?",
                           [sha256_file(next(i["path"] for i in staged_samples
                                             if i["path"].endswith("heshan_2021_final_accounts.pdf")))]).fetchone()[0]


def test_rows_staged_by_other_row_code_are_never_loaded(tmp_path, monkeypatch):
    """The rows file is named by a digest of the code that makes rows: after a change to it, the
    old file is ignored (the writer makes the rows from the processed file) and the next staging
    replaces it."""
    from fiscaldocs.warehouse.rows import document_rows

    import fiscaldocs.staging as staging
    from fiscaldocs import versions

    docx = SAMPLES / "heshan_2021_final_accounts.docx"
    sha = sha256_file(docx)
    staged = staging.process_to_file(str(docx), sha, str(tmp_path))
    old = staging.rows_path(staged)
    stale = json.loads(old.read_text(encoding="utf-8"))
    stale["tables"]["facts"] = []  # what other row code might have made
    old.write_text(json.dumps(stale), encoding="utf-8")
    monkeypatch.setattr(versions, "rows_digest", lambda: "0123456789ab")
    assert staging.rows_path(staged) != old and not staging.rows_path(staged).exists()
    assert staging.read_rows(staged) == json.loads(json.dumps(document_rows(staging.read_processed(staged))))
    assert staging.read_rows(staged)["tables"]["facts"]
    staging.process_to_file(str(docx), sha, str(tmp_path))  # staged again: the rows of this code
    assert staging.rows_path(staged).exists() and not old.exists()


def test_the_rows_digest_changes_with_the_row_code(tmp_path, monkeypatch):
    from fiscaldocs import versions

    copy = tmp_path / "warehouse"
    shutil.copytree(versions._package_dir("fiscaldocs.warehouse"), copy, ignore=shutil.ignore_patterns("__pycache__"))
    real = versions._package_dir
    monkeypatch.setattr(versions, "_package_dir", lambda name: copy if name == "fiscaldocs.warehouse" else real(name))
    versions.rows_digest.cache_clear()
    before = versions.rows_digest()
    (copy / "rows.py").write_text((copy / "rows.py").read_text(encoding="utf-8") + "\n# changed\n", encoding="utf-8")
    versions.rows_digest.cache_clear()
    after = versions.rows_digest()
    versions.rows_digest.cache_clear()
    assert after != before


def test_workers_import_the_row_code_without_duckdb():
    out = subprocess.run([sys.executable, "-c", "import sys, fiscaldocs.warehouse.rows, fiscaldocs.staging; "
                          "print('duckdb' in sys.modules)"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"



def test_a_copy_of_staged_bytes_is_loaded_under_its_own_name(tmp_path, staged_samples):
    """A staged result is shared by every file with the same bytes (it is keyed by content): the
    warehouse names the file that was loaded, not the one the result was first made from."""
    item = staged_samples[0]
    copy = tmp_path / "docs" / "另一个名字.docx"
    db = str(tmp_path / "w.duckdb")
    write_run(db, [{**item, "path": str(copy)}], [], "copy", NOW)
    with read_only(db) as con:
        assert con.execute("SELECT file_name, source_path FROM documents").fetchall() == [("另一个名字.docx", str(copy))]
