"""The warehouse: idempotent loads, changed files replaced, failures never partial, facts that
carry the ground truth's amounts with their period, phase and category, documented schema."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from decimal import Decimal

import duckdb
import pytest
from conftest import ground_truth
from fiscaldocs.extractors import sha256_file
from fiscaldocs.warehouse.backends import read_only
from fiscaldocs.warehouse.export import export_parquet
from fiscaldocs.warehouse.runs import write_run
from lake import BACKENDS, fresh_warehouse

from fiscaldocs.staging import process_to_file

NOW = datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module", params=BACKENDS)
def loaded(request, tmp_path_factory, staged_samples):
    """One warehouse of the whole sample corpus per backend, shared by the tests that only read it."""
    db = fresh_warehouse(request.param, tmp_path_factory.mktemp("wh"))
    summary = write_run(db, staged_samples, [], "sample_docs", NOW)
    return db, summary


@pytest.fixture(params=BACKENDS)
def new_db(request, tmp_path):
    """An empty warehouse of each backend."""
    return fresh_warehouse(request.param, tmp_path)


def q(db, sql, params=None):
    with read_only(db) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_document_loaded(loaded):
    db, summary = loaded
    assert summary.count("new") == 11 and summary.failed == 0
    assert q(db, "SELECT count(*), count(*) FILTER (status = 'ok') FROM documents") == [(11, 11)]


def test_text_facts_carry_every_money_claim_of_the_ground_truth(loaded):
    """Every money amount the ground truth lists in the prose (changes, 增加/减少 X, aside) is a text
    fact of its document, with the ground truth's period year — but for the known misses below."""
    db, _ = loaded
    missing, wrong_year, total = [], [], 0
    for slug in ("yiyang_2023_performance_self_evaluation", "heshan_2021_final_accounts",
                 "fengnan_2023_fiscal_evaluation", "ningxiang_2024_performance_self_evaluation",
                 "huaihua_2022_project_self_evaluation"):
        rows = q(db, """SELECT f.amount_yuan, f.period_year FROM facts f JOIN documents d USING (doc_id)
                        WHERE d.file_name = ? AND f.source_kind = 'text'""", [f"{slug}.pdf"])
        amounts = [a for a, _ in rows]
        pairs = list(rows)
        for c in ground_truth(slug)["claims"]:
            if c["unit_normalized"] != "CNY" or c["change"]:
                continue
            total += 1
            amount = Decimal(c["value_normalized"])
            if amount not in amounts:
                missing.append((slug, c["subject"], c["text"]))
                continue
            amounts.remove(amount)
            if (amount, c["year"]) in pairs:
                pairs.remove((amount, c["year"]))
            else:
                wrong_year.append((slug, c["subject"], c["text"], c["year"]))
    # the ground truths' money claims that are not changes: 37 + 113 + 27 + 61 + 70
    assert total == 308
    # Known defects. Seed 002: "（2）医疗服务与保障能力提升财政拨款收入50.00万元，支出50.00万元" — the project's
    # name ends in 提升, so both amounts are read as increases (changes), not amounts.
    assert sorted(missing) == [
        ("huaihua_2022_project_self_evaluation", "医疗服务与保障能力提升支出", "50.00万元"),
        ("huaihua_2022_project_self_evaluation", "医疗服务与保障能力提升财政拨款收入", "50.00万元")]
    # Seed 003: "每个自然年度，在职和退休人员可报销1600元和2000元" — a standing quota, no year in the ground truth;
    # the facts date it 2023 (the report's year).
    assert sorted(wrong_year) == [
        ("fengnan_2023_fiscal_evaluation", "在职人员普通门诊年度可报销额度", "1600元", None),
        ("fengnan_2023_fiscal_evaluation", "退休人员普通门诊年度可报销额度", "2000元", None)]


def test_table_facts_have_period_phase_and_category(loaded):
    db, _ = loaded
    truth = [b for b in ground_truth("yiyang_2023_performance_self_evaluation")["blocks"] if b["type"] == "table"]
    fund = truth[2]  # 职工医疗保险基金预决算收支情况表, 单位：万元; columns 2022年决算数 | 2023年预算数 | 2023年决算数
    periods = {1: (2022, "executed"), 2: (2023, "approved"), 3: (2023, "executed")}
    rows = q(db, """SELECT f.row_idx, f.col_idx, f.amount_yuan, f.period_year, f.phase, f.category_code, f.page
                    FROM facts f JOIN documents d USING (doc_id) JOIN doc_tables t USING (doc_id, table_id)
                    WHERE d.file_name = 'yiyang_2023_performance_self_evaluation.pdf' AND t.title = ?""",
             [fund["title"]])
    facts = {(r, c): (a, y, p, cat, page) for r, c, a, y, p, cat, page in rows}
    for r, row in enumerate(fund["rows"][1:], start=1):
        for c in (1, 2, 3):
            amount, year, phase, category, page = facts[(r, c)]
            assert amount == Decimal(row[c]) * 10000
            assert (year, phase) == periods[c]
            assert category and category.startswith("si_fund."), row[0]
            assert page is not None


def test_money_is_decimal_and_every_fact_has_provenance(loaded):
    db, _ = loaded
    types = dict(q(db, "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'facts'"))
    assert types["amount_yuan"].startswith("DECIMAL")
    orphans = q(db, """SELECT count(*) FROM facts WHERE NOT (
        (source_kind = 'table' AND table_id IS NOT NULL AND row_idx IS NOT NULL AND col_idx IS NOT NULL)
        OR (source_kind = 'text' AND claim_idx IS NOT NULL))""")
    assert orphans == [(0,)]
    # a table fact points at the very cell it was read from
    mismatched = q(db, """SELECT count(*) FROM facts f JOIN table_cells c
        ON c.doc_id = f.doc_id AND c.table_id = f.table_id AND c.row_idx = f.row_idx AND c.col_idx = f.col_idx
        WHERE c.value_normalized IS DISTINCT FROM f.amount_yuan""")
    assert mismatched == [(0,)]


def test_reload_is_idempotent(new_db, tmp_path, staged_samples):
    db = new_db
    write_run(db, staged_samples, [], "sample_docs", NOW)
    before = q(db, "SELECT fact_id, amount_yuan FROM facts ORDER BY fact_id")
    summary = write_run(db, staged_samples, [], "sample_docs", NOW)
    assert summary.count("skipped") == 11
    assert q(db, "SELECT fact_id, amount_yuan FROM facts ORDER BY fact_id") == before
    assert q(db, "SELECT count(*) FROM ingest_runs") == [(2,)]


def test_changed_file_replaces_its_document(new_db, tmp_path, staged_samples):
    db, work = new_db, tmp_path / "work"
    target = tmp_path / "report.pdf"
    first, second = staged_samples[1], staged_samples[3]  # two different PDFs, served at one path

    def item(src):
        shutil.copyfile(src["path"], target)
        sha = sha256_file(target)
        return {"path": str(target), "url": None, "sha256": sha, "staged": process_to_file(str(target), sha, str(work))}

    write_run(db, [item(first)], [], "report.pdf", NOW)
    summary = write_run(db, [item(second)], [], "report.pdf", NOW)
    assert summary.count("changed") == 1
    assert q(db, "SELECT doc_id FROM documents") == [(second["sha256"],)]
    assert q(db, "SELECT count(*) FROM facts WHERE doc_id = ?", [first["sha256"]]) == [(0,)]


def test_bad_file_is_an_error_row_and_nothing_partial(new_db, tmp_path, staged_samples):
    db = new_db
    bad = tmp_path / "broken.pdf"
    bad.write_bytes(b"%PDF-1.7 garbage")
    sha = sha256_file(bad)
    items = staged_samples[:2] + [{"path": str(bad), "url": None, "sha256": sha,
                                   "staged": process_to_file(str(bad), sha, str(tmp_path / "work"))}]
    summary = write_run(db, items, [], "mixed", NOW)
    assert summary.failed == 1 and summary.count("new") == 2
    assert q(db, "SELECT status, error LIKE '%broken.pdf%' FROM documents WHERE doc_id = ?", [sha]) == [("error", True)]
    for table in ("text_blocks", "doc_tables", "table_cells", "claims", "facts", "indicators"):
        assert q(db, f"SELECT count(*) FROM {table} WHERE doc_id = ?", [sha]) == [(0,)]


def test_every_table_and_column_is_documented(loaded):
    db, _ = loaded
    assert q(db, "SELECT table_name FROM duckdb_tables() WHERE comment IS NULL AND table_name <> 'warehouse_meta'") == []
    assert q(db, """SELECT table_name || '.' || column_name FROM duckdb_columns()
                    WHERE comment IS NULL AND table_name IN (SELECT table_name FROM duckdb_tables())
                      AND table_name <> 'warehouse_meta'""") == []


def test_dashboard_views(loaded):
    db, _ = loaded
    sangong = q(db, """SELECT period_year, phase, amount_yuan FROM v_sangong
                       WHERE city = '益阳市' AND county IS NULL AND category_code = 'sangong.total' ORDER BY 1, 2""")
    assert sangong == [(2022, "executed", Decimal("120600")), (2023, "approved", Decimal("182900")),
                       (2023, "executed", Decimal("85200"))]
    summary = q(db, "SELECT count(*) FROM v_document_summary WHERE status = 'ok' AND claims > 0")
    assert summary == [(11,)]


# 附件3-1 and 3-2 of 益阳 2023 (seed 000, /work/shared/seeds/000_426826f784394900.txt lines 253-312), 单位：万元,
# copied from the seed as printed. Columns: 2022年决算数 | 2023年预算数 | 2023年决算数. The category each line is
# read as (normalize/data/special_items.csv) is on the left; a 小计 row repeats its 合计 and is the same line.
FUND_TABLES = {
    "employee": """
si_fund.opening_balance              一、期初余额	265750	289740	289740
si_fund.revenue                      二、收入合计	177988	175421	199910
si_fund.revenue                      （一）收入小计	177988	175421	199910
si_fund.revenue.contributions        1. 基本医疗保险费收入	154573	152847	176182
si_fund.revenue.interest             2. 利息收入	4677	521	4682
si_fund.revenue.fiscal_subsidy       3. 财政补贴收入	1697	4724	1499
si_fund.revenue.other                4. 其他收入	16979	17279	17148
si_fund.revenue.transfer_in          5. 转移收入	62	50	399
si_fund.revenue.upper_subsidy        （二）上级补助收入	0	0	0
si_fund.revenue.lower_remittance     （三）下级上解收入	0	0	0
si_fund.expenditure                  三、支出合计	153998	170520	163013
si_fund.expenditure                  （一）支出小计	153998	170520	163013
si_fund.expenditure.benefits         1. 基本医疗保险待遇支出	152903	169309	161874
si_fund.expenditure.other            2. 其他支出	422	538	76
si_fund.expenditure.transfer_out     3. 转移支出	673	673	1063
si_fund.expenditure.lower_subsidy    （二）补助下级支出	0	0	0
si_fund.expenditure.upper_remittance （三）上解上级支出	0	0	0
si_fund.current_balance              四、当期收支结余	23990	4901	36897
si_fund.closing_balance              五、期末滚存结余	289740	294641	326637
""",
    "resident": """
si_fund.opening_balance              一、期初余额	73344	161758	161758
si_fund.revenue                      二、收入合计	441314	351988	343177
si_fund.revenue                      （一）收入小计	441314	351988	343177
si_fund.revenue.contributions        1. 缴费收入	208845	123487	128950
si_fund.revenue.interest             2. 利息收入	1795	1282	2167
si_fund.revenue.fiscal_subsidy       3. 财政补贴收入	229409	226672	210396
si_fund.revenue.other                4. 其他收入	1265	547	1664
si_fund.revenue.upper_subsidy        （二）上级补助收入	0	0	0
si_fund.revenue.lower_remittance     （三）下级上解收入	0	0	0
si_fund.expenditure                  三、支出合计	352900	351966	319030
si_fund.expenditure                  （一）支出小计	352900	351966	319030
si_fund.expenditure.benefits         1. 基本医疗保险待遇支出	310793	319376	286508
si_fund.expenditure.critical_illness 2. 大病保险支出	38087	29988	31973
si_fund.expenditure.other            3. 其他支出	4020	2602	549
si_fund.expenditure.lower_subsidy    （二）补助下级支出	0	0	0
si_fund.expenditure.upper_remittance （三）上解上级支出	0	0	0
si_fund.current_balance              四、当期收支结余	88414	22	24147
si_fund.closing_balance              五、期末滚存结余	161758	161780	185905
""",
}
FUND_COLUMNS = [(2022, "executed"), (2023, "approved"), (2023, "executed")]


def test_medical_insurance_fund_totals_as_printed(loaded):
    """The fund totals of 益阳 2023's 附件3-1/3-2, exactly as printed (万元 × 10000): 收入合计 and 支出合计
    once each — never added to their own （一）收入小计 / （一）支出小计 twins — and the balances."""
    db, _ = loaded
    got = {(fund, year, phase, code): amount for fund, year, phase, code, amount in q(db, """
        SELECT fund, period_year, phase, category_code, amount_yuan FROM v_medical_insurance_fund
        WHERE city = '益阳市' AND county IS NULL AND category_code IN
          ('si_fund.revenue', 'si_fund.expenditure', 'si_fund.current_balance', 'si_fund.closing_balance')""")}
    wan = Decimal(10000)
    assert got == {
        ("employee", 2022, "executed", "si_fund.revenue"): 177988 * wan,
        ("employee", 2023, "approved", "si_fund.revenue"): 175421 * wan,
        ("employee", 2023, "executed", "si_fund.revenue"): 199910 * wan,  # 1,999,100,000 yuan, not 3,998,200,000
        ("employee", 2022, "executed", "si_fund.expenditure"): 153998 * wan,
        ("employee", 2023, "approved", "si_fund.expenditure"): 170520 * wan,
        ("employee", 2023, "executed", "si_fund.expenditure"): 163013 * wan,
        ("employee", 2022, "executed", "si_fund.current_balance"): 23990 * wan,
        ("employee", 2023, "approved", "si_fund.current_balance"): 4901 * wan,
        ("employee", 2023, "executed", "si_fund.current_balance"): 36897 * wan,
        ("employee", 2022, "executed", "si_fund.closing_balance"): 289740 * wan,
        ("employee", 2023, "approved", "si_fund.closing_balance"): 294641 * wan,
        ("employee", 2023, "executed", "si_fund.closing_balance"): 326637 * wan,
        ("resident", 2022, "executed", "si_fund.revenue"): 441314 * wan,
        ("resident", 2023, "approved", "si_fund.revenue"): 351988 * wan,
        ("resident", 2023, "executed", "si_fund.revenue"): 343177 * wan,
        ("resident", 2022, "executed", "si_fund.expenditure"): 352900 * wan,
        ("resident", 2023, "approved", "si_fund.expenditure"): 351966 * wan,
        ("resident", 2023, "executed", "si_fund.expenditure"): 319030 * wan,
        ("resident", 2022, "executed", "si_fund.current_balance"): 88414 * wan,
        ("resident", 2023, "approved", "si_fund.current_balance"): 22 * wan,
        ("resident", 2023, "executed", "si_fund.current_balance"): 24147 * wan,
        ("resident", 2022, "executed", "si_fund.closing_balance"): 161758 * wan,
        ("resident", 2023, "approved", "si_fund.closing_balance"): 161780 * wan,
        ("resident", 2023, "executed", "si_fund.closing_balance"): 185905 * wan,
    }


def test_medical_insurance_fund_view_gives_every_printed_line_once(loaded):
    """Every line of both fund tables, each period: one row of the view, holding the printed amount
    (the 小计 twin of a 合计 is the same printed amount, not a second one)."""
    db, _ = loaded
    expected = {}
    for fund, text in FUND_TABLES.items():
        for line in text.strip().splitlines():
            code, rest = line.split(maxsplit=1)
            for (year, phase), printed in zip(FUND_COLUMNS, rest.split("\t")[1:], strict=True):
                expected[(fund, year, phase, code)] = Decimal(printed) * 10000
    rows = q(db, """SELECT fund, period_year, phase, category_code, amount_yuan FROM v_medical_insurance_fund
                    WHERE city = '益阳市' AND county IS NULL""")
    assert len(rows) == len(expected) == 17 * 3 + 16 * 3
    assert {(f, y, p, c): a for f, y, p, c, a in rows} == expected


def test_parquet_export(loaded, tmp_path):
    db, _ = loaded
    with read_only(db) as con:
        counts = export_parquet(con, tmp_path / "out")
    years = sorted(p.name for p in (tmp_path / "out" / "facts").iterdir())
    assert "year=2023" in years and "year=2021" in years
    with duckdb.connect() as con:
        n = con.execute(f"SELECT count(*) FROM read_parquet('{tmp_path}/out/facts/*/*.parquet')").fetchone()[0]
    assert n == counts["facts"]


def test_portal_hints_fill_only_what_the_document_does_not_say():
    from fiscaldocs.normalize.hints import apply_hints

    from fiscaldocs.model import Document, DocumentMeta, ReportKind

    doc = Document(DocumentMeta(sha256="x", file_name="a.pdf", file_type="pdf", department="已知局"))
    apply_hints(doc, {"region": "上海市普陀区", "department": "上海市普陀区财政局", "report_kind": "budget"})
    assert (doc.meta.department, doc.meta.report_kind, doc.meta.region.code) == ("已知局", ReportKind.BUDGET, "310107")
