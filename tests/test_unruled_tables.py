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


def _bottom_aligned_budget(path: Path) -> None:
    """An unruled table whose long labels wrap onto two lines with the amounts beside the second
    (Excel's default vertical alignment is bottom), as a spreadsheet printed without gridlines."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    c = canvas.Canvas(str(path), pagesize=A4)
    c.setFont("STSong-Light", 13)
    c.drawCentredString(A4[0] / 2, 780, "部门支出预算表")
    c.setFont("STSong-Light", 10)
    c.drawRightString(520, 760, "单位：万元")
    y = 735
    rows = [("项目", "预算数", "决算数"), ("教育支出", "120.50", "118.20"),
            (("一般公共服务", "支出"), "300.00", "296.40"), ("科学技术支出", "45.00", "44.10"),
            (("社会保障和就", "业支出"), "210.30", "205.00"), ("卫生健康支出", "88.00", "87.60"),
            ("合计", "763.80", "751.30")]
    for label, budget, final in rows:
        if isinstance(label, tuple):  # the label's first line alone, 11.5 pt above its row
            c.drawString(80, y, label[0])
            label = label[1]
            y -= 11.5
        c.drawString(80, y, label)
        c.drawRightString(360, y, budget)
        c.drawRightString(500, y, final)
        y -= 24
    c.save()


def test_a_label_wrapped_above_its_amounts_joins_its_own_row(tmp_path):
    """The first line of a wrapped label, alone and closer to the row below than rows sit, belongs
    to that row, not to the one after it (the truth is the rows drawn above)."""
    pdf = tmp_path / "bottom_aligned.pdf"
    _bottom_aligned_budget(pdf)
    (table,) = extract(pdf).tables
    assert [[_ws(c) for c in row] for row in table.rows()] == [
        ["项目", "预算数", "决算数"], ["教育支出", "120.50", "118.20"], ["一般公共服务支出", "300.00", "296.40"],
        ["科学技术支出", "45.00", "44.10"], ["社会保障和就业支出", "210.30", "205.00"],
        ["卫生健康支出", "88.00", "87.60"], ["合计", "763.80", "751.30"]]
