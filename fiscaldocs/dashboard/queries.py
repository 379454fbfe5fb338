"""Every SQL statement the dashboard and the report run, in one place, written against the
warehouse's stable views (v_spending, v_sangong, v_medical_insurance_fund, v_check_failures,
v_canonical_documents) and the documented tables. A renamed column is a one-line change here.

Filters apply to the columns a view has: a view without `department` (older warehouses) is
filtered by region and year only — the columns are read from the database at run time.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from fiscaldocs.warehouse.reader import Reader

# Region label: the most local level a row names.
REGION = "coalesce(county, city, province, '(未识别地区)')"
# v_spending gives each amount per fund scope and breakdown (its COMMENT): the charts show the
# all-funds totals, so that one printed amount is drawn once.
SPENDING_SCOPE = "fund_scope = 'all' AND breakdown = 'total'"
REPORT_KINDS = {  # report_kind → label
    "budget": "部门预算", "final_accounts": "部门决算", "performance_self_evaluation": "整体支出绩效自评",
    "project_self_evaluation": "项目支出绩效自评", "fiscal_evaluation": "财政重点评价", "other": "其他",
}
PHASES = {"approved": "年初预算", "adjusted": "调整预算", "executed": "决算/执行"}


@dataclass
class Filters:
    province: str | None = None
    city: str | None = None
    county: str | None = None
    departments: list[str] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    report_kinds: list[str] = field(default_factory=list)


class Queries:
    def __init__(self, reader: Reader):
        self.reader = reader

    def df(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.reader.query(sql, params)

    def columns(self, relation: str) -> set[str]:
        return set(self.df("SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
                           "AND table_name = ?", [relation])["column_name"])

    def where(self, relation: str, f: Filters, year_col: str = "period_year") -> tuple[str, list]:
        """WHERE clause for the filters `relation` has columns for."""
        cols = self.columns(relation)
        clauses, params = ["TRUE"], []
        for col in ("province", "city", "county"):
            if getattr(f, col) and col in cols:
                clauses.append(f"{col} = ?")
                params.append(getattr(f, col))
        if f.years and year_col in cols:
            clauses.append(f"{year_col} IN (SELECT unnest(?))")
            params.append(list(f.years))
        if f.departments and "department" in cols:
            clauses.append("department IN (SELECT unnest(?))")
            params.append(list(f.departments))
        if f.report_kinds:
            if "report_kind" in cols:
                clauses.append("report_kind IN (SELECT unnest(?))")
                params.append(list(f.report_kinds))
            elif "doc_id" in cols:
                clauses.append("doc_id IN (SELECT doc_id FROM documents WHERE report_kind IN (SELECT unnest(?)))")
                params.append(list(f.report_kinds))
        return " AND ".join(clauses), params

    # -- filter choices ------------------------------------------------------------------------
    def regions(self) -> pd.DataFrame:
        return self.df("SELECT DISTINCT province, city, county FROM v_canonical_documents "
                       "WHERE province IS NOT NULL ORDER BY ALL")

    def departments(self) -> list[str]:
        return list(self.df("SELECT DISTINCT department FROM v_canonical_documents WHERE department IS NOT NULL "
                            "ORDER BY 1")["department"])

    def years(self) -> list[int]:
        return [int(y) for y in self.df("SELECT DISTINCT period_year FROM v_spending WHERE period_year IS NOT NULL "
                                        "UNION SELECT DISTINCT fiscal_year FROM v_canonical_documents "
                                        "WHERE fiscal_year IS NOT NULL ORDER BY 1")["period_year"]]

    def report_kinds(self) -> list[str]:
        return list(self.df("SELECT DISTINCT report_kind FROM v_canonical_documents WHERE report_kind IS NOT NULL "
                            "ORDER BY 1")["report_kind"])

    # -- spending ------------------------------------------------------------------------------
    def spending_by_region_year(self, f: Filters) -> pd.DataFrame:
        """Total of the 类 lines (they include their 款 and 项) per region, year and phase."""
        w, p = self.where("v_spending", f)
        return self.df(f"""
            SELECT {REGION} AS region, period_year, phase, sum(amount_yuan) AS amount_yuan
            FROM v_spending WHERE code_digits = 3 AND {SPENDING_SCOPE} AND {w}
            GROUP BY ALL ORDER BY region, period_year, phase""", p)

    def spending_drill(self, f: Filters, parent: str | None) -> pd.DataFrame:
        """The 类 (or the 款/项 under `parent`) per region, department (where the view has it) and
        year, with approved, adjusted and executed amounts and the execution rate (executed ÷
        approved) — computed within one region, department and year, never across them."""
        w, p = self.where("v_spending", f)
        dept = "department" if "department" in self.columns("v_spending") else "NULL"
        level = "code_digits = 3" if not parent else "code_digits = ? AND category_code LIKE ?"
        lp = [] if not parent else [len(parent) + 2, parent + "%"]
        return self.df(f"""
            SELECT {REGION} AS region, {dept} AS department, period_year, category_code,
                   any_value(category_name) AS category_name,
                   sum(amount_yuan) FILTER (phase = 'approved') AS approved,
                   sum(amount_yuan) FILTER (phase = 'adjusted') AS adjusted,
                   sum(amount_yuan) FILTER (phase = 'executed') AS executed,
                   CAST(100 * sum(amount_yuan) FILTER (phase = 'executed')
                        / nullif(sum(amount_yuan) FILTER (phase = 'approved'), 0) AS DECIMAL(10, 2)) AS execution_rate
            FROM v_spending WHERE {level} AND {SPENDING_SCOPE} AND {w}
            GROUP BY region, {dept}, period_year, category_code ORDER BY region, period_year, category_code""",
                       lp + p)

    # -- 三公 and 机关运行经费 -------------------------------------------------------------------
    def sangong(self, f: Filters) -> pd.DataFrame:
        w, p = self.where("v_sangong", f)
        return self.df(f"""
            SELECT {REGION} AS region, period_year, category_code, category_name, phase,
                   sum(amount_yuan) AS amount_yuan
            FROM v_sangong WHERE category_code <> 'agency_operation' AND {w} GROUP BY ALL ORDER BY region, period_year, category_code, phase""", p)

    def admin_operating(self, f: Filters) -> pd.DataFrame:
        """机关运行经费: v_sangong's `agency_operation` lines, one amount per document, period and phase."""
        w, p = self.where("v_sangong", f)
        return self.df(f"""
            SELECT {REGION} AS region, period_year, phase, sum(amount_yuan) AS amount_yuan
            FROM v_sangong WHERE category_code = 'agency_operation' AND {w}
            GROUP BY ALL ORDER BY region, period_year, phase""", p)

    # -- medical-insurance fund ----------------------------------------------------------------
    def medical_fund(self, f: Filters) -> pd.DataFrame:
        w, p = self.where("v_medical_insurance_fund", f)
        return self.df(f"""
            SELECT {REGION} AS region, period_year, coalesce(fund, '(未标明)') AS fund, category_code,
                   any_value(category_name) AS category_name, phase,
                   -- a region's fund is one fund: where several reports print it, the latest report's amount
                   first(amount_yuan ORDER BY (SELECT fiscal_year FROM documents d WHERE d.doc_id = m.doc_id) DESC,
                         doc_id) AS amount_yuan
            FROM v_medical_insurance_fund m
            WHERE {w} AND category_code IN ('si_fund.revenue', 'si_fund.expenditure', 'si_fund.current_balance',
                                             'si_fund.closing_balance')
            GROUP BY region, period_year, fund, category_code, phase ORDER BY region, period_year, fund, category_code, phase""", p)

    # -- audits and documents ------------------------------------------------------------------
    def check_failures(self, f: Filters) -> pd.DataFrame:
        w, p = self.where("documents", f, year_col="fiscal_year")
        return self.df(f"""
            SELECT d.file_name, d.title, k.rule, k.status, k.message, k.expected, k.actual, k.provenance, d.doc_id
            FROM checks k JOIN (SELECT * FROM documents WHERE {w}) d USING (doc_id)
            WHERE k.status IN ('fail', 'warn')
            ORDER BY k.status, d.file_name, k.rule""", p)

    def documents(self, f: Filters) -> pd.DataFrame:
        w, p = self.where("documents", f, year_col="fiscal_year")
        return self.df(f"""
            SELECT doc_id, file_name, title, department, {REGION} AS region, fiscal_year, report_kind,
                   status, error, page_count, source_path
            FROM documents WHERE {w} ORDER BY region, fiscal_year, file_name""", p)

    def facts(self, f: Filters, doc_id: str | None = None, limit: int = 2000) -> pd.DataFrame:
        w, p = self.where("v_canonical_documents", f, year_col="fiscal_year")
        doc = "AND fa.doc_id = ?" if doc_id else ""
        return self.df(f"""
            SELECT fa.fact_id, {REGION} AS region, fa.period_year, fa.phase, fa.line_item, fa.category_name,
                   fa.amount_yuan, fa.source_kind, d.file_name, fa.page
            FROM facts fa JOIN (SELECT * FROM v_canonical_documents WHERE {w}) d USING (doc_id)
            WHERE TRUE {doc} ORDER BY d.file_name, fa.source_kind, fa.table_id, fa.row_idx, fa.col_idx, fa.claim_idx
            LIMIT {int(limit)}""", p + ([doc_id] if doc_id else []))

    # -- provenance of one fact ----------------------------------------------------------------
    def fact(self, fact_id: str) -> dict | None:
        rows = self.df("""
            SELECT fa.*, d.file_name, d.source_path, d.file_type, d.title
            FROM facts fa JOIN documents d USING (doc_id) WHERE fa.fact_id = ?""", [fact_id])
        return None if rows.empty else rows.iloc[0].to_dict()

    def source_cell(self, doc_id: str, table_id: int, row_idx: int, col_idx: int) -> dict | None:
        rows = self.df("SELECT * FROM table_cells WHERE doc_id = ? AND table_id = ? AND row_idx = ? AND col_idx = ?",
                       [doc_id, table_id, row_idx, col_idx])
        return None if rows.empty else rows.iloc[0].to_dict()

    def table_row(self, doc_id: str, table_id: int, row_idx: int) -> pd.DataFrame:
        """The printed row a fact came from, with the table's header rows above it."""
        return self.df("""
            SELECT row_idx, col_idx, text FROM table_cells
            WHERE doc_id = ? AND table_id = ? AND (row_idx = ? OR row_idx < 2) ORDER BY row_idx, col_idx""",
                       [doc_id, table_id, row_idx])

    def table_info(self, doc_id: str, table_id: int) -> dict | None:
        rows = self.df("SELECT title, unit, first_page, pages FROM doc_tables WHERE doc_id = ? AND table_id = ?",
                       [doc_id, table_id])
        return None if rows.empty else rows.iloc[0].to_dict()

    def claim(self, doc_id: str, claim_idx: int) -> dict | None:
        rows = self.df("""
            SELECT c.*, b.bbox AS block_bbox, b.text AS block_text FROM claims c
            LEFT JOIN text_blocks b ON b.doc_id = c.doc_id AND b.block_idx = c.block_idx
            WHERE c.doc_id = ? AND c.claim_idx = ?""", [doc_id, claim_idx])
        return None if rows.empty else rows.iloc[0].to_dict()
