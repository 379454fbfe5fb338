"""Nothing silently lost: files in a folder that are not documents are named, with their type, in
the run summary and in ingest_runs; a missing input creates no warehouse; a warehouse of schema 4
is migrated in place (bboxes for the page view, the run's unsupported files)."""

from __future__ import annotations

import shutil
import zipfile

import duckdb
from conftest import SAMPLES

from fiscaldocs.cli import main
from fiscaldocs.sources import unsupported_files


def _folder(tmp_path):
    docs = tmp_path / "docs"
    (docs / "sub").mkdir(parents=True)
    shutil.copyfile(SAMPLES / "ningxiang_2024_performance_self_evaluation.docx", docs / "a.docx")
    (docs / "notes.txt").write_text("说明", encoding="utf-8")
    with zipfile.ZipFile(docs / "sub" / "附表.xlsx", "w") as zf:  # a spreadsheet: not ingested (yet)
        zf.writestr("xl/workbook.xml", "<workbook/>")
    (docs / "scan.PDF.html").write_text("<html><body>404</body></html>")
    return docs


def test_unsupported_files_are_listed_with_their_type(tmp_path):
    docs = _folder(tmp_path)
    assert unsupported_files([str(docs), "https://example.invalid/x.pdf", str(docs / "a.docx")]) == [
        f"{docs / 'notes.txt'} (unknown)", f"{docs / 'scan.PDF.html'} (html)", f"{docs / 'sub' / '附表.xlsx'} (xlsx)"]


def test_ingest_names_them_in_the_summary_and_ingest_runs(prefect_harness, tmp_path, capsys):
    docs = _folder(tmp_path)
    db = tmp_path / "w.duckdb"
    code = main(["ingest", str(docs), "--db", str(db)])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "3 files not ingested (not PDF or Word" in out
    assert "notes.txt (unknown)" in out and "附表.xlsx (xlsx)" in out and "scan.PDF.html (html)" in out
    with duckdb.connect(str(db), read_only=True) as con:
        (unsupported,) = con.execute("SELECT unsupported FROM ingest_runs").fetchone()
    assert unsupported.splitlines() == [f"{docs / 'notes.txt'} (unknown)", f"{docs / 'scan.PDF.html'} (html)",
                                        f"{docs / 'sub' / '附表.xlsx'} (xlsx)"]


def test_a_missing_input_creates_no_warehouse(tmp_path, capsys):
    db = tmp_path / "w.duckdb"
    code = main(["ingest", str(tmp_path / "no_such_folder"), "--db", str(db)])
    err = capsys.readouterr().err
    assert code == 2 and "no such file or folder" in err and "no_such_folder" in err
    assert list(tmp_path.iterdir()) == []


def test_schema_4_is_migrated_with_bboxes_and_unsupported(tmp_path):
    from fiscaldocs.warehouse.publish import staged
    from fiscaldocs.warehouse.schema import SCHEMA_VERSION

    db = tmp_path / "old.duckdb"
    with duckdb.connect(str(db)) as con:  # the three tables as schema 4 had them
        con.execute("CREATE TABLE warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute("INSERT INTO warehouse_meta VALUES ('schema_version', '4')")
        con.execute("CREATE TABLE text_blocks (doc_id VARCHAR, block_idx INTEGER, reading_order INTEGER, "
                    "page INTEGER, kind VARCHAR, text VARCHAR, PRIMARY KEY (doc_id, block_idx))")
        con.execute("INSERT INTO text_blocks VALUES ('d', 0, 0, 1, 'paragraph', '正文')")
        con.execute("CREATE TABLE ingest_runs (run_id VARCHAR PRIMARY KEY, started_at TIMESTAMP, "
                    "finished_at TIMESTAMP, seen INTEGER, new INTEGER, changed INTEGER, skipped INTEGER, "
                    "failed INTEGER, sources VARCHAR)")
    with staged(db):
        pass
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT value FROM warehouse_meta WHERE key = 'schema_version'").fetchone()[0] == SCHEMA_VERSION
        assert con.execute("SELECT text, bbox FROM text_blocks").fetchall() == [("正文", None)]
        cols = {r[0]: r[1] for r in con.execute(
            "SELECT table_name || '.' || column_name, data_type FROM duckdb_columns() "
            "WHERE column_name IN ('bbox', 'unsupported')").fetchall()}
    assert cols == {"text_blocks.bbox": "DOUBLE[]", "table_cells.bbox": "DOUBLE[]",
                    "ingest_runs.unsupported": "VARCHAR"}
