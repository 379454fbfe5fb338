"""Fiscal categories: the taxonomy data, and labels as printed mapped to codes (or left unmapped)."""

from __future__ import annotations

import csv
import re

import pytest
from conftest import REALDOCS, SAMPLES, extracted
from fiscaldocs.normalize.categories import DATA, FILES, by_code, line_items, map_label


@pytest.mark.parametrize("file", FILES.values())
def test_taxonomy_files_are_consistent(file):
    with (DATA / file).open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    codes = {r["code"] for r in rows}
    for r in rows:
        assert r["source"], f"{r['code']} has no source"
        assert r["level"] in ("类", "款", "项")
        if r["parent_code"]:  # a listed code, or (special items) the root of a namespace like si_fund
            assert r["parent_code"] in codes or "." not in r["parent_code"], r["code"]
        if re.fullmatch(r"\d+", r["code"]):
            assert len(r["code"]) == {"类": 3, "款": 5, "项": 7}[r["level"]]
            assert r["parent_code"] == r["code"][:-2] or r["level"] == "类"
    # name periods of one code never overlap
    periods: dict[str, list[tuple[int, int]]] = {}
    for r in rows:
        periods.setdefault(r["code"], []).append((int(r["valid_from"] or 0), int(r["valid_to"] or 9999)))
    for code, spans in periods.items():
        spans.sort()
        assert all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False)), code


def test_class_level_is_complete():
    classes = {c for c in (f"{n}" for n in range(201, 235)) if by_code(c)}
    for code in ("201", "204", "205", "206", "207", "208", "210", "211", "212", "213", "214", "221", "224", "229"):
        assert code in classes


@pytest.mark.parametrize(("label", "year", "code"), [
    ("社会保障和就业支出", 2024, "208"),
    ("十九、住房保障支出", 2024, "221"),
    ("卫生健康支出(类)医疗保障管理事务(款)行政运行(项)", 2021, "2101501"),
    ("卫生健康支出（类）医疗救助（款）其他医疗救助支出（项）", 2021, "2101399"),
    ("农林水支出（类）扶贫（款）其他扶贫支出（项）", 2021, "2130599"),
    ("医疗卫生与计划生育支出", 2017, "210"),  # the name before the 2019 rename
    ("卫生健康支出", 2023, "210"),
    ("1、公务用车购置和维护经费", 2023, "sangong.vehicle"),
    ("其中：日常公用经费", 2023, "expenditure.basic.public"),
    ("基本支出", 2023, "expenditure.basic"),
    ("城乡居民基本医疗保险基金收入", 2023, "medical_insurance.resident.revenue"),
])
def test_labels_map(label, year, code):
    match = map_label(label, year)
    assert match is not None and match.code == code


def test_code_column_wins_and_names_follow_the_year():
    assert map_label("whatever is printed", 2024, code="2101501").name == "行政运行"
    assert map_label("", 2017, code="210").name == "医疗卫生与计划生育支出"
    assert map_label("", 2024, code="210").name == "卫生健康支出"


@pytest.mark.parametrize("label", ["行政运行", "其他支出", "公车运行维护", "某某专项工作经费", ""])
def test_ambiguous_or_unknown_labels_stay_unmapped(label):
    assert map_label(label, 2024) is None


def test_enclosing_rows_resolve_a_common_name():
    assert map_label("行政运行", 2024, context=("210", "21015")).code == "2101501"
    assert map_label("其他支出", 2023, context=("si_fund",)).code == "si_fund.expenditure.other"
    assert map_label("3、公务接待", 2023, context=("sangong.total",)).code == "sangong.reception"


def test_line_items_of_a_real_budget_table():
    path = REALDOCS / "06_putuo_sifaju_2026_bumen_yusuan.pdf"
    if not path.exists():
        pytest.skip("realdocs not available")
    doc = extracted(str(path))
    items = {i.label: i for i in line_items(doc.tables[1], doc.meta.fiscal_year)}
    assert items["公共安全支出"].match.code == "204" and items["公共安全支出"].match.method == "code"
    assert items["普法宣传"].code == "2040605" and items["普法宣传"].match.name == "普法宣传"


def test_fund_table_lines_map_by_the_table_title():
    doc = extracted(str(SAMPLES / "yiyang_2023_performance_self_evaluation.pdf"))
    fund = doc.tables[2]
    assert "保险基金" in fund.title
    codes = [i.match.code if i.match else None for i in line_items(fund, 2023)]
    assert codes[0] == "si_fund.opening_balance" and codes[-1] == "si_fund.closing_balance"
    assert None not in codes


def test_a_code_printed_without_its_leading_zero():
    """12_putuo_wanli_jiedao_2024 p29 prints 津贴补贴 and 绩效工资 with 款 "2" and "7" (30102, 30107), the
    other 款 with two digits: rows copied from the page."""
    from fiscaldocs.model import Cell, Table

    rows = [["类", "款", "经济分类科目名称", "合计"], ["301", "", "工资福利支出", "88,282,511"],
            ["301", "01", "基本工资", "5,873,551"], ["301", "2", "津贴补贴", "16,623,810"],
            ["301", "7", "绩效工资", "11,447,100"], ["301", "08", "机关事业单位基本养老保险缴费", "4,608,515"]]
    table = Table(index=0, n_rows=len(rows), n_cols=4, cells=[Cell(r, c, t, page=1) for r, row in enumerate(rows)
                                                              for c, t in enumerate(row)], page=1, unit="元",
                  title="2024年部门一般公共预算基本支出部门预算经济分类预算表")
    assert [(i.label, i.code) for i in line_items(table, 2024)] == [
        ("工资福利支出", "301"), ("基本工资", "30101"), ("津贴补贴", "30102"), ("绩效工资", "30107"),
        ("机关事业单位基本养老保险缴费", "30108")]


def test_a_total_printed_across_the_code_columns_is_a_line_item():
    """06_putuo_sifaju_2026 p11 prints 合计 in the 类/款/项 columns: it is a total line item (it was
    dropped, so 合计 = Σ类 was never checked there); rows copied from the page."""
    from fiscaldocs.model import Cell, Table

    rows = [["类", "款", "项", "功能分类科目名称", "合计"], ["204", "", "", "公共安全支出", "87267272.44"],
            ["221", "", "", "住房保障支出", "4521559.00"], ["合计", "", "", "", "96282213.44"]]
    table = Table(index=0, n_rows=len(rows), n_cols=5, cells=[Cell(r, c, t, page=1) for r, row in enumerate(rows)
                                                              for c, t in enumerate(row)], page=1, unit="元",
                  title="2026年部门收入预算总表")
    items = line_items(table, 2026)
    assert [(i.label, i.code, i.is_total) for i in items] == [
        ("公共安全支出", "204", False), ("住房保障支出", "221", False), ("合计", None, True)]
