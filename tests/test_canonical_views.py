"""Numbers an analyst can add up: one amount per meaning, views keyed by document and department.

A warehouse of the sample corpus and the real Shanghai 普陀区 reports. Every expected value was read
by hand from the documents (pdfplumber text of the realdocs pages named; the seeds' text for the
samples) and is written as printed, then converted to yuan.
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest
from conftest import REALDOCS
from fiscaldocs.audit.statements import statement_agreement
from fiscaldocs.extractors import sha256_file
from fiscaldocs.normalize.facts import derive
from fiscaldocs.warehouse.runs import write_run

from fiscaldocs.staging import process_to_file, read_processed

NOW = datetime.now(UTC).replace(tzinfo=None)
REAL = ["01_putuo_caizhengju_2024_bumen_juesuan.pdf", "06_putuo_sifaju_2026_bumen_yusuan.pdf",
        "08_putuo_wanli_jiedao_2023_bumen_yusuan.pdf", "12_putuo_wanli_jiedao_2024_bumen_yusuan.pdf"]
WAN = Decimal(10000)


@pytest.fixture(scope="module")
def staged_real(tmp_path_factory):
    missing = [name for name in REAL if not (REALDOCS / name).exists()]
    if missing:
        pytest.skip(f"{REALDOCS}: {', '.join(missing)} not available")
    work = tmp_path_factory.mktemp("realwork")
    items = []
    for name in REAL:
        path = REALDOCS / name
        sha = sha256_file(path)
        items.append({"path": str(path), "url": None, "sha256": sha,
                      "staged": process_to_file(str(path), sha, str(work))})
    return items


@pytest.fixture(scope="module")
def db(tmp_path_factory, staged_samples, staged_real):
    path = tmp_path_factory.mktemp("canon") / "w.duckdb"
    summary = write_run(path, staged_samples + staged_real, [], "samples+realdocs", NOW)
    assert summary.failed == 0
    return path


def q(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_no_meaning_twice_in_any_view(db):
    docs = q(db, "SELECT file_name FROM v_canonical_documents ORDER BY 1")
    assert {name for (name,) in docs} >= set(REAL) and len(docs) >= 9  # every report, samples included
    assert q(db, """SELECT doc_id, period_year, phase, category_code, fund_scope, breakdown, count(*) FROM v_spending
                    GROUP BY ALL HAVING count(*) > 1""") == []
    assert q(db, """SELECT doc_id, period_year, phase, category_code, count(*) FROM v_sangong
                    GROUP BY ALL HAVING count(*) > 1""") == []
    assert q(db, """SELECT doc_id, fund, period_year, phase, category_code, direction, count(*)
                    FROM v_medical_insurance_fund GROUP BY ALL HAVING count(*) > 1""") == []
    assert q(db, """SELECT region_code, period_year, phase, category_code, fund_scope, breakdown, count(*)
                    FROM v_spending_by_region GROUP BY ALL HAVING count(*) > 1""") == []
    # every real report's spending reaches the view, each with its department
    per_doc = dict(q(db, """SELECT d.file_name, count(DISTINCT s.department) FROM v_spending s
                            JOIN documents d USING (doc_id) GROUP BY 1"""))
    assert all(per_doc.get(name) == 1 for name in REAL)


# (file, period, phase, fund_scope, breakdown, 类) → amount as printed, unit
CLASS_TOTALS = [
    # 01 财政局 2024 决算 (万元): 支出决算表 p10, 一般公共预算财政拨款支出决算表 p15, 财政拨款收入支出决算总表 p12
    ("01_putuo", 2024, "executed", "all", "total", "201", "2,106.66", WAN),
    ("01_putuo", 2024, "executed", "all", "total", "208", "326.72", WAN),
    ("01_putuo", 2024, "executed", "all", "total", "210", "60.99", WAN),
    ("01_putuo", 2024, "executed", "all", "total", "221", "445.69", WAN),
    ("01_putuo", 2024, "executed", "all", "basic", "201", "1,503.52", WAN),
    ("01_putuo", 2024, "executed", "all", "project", "201", "603.14", WAN),
    ("01_putuo", 2024, "executed", "general_public_budget", "total", "208", "326.72", WAN),
    ("01_putuo", 2024, "executed", "fiscal_appropriation", "total", "208", "326.71", WAN),  # p12 prints .71
    # 06 司法局 2026 预算 (元): 部门支出预算总表 p12
    ("06_putuo", 2026, "approved", "all", "total", "204", "87267272.44", 1),
    ("06_putuo", 2026, "approved", "all", "basic", "204", "16726725.44", 1),
    ("06_putuo", 2026, "approved", "all", "project", "204", "70540547.00", 1),
    ("06_putuo", 2026, "approved", "all", "total", "221", "4521559.00", 1),
    # 08 万里街道 2023 预算 (元): 部门支出预算总表 p15
    ("08_putuo", 2023, "approved", "all", "total", "208", "27,073,236", 1),
    ("08_putuo", 2023, "approved", "all", "basic", "212", "71,441,335", 1),
    ("08_putuo", 2023, "approved", "all", "total", "212", "121,319,878", 1),
    ("08_putuo", 2023, "approved", "general_public_budget", "total", "210", "3,095,732", 1),
    # 12 万里街道 2024 预算 (元): 部门支出预算总表 p16
    ("12_putuo", 2024, "approved", "all", "total", "201", "2,932,700", 1),
    ("12_putuo", 2024, "approved", "all", "total", "212", "119,385,303", 1),
    ("12_putuo", 2024, "approved", "all", "project", "212", "42,776,303", 1),
    ("12_putuo", 2024, "approved", "all", "total", "205", "250,000", 1),
]


def _yuan(printed: str, factor) -> Decimal:
    return Decimal(printed.replace(",", "")) * factor


@pytest.mark.parametrize(("file", "year", "phase", "scope", "part", "code", "printed", "factor"), CLASS_TOTALS)
def test_a_departments_class_totals_are_the_printed_ones(db, file, year, phase, scope, part, code, printed, factor):
    rows = q(db, """SELECT s.amount_yuan FROM v_spending s JOIN documents d USING (doc_id)
                    WHERE d.file_name LIKE ? AND s.period_year = ? AND s.phase = ? AND s.fund_scope = ?
                      AND s.breakdown = ? AND s.category_code = ?""", [file + "%", year, phase, scope, part, code])
    assert rows == [(_yuan(printed, factor),)]


def test_region_rollups_add_departments_never_statements(db):
    # 普陀区 2024 决算: only 财政局 reports it; its 201 total is printed by four statements (p6, p10, p12, p15)
    rows = q(db, """SELECT amount_yuan, n_departments FROM v_spending_by_region WHERE region_code = '310107'
                    AND period_year = 2024 AND phase = 'executed' AND category_code = '201' AND fund_scope = 'all'
                    AND breakdown = 'total'""")
    assert rows == [(Decimal("21066600"), 1)]
    # 万里街道's 2023 and 2024 budgets are one department's two years, never added
    rows = q(db, """SELECT period_year, amount_yuan FROM v_spending_by_region WHERE region_code = '310107'
                    AND phase = 'approved' AND category_code = '212' AND fund_scope = 'all' AND breakdown = 'total'
                    ORDER BY 1""")
    assert rows == [(2023, Decimal("121319878")), (2024, Decimal("119385303"))]


# (department, period, phase, category) → 三公 as printed (万元)
SANGONG = [
    # 01 p18 (table: 合计 预算数 0.95, 公务接待费 预算数 0.95) and p22 (prose: 支出决算为0.00万元), p24 (机关运行经费 184.65)
    ("上海市普陀区财政局", 2024, "approved", "sangong.total", "0.95"),
    ("上海市普陀区财政局", 2024, "approved", "sangong.reception", "0.95"),
    ("上海市普陀区财政局", 2024, "executed", "sangong.total", "0.00"),
    ("上海市普陀区财政局", 2024, "executed", "sangong.travel_abroad", "0.00"),
    ("上海市普陀区财政局", 2024, "executed", "agency_operation", "184.65"),
    # 06 p21: 10.81 | 0 | 0.83 | 9.98 (0 | 9.98) | 217.83
    ("上海市普陀区司法局", 2026, "approved", "sangong.total", "10.81"),
    ("上海市普陀区司法局", 2026, "approved", "sangong.travel_abroad", "0"),
    ("上海市普陀区司法局", 2026, "approved", "sangong.reception", "0.83"),
    ("上海市普陀区司法局", 2026, "approved", "sangong.vehicle", "9.98"),
    ("上海市普陀区司法局", 2026, "approved", "sangong.vehicle.purchase", "0"),
    ("上海市普陀区司法局", 2026, "approved", "sangong.vehicle.operation", "9.98"),
    ("上海市普陀区司法局", 2026, "approved", "agency_operation", "217.83"),
    # 08 p28: 22.91 | 0 | 1.35 | 21.56 (0 | 21.56) | 786.09;  12 p31: 47.91 | 0 | 1.35 | 46.56 (25 | 21.56) | 443.18
    ("上海市普陀区人民政府万里街道办事处", 2023, "approved", "sangong.total", "22.91"),
    ("上海市普陀区人民政府万里街道办事处", 2023, "approved", "sangong.vehicle.operation", "21.56"),
    ("上海市普陀区人民政府万里街道办事处", 2023, "approved", "agency_operation", "786.09"),
    ("上海市普陀区人民政府万里街道办事处", 2024, "approved", "sangong.total", "47.91"),
    ("上海市普陀区人民政府万里街道办事处", 2024, "approved", "sangong.vehicle.purchase", "25"),
    ("上海市普陀区人民政府万里街道办事处", 2024, "approved", "sangong.vehicle", "46.56"),
    ("上海市普陀区人民政府万里街道办事处", 2024, "approved", "agency_operation", "443.18"),
    # seed 000 (益阳 2023) 基础数据表: 三公经费 12.06 | 18.29 | 8.52; 公车运行维护 6.33 | 7 | 1.35 (below the empty
    # 其中：公车购置 row); 3、公务接待 5.73 | 11.29 | 7.17
    ("益阳市医疗保障局", 2022, "executed", "sangong.total", "12.06"),
    ("益阳市医疗保障局", 2023, "approved", "sangong.total", "18.29"),
    ("益阳市医疗保障局", 2023, "executed", "sangong.total", "8.52"),
    ("益阳市医疗保障局", 2023, "executed", "sangong.vehicle.operation", "1.35"),
    ("益阳市医疗保障局", 2022, "executed", "sangong.reception", "5.73"),
    ("益阳市医疗保障局", 2023, "approved", "sangong.reception", "11.29"),
    ("益阳市医疗保障局", 2023, "executed", "sangong.reception", "7.17"),
    # seed 001 (赫山 2021, prose): 预算为15.5万元，调整预算数为0.9万元，支出决算为0.9万元; 机关运行经费支出67.91万元
    ("益阳市赫山区医疗保障事务中心", 2021, "approved", "sangong.total", "15.5"),
    ("益阳市赫山区医疗保障事务中心", 2021, "adjusted", "sangong.total", "0.9"),
    ("益阳市赫山区医疗保障事务中心", 2021, "executed", "sangong.total", "0.9"),
    ("益阳市赫山区医疗保障事务中心", 2021, "executed", "sangong.reception", "0.9"),
    ("益阳市赫山区医疗保障事务中心", 2021, "executed", "sangong.vehicle", "0"),
    ("益阳市赫山区医疗保障事务中心", 2021, "executed", "agency_operation", "67.91"),
    # seed 003 (丰南 2023, prose): 年初“三公经费”预算安排12.99万元，年末实际支出12.31万元
    ("唐山市丰南区医疗保障局", 2023, "approved", "sangong.total", "12.99"),
    ("唐山市丰南区医疗保障局", 2023, "executed", "sangong.total", "12.31"),
    # seed 004 (宁乡 2024, prose): “三公”经费支出0.46万元，其中公务接待支出0.46万元，出国（境）支出0万元
    ("宁乡市医疗保障局", 2024, "executed", "sangong.total", "0.46"),
    ("宁乡市医疗保障局", 2024, "executed", "sangong.reception", "0.46"),
    ("宁乡市医疗保障局", 2024, "executed", "sangong.travel_abroad", "0"),
]


@pytest.mark.parametrize(("department", "year", "phase", "code", "printed"), SANGONG)
def test_sangong_per_department_year_and_phase_is_the_printed_one(db, department, year, phase, code, printed):
    rows = q(db, """SELECT amount_yuan FROM v_sangong WHERE department = ? AND period_year = ? AND phase = ?
                    AND category_code = ?""", [department, year, phase, code])
    assert rows == [(_yuan(printed, WAN),)]


# seed 000 附件3-1 (职工) and 3-2 (城乡居民), 万元: 2022年决算数 | 2023年预算数 | 2023年决算数
FUND = {
    ("employee", "si_fund.revenue"): ("177988", "175421", "199910"),
    ("employee", "si_fund.expenditure"): ("153998", "170520", "163013"),
    ("employee", "si_fund.current_balance"): ("23990", "4901", "36897"),
    ("employee", "si_fund.closing_balance"): ("289740", "294641", "326637"),
    ("employee", "si_fund.revenue.contributions"): ("154573", "152847", "176182"),
    ("resident", "si_fund.revenue"): ("441314", "351988", "343177"),
    ("resident", "si_fund.expenditure"): ("352900", "351966", "319030"),
    ("resident", "si_fund.current_balance"): ("88414", "22", "24147"),
    ("resident", "si_fund.closing_balance"): ("161758", "161780", "185905"),
    ("resident", "si_fund.expenditure.critical_illness"): ("38087", "29988", "31973"),
}


@pytest.mark.parametrize("key", list(FUND))
def test_fund_totals_are_the_printed_ones_never_doubled(db, key):
    fund, code = key
    rows = q(db, """SELECT period_year, phase, amount_yuan FROM v_medical_insurance_fund
                    WHERE department = '益阳市医疗保障局' AND fund = ? AND category_code = ? ORDER BY 1, 2""",
             [fund, code])
    printed = FUND[key]
    assert rows == [(2022, "executed", _yuan(printed[0], WAN)), (2023, "approved", _yuan(printed[1], WAN)),
                    (2023, "executed", _yuan(printed[2], WAN))]


# Budget-fund totals of the 收支总表 (revenue side), as printed: (file, period, phase, fund_scope, category) → printed
BUDGET_FUNDS = [
    # 01 收入支出决算总表 p6: 一、一般公共预算财政拨款收入 2,940.05 (万元); 财政拨款收入支出决算总表 p12 the same
    ("01_putuo", 2024, "executed", "all", "budget_type.general_public", "2,940.05", WAN),
    ("01_putuo", 2024, "executed", "fiscal_appropriation", "budget_type.general_public", "2,940.05", WAN),
    # 08 部门财务收支预算总表 p10: 1. 一般公共预算 164,978,640 (元); 12 财政拨款收支预算总表 p21: 一般公共预算资金 156,211,123
    ("08_putuo", 2023, "approved", "all", "budget_type.general_public", "164,978,640", 1),
    ("12_putuo", 2024, "approved", "fiscal_appropriation", "budget_type.general_public", "156,211,123", 1),
]


@pytest.mark.parametrize(("file", "year", "phase", "scope", "code", "printed", "factor"), BUDGET_FUNDS)
def test_budget_fund_totals_are_the_printed_ones(db, file, year, phase, scope, code, printed, factor):
    rows = q(db, """SELECT f.amount_yuan FROM v_canonical_facts f JOIN documents d USING (doc_id)
                    WHERE d.file_name LIKE ? AND f.period_year = ? AND f.phase = ? AND f.fund_scope = ?
                      AND f.category_code = ? AND f.direction = 'revenue' AND f.breakdown = 'total'
                      AND f.source_kind = 'table'""", [file + "%", year, phase, scope, code])
    assert rows == [(_yuan(printed, factor),)]


def test_lines_below_an_empty_line_keep_the_unit_of_their_section(db):
    # seed 000 基础数据表, section "经费控制情况(万元)": after the empty "其中：公车购置" and "....." rows,
    # 公用经费 303.24 | 243.15 | 339.62 and 2、运行维护经费 194.19 | (blank) | 346 are still 万元
    rows = q(db, """SELECT f.period_year, f.phase, f.amount_yuan FROM v_canonical_facts f
                    WHERE f.department = '益阳市医疗保障局' AND f.category_code = 'expenditure.basic.public'
                      AND f.source_kind = 'table' ORDER BY 1, 2""")
    assert rows == [(2022, "executed", Decimal("3032400")), (2023, "approved", Decimal("2431500")),
                    (2023, "executed", Decimal("3396200"))]


def test_every_view_has_doc_department_and_a_grain(db):
    views = ["v_spending", "v_sangong", "v_medical_insurance_fund", "v_canonical_facts", "v_table_amounts",
             "v_check_failures", "v_document_summary", "v_spending_by_region", "v_canonical_documents"]
    for view in views:
        cols = {c for (c,) in q(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = ?", [view])}
        if view != "v_spending_by_region":  # a rollup over departments
            assert {"doc_id", "department"} <= cols, view
        comment = q(db, "SELECT comment FROM duckdb_views() WHERE view_name = ?", [view])[0][0]
        assert "Grain: one row per" in comment, view
    tables = dict(q(db, "SELECT d.file_name, t.statement FROM doc_tables t JOIN documents d USING (doc_id) "
                        "WHERE d.file_name LIKE '01_%' AND t.table_id = 7"))
    assert tables == {"01_putuo_caizhengju_2024_bumen_juesuan.pdf": "sangong"}


def test_statements_that_print_one_amount_agree(db):
    rows = dict(q(db, """SELECT k.status, count(*) FROM checks k JOIN documents d USING (doc_id)
                         WHERE k.rule = 'statement_agreement' AND d.file_name LIKE '01_%' GROUP BY 1"""))
    # 201/208/210/221: 收入支出决算总表 p6 vs 支出决算表 p10, 财政拨款收入支出决算总表 p12 vs 一般公共预算 p15;
    # 208 printed 326.71 (p6, p12) and 326.72 (p10, p15): within the rounding of both
    assert rows == {"pass": 8}


def test_a_disagreement_between_statements_is_a_failed_check(staged_real):
    processed = read_processed(next(i["staged"] for i in staged_real if "01_putuo" in i["path"]))
    doc = processed.document
    table = doc.tables[3]  # 支出决算表 p10: 201 合计 2,106.66 → planted 2,160.66
    assert table.title == "支出决算表"
    cell = next(c for c in table.cells if c.text == "2,106.66")
    table.cells[table.cells.index(cell)] = dataclasses.replace(cell, text="2,160.66")
    facts, _ = derive(doc)
    failed = [c for c in statement_agreement(doc, facts) if c.status == "fail"]
    assert len(failed) == 1
    # expected: the canonical printing (支出决算表, which prints the whole 类/款/项 hierarchy); actual: the other
    assert (failed[0].expected, failed[0].actual) == (Decimal("21606600"), Decimal("21066600"))
    assert {s.table for s in failed[0].sides} == {1, 3}  # 收入支出决算总表 vs 支出决算表


def test_a_schema_4_warehouse_is_migrated_and_its_documents_renormalized(tmp_path):
    from fiscaldocs.warehouse.publish import staged
    from fiscaldocs.warehouse.runs import loaded_documents
    from fiscaldocs.warehouse.schema import _DIMENSIONS, SCHEMA_VERSION, TABLES

    added = {c for c, _, _ in _DIMENSIONS} | {"category_known", "statement"}  # what schema 5 added
    db = tmp_path / "v4.duckdb"
    with duckdb.connect(str(db)) as con:  # schema 4: today's tables without the added columns, with rows
        con.execute("CREATE TABLE warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute("INSERT INTO warehouse_meta VALUES ('schema_version', '4')")
        for name, (_, columns, constraint) in TABLES.items():
            cols = ", ".join(f"{c} {t}" for c, t, _ in columns if c not in added or name not in ("facts", "indicators", "doc_tables"))
            con.execute(f"CREATE TABLE {name} ({cols}{', ' + constraint if constraint else ''})")
        con.execute("INSERT INTO documents (doc_id, file_name, status, extractor_version, normalize_version, "
                    "audit_version) VALUES ('abc', 'old.pdf', 'ok', 'x1', 'n1', 'a1')")
        con.execute("INSERT INTO facts (fact_id, doc_id, amount_yuan) VALUES ('f', 'abc', 4)")
        con.execute("INSERT INTO checks (check_id, doc_id) VALUES ('k', 'abc')")
    with staged(db):
        pass
    assert q(db, "SELECT value FROM warehouse_meta WHERE key = 'schema_version'") == [(SCHEMA_VERSION,)]
    assert q(db, "SELECT count(*) FROM facts") == [(0,)] and q(db, "SELECT count(*) FROM checks") == [(0,)]
    columns = {c for (c,) in q(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'facts'")}
    assert {"department", "statement", "fund_scope", "breakdown", "row_role", "category_known"} <= columns
    assert "statement" in {c for (c,) in q(db, "SELECT column_name FROM duckdb_columns() WHERE table_name = 'doc_tables'")}
    assert loaded_documents(db) == {"abc": {"extract": "x1", "normalize": None, "audit": None}}
