"""Tables printed without rules: a whitespace-aligned department budget (amounts in 元 with
thousands separators, tests/fixtures/make_whitespace_budget.py) loses no row and no fact; the
unruled benchmark's measure itself."""

from __future__ import annotations

import json
import re
import sys
from decimal import Decimal
from pathlib import Path

from fiscaldocs.extractors import extract

from fiscaldocs.pipeline import finish

FIXTURES = Path(__file__).parent / "fixtures"
sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))


def _ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_whitespace_aligned_budget_loses_no_row_and_no_fact():
    truth = json.loads((FIXTURES / "whitespace_budget.json").read_text(encoding="utf-8"))
    processed = finish(extract(FIXTURES / "whitespace_budget.pdf"))
    (table,) = processed.document.tables
    assert (table.title, table.unit) == ("一般公共预算支出功能分类预算表", truth["unit"])
    assert [[_ws(c) for c in row] for row in table.rows()] == truth["rows"]
    amounts = {(r, c): Decimal(text.replace(",", "")) for r, row in enumerate(truth["rows"][1:], start=1)
               for c, text in enumerate(row) if c >= 2 and text}
    facts = {(f.row_idx, f.col_idx): f for f in processed.facts if f.table_id == 0}
    assert {k: f.amount for k, f in facts.items()} == amounts
    codes = {r: row[0] for r, row in enumerate(truth["rows"]) if len(row[0]) == 7}
    assert all(facts[(r, 2)].category_code == code for r, code in codes.items())
    assert all(c.status == "pass" for c in processed.checks if c.rule == "table_total")


def test_cell_adjacency_relations():
    from unruled_tables import relations

    grid = [["项目", "2023", ""], ["收入", "1", "2"], ["", "", "3"]]
    assert relations(grid) == {("R", "项目", "2023"): 1, ("R", "收入", "1"): 1, ("R", "1", "2"): 1,
                               ("D", "项目", "收入"): 1, ("D", "2023", "1"): 1, ("D", "2", "3"): 1}
