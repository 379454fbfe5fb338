"""Idempotent load of extracted Documents: a document's rows are replaced in one transaction, so
a reload changes nothing and a failure never leaves a partial document."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from fiscaldocs.model import Document


def load_document(con: duckdb.DuckDBPyConnection, doc: Document, source_path: str) -> None:
    doc_id = doc.meta.sha256
    m = doc.meta
    con.execute("BEGIN TRANSACTION")
    try:
        for table in ("table_cells", "doc_tables", "text_blocks", "documents"):
            con.execute(f"DELETE FROM {table} WHERE doc_id = ?", [doc_id])
        con.execute(
            "INSERT INTO documents VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [doc_id, m.file_name, source_path, m.file_type, m.title, m.fiscal_year,
             str(m.report_kind) if m.report_kind else None, m.page_count, m.producer, str(doc.status),
             doc.error, doc.extractor_version, datetime.now(UTC).replace(tzinfo=None)],
        )
        _insert_many(
            con, "INSERT INTO text_blocks VALUES (?, ?, ?, ?, ?, ?)",
            [[doc_id, i, b.order, b.page, str(b.kind), b.text] for i, b in enumerate(doc.blocks)],
        )
        _insert_many(
            con, "INSERT INTO doc_tables VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [[doc_id, t.index, t.order, t.page, t.pages, t.title, t.unit, t.n_rows, t.n_cols, t.extractor,
              t.quality.score if t.quality else None, t.parent[0] if t.parent else None] for t in doc.tables],
        )
        _insert_many(
            con, "INSERT INTO table_cells VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [[doc_id, t.index, c.row, c.col, c.row_span, c.col_span,
              t.row_pages[c.row] if c.row < len(t.row_pages) else None, c.text]
             for t in doc.tables for c in t.cells],
        )
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def _insert_many(con: duckdb.DuckDBPyConnection, sql: str, rows: list[list]) -> None:
    if rows:  # duckdb rejects executemany with no parameter sets
        con.executemany(sql, rows)
