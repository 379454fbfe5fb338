"""Statements as data: every table is told which statement it is from its title (as the genre prints
them in Shanghai and elsewhere) or, untitled, from its header; columns say their fund and part;
三公 read across tables and from prose; a printed code is the category even when unknown."""

from __future__ import annotations

import pytest
from fiscaldocs.normalize.categories import map_label
from fiscaldocs.normalize.statements import breakdown, classify, column_scope, prose_category

from fiscaldocs.model import Cell, Table


def _table(title: str | None, rows: list[list[str]] | None = None) -> Table:
    rows = rows or [["项目", "金额"]]
    cells = [Cell(r, c, text) for r, row in enumerate(rows) for c, text in enumerate(row)]
    return Table(index=0, n_rows=len(rows), n_cols=len(rows[0]), cells=cells, title=title)


# Titles as printed: 财政部 部门决算公开表 (realdocs 01), 上海 部门预算 (06, 08, 12), other provinces'
# 部门预算/决算 公开表 names, and the seeds' 附表.
TITLES = {
    "收入支出决算总表": "summary",
    "部门收支总体情况表": "summary",
    "2026年部门财务收支预算总表": "summary",
    "部门收入支出预算总表": "summary",
    "收入决算表": "revenue",
    "部门收入总体情况表": "revenue",
    "2026年部门收入预算总表": "revenue",
    "支出决算表": "expenditure",
    "部门支出总体情况表": "expenditure",
    "2023年部门支出预算总表": "expenditure",
    "财政拨款收入支出决算总表": "fiscal_summary",
    "财政拨款收支总体情况表": "fiscal_summary",
    "2023年部门财政拨款收支预算总表": "fiscal_summary",
    "一般公共预算财政拨款支出决算表": "gpb_functional",
    "一般公共预算支出情况表": "gpb_functional",
    "2026年部门一般公共预算支出功能分类预算表": "gpb_functional",
    "一般公共预算财政拨款基本支出决算表": "gpb_basic_economic",
    "一般公共预算基本支出情况表": "gpb_basic_economic",
    "2026年部门一般公共预算基本支出部门预算经济分类预算表": "gpb_basic_economic",
    "政府性基金预算财政拨款收入支出决算表": "government_fund",
    "政府性基金预算支出情况表": "government_fund",
    "国有资本经营预算财政拨款支出决算表": "state_capital",
    "财政拨款“三公”经费支出决算表": "sangong",
    "一般公共预算“三公”经费支出情况表": "sangong",
    "部门“三公”经费和机关运行经费预算表": "sangong",
    "机关运行经费支出情况表": "agency_operation",
    "项目支出绩效目标表": "performance",
    "专项资金绩效目标自评表": "performance",
    "2023年度益阳市职工医疗（含生育）保险基金预决算收支情况表": "si_fund",
    "2023年度部门整体支出绩效评价基础数据表": "other",
}


@pytest.mark.parametrize("title", list(TITLES))
def test_a_table_is_the_statement_its_title_names(title):
    assert classify(_table(title)).id == TITLES[title]


def test_an_untitled_table_is_told_by_its_header():
    sangong = [["合计", "因公出国(境)费", "公务接待费", "公务用车购置及运行费"], ["1.35", "0", "1.35", "0"]]
    fund = [["项目", "2023年决算数"], ["一、期初余额", "1"], ["二、收入合计", "2"], ["五、期末滚存结余", "3"]]
    assert classify(_table(None, sangong)).id == "sangong"
    assert classify(_table(None, fund)).id == "si_fund"
    assert classify(_table(None, [["项目", "金额"], ["办公费", "3"]])).id == "other"


def test_columns_name_their_fund_and_their_part():
    assert column_scope("支出|一般公共预算财政拨款", "fiscal_appropriation") == "general_public_budget"
    assert column_scope("支出|合计", "fiscal_appropriation") == "fiscal_appropriation"
    assert column_scope("政府性基金预算财政拨款", "all") == "government_fund"
    assert breakdown("本年支出合计|基本支出") == "basic"
    assert breakdown("项目支出") == "project"
    assert breakdown("人员经费合计") == "personnel"
    assert breakdown("2023年决算数") == "total"
    assert breakdown("支出|项目|决算数") == "total"
    assert breakdown("事业收入") == "col:事业收入"  # kept as printed: never merged with another column


@pytest.mark.parametrize(("head", "category"), [
    # realdocs 01 p22 and seed 001 (赫山 2021): the phase alone in its own clause names the 三公 total before it
    ("“三公”经费财政拨款支出年初预算为0.95万元，支出决算为", "sangong.total"),
    ("2021年度“三公”经费财政拨款支出预算为15.5万元，调整预算数为0.9万元，支出决算为", "sangong.total"),
    ("“三公”经费财政拨款支出年初预算为0.95万元，支出决算为0.00万元，完成预算的0%，其中：因公出国（境）费决算为",
     "sangong.travel_abroad"),
    ("公务用车购置费及运行维护费支出决算", "sangong.vehicle"),
    # seed 004 (宁乡 2024), seed 000 (益阳 2023)
    ("全年“三公”经费支出0.46万元，其中公务接待支出0.46万元，出国（境）支出", "sangong.travel_abroad"),
    ("实际支出数为8.52万元，“三公”经费控制率为46.58%。其中：公车运行维护费", "sangong.vehicle.operation"),
    ("益阳市赫山区医疗保障事务中心2021年机关运行经费支出", "agency_operation"),
    # seed 001: another line stands between the name and the amount
    ("主要用于办公费、公务用车运行及维护费支出等等日常公用经费", None),
    ("本单位一般公共预算支出为", None),
])
def test_prose_names_the_sangong_part(head, category):
    assert prose_category(head) == category


def test_a_printed_code_is_the_category_even_when_the_taxonomy_lacks_it():
    # 2200150 事业运行 (自然资源事务) was stored as 2101550 (卫生健康) by a name match
    found = map_label("事业运行", 2024, code="2200150", context=("210", "21015"))
    assert (found.code, found.name, found.known) == ("2200150", "事业运行", True)
    unknown = map_label("某某新增事务", 2025, code="2299998", context=("210",))
    assert (unknown.code, unknown.name, unknown.level, unknown.known, unknown.scheme) == (
        "2299998", "某某新增事务", "项", False, "functional")


def test_the_2025_edition_knows_20139():
    found = map_label("社会工作事务", 2025, code="20139")
    assert (found.code, found.name, found.level, found.known) == ("20139", "社会工作事务", "款", True)
    assert map_label("事业运行", 2025, code="2013950").known
