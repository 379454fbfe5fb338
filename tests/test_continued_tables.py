"""Tables continued over page breaks, from several producers (tests/fixtures/continued, made by
make_continued.py: ground truth by construction in truth.json)."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest
from fiscaldocs.extractors import extract
from fiscaldocs.extractors.pdf_continuation import PageTable, join_continued
from fiscaldocs.extractors.pdf_grid import FilledTable, Grid
from fiscaldocs.normalize.table_values import table_values

from fiscaldocs.model import Cell, TableQuality
from fiscaldocs.pipeline import finish

HERE = Path(__file__).parent / "fixtures" / "continued"
TRUTH = json.loads((HERE / "truth.json").read_text(encoding="utf-8"))
PRODUCERS = ["lo_repeat.pdf", "lo_landscape.pdf", "rl_running.pdf", "rl_norepeat.pdf"]


def _digits(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module", params=PRODUCERS)
def processed(request):
    return finish(extract(HERE / request.param))


def _body(table) -> list[list[str]]:
    """Rows below the header, as (code, name, total, basic, project) with codes joined."""
    out = []
    for row in table.rows():
        cells = [_digits(c) for c in row]
        if not any(re.fullmatch(r"[\d,]+\.\d\d", c) for c in cells):
            continue
        n_code = len(cells) - 4
        out.append(["".join(cells[:n_code])] + cells[n_code:])
    return out


def test_one_table_every_row_in_order(processed):
    doc = processed.document
    assert [t.title for t in doc.tables] == [TRUTH["title"]]
    table = doc.tables[0]
    assert table.unit == TRUTH["unit"] and len(table.pages) >= 2
    expected = [[r["code"], r["name"]] + [f"{Decimal(r[k]):,.2f}" if Decimal(r[k]) else ""
                                          for k in ("total", "basic", "project")] for r in TRUTH["rows"]]
    assert _body(table) == expected
    notes = table.quality.notes
    assert len(notes) == len(table.pages) - 1 and all(n.startswith("rows continued on page") for n in notes)


def test_continuation_rows_give_facts_with_category_unit_phase_year(processed):
    doc = processed.document
    table = doc.tables[0]
    by_code = {r["code"]: r for r in TRUTH["rows"] if r["level"] == "项"}
    later = [f for f in processed.facts if f.table_id == 0 and f.page != table.page and f.category_code in by_code]
    assert len({f.category_code for f in later}) >= 10  # rows printed on the later pages
    for f in later:
        truth = by_code[f.category_code]
        column = {"合计": "total", "基本支出": "basic", "项目支出": "project"}[f.column_header]
        assert f.amount == Decimal(truth[column]) * 10000  # 万元 → 元
        assert (f.phase, f.period_year, f.fiscal_year, f.direction) == ("approved", 2025, 2025, "expenditure")
        assert f.line_item == truth["name"] and f.page == table.row_pages[f.row_idx]


def test_code_columns_are_never_money(processed):
    table = processed.document.tables[0]
    n_code = table.n_cols - 4
    assert not [v for v in table_values(table) if v.col < n_code]
    totals = [c for c in processed.checks if c.rule == "table_total"]
    assert totals and all(c.status == "pass" for c in totals), [c.message for c in totals if c.status != "pass"]


# The decision itself, on parts built by hand --------------------------------------------------

XS = [50.0, 100.0, 250.0, 350.0, 450.0]


def _part(page: int, rows: list[list[str]], *, top: float = 60.0, xs: list[float] = XS, title=None, unit=None,
          bottom: float | None = None) -> PageTable:
    cells = []
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cells.append(Cell(row=r, col=c, text=text, page=page,
                              bbox=(xs[c], top + 20 * r, xs[c + 1], top + 20 * (r + 1))))
    bottom = bottom if bottom is not None else top + 20 * len(rows)
    grid = Grid(xs=xs, ys=[top + 20 * r for r in range(len(rows) + 1)], regions=[], parser="pdfplumber")
    t = PageTable(page=page, bbox=(xs[0], top, xs[-1], bottom), cells=cells, n_rows=len(rows), n_cols=len(xs) - 1,
                  xs=xs, parsed=FilledTable(grid, cells, TableQuality(1.0, 1.0, 1.0, "pdfplumber"), page),
                  title=title, unit=unit, first_on_page=True, last_on_page=True, row_pages=[page] * len(rows),
                  page_height=842.0, last_bottom=bottom)
    return t


HEAD = [["科目编码", "科目名称", "基本支出", "项目支出"]]


def test_a_total_row_closing_the_first_part_keeps_the_next_apart():
    first = _part(1, HEAD + [["201", "一般公共服务支出", "10.00", "2.00"], ["合计", "", "10.00", "2.00"]],
                  top=700, title="支出表", unit="万元")
    second = _part(2, [["301", "工资福利支出", "5.00", ""]])
    out = join_continued([first, second], {842: 800.0})
    assert len(out) == 2 and out[1].title is None and out[1].parsed.quality.notes == []


def test_a_new_caption_starts_a_new_table():
    first = _part(1, HEAD + [["201", "一般公共服务支出", "10.00", "2.00"]], top=740, title="支出表", unit="万元")
    second = _part(2, HEAD + [["301", "工资福利支出", "5.00", ""]], title="基本支出预算表", unit="万元")
    out = join_continued([first, second], {842: 800.0})
    assert [t.title for t in out] == ["支出表", "基本支出预算表"]


def test_ambiguous_break_keeps_parts_apart_but_carries_title_unit_and_header():
    """Room left under the first part and columns that do not line up: not joined, but the second
    part gets the caption and the header (laid on its own columns), and says why."""
    first = _part(1, HEAD + [["2010101", "行政运行", "10.00", "2.00"]], top=300, title="支出表", unit="万元")
    shifted = [50.0, 140.0, 260.0, 350.0, 450.0]
    second = _part(2, [["2010102", "一般行政管理事务", "5.00", "1.00"]], xs=shifted)
    out = join_continued([first, second], {842: 800.0})
    assert len(out) == 2
    cont = out[1]
    assert (cont.title, cont.unit) == ("支出表", "万元")
    assert [c.text for c in cont.cells if c.row == 0] == ["科目编码", "科目名称", "基本支出", "项目支出"]
    assert [c.text for c in cont.cells if c.row == 1] == ["2010102", "一般行政管理事务", "5.00", "1.00"]
    assert cont.row_pages == [2, 2] and "not joined" in cont.parsed.quality.notes[0]


def test_page_break_inside_a_row_joins_the_label():
    first = _part(1, HEAD + [["2010101", "一般行政管", "10.00", "2.00"]], top=740, title="支出表", unit="万元")
    second = _part(2, [["", "理事务", "", ""], ["2010102", "机关服务", "5.00", ""]])
    (table,) = join_continued([first, second], {842: 800.0})
    assert [c.text for c in table.cells if c.row == 1] == ["2010101", "一般行政管理事务", "10.00", "2.00"]
    assert table.n_rows == 3 and table.row_pages == [1, 1, 2]


def test_real_budget_continuation_page_gives_facts():
    """上海市普陀区司法局 2026 部门预算, 一般公共预算支出功能分类预算表 (pp. 15–16, header repeated on p. 16;
    in 元): p. 16 prints "221 02 01 住房公积金 2087959.00 2087959.00 0.00" (read off the page)."""
    from conftest import REALDOCS

    path = REALDOCS / "06_putuo_sifaju_2026_bumen_yusuan.pdf"
    if not path.exists():
        pytest.skip(f"{path} not available")
    processed = finish(extract(path))
    (table,) = [t for t in processed.document.tables if t.title == "2026年部门一般公共预算支出功能分类预算表"]
    assert table.pages == [15, 16]
    facts = [f for f in processed.facts if f.table_id == table.index and f.page == 16
             and f.category_code == "2210201"]
    by_header = {f.column_header.split("|")[-1]: f for f in facts}
    assert by_header["合计"].amount == by_header["基本支出"].amount == Decimal("2087959.00")
    assert all((f.phase, f.period_year, f.direction, f.line_item) == ("approved", 2026, "expenditure", "住房公积金")
               for f in facts)
    codes = table.n_cols - 4
    assert not [v for v in table_values(table) if v.col < codes]  # 类/款/项 are codes, not money
