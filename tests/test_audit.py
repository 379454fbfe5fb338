"""Audit rules: each on a passing and a failing case, tolerance from the printed digits, and on
the corpus: every real mistake found in the seeds is flagged, and nothing else fails."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from conftest import REALDOCS, SAMPLES, extracted, manifest
from fiscaldocs.audit import audit_document
from fiscaldocs.audit.model import half_unit
from fiscaldocs.normalize import normalize

from fiscaldocs.model import BlockKind, Cell, Document, DocumentMeta, Table, TextBlock


def doc(*paragraphs: str, tables: list[Table] = (), title: str = "2023年度某某市医疗保障局部门决算",
        signed: str | None = None) -> Document:
    blocks = [TextBlock(title, 1, BlockKind.TITLE)] + [TextBlock(p, 1) for p in paragraphs]
    if signed:
        blocks += [TextBlock("益阳市医疗保障局", 2), TextBlock(signed, 2)]
    d = Document(DocumentMeta(sha256="d" * 64, file_name="t.pdf", file_type="pdf"), blocks=blocks,
                 tables=list(tables))
    return normalize(d)


def table(rows: list[list[str]], title: str = "收支表", unit: str | None = "万元") -> Table:
    cells = [Cell(r, c, text, page=1) for r, row in enumerate(rows) for c, text in enumerate(row)]
    return Table(index=0, n_rows=len(rows), n_cols=len(rows[0]), cells=cells, page=1, row_pages=[1] * len(rows),
                 title=title, unit=unit)


def by_rule(d: Document, rule: str) -> list:
    return [c for c in audit_document(d) if c.rule == rule]


def test_half_unit():
    assert (half_unit("1377.2"), half_unit("15.00"), half_unit("265750")) == (Decimal("0.05"), Decimal("0.005"),
                                                                              Decimal("0.5"))


@pytest.mark.parametrize(("total", "status"), [("300.5", "pass"), ("300.6", "pass"), ("301.5", "fail")])
def test_numbered_total_row(total, status):
    t = table([["项目", "金额"], ["二、收入合计", total], ["（一）财政拨款", "200.2"], ["其中：基本支出", "150"],
               ["（二）其他收入", "100.3"], ["三、支出合计", "280"]])
    checks = by_rule(doc("正文。", tables=[t]), "table_total")
    assert [c.status for c in checks] == [status]
    assert checks[0].expected == Decimal("300.5")  # 其中 is a part of the row above, not of the total


@pytest.mark.parametrize(("class_total", "status"), [("30", "pass"), ("32", "fail")])
def test_code_hierarchy(class_total, status):
    t = table([["类", "款", "项", "科目名称", "合计"], ["208", "", "", "社会保障和就业支出", class_total],
               ["208", "05", "", "行政事业单位养老支出", "30"], ["208", "05", "01", "行政单位离退休", "10"],
               ["208", "05", "05", "机关事业单位基本养老保险缴费支出", "20"]])
    statuses = {c.message.split(" =")[0]: c.status for c in by_rule(doc("正文。", tables=[t]), "table_total")}
    assert statuses == {"208": status, "20805": "pass"}


def test_column_total():
    t = table([["项目", "收入预算", "", ""], ["", "合计", "财政拨款收入", "事业收入"],
               ["公共安全支出", "100.00", "90.00", "10.00"], ["司法", "100.00", "90.00", "9.00"]])
    t.cells = [c for c in t.cells if not (c.row == 0 and c.col in (2, 3))]
    t.cells[1].col_span = 3
    assert [c.status for c in by_rule(doc("正文。", tables=[t]), "column_total")] == ["pass", "fail"]


@pytest.mark.parametrize(("closing", "status"), [("326637", "pass"), ("326673", "fail")])
def test_fund_balance_identity(closing, status):
    t = table([["项 目", "2023年决算数"], ["一、期初余额", "289740"], ["二、收入合计", "199910"], ["三、支出合计", "163013"],
               ["四、当期收支结余", "36897"], ["五、期末滚存结余", closing]], title="2023年度益阳市职工医疗保险基金预决算收支情况表")
    checks = by_rule(doc("正文。", tables=[t]), "balance_identity")
    assert sorted(c.status for c in checks) == sorted(["pass", status])


@pytest.mark.parametrize(("share", "status"), [("6.38%", "pass"), ("1.36%", "fail")])
def test_share_of_a_total(share, status):
    d = doc(f"本年支出合计7919.57万元，其中：基本支出505.42万元，占{share}；项目支出7414.14万元，占93.62%。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == [status, "pass"]


def test_share_of_a_named_base_elsewhere_in_the_document():
    d = doc("本年支出合计7919.57万元。", "项目支出77.34万元，占本年支出合计的0.98%。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == ["pass"]


@pytest.mark.parametrize(("rate", "status"), [("46.58%", "pass"), ("64.58%", "fail")])
def test_control_rate(rate, status):
    d = doc(f"“三公”经费预算安排数18.29万元，实际支出数为8.52万元，“三公”经费控制率为{rate}。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == [status]


def test_execution_rate_uses_the_budget_in_force():
    d = doc("我单位年初预算1069.87万元，全年预算数1723.2万元，预算执行1723.2万元，预算执行率100%。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == ["pass"]


@pytest.mark.parametrize(("pct", "status"), [("81.18%", "pass"), ("18.18%", "fail")])
def test_decline_against_the_prior_year(pct, status):
    d = doc(f"2021年度财政拨款收入总计7813.05万元，较2020年减少33704.37万元，下降{pct}。")
    assert [c.status for c in by_rule(d, "stated_ratio")] == [status]


@pytest.mark.parametrize(("word", "status"), [("大于", "pass"), ("小于", "fail")])
def test_comparative_word(word, status):
    d = doc(f"预算批复数为0万元，决算支出数据为4620.8万元。决算数{word}年初预算数的主要原因是：调整预算增加了4620.8万元。")
    assert [c.status for c in by_rule(d, "comparative_word")] == [status]


@pytest.mark.parametrize(("adjust", "status"), [("653.33", "pass"), ("635.33", "fail")])
def test_stated_parts(adjust, status):
    d = doc(f"全年预算数为1723.2万元，其中：年初预算1069.87万元，年中调整追加预算{adjust}万元。")
    assert [c.status for c in by_rule(d, "stated_parts")] == [status]


def test_stated_parts_not_checked_when_the_enumeration_goes_on():
    d = doc("基本支出505.42万元，其中人员经费400.99万元；日常公用经费66.57万元；住房保障支出中34.7万元。")
    assert by_rule(d, "stated_parts") == []


def test_unit_sanity():
    amounts = "，".join(f"支出{i}.5万元" for i in range(1, 12))
    d = doc(f"{amounts}。", "其中项目支出年初预算268.07元。", "每人每年报销1600元。")
    warns = by_rule(d, "unit_sanity")
    assert [c.status for c in warns] == ["warn"] and "268.07元" in warns[0].message


def test_dates_years_and_placeholders():
    d = doc("XX局2023年度支出1000万元。", "2024年我市参保率97.2%。", signed="2023年7月23日",
            title="2023年度益阳市医疗保障局部门决算")
    found = {(c.status, c.message.split(" ")[0][:6]) for c in by_rule(d, "dates_and_years")}
    assert ("fail", "templa") in found  # XX局
    assert ("fail", "signed") in found  # before the end of 2023
    assert ("warn", "97.2%") in found


def test_claim_against_table():
    t = table([["项 目", "2023年决算数"], ["一、期初余额", "289740"], ["二、收入合计", "199910"], ["三、支出合计", "163013"]],
              title="2023年度益阳市城乡居民医疗保险基金预决算收支情况表")
    ok = doc("2023年全市城乡居民医保基金总收入199910万元。", tables=[t], title="2023年度益阳市医疗保障局整体支出绩效自评报告")
    bad = doc("2023年全市城乡居民医保基金总收入199901万元。", tables=[t], title="2023年度益阳市医疗保障局整体支出绩效自评报告")
    assert [c.status for c in by_rule(ok, "claim_vs_table")] == ["pass"]
    assert [c.status for c in by_rule(bad, "claim_vs_table")] == ["fail"]


# The corpus ------------------------------------------------------------------------------------

# Real mistakes in the seeds, found by reading them and confirmed by the checks (README "Audits").
SEED_MISTAKES = {
    "heshan_2021_final_accounts": {("stated_ratio", "fail", "share of 基本支出 in 总支出"),
                                   ("dates_and_years", "fail", "signed 2021-07-23")},
    "yiyang_2023_performance_self_evaluation": {("dates_and_years", "warn", "97.2% is dated 2024"),
                                                ("dates_and_years", "warn", "95% is dated 2024")},
    "ningxiang_2024_performance_self_evaluation": {("unit_sanity", "warn", "268.07元")},
}


# A statement of each seed that holds, recomputed by hand from the seed text (/work/shared/seeds).
SEED_PASSES = {
    # 000 附件3-1, 2023年决算数: 199910 − 163013 = 36897
    "yiyang_2023_performance_self_evaluation": ("balance_identity", "当期收支结余 = 收入 − 支出: printed 36897,"),
    # 001: 基本支出505.42万元 of 支出7919.57万元 = 6.3819%
    "heshan_2021_final_accounts": ("stated_ratio", "share of 基本支出 in 支出: printed 6.38%"),
    # 002: 大病互助保险管理经费 收入15.00万元，支出15.00万元，执行率为100.00%
    "huaihua_2022_project_self_evaluation": ("stated_ratio", "rate 执行率 as actual/budget: printed 100%"),
    # 003: 年初预算安排10710.15万元，年末支出9968.66万元 → 93.0768%
    "fengnan_2023_fiscal_evaluation": ("stated_ratio", "rate 预算执行率 as actual/initial: printed 93.08%"),
    # 004: 基本支出842.12万元 of 总支出1242.67万元 = 67.767%
    "ningxiang_2024_performance_self_evaluation": ("stated_ratio", "share of 基本支出 in 总支出: printed 67.77%"),
}


@pytest.mark.parametrize("entry", manifest(), ids=[e["file"] for e in manifest()])
def test_seed_mistakes_flagged_and_nothing_else_fails(entry):
    checks = audit_document(extracted(str(SAMPLES / entry["file"])))
    flagged = {(c.rule, c.status, c.message) for c in checks if c.status in ("fail", "warn")}
    expected = SEED_MISTAKES.get(entry["ground_truth"], set())
    for rule, status, start in expected:
        assert any(r == rule and s == status and m.startswith(start) for r, s, m in flagged), (rule, start)
    assert len(flagged) == len(expected), flagged
    rule, start = SEED_PASSES[entry["ground_truth"]]
    assert any(c.rule == rule and c.status == "pass" and c.message.startswith(start) for c in checks), start


# Totals that hold on the real PDFs, added up by hand from the pages (pdftotext): (rule, what the message
# starts with, the printed total, page, table index).
REAL_TOTALS = {
    # 财政拨款收入支出决算总表 p12–13: 总计 2,961.68 on both sides; 收入支出决算总表 p7: 总计 2,995.39 both sides
    # p23 "人员经费2152.26万元" = 一般公共预算财政拨款基本支出决算表 (p16–17) 人员经费合计 2,152.26
    "01_putuo_caizhengju_2024_bumen_juesuan.pdf": [("balance_identity", "收支总表", "2961.68", 13, 4),
                                                   ("balance_identity", "收支总表", "2995.39", 7, 1),
                                                   ("claim_vs_table", "人员经费 2152.26万元 in the text vs 21522600 yuan "
                                                    "in table 6", "21522600", 23, None)],
    # 2026年部门收入预算总表 p11: 合计 96282213.44 = 204 87267272.44 + 208 3343704.00 + 210 1149678.00
    # + 221 4521559.00 (合计 printed across the 类/款/项 columns)
    "06_putuo_sifaju_2026_bumen_yusuan.pdf": [("table_total", "合计 = sum of the 4 类", "96282213.44", 11, 1)],
    # 2023年部门收入预算总表 p11–14: 合计 164,978,640 = 201 2,976,800 + 204 1,252,300 + 206 100,000
    # + 207 200,000 + 208 27,073,236 + 210 3,095,732 + 212 121,319,878 + 221 8,960,694
    "08_putuo_wanli_jiedao_2023_bumen_yusuan.pdf": [("table_total", "合计 = sum of the 8 类", "164978640", 14, 1)],
    # 2024年部门一般公共预算基本支出部门预算经济分类预算表 p29–30: 301 88,282,511 = its nine 款 (津贴补贴 and
    # 绩效工资 printed with 款 "2" and "7"); 合计 99,706,020 = 301 88,282,511 + 302 11,168,569 + 303 254,940
    "12_putuo_wanli_jiedao_2024_bumen_yusuan.pdf": [("table_total", "301 = sum of its 9 sub-codes", "88282511", 29, 7),
                                                   ("table_total", "合计 = sum of the 3 类", "99706020", 30, 7)],
}


def test_real_pdfs_raise_only_the_real_mistakes():
    if not REALDOCS.exists():
        pytest.skip("realdocs not available")
    flagged = []
    for name, totals in REAL_TOTALS.items():
        checks = audit_document(extracted(str(REALDOCS / name)))
        for rule, what, printed, page, table_idx in totals:
            assert any(c.rule == rule and c.status == "pass" and c.message.startswith(what)
                       and c.actual == Decimal(printed) and c.expected == Decimal(printed)
                       and (c.sides[0].page, c.sides[0].table) == (page, table_idx) for c in checks), (name, what)
        flagged += [(name, c.rule, c.message) for c in checks if c.status in ("fail", "warn")]
    # Read in 01 by hand: 一般公共服务支出 2106.66 of 2940.05 is 71.65%, printed 71.73% (the four shares
    # add to 100.07%); p.21 says 财政拨款收入支出总计0.3万元 where the 财政拨款收入支出决算总表 (p.12) prints
    # 总计 2,961.68.
    expected = [("stated_ratio", "share of 一般公共服务支出 in 一般公共预算财政拨款支出: printed 71.73%"),
                ("text_total", "上海市普陀区财政局2024年度财政拨款收入支出总计0.3万元 in the text vs 29616800 yuan")]
    assert len(flagged) == len(expected), flagged
    for rule, start in expected:
        assert any(r == rule and m.startswith(start) for _, r, m in flagged), (rule, flagged)


def test_real_budget_as_of_dates_pass():
    """Budgets are written the year before: 截至2023年8月31日 in the 2024 budget (12, p.32) is right."""
    if not REALDOCS.exists():
        pytest.skip("realdocs not available")
    checks = by_rule(extracted(str(REALDOCS / "12_putuo_wanli_jiedao_2024_bumen_yusuan.pdf")), "as_of_date")
    assert [(c.status, c.sides[0].text, c.sides[0].page) for c in checks] == [("pass", "截至2023年8月31日", 32)]


PLANTED = Path(__file__).parent / "planted"


def planted_entries() -> list[dict]:
    import json

    return json.loads((PLANTED / "planted.json").read_text(encoding="utf-8"))


def flags(checks) -> dict[tuple, object]:
    """The fail and warn checks of a document, each once, by what they say and where."""
    return {(c.rule, c.status, c.message, c.provenance()): c for c in checks if c.status in ("fail", "warn")}


@pytest.mark.parametrize("entry", planted_entries(), ids=[e["file"] for e in planted_entries()])
def test_planted_mistake_is_flagged_where_it_was_planted_and_nothing_else_fails(entry):
    """The planted cell or sentence (planted.json `at`: table/row/col, or the sentence; the page in the PDF
    copy) is the first side of a new flag of the planted rule; the only other new flags are those of the
    rules that read the planted number too (`also_flagged`), and they name it among their sides; the
    original's own flags are all still there."""
    from fiscaldocs.evaluation import points_at

    path = PLANTED / entry["file"]
    original = SAMPLES / f"{entry['base']}{path.suffix}"
    doc = extracted(str(path))
    after, before = flags(audit_document(doc)), flags(audit_document(extracted(str(original))))
    new = [after[k] for k in after.keys() - before.keys()]
    assert sorted(c.rule for c in new) == sorted([entry["rule"], *entry["also_flagged"]]), [c.message for c in new]
    at = entry["at"]
    for c in new:
        sides = c.sides[:1] if c.rule == entry["rule"] else c.sides
        assert any(points_at(s, doc, at) for s in sides), (c.message, c.provenance(), at)
    assert before.keys() <= after.keys()


def test_across_documents_in_the_warehouse(tmp_path):
    """Two reports of one region and year give 收入合计 of the same fund: equal passes, unequal fails."""
    from datetime import datetime

    import duckdb
    from fiscaldocs.audit import across_documents
    from fiscaldocs.warehouse.runs import write_run

    from fiscaldocs.codec import write_json
    from fiscaldocs.pipeline import finish

    def report(title: str, revenue: str, name: str) -> dict:
        t = table([["项 目", "2023年决算数"], ["一、期初余额", "289740"], ["二、收入合计", revenue], ["三、支出合计", "163013"]],
                  title="2023年度益阳市职工医疗保险基金预决算收支情况表")
        d = doc("正文。", tables=[t], title=title)
        d.meta.sha256 = name * 64
        path = tmp_path / f"{name}.json"
        write_json(path, finish(d))
        return {"path": str(tmp_path / f"{name}.pdf"), "url": None, "sha256": d.meta.sha256, "staged": str(path)}

    items = [report("2023年度益阳市医疗保障局整体支出绩效自评报告", "199910", "a"),
             report("2023年度益阳市医疗保障局部门决算", "199910", "b"),
             report("2023年度益阳市财政局对市医疗保障局整体支出重点评价报告", "199901", "c")]
    db = tmp_path / "w.duckdb"
    write_run(db, items, [], "three reports", datetime(2026, 1, 1), cross_audit=across_documents)
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute("SELECT status, message FROM checks WHERE rule = 'across_documents' AND message LIKE "
                           "'si_fund.revenue 2023 executed%' ORDER BY status").fetchall()
    assert [s for s, _ in rows] == ["fail", "pass"]
    assert "1999010000" in rows[0][1] and "1999100000" in rows[0][1]
