"""Idempotent load of normalized Documents.

A document's rows are replaced in one transaction: a reload changes nothing, a failure never
leaves a partial document, and a source whose content changed (same path or URL, new sha256)
has its old document's rows replaced by the new one's.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import UTC, date, datetime

import duckdb
from fiscaldocs.normalize.categories import DATA, FILES
from fiscaldocs.normalize.facts import derive
from fiscaldocs.normalize.table_values import table_values

from fiscaldocs.model import Document, Status

DOC_TABLES = ("checks", "indicators", "facts", "claims", "table_cells", "doc_tables", "text_blocks", "documents")


@dataclass(frozen=True, slots=True)
class Source:
    path: str
    url: str | None = None

    @property
    def key(self) -> str:
        return self.url or self.path


def is_loaded(con: duckdb.DuckDBPyConnection, doc_id: str, extractor_version: str) -> bool:
    """Already loaded from this content with this extractor version: nothing to redo."""
    row = con.execute("SELECT 1 FROM documents WHERE doc_id = ? AND extractor_version = ? AND status = 'ok'",
                      [doc_id, extractor_version]).fetchone()
    return row is not None


def load_document(con: duckdb.DuckDBPyConnection, doc: Document, source: Source,
                  derived: tuple[list, list] | None = None) -> str:
    """Load (or reload) one document; returns new | changed | reloaded. `derived`: the document's
    (facts, indicators) when the caller has them."""
    doc_id = doc.meta.sha256
    con.execute("BEGIN TRANSACTION")
    try:
        previous = [r[0] for r in con.execute(
            "SELECT doc_id FROM documents WHERE coalesce(source_url, source_path) = ? AND doc_id <> ?",
            [source.key, doc_id]).fetchall()]
        existed = con.execute("SELECT 1 FROM documents WHERE doc_id = ?", [doc_id]).fetchone() is not None
        for old in [*previous, doc_id]:
            for table in DOC_TABLES:
                con.execute(f"DELETE FROM {table} WHERE doc_id = ?", [old])
        _insert(con, doc, source, derived)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return "changed" if previous else "reloaded" if existed else "new"


def _insert(con: duckdb.DuckDBPyConnection, doc: Document, source: Source,
            derived: tuple[list, list] | None) -> None:
    m, doc_id = doc.meta, doc.meta.sha256
    con.execute(
        "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [doc_id, source.url, source.path, m.file_name, m.file_type, m.title, m.issuer, m.department,
         m.region.code, m.region.province, m.region.city, m.region.county, m.fiscal_year,
         str(m.report_kind) if m.report_kind else None,
         date.fromisoformat(m.published_date) if m.published_date else None, m.page_count, m.producer,
         str(doc.status), doc.error, doc.extractor_version, datetime.now(UTC).replace(tzinfo=None)],
    )
    if doc.status is not Status.OK:
        return
    if m.region.code:
        con.execute("INSERT OR REPLACE INTO regions VALUES (?, ?, ?, ?)",
                    [m.region.code, m.region.province, m.region.city, m.region.county])
    _many(con, "text_blocks", [[doc_id, i, b.order, b.page, str(b.kind), b.text] for i, b in enumerate(doc.blocks)])
    _many(con, "doc_tables", [
        [doc_id, t.index, t.order, t.page, t.pages, t.title, t.unit, t.n_rows, t.n_cols, t.extractor,
         t.quality.score if t.quality else None, t.parent[0] if t.parent else None] for t in doc.tables])
    cells = []
    for t in doc.tables:
        values = {(v.row, v.col): v for v in table_values(t)}
        for c in t.cells:
            v = values.get((c.row, c.col))
            cells.append([doc_id, t.index, c.row, c.col, c.row_span, c.col_span,
                          t.row_pages[c.row] if c.row < len(t.row_pages) else None, c.text,
                          v.value if v else None, v.unit if v else None,
                          v.value_normalized if v else None, v.unit_normalized if v else None])
    _many(con, "table_cells", cells)
    facts, indicators = derived if derived is not None else derive(doc)
    fact_category = {f.claim_idx: f.category_code for f in facts + indicators if f.claim_idx is not None}
    _many(con, "claims", [
        [doc_id, i, c.page, c.block, c.start, c.end, c.sentence, c.text, c.subject, c.value, c.unit,
         c.value_normalized, c.unit_normalized, c.qualifier, c.year, c.change, fact_category.get(i)]
        for i, c in enumerate(doc.claims)])
    region = m.region.code
    _many(con, "facts", [
        [f.fact_id, doc_id, region, f.fiscal_year, f.period_year, f.phase, f.direction, f.budget_type,
         f.line_item, f.category_scheme, f.category_code, f.category_name, f.economic_code, f.amount,
         f.source_kind, f.table_id, f.row_idx, f.col_idx, f.claim_idx, f.page, f.column_header] for f in facts])
    _many(con, "indicators", [
        [f.fact_id, doc_id, region, f.fiscal_year, f.period_year, f.phase, f.line_item, f.category_code,
         f.amount, f.unit, f.source_kind, f.table_id, f.row_idx, f.col_idx, f.claim_idx, f.page]
        for f in indicators])


def load_categories(con: duckdb.DuckDBPyConnection) -> None:
    """The taxonomy dimension, replaced whole (it is data shipped with the code)."""
    rows = []
    for scheme, file in FILES.items():
        with (DATA / file).open(encoding="utf-8") as fh:
            rows += [[scheme, r["code"], r["level"], r["name"], r["parent_code"] or None,
                      int(r["valid_from"]) if r["valid_from"] else None,
                      int(r["valid_to"]) if r["valid_to"] else None] for r in csv.DictReader(fh)]
    con.execute("DELETE FROM categories")
    _many(con, "categories", rows)


def _many(con: duckdb.DuckDBPyConnection, table: str, rows: list[list]) -> None:
    """Bulk insert through a DataFrame scan (executemany is row by row: 50× slower). Object dtype
    keeps Decimals exact and NULLs NULL."""
    if not rows:
        return
    import pandas as pd

    frame = pd.DataFrame(rows, dtype=object)  # noqa: F841 - scanned by name below
    con.execute(f"INSERT INTO {table} SELECT * FROM frame")
