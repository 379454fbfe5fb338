"""Say what was lost: per table parser, score, pages, rows, numeric cells and facts, in `extract`
(text and --json) and in the warehouse's doc_tables; tables with numbers but no facts listed."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from fiscaldocs.extractors import sha256_file
from fiscaldocs.warehouse.runs import write_run

from fiscaldocs.cli import main
from fiscaldocs.staging import process_to_file

CONTINUED = Path(__file__).parent / "fixtures" / "continued"
SAMPLES = Path(__file__).parent.parent / "sample_docs"
TRUTH = json.loads((CONTINUED / "truth.json").read_text(encoding="utf-8"))
# amounts printed in the table (blank cells are zero and not printed), by construction
PRINTED = sum(1 for r in TRUTH["rows"] for k in ("total", "basic", "project") if Decimal(r[k]))


def test_extract_json_reports_each_table(capsys):
    assert main(["extract", str(CONTINUED / "rl_norepeat.pdf"), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    report = data["tables"][0]["report"]
    assert report["pages"] == [1, 2] and report["parser"] == "pdfplumber" and report["score"] > 0.9
    assert report["rows"] == len(TRUTH["rows"]) + 1  # + the header row
    assert report["numeric_cells"] == PRINTED and report["facts"] == PRINTED and not report["lost"]
    assert report["notes"][0].startswith("rows continued on page 2")
    assert data["lost_tables"] == []


def test_extract_text_lists_tables_with_numbers_and_no_facts(capsys, tmp_path):
    """A table of bare decimals with no unit anywhere (12.5, 7.25: amounts whose unit was never
    declared) holds numbers and gives no facts: extract says so, by table."""
    import docx

    doc = docx.Document()
    doc.add_paragraph("2023年度某单位情况说明")
    doc.add_paragraph("附表：主要指标情况表")
    table = doc.add_table(rows=3, cols=2)
    for r, row in enumerate([("项目", "数值"), ("甲", "12.5"), ("乙", "7.25")]):
        for c, text in enumerate(row):
            table.cell(r, c).text = text
    doc.save(tmp_path / "lost.docx")
    main(["extract", str(tmp_path / "lost.docx")])
    out = capsys.readouterr().out
    assert "1 table(s) hold numbers but produced no facts" in out
    lost = out.split("hold numbers but produced no facts:")[1]
    assert "table 0" in lost and "2 numbers" in lost and "附表：主要指标情况表" in lost
    assert "numbers=2 facts=0" in out


def test_a_score_table_is_not_lost(capsys):
    """heshan 2021's 指标计分表 (pp. 21–25) prints scores (分值, 得分): indicators now, not a loss."""
    main(["extract", str(SAMPLES / "heshan_2021_final_accounts.pdf")])
    out = capsys.readouterr().out
    assert "部门整体支出绩效自评指标计分表" in out
    assert "hold numbers but produced no facts" not in out


def test_doc_tables_carry_numeric_cells_facts_and_notes(tmp_path):
    path = CONTINUED / "rl_running.pdf"
    sha = sha256_file(path)
    items = [{"path": str(path), "url": None, "sha256": sha, "staged": process_to_file(str(path), sha, str(tmp_path))}]
    db = tmp_path / "w.duckdb"
    write_run(db, items, [], "test", datetime.now(UTC).replace(tzinfo=None))
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT pages, numeric_cells, facts, notes FROM doc_tables").fetchall()
    assert len(rows) == 1
    pages, numeric, facts, notes = rows[0]
    assert pages == [1, 2] and numeric == facts == PRINTED and len(notes) == 1
