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


def test_extract_text_lists_tables_with_numbers_and_no_facts(capsys):
    """heshan 2021's 指标计分表 (pp. 21–25) prints scores (分值, 得分) with no unit: numbers, no facts."""
    main(["extract", str(SAMPLES / "heshan_2021_final_accounts.pdf")])
    out = capsys.readouterr().out
    assert "hold numbers but produced no facts" in out
    lost = out.split("hold numbers but produced no facts:")[1]
    assert "部门整体支出绩效自评指标计分表" in lost and "[21, 22, 23, 24, 25]" in lost
    assert "numbers=" in out and "facts=" in out


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
