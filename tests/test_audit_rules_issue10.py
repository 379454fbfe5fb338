"""Issue 10: an audit a reviewer trusts (rate definitions, truncation, scopes, text totals, 截至
dates, stale headings, same-department comparisons), planted mistakes caught at their place, and
every quantity with its unit (bare 万 by subject, table indicators with row and column labels)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import SAMPLES, extracted
from docx import Document as Docx
from fiscaldocs.audit import audit_document
from fiscaldocs.normalize.claims import find_claims
from fiscaldocs.normalize.facts import derive
from test_audit import by_rule, doc, table

# Rates: each standard definition, rounding and truncation ------------------------------------

SEED_CONTROL = ("预算控制率略微偏高：2023年年初一般公共预算1069.87万元，调整追加预算653.33万元，"
                "全年一般公共预算收入1723.2万元，预算控制率为{}，调整原因主要为：…")


@pytest.mark.parametrize(("rate", "status"), [("161.07%", "pass"), ("61.07%", "fail"), ("116.07%", "fail")])
def test_budget_control_rate_is_full_year_over_initial(rate, status):
    """益阳 2023 (seed 000, p.7): 1723.2 ÷ 1069.87 = 161.07% — not the 调整 share 61.07%."""
    assert [c.status for c in by_rule(doc(SEED_CONTROL.format(rate)), "stated_ratio")] == [status]


@pytest.mark.parametrize(("rate", "status"), [("61.07%", "pass"), ("60%", "fail")])
def test_budget_adjustment_rate(rate, status):
    d = doc(f"年初预算1069.87万元，调整追加预算653.33万元，预算调整率为{rate}。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == [status]


@pytest.mark.parametrize(("rate", "status"), [("99.87%", "pass"), ("99.86%", "pass"), ("99.85%", "fail"),
                                              ("99.88%", "fail")])
def test_rate_rounded_or_truncated(rate, status):
    """998.68 ÷ 1000 = 99.868%: printed rounded (99.87%) or truncated (99.86%) both pass."""
    d = doc(f"全年预算数1000.00万元，支出决算998.68万元，预算执行率为{rate}。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == [status]


@pytest.mark.parametrize(("rate", "status"), [("83.33%", "pass"), ("100%", "fail")])
def test_execution_rate_is_over_the_full_year_budget_when_one_is_stated(rate, status):
    """1000 ÷ 1200 = 83.33%; 1000 ÷ 年初 1000 = 100% is not the 执行率 when a 全年预算 is stated."""
    d = doc(f"年初预算1000.00万元，全年预算数1200.00万元，预算执行1000.00万元，预算执行率{rate}。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == [status]


def test_execution_rate_over_the_initial_budget_when_only_that_is_stated():
    """丰南区 2023 (seed 003): 年初预算安排10710.15万元，年末支出9968.66万元，预算执行率93.08%."""
    d = doc("该部门2023年年初预算安排10710.15万元，年末支出9968.66万元，预算执行率93.08%。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == ["pass"]


def test_completion_of_the_initial_budget_uses_the_initial_budget():
    """上海市普陀区财政局 2024 决算 p.21: 2940.05 ÷ 2993.92 = 98.20%."""
    d = doc("一般公共预算财政拨款支出年初预算为2993.92万元，支出决算为2940.05万元，完成年初预算的98.20%。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == ["pass"]


# A sentence against the statement of the scope it names ---------------------------------------

def _two_statements():
    all_funds = table([["收入", "决算数", "支出", "决算数"], ["一、一般公共预算财政拨款收入", "2,940.05", "一、一般公共服务支出", "2,200.00"],
                       ["本年收入合计", "2,946.25", "本年支出合计", "2,940.05"], ["总计", "2,995.39", "总计", "2,995.39"]],
                      title="收入支出决算总表")
    general = table([["科目编码", "科目名称", "合计"], ["201", "一般公共服务支出", "2,106.66"]],
                    title="一般公共预算财政拨款支出决算表")
    general.index = 1
    return [all_funds, general]


@pytest.mark.parametrize(("amount", "status"), [("2106.66", "pass"), ("2200.00", "fail")])
def test_claim_checked_against_the_statement_of_its_scope(amount, status):
    d = doc(f"一般公共预算财政拨款支出主要用于：一般公共服务支出{amount}万元。", tables=_two_statements(),
            title="上海市普陀区财政局2024年度部门决算")
    assert [c.status for c in by_rule(d, "claim_vs_table")] == [status]


# Text totals vs table totals ------------------------------------------------------------------

@pytest.mark.parametrize(("total", "status"), [("2995.39", "pass"), ("0", "fail"), ("2995.93", "fail")])
def test_text_total_against_the_summary_statement(total, status):
    d = doc(f"上海市普陀区财政局2024年度收入支出总计{total}万元。", tables=_two_statements(),
            title="上海市普陀区财政局2024年度部门决算")
    checks = by_rule(d, "text_total")
    assert [c.status for c in checks] == [status]
    assert checks[0].expected == Decimal("29953900")
    assert (checks[0].sides[1].table, checks[0].sides[1].row) == (0, 3)  # the 总计 row of 收入支出决算总表


def test_text_total_of_a_named_scope_is_not_read_from_the_all_funds_table():
    """"财政拨款收入支出总计" is the 财政拨款收支总表's: with none in the document, nothing to compare."""
    d = doc("2024年度财政拨款收入支出总计0.3万元。", tables=_two_statements(), title="上海市普陀区财政局2024年度部门决算")
    assert by_rule(d, "text_total") == []


# 截至 dates and stale headings -----------------------------------------------------------------

@pytest.mark.parametrize(("title", "text", "status"), [
    ("上海市普陀区财政局2024年度部门决算", "截至2024年12月31日，共有车辆0辆。", "pass"),
    ("上海市普陀区财政局2024年度部门决算", "截至2023年12月31日，共有车辆0辆。", "fail"),
    ("上海市普陀区司法局2026年部门预算", "截至2025年8月31日，共有车辆3辆。", "pass"),
    ("上海市普陀区司法局2026年部门预算", "截至2024年8月31日，共有车辆3辆。", "fail"),
])
def test_as_of_dates(title, text, status):
    assert [c.status for c in by_rule(doc(text, title=title), "as_of_date")] == [status]


def test_stale_heading_is_a_fail():
    from fiscaldocs.model import BlockKind, TextBlock

    d = doc("正文。", title="2023年度益阳市医疗保障局整体支出绩效自评报告")
    d.blocks += [TextBlock("三、2022年度部门整体支出绩效情况", 2, BlockKind.HEADING),
                 TextBlock("四、2023年度部门整体支出绩效情况", 2, BlockKind.HEADING)]
    assert [(c.status, c.sides[0].block) for c in by_rule(d, "stale_heading")] == [("fail", 2)]


# Planted mistakes of the new rules: caught at the planted place, in Word and PDF -----------------

PLANTED = Path(__file__).parent / "planted"
NEW_RULES = {"wrong_text_total", "stale_as_of", "stale_heading", "wrong_control_rate"}


def new_plants() -> list[dict]:
    entries = json.loads((PLANTED / "planted.json").read_text(encoding="utf-8"))
    return [e for e in entries if e["file"].split(".")[0] in NEW_RULES]


def test_every_new_rule_has_a_word_and_a_pdf_plant():
    assert sorted(e["file"] for e in new_plants()) == sorted(f"{n}.{x}" for n in NEW_RULES for x in ("docx", "pdf"))


@pytest.mark.parametrize("entry", new_plants(), ids=[e["file"] for e in new_plants()])
def test_new_plant_caught_at_its_place(entry):
    planted = extracted(str(PLANTED / entry["file"]))
    hits = [c for c in audit_document(planted) if c.rule == entry["rule"] and c.status == "fail"
            and any(s.block is not None and entry["planted"] in planted.blocks[s.block].text for s in c.sides)]
    assert len(hits) == 1, [c.message for c in audit_document(planted) if c.rule == entry["rule"]]
    if entry["file"].endswith(".pdf"):
        assert all(s.page for s in hits[0].sides if s.kind == "text")
    original = extracted(str(SAMPLES / f"{entry['base']}{Path(entry['file']).suffix}"))
    assert not [c for c in audit_document(original) if c.rule == entry["rule"] and c.status == "fail"]


# Same department across documents --------------------------------------------------------------

def test_across_documents_compares_only_the_same_department(tmp_path):
    from datetime import datetime

    import duckdb
    from fiscaldocs.audit import across_documents
    from fiscaldocs.warehouse.runs import write_run

    from fiscaldocs.codec import write_json
    from fiscaldocs.pipeline import finish

    def report(title: str, amount: str, name: str) -> dict:
        t = table([["科目编码", "科目名称", "2024年预算数"], ["201", "一般公共服务支出", amount]],
                  title="一般公共预算支出功能分类预算表")
        d = doc("正文。", tables=[t], title=title)
        d.meta.sha256 = name * 64
        path = tmp_path / f"{name}.json"
        write_json(path, finish(d))
        return {"path": str(tmp_path / f"{name}.pdf"), "url": None, "sha256": d.meta.sha256, "staged": str(path)}

    items = [report("上海市普陀区司法局2024年部门预算", "100.00", "a"),
             report("上海市普陀区财政局2024年部门预算", "250.00", "b"),   # another department: not compared
             report("上海市普陀区司法局2024年部门预算（调整）", "100.00", "c")]
    db = tmp_path / "w.duckdb"
    write_run(db, items, [], "three reports", datetime(2026, 1, 1), cross_audit=across_documents)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT status, message FROM checks WHERE rule = 'across_documents'").fetchall()
    assert [s for s, _ in rows] == ["pass"] and "司法局" in rows[0][1]


# Every quantity with its unit ------------------------------------------------------------------

@pytest.mark.parametrize(("text", "value", "unit"), [
    ("参保人数达85.92万，", "859200", "person"),
    ("全年住院人次达12.5万，", "125000", "person_time"),
    ("覆盖农户3.2万，", "32000", "household"),
    ("全年预算数1723.2万，", "17232000", "CNY"),
    ("基金累计结余约1.2亿，", "120000000", "CNY"),
])
def test_bare_wan_takes_its_unit_from_the_subject(text, value, unit):
    [c] = find_claims(text)
    assert (c.value_normalized, c.unit_normalized) == (value, unit)


def test_seed_people_sentence_keeps_its_unit():
    """益阳 2023 (seed 000): "60岁以上的老年人参保人数85.92万人" — 859,200 people."""
    claims = find_claims("60岁以上的老年人参保人数85.92万人，占比25.04%，与上年度有所增长。")
    assert [(c.value_normalized, c.unit_normalized) for c in claims] == [("60", "age"), ("859200", "person"),
                                                                          ("25.04", "percent")]


def _disclosure_docx(path: Path) -> Path:
    """A 政府信息公开年报 table "收到和处理政府信息公开申请情况" in the layout of the national template."""
    d = Docx()
    d.add_paragraph("上海市普陀区司法局2024年政府信息公开工作年度报告")
    d.add_paragraph("三、收到和处理政府信息公开申请情况")
    rows = [
        ["（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", "", "", "申请人情况", "", "", "", "", "", ""],
        ["", "", "", "自然人", "法人或其他组织", "", "", "", "", "总计"],
        ["", "", "", "", "商业企业", "科研机构", "社会公益组织", "法律服务机构", "其他", ""],
        ["一、本年新收政府信息公开申请数量", "", "", "12", "3", "0", "0", "1", "0", "16"],
        ["二、上年结转政府信息公开申请数量", "", "", "2", "0", "0", "0", "0", "0", "2"],
        ["三、本年度办理结果", "（一）予以公开", "", "7", "2", "0", "0", "1", "0", "10"],
        ["", "（三）不予公开", "1.属于国家秘密", "0", "0", "0", "0", "0", "0", "0"],
        ["", "", "2.其他法律行政法规禁止公开", "1", "0", "0", "0", "0", "0", "1"],
        ["四、结转下年度继续办理", "", "", "6", "1", "0", "0", "0", "0", "7"],
    ]
    t = d.add_table(rows=len(rows), cols=10)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            t.cell(r, c).text = text
    merges = [((0, 0), (2, 2)), ((0, 3), (0, 9)), ((1, 3), (2, 3)), ((1, 4), (1, 8)), ((1, 9), (2, 9)),
              ((3, 0), (3, 2)), ((4, 0), (4, 2)), ((5, 0), (7, 0)), ((5, 1), (5, 2)), ((6, 1), (7, 1)),
              ((8, 0), (8, 2))]
    for (r0, c0), (r1, c1) in merges:
        keep = t.cell(r0, c0).text
        merged = t.cell(r0, c0).merge(t.cell(r1, c1))
        merged.text = keep
    d.save(path)
    return path


def test_disclosure_report_counts_become_labelled_indicators(tmp_path):
    from fiscaldocs.pipeline import process

    document = process(_disclosure_docx(tmp_path / "gongkai.docx"))
    _, indicators = derive(document)
    by_labels = {(i.row_label, i.column_header): (i.amount, i.unit) for i in indicators}
    assert by_labels[("一、本年新收政府信息公开申请数量", "申请人情况|自然人")] == (Decimal(12), "count")
    assert by_labels[("一、本年新收政府信息公开申请数量", "申请人情况|法人或其他组织|商业企业")] == (Decimal(3), "count")
    assert by_labels[("三、本年度办理结果|（三）不予公开|2.其他法律行政法规禁止公开", "申请人情况|自然人")] == \
        (Decimal(1), "count")
    assert by_labels[("四、结转下年度继续办理", "申请人情况|总计")] == (Decimal(7), "count")
    assert len([i for i in indicators if i.table_id == 0]) == 6 * 7  # every count cell, once


def test_budget_table_amounts_do_not_become_counts():
    """A money table whose unit was declared gives facts, not count indicators."""
    t = table([["项目", "金额"], ["基本支出", "1377.2"], ["项目支出", "346"]], title="支出表")
    facts, indicators = derive(doc("正文。", tables=[t]))
    assert len([f for f in facts if f.table_id == 0]) == 2 and not [i for i in indicators if i.table_id == 0]


def test_indicator_table_values_with_their_labels():
    """绩效目标表 (益阳 2023 自评表): "≤95%" target and "46.58%" actual, labelled by row and column."""
    t = table([["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值"],
               ["产出指标", "成本指标", "“三公经费”控制率", "≤95%", "46.58%"]], title="2023年度部门整体支出绩效自评表",
              unit=None)
    _, indicators = derive(doc("正文。", tables=[t], title="2023年度益阳市医疗保障局整体支出绩效自评报告"))
    got = {(i.row_label, i.column_header): (i.amount, i.unit) for i in indicators if i.table_id == 0}
    assert got[("产出指标|成本指标|“三公经费”控制率", "年度指标值")] == (Decimal(95), "percent")
    assert got[("产出指标|成本指标|“三公经费”控制率", "实际完成值")] == (Decimal("46.58"), "percent")


@pytest.mark.parametrize("name", ["yiyang_2023_performance_self_evaluation.docx",
                                  "yiyang_2023_performance_self_evaluation.pdf"])
def test_sample_staff_counts_are_labelled_indicators(name):
    """益阳 2023 基础数据表 (seed 000): 财政供养人员情况(人) — 编制数 60, 2023年实际在职人数 61, 控制率 101.67%."""
    document = extracted(str(SAMPLES / name))
    _, indicators = derive(document)
    table = next(t.index for t in document.tables if (t.title or "").endswith("基础数据表"))
    got = {i.column_header: (i.amount, i.unit) for i in indicators
           if i.table_id == table and i.row_label == "财政供养人员情况(人)"}
    assert got == {"编制数": (Decimal(60), "person"), "2023年实际在职人数": (Decimal(61), "person"),
                   "控制率": (Decimal("101.67"), "percent")}
