"""A processed document's warehouse rows, as plain JSON values: a pure function of `Processed`.

Workers run it right after the last stage and stage its result beside the processed file, so the
single writer only parses JSON and inserts (decoding staged dataclasses dominated its time). No
DuckDB here: workers import it. Values are what `load._many` inserts: Decimal as its exact decimal
text (cast to the column's DECIMAL type on insert, never a float), dates as ISO text; the values
that depend on the load (source path and URL, ingested_at) are left for the writer to fill.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from fiscaldocs.model import Check, Processed, Status
from fiscaldocs.table_report import table_reports

# Per-document tables, in the order the writer inserts them (regions and checks are merged across
# a batch: a region or check met again moves to the end, as a document-by-document load did).
TABLES = ("documents", "text_blocks", "doc_tables", "table_cells", "claims", "facts", "indicators")
# Positions in a `documents` row the writer fills at load time.
SOURCE_URL, SOURCE_PATH, FILE_NAME, INGESTED_AT = 1, 2, 3, 20


def document_rows(processed: Processed) -> dict:
    """{"header": what the run's outcome needs, "tables": {table: rows}, "region": row | None,
    "checks": rows (one per check id)} — JSON-plain throughout."""
    doc, versions = processed.document, processed.versions
    m, doc_id = doc.meta, doc.meta.sha256
    header = {"doc_id": doc_id, "status": str(doc.status), "error": doc.error, "versions": dict(versions),
              "tables": len(doc.tables), "claims": len(doc.claims), "facts": len(processed.facts)}
    tables: dict[str, list[list]] = {"documents": [[
        doc_id, None, None, m.file_name, m.file_type, m.title, m.issuer, m.department,
        m.region.code, m.region.province, m.region.city, m.region.county, m.fiscal_year,
        str(m.report_kind) if m.report_kind else None,
        date.fromisoformat(m.published_date).isoformat() if m.published_date else None, m.page_count, m.producer,
        str(doc.status), doc.error, versions.get("extract"), None,
        versions.get("normalize"), versions.get("audit"), list(m.ocr_pages)]]}
    out = {"header": header, "tables": tables, "region": None, "checks": []}
    if doc.status is not Status.OK:
        return out
    if m.region.code:
        out["region"] = [m.region.code, m.region.province, m.region.city, m.region.county]
    tables["text_blocks"] = [[doc_id, i, b.order, b.page, str(b.kind), b.text, bbox(b.bbox), b.ocr, b.ocr_confidence]
                             for i, b in enumerate(doc.blocks)]
    tables["doc_tables"] = [
        [doc_id, t.index, t.order, t.page, list(t.pages), t.title, t.unit, t.n_rows, t.n_cols, t.extractor,
         t.quality.score if t.quality else None, t.parent[0] if t.parent else None,
         processed.statements[i] if i < len(processed.statements) else None,
         r.numeric_cells, r.facts + r.indicators, list(r.notes)]
        for i, (t, r) in enumerate(zip(doc.tables, table_reports(processed), strict=True))]
    cells = []
    for t, table_values in zip(doc.tables, processed.cell_values, strict=True):
        values = {(v.row, v.col): v for v in table_values}
        for c in t.cells:
            v = values.get((c.row, c.col))
            cells.append([doc_id, t.index, c.row, c.col, c.row_span, c.col_span,
                          t.row_pages[c.row] if c.row < len(t.row_pages) else None, c.text,
                          v.value if v else None, v.unit if v else None,
                          _exact(v.value_normalized) if v else None, v.unit_normalized if v else None, bbox(c.bbox),
                          c.ocr, c.ocr_confidence])
    tables["table_cells"] = cells
    facts, indicators = processed.facts, processed.indicators
    fact_category = {f.claim_idx: f.category_code for f in facts + indicators if f.claim_idx is not None}
    tables["claims"] = [
        [doc_id, i, c.page, c.block, c.start, c.end, c.sentence, c.text, c.subject, c.value, c.unit,
         _exact(c.value_normalized), c.unit_normalized, c.qualifier, c.year, c.change, fact_category.get(i),
         c.ocr, c.ocr_confidence]
        for i, c in enumerate(doc.claims)]
    region = m.region.code
    tables["facts"] = [
        [f.fact_id, doc_id, region, f.fiscal_year, f.period_year, f.phase, f.direction, f.budget_type,
         f.line_item, f.category_scheme, f.category_code, f.category_name, f.economic_code, _exact(f.amount),
         f.source_kind, f.table_id, f.row_idx, f.col_idx, f.claim_idx, f.page, f.column_header, *_dimensions(f),
         f.category_known, f.ocr, f.ocr_confidence] for f in facts]
    tables["indicators"] = [
        [f.fact_id, doc_id, region, f.fiscal_year, f.period_year, f.phase, f.line_item, f.category_code,
         _exact(f.amount), f.unit, f.source_kind, f.table_id, f.row_idx, f.col_idx, f.claim_idx, f.page,
         *_dimensions(f), f.row_label, f.column_header, f.ocr, f.ocr_confidence] for f in indicators]
    out["checks"] = list(check_rows(processed.checks).values())
    return out


def check_rows(checks: list[Check]) -> dict[str, list]:
    """One row per check id (a check found twice is written once)."""
    return {c.check_id: [c.check_id, c.doc_id, c.rule, c.status, c.message, _exact(c.expected), _exact(c.actual),
                         _exact(c.tolerance), c.provenance()] for c in checks}


def bbox(box) -> list[float] | None:
    return [round(float(v), 2) for v in box] if box else None


def _dimensions(f) -> list:
    return [f.department, f.statement, f.fund_scope, f.fund, f.breakdown, f.level, f.row_role]


def _exact(value):
    """A value bound for a DECIMAL column, as the exact text `load._many` casts from."""
    if value is None:
        return None
    return format(value, "f") if isinstance(value, Decimal) else str(value)
