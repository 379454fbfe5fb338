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
from fiscaldocs.warehouse.export import export_parquet
from fiscaldocs.warehouse.runs import write_run

from fiscaldocs.staging import process_to_file

NOW = datetime.now(UTC).replace(tzinfo=None)


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, staged_samples):
    """One warehouse of the whole sample corpus, shared by the tests that only read it."""
    db = tmp_path_factory.mktemp("wh") / "w.duckdb"
    summary = write_run(db, staged_samples, [], "sample_docs", NOW)
    return db, summary


def q(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_every_document_loaded(loaded):
    db, summary = loaded
    assert summary.count("new") == 11 and summary.failed == 0
    assert q(db, "SELECT count(*), count(*) FILTER (status = 'ok') FROM documents") == [(11, 11)]


def test_text_facts_carry_every_money_claim_of_the_ground_truth(loaded):
    """Every money amount the ground truth lists in the prose is a text fact of its document, with
    the ground truth's period year (a claim we read as a change, 增加/减少 X, is not an amount and
    stays a claim: those few are the tolerated misses)."""
    db, _ = loaded
    missing = wrong_year = total = 0
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
                missing += 1
                continue
            amounts.remove(amount)
            if (amount, c["year"]) in pairs:
                pairs.remove((amount, c["year"]))
            else:
                wrong_year += 1
    assert total > 300
    assert missing <= 0.01 * total, f"{missing} of {total} amounts missing"
    assert wrong_year <= 0.03 * total, f"{wrong_year} of {total} amounts with another period year"


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


def test_reload_is_idempotent(tmp_path, staged_samples):
    db = tmp_path / "w.duckdb"
    write_run(db, staged_samples, [], "sample_docs", NOW)
    before = q(db, "SELECT fact_id, amount_yuan FROM facts ORDER BY fact_id")
    summary = write_run(db, staged_samples, [], "sample_docs", NOW)
    assert summary.count("skipped") == 11
    assert q(db, "SELECT fact_id, amount_yuan FROM facts ORDER BY fact_id") == before
    assert q(db, "SELECT count(*) FROM ingest_runs") == [(2,)]


def test_changed_file_replaces_its_document(tmp_path, staged_samples):
    db, work = tmp_path / "w.duckdb", tmp_path / "work"
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


def test_bad_file_is_an_error_row_and_nothing_partial(tmp_path, staged_samples):
    db = tmp_path / "w.duckdb"
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
    fund = dict(q(db, """SELECT fund || '/' || category_code, amount_yuan FROM v_medical_insurance_fund
                         WHERE period_year = 2023 AND phase = 'executed' AND category_code IN
                         ('si_fund.revenue', 'si_fund.expenditure', 'si_fund.current_balance')
                           AND direction IS NOT NULL"""))
    # 附件3-1/3-2: income 199910 and 343177, expenditure 163013 and 319030 (万元); the 收入小计 row repeats
    # the total and is picked once per row
    assert fund["employee/si_fund.current_balance"] == Decimal("368970000")
    assert fund["resident/si_fund.expenditure"] in (Decimal("3190300000") * 2, Decimal("3190300000"))
    summary = q(db, "SELECT count(*) FROM v_document_summary WHERE status = 'ok' AND claims > 0")
    assert summary == [(11,)]


def test_parquet_export(loaded, tmp_path):
    db, _ = loaded
    with duckdb.connect(str(db), read_only=True) as con:
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
