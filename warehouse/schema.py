"""Warehouse schema as code, documented in the database itself (COMMENT ON every table and column).

Layers: the raw extraction (documents, text_blocks, doc_tables, table_cells, claims) kept for
provenance and re-processing; the comparable layer (facts, indicators) dashboards read; checks;
dimensions (regions, categories); run bookkeeping (ingest_runs). Money is DECIMAL end to end.
"""

from __future__ import annotations

import hashlib

import duckdb

# Bump when a table or column changes: a warehouse of another version is not written into.
SCHEMA_VERSION = "8"
MONEY = "DECIMAL(38,4)"
QUANTITY = "DECIMAL(38,6)"

# Columns facts and indicators share: what, where, when …
_FACT_KEYS = [
    ("fact_id", "VARCHAR PRIMARY KEY", "deterministic id from document and position"),
    ("doc_id", "VARCHAR", "document"),
    ("region_code", "VARCHAR", "GB/T 2260 code of the document's region"),
    ("fiscal_year", "INTEGER", "year of the report"),
    ("period_year", "INTEGER", "year of the value (a 2022年决算数 column in a 2023 report is 2022)"),
    ("phase", "VARCHAR", "approved (年初预算) | adjusted (调整/全年预算) | executed (决算/执行数)"),
]
# … and where it was read.
_PROVENANCE = [
    ("source_kind", "VARCHAR", "table | text"),
    ("table_id", "INTEGER", "provenance: table"),
    ("row_idx", "INTEGER", "provenance: row"),
    ("col_idx", "INTEGER", "provenance: column"),
    ("claim_idx", "INTEGER", "provenance: claim"),
    ("page", "INTEGER", "provenance: page"),
]

# … and the dimensions an analyst aggregates by (normalize/statements.py, normalize/data/statements.toml).
_DIMENSIONS = [
    ("department", "VARCHAR", "reporting department or unit (normalized name from the document's metadata; a "
                              "部门决算 of a 部门 covers its units): sum departments, never statements"),
    ("statement", "VARCHAR", "statement it was printed in: summary (收支总表) | revenue (收入总表) | expenditure "
                             "(支出总表) | fiscal_summary (财政拨款收支总表) | gpb_functional (一般公共预算支出功能分类表) | "
                             "gpb_basic_economic (一般公共预算基本支出经济分类表) | government_fund | state_capital | "
                             "sangong (三公经费) | agency_operation (机关运行经费) | performance (项目/绩效目标表) | "
                             "si_fund (医保基金收支表) | other | text (a sentence)"),
    ("fund_scope", "VARCHAR", "funds the amount covers: all | fiscal_appropriation (财政拨款) | general_public_budget | "
                              "government_fund | state_capital | social_insurance_fund"),
    ("fund", "VARCHAR", "employee | resident for a social-insurance fund table (from its title), else NULL"),
    ("breakdown", "VARCHAR", "part of the amount its column holds: total | basic (基本支出) | project (项目支出) | "
                             "personnel (人员经费) | public (公用经费) | business | … | col:<header> as printed"),
    ("level", "VARCHAR", "类 | 款 | 项 of the category"),
    ("row_role", "VARCHAR", "total (合计/总计 row) | subtotal (小计) | part (其中 row, a part of the row above) | "
                            "line"),
]

# Read by OCR: appended last to the tables that hold text and numbers (schema 8), so a warehouse
# migrated by ALTER TABLE has its columns in the same order as a new one.
OCR_COLUMNS = [
    ("ocr", "BOOLEAN", "read by OCR from a page image (no usable text layer): digits may be misread"),
    ("ocr_confidence", "DOUBLE", "lowest recognition confidence (0–1) of the text it was read from; NULL unless OCR'd"),
]
OCR_TABLES = ("text_blocks", "table_cells", "claims", "facts", "indicators")

# table → (comment, [(column, type, comment)], constraint)
TABLES: dict[str, tuple[str, list[tuple[str, str, str]], str]] = {
    "documents": ("One row per file, keyed by the sha256 of its content; failed files too, with the reason.", [
        ("doc_id", "VARCHAR PRIMARY KEY", "sha256 of the file content: one document wherever it came from"),
        ("source_url", "VARCHAR", "URL it was downloaded from, when crawled"),
        ("source_path", "VARCHAR", "path it was read from"),
        ("file_name", "VARCHAR", "file name"),
        ("file_type", "VARCHAR", "pdf | docx | doc | html | … (by content, not name)"),
        ("title", "VARCHAR", "document title"),
        ("issuer", "VARCHAR", "unit that published / signed the report"),
        ("department", "VARCHAR", "unit the report is about (differs from the issuer for 财政重点评价)"),
        ("region_code", "VARCHAR", "GB/T 2260 code of the region (6 digits)"),
        ("province", "VARCHAR", "province name"),
        ("city", "VARCHAR", "prefecture-level city name"),
        ("county", "VARCHAR", "county-level unit name, NULL for a city-level unit"),
        ("fiscal_year", "INTEGER", "the year the report is about"),
        ("report_kind", "VARCHAR", "budget | final_accounts | performance_self_evaluation | "
                                   "project_self_evaluation | fiscal_evaluation | other"),
        ("published_date", "DATE", "signature date at the end of the report"),
        ("page_count", "INTEGER", "pages (NULL for a Word file that was never laid out)"),
        ("producer", "VARCHAR", "software that wrote the file, as the file says"),
        ("status", "VARCHAR", "ok | needs_ocr | error"),
        ("error", "VARCHAR", "why the file could not be read, naming the file"),
        ("extractor_version", "VARCHAR", "version of the extract stage that produced the rows (a digest of its "
                                         "code and parser libraries: fiscaldocs.versions)"),
        ("ingested_at", "TIMESTAMP", "when this version of the rows was loaded (UTC)"),
        ("normalize_version", "VARCHAR", "version of the normalize stage (code and data) that produced the rows"),
        ("audit_version", "VARCHAR", "version of the audit rules that produced the document's checks"),
        ("ocr_pages", "INTEGER[]", "pages read by OCR (they had no usable text layer); empty when none"),
    ], ""),
    "text_blocks": ("Paragraphs, headings and titles in reading order.", [
        ("doc_id", "VARCHAR", "document"),
        ("block_idx", "INTEGER", "index among the document's text blocks"),
        ("reading_order", "INTEGER", "position in reading order, shared with tables"),
        ("page", "INTEGER", "1-based page; NULL for Word files"),
        ("kind", "VARCHAR", "title | heading | paragraph"),
        ("text", "VARCHAR", "text, layout spaces removed, wrapped lines joined"),
        ("bbox", "DOUBLE[]", "[x0, top, x1, bottom] on its page in PDF points, origin top-left (NULL for Word)"),
        *OCR_COLUMNS,
    ], "PRIMARY KEY (doc_id, block_idx)"),
    "doc_tables": ("Tables as extracted: caption, declared unit, pages, parser and its quality score.", [
        ("doc_id", "VARCHAR", "document"),
        ("table_id", "INTEGER", "index of the table in the document"),
        ("reading_order", "INTEGER", "position in reading order, shared with text blocks"),
        ("first_page", "INTEGER", "first page the table is printed on"),
        ("pages", "INTEGER[]", "every page its rows are printed on (a table continued over pages is one table)"),
        ("title", "VARCHAR", "caption printed above the table"),
        ("unit", "VARCHAR", "unit the caption declares (单位：万元 → 万元)"),
        ("n_rows", "INTEGER", "rows"),
        ("n_cols", "INTEGER", "columns"),
        ("extractor", "VARCHAR", "pdfplumber | camelot-lattice | camelot-network | camelot-stream | python-docx | doc-binary"),
        ("quality", "DOUBLE", "parser score: share of printed characters placed in cells, weighted by fill"),
        ("parent_table_id", "INTEGER", "for a table nested in a Word table cell, the table holding it"),
        ("statement", "VARCHAR", "the statement the table is (normalize/data/statements.toml): summary | revenue | "
                                 "expenditure | fiscal_summary | gpb_functional | gpb_basic_economic | government_fund "
                                 "| state_capital | sangong | agency_operation | performance | si_fund | other"),
        ("numeric_cells", "INTEGER", "cells holding a number (classification-code columns aside)"),
        ("facts", "INTEGER", "facts and indicators made from the table; 0 with numeric_cells > 0 is a lost table"),
        ("notes", "VARCHAR[]", "what extraction decided and why (joined over a page break or not, header carried over)"),
    ], "PRIMARY KEY (doc_id, table_id)"),
    "table_cells": ("Every cell of every table with span, page, and the number it holds with its unit.", [
        ("doc_id", "VARCHAR", "document"),
        ("table_id", "INTEGER", "table"),
        ("row_idx", "INTEGER", "row (0-based)"),
        ("col_idx", "INTEGER", "column (0-based)"),
        ("row_span", "INTEGER", "rows the cell covers"),
        ("col_span", "INTEGER", "columns the cell covers"),
        ("page", "INTEGER", "page the cell is printed on"),
        ("text", "VARCHAR", "cell text as printed; a merged cell appears once, at its top-left slot"),
        ("value", QUANTITY, "the number in the cell, as printed (separators removed)"),
        ("unit", "VARCHAR", "unit that applies to it (cell, row label, column header or the table's)"),
        ("value_normalized", QUANTITY, "value in the normalized unit (yuan, persons, percent points …)"),
        ("unit_normalized", "VARCHAR", "CNY | person | person_time | percent | count | score | …"),
        ("bbox", "DOUBLE[]", "[x0, top, x1, bottom] on its page in PDF points, origin top-left (NULL for Word)"),
        *OCR_COLUMNS,
    ], "PRIMARY KEY (doc_id, table_id, row_idx, col_idx)"),
    "claims": ("Numeric statements in the prose, with their sentence and character span.", [
        ("doc_id", "VARCHAR", "document"),
        ("claim_idx", "INTEGER", "index of the claim in the document"),
        ("page", "INTEGER", "page of the sentence"),
        ("block_idx", "INTEGER", "text block holding it"),
        ("char_start", "INTEGER", "start of the number in the block text"),
        ("char_end", "INTEGER", "end of the number and unit in the block text"),
        ("sentence", "VARCHAR", "the sentence it came from"),
        ("text", "VARCHAR", "number and unit as printed"),
        ("subject", "VARCHAR", "what is measured, as the sentence names it"),
        ("value", "VARCHAR", "number as printed, separators removed"),
        ("unit", "VARCHAR", "unit as printed"),
        ("value_normalized", QUANTITY, "value in the normalized unit"),
        ("unit_normalized", "VARCHAR", "CNY | person | person_time | percent | count | score | …"),
        ("qualifier", "VARCHAR", "以上 | 超过 | 约 | 近 | 达到 | 不足 | ≥ | ≤ …"),
        ("year", "INTEGER", "year the number refers to"),
        ("change", "VARCHAR", "increase | decrease when the number is a change"),
        ("category_code", "VARCHAR", "category of the subject, where it maps"),
        *OCR_COLUMNS,
    ], "PRIMARY KEY (doc_id, claim_idx)"),
    "facts": ("One row per money amount (yuan), comparable across regions and years "
              "(modelled on the Fiscal Data Package).", [
        *_FACT_KEYS,
        ("direction", "VARCHAR", "expenditure | revenue | balance"),
        ("budget_type", "VARCHAR", "general_public | government_fund | state_capital | social_insurance_fund"),
        ("line_item", "VARCHAR", "line item as printed"),
        ("category_scheme", "VARCHAR", "functional | economic | revenue | special"),
        ("category_code", "VARCHAR", "category code (政府收支分类科目 or a named genre line)"),
        ("category_name", "VARCHAR", "category name in force in the period"),
        ("economic_code", "VARCHAR", "economic classification code where the line is one"),
        ("amount_yuan", MONEY, "amount in yuan, exact"),
        *_PROVENANCE,
        ("column_header", "VARCHAR", "provenance: the column header the period and phase were read from"),
        *_DIMENSIONS,
        ("category_known", "BOOLEAN", "false: a printed code missing from the taxonomy, kept as printed with its "
                                      "printed name (never replaced by another code)"),
        *OCR_COLUMNS,
    ], ""),
    "indicators": ("Non-money quantities (people, %, counts, scores) in the shape of facts.", [
        *_FACT_KEYS,
        ("line_item", "VARCHAR", "what is measured, as printed"),
        ("category_code", "VARCHAR", "category where the line maps"),
        ("value", QUANTITY, "value in the normalized unit"),
        ("unit", "VARCHAR", "person | person_time | household | percent | percentage_point | count | score | …"),
        *_PROVENANCE,
        *_DIMENSIONS,
        ("row_label", "VARCHAR", "table cells: the row's labels, outermost first, joined by | "
                                 "(三、本年度办理结果|（一）予以公开)"),
        ("column_label", "VARCHAR", "table cells: the column's headers, top to bottom, joined by | "
                                    "(申请人情况|法人或其他组织|商业企业)"),
        *OCR_COLUMNS,
    ], ""),
    "checks": ("Results of consistency checks on the numbers (filled by the audit stage).", [
        ("check_id", "VARCHAR PRIMARY KEY", "deterministic id"),
        ("doc_id", "VARCHAR", "document checked (the first, for checks across documents)"),
        ("rule", "VARCHAR", "named rule"),
        ("status", "VARCHAR", "pass | fail | warn | skipped"),
        ("message", "VARCHAR", "what was found, in plain words"),
        ("expected", QUANTITY, "value the rule expects"),
        ("actual", QUANTITY, "value printed"),
        ("tolerance", QUANTITY, "rounding tolerance used"),
        ("provenance", "VARCHAR", "JSON: document, page, table/row/col or sentence of every side"),
    ], ""),
    "regions": ("Regions the documents come from (GB/T 2260).", [
        ("region_code", "VARCHAR PRIMARY KEY", "GB/T 2260 code (6 digits)"),
        ("province", "VARCHAR", "province"),
        ("city", "VARCHAR", "prefecture-level city"),
        ("county", "VARCHAR", "county-level unit"),
    ], ""),
    "categories": ("The category taxonomy (normalize/data): one row per code and name period.", [
        ("scheme", "VARCHAR", "functional | economic | revenue | special"),
        ("code", "VARCHAR", "code"),
        ("level", "VARCHAR", "类 | 款 | 项"),
        ("name", "VARCHAR", "name in the period"),
        ("parent_code", "VARCHAR", "enclosing code"),
        ("valid_from", "INTEGER", "first budget year of this name (NULL: not recorded)"),
        ("valid_to", "INTEGER", "last budget year of this name (NULL: still in force)"),
    ], ""),
    "fetches": ("The latest fetch of every URL crawled: what came back and why it failed.", [
        ("url", "VARCHAR", "URL as linked"),
        ("source", "VARCHAR", "source (portal) name from the sources file"),
        ("status", "VARCHAR", "ok | not_modified | error | skipped"),
        ("http_status", "INTEGER", "HTTP status of the last response"),
        ("sha256", "VARCHAR", "content hash of the file stored (= documents.doc_id once ingested)"),
        ("etag", "VARCHAR", "ETag, sent back as If-None-Match on re-crawl"),
        ("last_modified", "VARCHAR", "Last-Modified, sent back as If-Modified-Since on re-crawl"),
        ("fetched_at", "TIMESTAMP", "when (UTC)"),
        ("error", "VARCHAR", "why it failed or was skipped, in plain words"),
        ("file_name", "VARCHAR", "file name from Content-Disposition or the URL"),
        ("path", "VARCHAR", "where the file is in the raw store"),
        ("final_url", "VARCHAR", "URL after redirects"),
        ("referer", "VARCHAR", "page the link was found on"),
    ], "PRIMARY KEY (source, url)"),
    "ingest_runs": ("One row per ingestion run.", [
        ("run_id", "VARCHAR PRIMARY KEY", "run id"),
        ("started_at", "TIMESTAMP", "start (UTC)"),
        ("finished_at", "TIMESTAMP", "end (UTC)"),
        ("seen", "INTEGER", "files seen"),
        ("new", "INTEGER", "documents loaded for the first time"),
        ("changed", "INTEGER", "sources whose content changed and were replaced"),
        ("skipped", "INTEGER", "documents already loaded with this extractor version"),
        ("failed", "INTEGER", "files that could not be read"),
        ("sources", "VARCHAR", "what the run was asked to ingest"),
        ("unsupported", "VARCHAR", "files in the folders given that are not documents, with their type "
                                   "(\"name (type)\", one a line), not ingested"),
    ], ""),
}

VIEWS: dict[str, tuple[str, str]] = {
    "v_canonical_documents": ("One document per report. Grain: one row per region × fiscal year × report kind "
                              "× title: where a report was loaded several times (its Word and its PDF file), "
                              "the one with most tables, then the PDF.", """
        SELECT * EXCLUDE (rn) FROM (
          SELECT d.*, row_number() OVER (
            PARTITION BY coalesce(region_code, ''), coalesce(fiscal_year, 0), coalesce(report_kind, ''),
                         coalesce(title, doc_id)
            ORDER BY (SELECT count(*) FROM doc_tables t WHERE t.doc_id = d.doc_id) DESC, (file_type = 'pdf') DESC,
                     doc_id) AS rn
          FROM documents d WHERE status = 'ok')
        WHERE rn = 1"""),
    "v_table_amounts": ("Table facts with one amount per line item, period and phase. Grain: one row per "
                        "doc_id × table_id × row × line item × period_year × phase × direction: where a row "
                        "splits an amount by columns (合计 | 基本支出 | 项目支出), the total column. Statements "
                        "repeat amounts: aggregate v_canonical_facts, not this.", """
        SELECT * EXCLUDE (rn) FROM (
          SELECT f.*, row_number() OVER (
            PARTITION BY f.doc_id, f.table_id, f.row_idx, f.line_item, f.period_year, f.phase, f.direction
            ORDER BY (coalesce(f.column_header, '') SIMILAR TO '.*(合计|总计).*') DESC, f.amount_yuan DESC,
                     f.col_idx) AS rn
          FROM facts f WHERE f.source_kind = 'table')
        WHERE rn = 1"""),
    "v_canonical_facts": (
        "The canonical layer: one amount per meaning. Grain: one row per document (of v_canonical_documents) × "
        "category_code × direction × phase × period_year × fund_scope × fund × breakdown. Where several "
        "statements print it (the 201 类 total in 收支总表, 支出表, 财政拨款收支总表, 一般公共预算支出表) the row is the "
        "printing of the statement of lowest priority (normalize/data/statements.toml), a total row before its "
        "own 小计 and 其中 parts, a table before a sentence; the others are never added — the audit rule "
        "statement_agreement checks they agree. n_printed: how many cells and sentences print it.", """
        SELECT * EXCLUDE (rn) FROM (
          SELECT f.*, count(*) OVER w AS n_printed,
                 row_number() OVER (w ORDER BY (f.source_kind = 'table') DESC, {priority},
                   CASE f.row_role WHEN 'total' THEN 0 WHEN 'subtotal' THEN 1 WHEN 'line' THEN 2 ELSE 3 END,
                   f.table_id, f.row_idx, f.col_idx, f.claim_idx) AS rn
          FROM facts f SEMI JOIN v_canonical_documents d ON d.doc_id = f.doc_id
          WHERE f.category_code IS NOT NULL
          WINDOW w AS (PARTITION BY f.doc_id, f.category_code, f.direction, f.phase, f.period_year, f.fund_scope,
                                    f.fund, f.breakdown))
        WHERE rn = 1"""),
    "v_spending": (
        "Spending by functional category (类/款/项), from the tables, in yuan. Grain: one row per doc_id × "
        "period_year × phase × category_code × fund_scope × breakdown (from v_canonical_facts: one amount per "
        "meaning, never a sum of statements). Sum within one level, one fund_scope and one breakdown (a 类 "
        "already includes its 款 and 项; 'all' includes 'fiscal_appropriation', which includes "
        "'general_public_budget'; 'total' = 'basic' + 'project'). For a region, sum departments: "
        "v_spending_by_region.", """
        SELECT f.doc_id, f.department, d.region_code, d.province, d.city, d.county, f.period_year, f.phase,
               f.category_code, f.category_name, f.level, length(f.category_code) AS code_digits,
               f.category_known, f.fund_scope, f.breakdown, f.amount_yuan, f.statement, f.n_printed
        FROM v_canonical_facts f JOIN documents d USING (doc_id)
        WHERE f.direction = 'expenditure' AND f.category_scheme = 'functional' AND f.source_kind = 'table'
          AND f.fund IS NULL"""),
    "v_spending_by_region": (
        "Spending of a region's departments added up, in yuan. Grain: one row per region_code × period_year × "
        "phase × category_code × fund_scope × breakdown: the sum over departments of each department's latest "
        "report giving it (fiscal year, then published date) — departments are added, statements and a "
        "department's several reports never are. n_departments: how many departments it sums.", """
        SELECT region_code, province, city, county, period_year, phase, category_code, category_name, level,
               fund_scope, breakdown, sum(amount_yuan) AS amount_yuan, count(*) AS n_departments
        FROM (
          SELECT s.*, row_number() OVER (
                   PARTITION BY s.region_code, coalesce(s.department, s.doc_id), s.period_year, s.phase,
                                s.category_code, s.fund_scope, s.breakdown
                   ORDER BY d.fiscal_year DESC NULLS LAST, d.published_date DESC NULLS LAST, s.doc_id) AS rn
          FROM v_spending s JOIN documents d USING (doc_id))
        WHERE rn = 1
        GROUP BY ALL"""),
    "v_sangong": (
        "三公经费 (sangong.total, sangong.travel_abroad, sangong.vehicle, sangong.vehicle.purchase, "
        "sangong.vehicle.operation, sangong.reception) and 机关运行经费 (agency_operation), in yuan, from any "
        "table layout (rows or columns) or, where no table gives it, a sentence. Grain: one row per doc_id × "
        "period_year × phase × category_code (from v_canonical_facts; 财政拨款 amounts by definition).", """
        SELECT f.doc_id, f.department, d.region_code, d.province, d.city, d.county, f.period_year, f.phase,
               f.category_code, f.category_name, f.amount_yuan, f.source_kind, f.statement, f.n_printed
        FROM v_canonical_facts f JOIN documents d USING (doc_id)
        WHERE (f.category_code LIKE 'sangong.%' OR f.category_code = 'agency_operation')
          AND f.direction = 'expenditure' AND f.breakdown = 'total'"""),
    "v_medical_insurance_fund": (
        "Medical-insurance fund income, expenditure and balance, in yuan, from the fund tables. Grain: one row "
        "per doc_id × fund (employee | resident, from the table's title) × period_year × phase × category_code "
        "× direction — one printed amount, never a sum: 二、收入合计 and its own （一）收入小计 both name "
        "si_fund.revenue and the total row is the one kept (v_canonical_facts); table_id, row_idx, col_idx "
        "say which cell it is.", """
        SELECT f.doc_id, f.department, d.region_code, d.province, d.city, d.county, f.period_year, f.fund,
               f.category_code, f.category_name, f.direction, f.phase, f.amount_yuan, f.table_id, f.row_idx,
               f.col_idx, f.n_printed
        FROM v_canonical_facts f JOIN documents d USING (doc_id)
        WHERE f.category_code LIKE 'si_fund.%' AND f.source_kind = 'table' AND f.breakdown = 'total'"""),
    "v_check_failures": ("Failed and doubtful checks. Grain: one row per document × rule.", """
        SELECT d.doc_id, d.department, d.file_name, d.title, d.region_code, d.fiscal_year, k.rule,
               count(*) FILTER (k.status = 'fail') AS failed, count(*) FILTER (k.status = 'warn') AS warnings,
               count(*) FILTER (k.status = 'pass') AS passed, count(*) FILTER (k.status = 'skipped') AS skipped
        FROM checks k JOIN documents d USING (doc_id)
        GROUP BY ALL ORDER BY failed DESC, warnings DESC"""),
    "v_document_summary": ("What was read and what the checks found. Grain: one row per document.", """
        SELECT d.doc_id, d.department, d.file_name, d.title, d.issuer, d.region_code, d.fiscal_year, d.report_kind, d.status,
               d.error, d.page_count,
               (SELECT count(*) FROM doc_tables t WHERE t.doc_id = d.doc_id) AS tables,
               (SELECT count(*) FROM claims c WHERE c.doc_id = d.doc_id) AS claims,
               (SELECT count(*) FROM facts f WHERE f.doc_id = d.doc_id) AS facts,
               (SELECT count(*) FROM indicators i WHERE i.doc_id = d.doc_id) AS indicators,
               (SELECT count(*) FROM checks k WHERE k.doc_id = d.doc_id AND k.status = 'fail') AS failed_checks
        FROM documents d"""),
}


def _priority_sql() -> str:
    """The statements' canonical priority (normalize/data/statements.toml) as a SQL expression."""
    from fiscaldocs.normalize.statements import OTHER, TEXT, vocabulary

    whens = " ".join(f"WHEN {_quote(st.id)} THEN {st.priority}" for st in (*vocabulary().statements, OTHER, TEXT))
    return f"CASE f.statement {whens} ELSE 100 END"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def literal(value) -> str:
    """A SQL literal for a str, int, datetime or None. For the few statements of a no-change run:
    DuckDB's Python binding imports pandas (~1 s) the first time a statement has parameters."""
    from datetime import datetime

    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime):
        return f"TIMESTAMP {_quote(value.isoformat(sep=' '))}"
    return _quote(str(value))


class SchemaMismatch(RuntimeError):
    pass


def schema_version(con: duckdb.DuckDBPyConnection) -> str | None:
    # Looked up rather than tried: a failed statement would end the transaction a DuckLake run writes in.
    tables = {r[0] for r in con.execute(
        "SELECT table_name FROM duckdb_tables() WHERE database_name = current_database()").fetchall()}
    if "warehouse_meta" not in tables:
        return None if not tables else "1"
    row = con.execute("SELECT value FROM warehouse_meta WHERE key = 'schema_version'").fetchone()
    return row[0] if row else None


# Schema migrations: older version → statements that bring it to the next. A migrated warehouse
# keeps its rows; documents whose stage versions are unknown are simply reprocessed next run.
# A step is a statement, or (table, statement) for one that applies only where the table exists (a
# warehouse migrated from further back may not have every table yet).
MIGRATIONS: dict[str, tuple[str, list[str | tuple[str, str]]]] = {
    "3": ("4", ["ALTER TABLE documents ADD COLUMN normalize_version VARCHAR",
                "ALTER TABLE documents ADD COLUMN audit_version VARCHAR"]),
    # 5: facts and indicators gain their dimensions (department, statement, fund_scope …), indicators
    # their row and column labels. They are
    # derived data: dropped (recreated empty) with the checks, and every document's normalize and
    # audit versions cleared, so the next run re-normalizes them from the staged extraction.
    "4": ("5", ["DROP VIEW IF EXISTS v_spending", "DROP VIEW IF EXISTS v_sangong",
                "DROP VIEW IF EXISTS v_medical_insurance_fund", "DROP VIEW IF EXISTS v_table_amounts",
                "DROP VIEW IF EXISTS v_document_summary", "DROP VIEW IF EXISTS v_check_failures",
                "DROP TABLE IF EXISTS facts", "DROP TABLE IF EXISTS indicators", "DROP TABLE IF EXISTS checks",
                "ALTER TABLE IF EXISTS doc_tables ADD COLUMN IF NOT EXISTS statement VARCHAR",
                ("documents", "UPDATE documents SET normalize_version = NULL, audit_version = NULL")]),
    # 6, additive: bboxes for the page view of a number's source; unsupported files of a run.
    # (IF EXISTS: a warehouse migrated from further back may not have every table yet.)
    "5": ("6", ["ALTER TABLE IF EXISTS text_blocks ADD COLUMN IF NOT EXISTS bbox DOUBLE[]",
                "ALTER TABLE IF EXISTS table_cells ADD COLUMN IF NOT EXISTS bbox DOUBLE[]",
                "ALTER TABLE IF EXISTS ingest_runs ADD COLUMN IF NOT EXISTS unsupported VARCHAR"]),
    # 7, additive: what each table gave (the loss report of issue 11).
    "6": ("7", ["ALTER TABLE IF EXISTS doc_tables ADD COLUMN IF NOT EXISTS numeric_cells INTEGER",
                "ALTER TABLE IF EXISTS doc_tables ADD COLUMN IF NOT EXISTS facts INTEGER",
                "ALTER TABLE IF EXISTS doc_tables ADD COLUMN IF NOT EXISTS notes VARCHAR[]"]),
    # 8, OCR (issue 13): the pages read by OCR, and a flag and confidence on everything read from them.
    "7": ("8", ["ALTER TABLE IF EXISTS documents ADD COLUMN IF NOT EXISTS ocr_pages INTEGER[]"]
               + [f"ALTER TABLE IF EXISTS {table} ADD COLUMN IF NOT EXISTS {col} {typ}"
                  for table in OCR_TABLES for col, typ, _ in OCR_COLUMNS]),
}


def create_schema(con: duckdb.DuckDBPyConnection, path: str = "warehouse", constraints: bool = True) -> None:
    """`constraints=False` for DuckLake, which has no PRIMARY KEY/UNIQUE: the loaders never rely on
    them (they delete before they insert)."""
    found = schema_version(con)
    while found in MIGRATIONS:
        found, statements = MIGRATIONS[found]
        for step in statements:
            table, statement = step if isinstance(step, tuple) else (None, step)
            if table is None or con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = ?",
                                            [table]).fetchone()[0]:
                con.execute(statement)
    if found not in (None, SCHEMA_VERSION):
        raise SchemaMismatch(f"{path}: built with warehouse schema {found}, this fiscaldocs writes schema "
                             f"{SCHEMA_VERSION}; ingest into a new file (--db) or move the old one away")
    digest = _digest(constraints)
    if found == SCHEMA_VERSION and _meta(con, "schema_digest") == digest:
        return  # tables, comments and views as this code writes them (on DuckLake each statement costs a round trip)
    key = " PRIMARY KEY" if constraints else ""
    con.execute(f"CREATE TABLE IF NOT EXISTS warehouse_meta (key VARCHAR{key}, value VARCHAR)")
    con.execute("DELETE FROM warehouse_meta WHERE key = 'schema_version'")
    con.execute("INSERT INTO warehouse_meta VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    for name, (comment, columns, constraint) in TABLES.items():
        cols = ",\n  ".join(f"{col} {typ if constraints else typ.removesuffix(' PRIMARY KEY')}"
                             for col, typ, _ in columns)
        extra = f",\n  {constraint}" if constraint and constraints else ""
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} (\n  {cols}{extra}\n)")
        con.execute(f"COMMENT ON TABLE {name} IS {_quote(comment)}")
        for col, _, col_comment in columns:
            con.execute(f"COMMENT ON COLUMN {name}.{col} IS {_quote(col_comment)}")
    for name, (comment, sql) in VIEWS.items():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS {sql.replace('{priority}', _priority_sql())}")
        con.execute(f"COMMENT ON VIEW {name} IS {_quote(comment)}")
    con.execute("DELETE FROM warehouse_meta WHERE key = 'schema_digest'")
    con.execute("INSERT INTO warehouse_meta VALUES ('schema_digest', ?)", [digest])


def is_current(con: duckdb.DuckDBPyConnection, constraints: bool = True) -> bool:
    """Whether the warehouse already has this code's schema (create_schema would change nothing)."""
    return schema_version(con) == SCHEMA_VERSION and _meta(con, "schema_digest") == _digest(constraints)


def _digest(constraints: bool) -> str:
    return hashlib.sha256(repr((TABLES, VIEWS, constraints)).encode()).hexdigest()[:16]


def _meta(con: duckdb.DuckDBPyConnection, key: str) -> str | None:
    row = con.execute(f"SELECT value FROM warehouse_meta WHERE key = {literal(key)}").fetchone()
    return row[0] if row else None
