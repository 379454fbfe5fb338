"""Idempotent load of processed documents: the warehouse is a sink.

Every per-document stage (extraction, normalization, facts, audit) has already run when a
`Processed` document reaches here; loading only writes its rows. A document's rows are replaced in
one transaction: a reload changes nothing, a failure never leaves a partial document, and a source
whose content changed (same path or URL, new sha256) has its old document's rows replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

import duckdb

from fiscaldocs.model import Check, Processed, Status
from fiscaldocs.table_report import table_reports

# The OCR columns (schema.OCR_COLUMNS) are NULL-free flags and mostly-NULL confidences: typed.
OCR_CASTS = {"ocr": "BOOLEAN", "ocr_confidence": "DOUBLE"}
DOC_TABLES = ("checks", "indicators", "facts", "claims", "table_cells", "doc_tables", "text_blocks", "documents")
STAGES = ("extract", "normalize", "audit")


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    url: str | None = None

    @property
    def key(self) -> str:
        return self.url or self.path


def loaded_versions(con: duckdb.DuckDBPyConnection, doc_id: str) -> dict[str, str] | None:
    """The stage versions a successfully loaded document was produced by (None: not loaded)."""
    row = con.execute("SELECT extractor_version, normalize_version, audit_version FROM documents "
                      "WHERE doc_id = ? AND status = 'ok'", [doc_id]).fetchone()
    return dict(zip(STAGES, row, strict=True)) if row else None


def load_document(con: duckdb.DuckDBPyConnection, processed: Processed, source: Source,
                  in_transaction: bool = False) -> str:
    """Load (or reload) one processed document; returns new | changed | reloaded (see load_documents)."""
    return load_documents(con, [(processed, source)], in_transaction)[0]


def load_documents(con: duckdb.DuckDBPyConnection, batch: list[tuple[Processed, Source]],
                   in_transaction: bool = False) -> list[str]:
    """Load (or reload) a batch of processed documents, each new | changed | reloaded: one DELETE
    and one INSERT per table for the whole batch (a statement per document per table costs ~1 ms
    each on a file, a round trip each on DuckLake). Rows land in the order of a document-by-document
    load. `in_transaction`: the caller holds a transaction (a DuckLake run is one: its commit
    publishes the run, and a failure undoes all of it), else the batch gets its own. A batch must
    not hold one document or one source twice (the writer flushes before a repeat)."""
    own = not in_transaction
    if own:
        con.execute("BEGIN TRANSACTION")
    try:
        ids = [p.document.meta.sha256 for p, _ in batch]
        keys = [s.key for _, s in batch]
        previous: dict[str, list[str]] = {}
        for old, key in con.execute(
                "SELECT doc_id, coalesce(source_url, source_path) FROM documents "
                "WHERE coalesce(source_url, source_path) IN (SELECT unnest(?)) ORDER BY doc_id", [keys]).fetchall():
            previous.setdefault(key, []).append(old)
        existed = {r[0] for r in con.execute("SELECT doc_id FROM documents WHERE doc_id IN (SELECT unnest(?))",
                                             [ids]).fetchall()}
        actions, gone = [], []
        for doc_id, key in zip(ids, keys, strict=True):
            replaced = [old for old in previous.get(key, []) if old != doc_id]
            gone += [*replaced, doc_id]
            actions.append("changed" if replaced else "reloaded" if doc_id in existed else "new")
        for table in DOC_TABLES:
            con.execute(f"DELETE FROM {table} WHERE doc_id IN (SELECT unnest(?))", [gone])
        _insert(con, batch)
        if own:
            con.execute("COMMIT")
    except BaseException:  # undo, then let the error go on: nothing partial stays behind
        if own:
            con.execute("ROLLBACK")
        raise
    return actions


class _Rows:
    """Rows per table for one batch, written with one INSERT per table."""

    def __init__(self) -> None:
        self.tables: dict[str, list[list]] = {}

    def add(self, table: str, rows: list[list]) -> None:
        self.tables.setdefault(table, []).extend(rows)


def _insert(con: duckdb.DuckDBPyConnection, batch: list[tuple[Processed, Source]]) -> None:
    out = _Rows()
    regions: dict[str, list] = {}  # a region met again moves to the end, as delete + insert per document did
    checks: dict[str, list] = {}
    for processed, source in batch:
        _rows(processed, source, out, regions, checks)
    _many(con, "documents", out.tables.get("documents", []), {"ocr_pages": "INTEGER[]", "published_date": "DATE",
                                                              "ingested_at": "TIMESTAMP", "page_count": "INTEGER",
                                                              "fiscal_year": "INTEGER"})
    if regions:  # delete + insert, not INSERT OR REPLACE: DuckLake tables have no key to replace on
        con.execute("DELETE FROM regions WHERE region_code IN (SELECT unnest(?))", [list(regions)])
        _many(con, "regions", list(regions.values()))
    _many(con, "text_blocks", out.tables.get("text_blocks", []), {"bbox": "DOUBLE[]", **OCR_CASTS})
    _many(con, "doc_tables", out.tables.get("doc_tables", []), casts={"notes": "VARCHAR[]"})
    _many(con, "table_cells", out.tables.get("table_cells", []), {"bbox": "DOUBLE[]", **OCR_CASTS})
    _many(con, "claims", out.tables.get("claims", []), OCR_CASTS)
    _many(con, "facts", out.tables.get("facts", []), OCR_CASTS)
    _many(con, "indicators", out.tables.get("indicators", []), OCR_CASTS)
    _write_checks(con, checks)


def _rows(processed: Processed, source: Source, out: _Rows, regions: dict[str, list], checks: dict[str, list]) -> None:
    """One document's rows, appended to the batch's."""
    doc, versions = processed.document, processed.versions
    m, doc_id = doc.meta, doc.meta.sha256
    out.add("documents", [[
        doc_id, source.url, source.path, m.file_name, m.file_type, m.title, m.issuer, m.department,
        m.region.code, m.region.province, m.region.city, m.region.county, m.fiscal_year,
        str(m.report_kind) if m.report_kind else None,
        date.fromisoformat(m.published_date) if m.published_date else None, m.page_count, m.producer,
        str(doc.status), doc.error, versions.get("extract"), datetime.now(UTC).replace(tzinfo=None),
        versions.get("normalize"), versions.get("audit"), list(m.ocr_pages)]])
    if doc.status is not Status.OK:
        return
    if m.region.code:
        regions.pop(m.region.code, None)
        regions[m.region.code] = [m.region.code, m.region.province, m.region.city, m.region.county]
    out.add("text_blocks", [[doc_id, i, b.order, b.page, str(b.kind), b.text, _bbox(b.bbox), b.ocr, b.ocr_confidence]
                            for i, b in enumerate(doc.blocks)])
    out.add("doc_tables", [
        [doc_id, t.index, t.order, t.page, t.pages, t.title, t.unit, t.n_rows, t.n_cols, t.extractor,
         t.quality.score if t.quality else None, t.parent[0] if t.parent else None,
         processed.statements[i] if i < len(processed.statements) else None,
         r.numeric_cells, r.facts + r.indicators, r.notes]
        for i, (t, r) in enumerate(zip(doc.tables, table_reports(processed), strict=True))])
    cells = []
    for t, table_values in zip(doc.tables, processed.cell_values, strict=True):
        values = {(v.row, v.col): v for v in table_values}
        for c in t.cells:
            v = values.get((c.row, c.col))
            cells.append([doc_id, t.index, c.row, c.col, c.row_span, c.col_span,
                          t.row_pages[c.row] if c.row < len(t.row_pages) else None, c.text,
                          v.value if v else None, v.unit if v else None,
                          v.value_normalized if v else None, v.unit_normalized if v else None, _bbox(c.bbox),
                          c.ocr, c.ocr_confidence])
    out.add("table_cells", cells)
    facts, indicators = processed.facts, processed.indicators
    fact_category = {f.claim_idx: f.category_code for f in facts + indicators if f.claim_idx is not None}
    out.add("claims", [
        [doc_id, i, c.page, c.block, c.start, c.end, c.sentence, c.text, c.subject, c.value, c.unit,
         c.value_normalized, c.unit_normalized, c.qualifier, c.year, c.change, fact_category.get(i),
         c.ocr, c.ocr_confidence]
        for i, c in enumerate(doc.claims)])
    region = m.region.code
    out.add("facts", [
        [f.fact_id, doc_id, region, f.fiscal_year, f.period_year, f.phase, f.direction, f.budget_type,
         f.line_item, f.category_scheme, f.category_code, f.category_name, f.economic_code, f.amount,
         f.source_kind, f.table_id, f.row_idx, f.col_idx, f.claim_idx, f.page, f.column_header, *_dimensions(f),
         f.category_known, f.ocr, f.ocr_confidence] for f in facts])
    out.add("indicators", [
        [f.fact_id, doc_id, region, f.fiscal_year, f.period_year, f.phase, f.line_item, f.category_code,
         f.amount, f.unit, f.source_kind, f.table_id, f.row_idx, f.col_idx, f.claim_idx, f.page, *_dimensions(f),
         f.row_label, f.column_header, f.ocr, f.ocr_confidence] for f in indicators])
    for check_id, row in _check_rows(processed.checks).items():  # met in an earlier document: moves here
        checks.pop(check_id, None)
        checks[check_id] = row


def _dimensions(f) -> list:
    return [f.department, f.statement, f.fund_scope, f.fund, f.breakdown, f.level, f.row_role]


def _bbox(bbox) -> list[float] | None:
    return [round(float(v), 2) for v in bbox] if bbox else None


def insert_checks(con: duckdb.DuckDBPyConnection, checks: list[Check]) -> None:
    """In bulk; a check found twice (same id) is written once."""
    _write_checks(con, _check_rows(checks))


def _check_rows(checks: list[Check]) -> dict[str, list]:
    return {c.check_id: [c.check_id, c.doc_id, c.rule, c.status, c.message, c.expected, c.actual, c.tolerance,
                         c.provenance()] for c in checks}


def _write_checks(con: duckdb.DuckDBPyConnection, rows: dict[str, list]) -> None:
    if rows:
        con.execute("DELETE FROM checks WHERE check_id IN (SELECT unnest(?))", [list(rows)])
    _many(con, "checks", list(rows.values()), casts={"expected": "DECIMAL(38,6)", "actual": "DECIMAL(38,6)",
                                                      "tolerance": "DECIMAL(38,6)"})


def replace_categories(con: duckdb.DuckDBPyConnection, rows: list[list]) -> None:
    """The taxonomy dimension, replaced whole (it is data shipped with the normalize stage)."""
    con.execute("DELETE FROM categories")
    _many(con, "categories", rows)


def _many(con: duckdb.DuckDBPyConnection, table: str, rows: list[list], casts: dict[str, str] | None = None) -> None:
    """Bulk insert through a DataFrame scan (executemany is row by row: 50× slower). Object dtype
    keeps NULLs NULL; `casts` types columns whose values may all be NULL explicitly. DECIMAL
    columns travel as exact decimal text cast to the column's own type: DuckDB infers an object
    column's type from a sample of its rows, and a batch's later, larger amount would not fit the
    DECIMAL(p, s) inferred from its first ones (nor would a float ever be exact)."""
    if not rows:
        return
    import pandas as pd

    columns = con.execute(
        "SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name = ? ORDER BY column_index", [table]).fetchall()
    decimals = [i for i, (_, typ) in enumerate(columns) if typ.startswith("DECIMAL")]
    if decimals:
        rows = [list(r) for r in rows]
        for r in rows:
            for i in decimals:
                if r[i] is not None:
                    r[i] = format(r[i], "f") if isinstance(r[i], Decimal) else str(r[i])
    types = {c: typ for c, typ in columns if typ.startswith("DECIMAL")} | (casts or {})
    frame = pd.DataFrame(rows, columns=[c for c, _ in columns], dtype=object)  # noqa: F841 - scanned by name below
    select = ", ".join(f'CAST("{c}" AS {types[c]})' if c in types else f'"{c}"' for c, _ in columns)
    con.execute(f"INSERT INTO {table} SELECT {select} FROM frame")
