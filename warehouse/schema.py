"""Warehouse schema as code, documented in the database itself (COMMENT ON).

This is the raw-extraction layer: documents, their text blocks, tables and cells, kept for
provenance and re-processing. Normalized facts build on it.
"""

from __future__ import annotations

import duckdb

TABLES: dict[str, tuple[str, dict[str, str], str]] = {
    "documents": (
        "One row per extracted file, keyed by the sha256 of its content.",
        {
            "doc_id": "VARCHAR PRIMARY KEY",
            "file_name": "VARCHAR",
            "source_path": "VARCHAR",
            "file_type": "VARCHAR",
            "title": "VARCHAR",
            "fiscal_year": "INTEGER",
            "report_kind": "VARCHAR",
            "page_count": "INTEGER",
            "producer": "VARCHAR",
            "status": "VARCHAR",
            "error": "VARCHAR",
            "extractor_version": "VARCHAR",
            "ingested_at": "TIMESTAMP",
        },
        "",
    ),
    "text_blocks": (
        "Paragraphs, headings and titles in reading order.",
        {
            "doc_id": "VARCHAR",
            "block_idx": "INTEGER",
            "reading_order": "INTEGER",
            "page": "INTEGER",
            "kind": "VARCHAR",
            "text": "VARCHAR",
        },
        "PRIMARY KEY (doc_id, block_idx)",
    ),
    "doc_tables": (
        "Tables as extracted: caption, declared unit, pages, parser and its quality score.",
        {
            "doc_id": "VARCHAR",
            "table_id": "INTEGER",
            "reading_order": "INTEGER",
            "first_page": "INTEGER",
            "pages": "INTEGER[]",
            "title": "VARCHAR",
            "unit": "VARCHAR",
            "n_rows": "INTEGER",
            "n_cols": "INTEGER",
            "extractor": "VARCHAR",
            "quality": "DOUBLE",
            "parent_table_id": "INTEGER",
        },
        "PRIMARY KEY (doc_id, table_id)",
    ),
    "table_cells": (
        "Every cell of every table with its span and page: the provenance of every table number.",
        {
            "doc_id": "VARCHAR",
            "table_id": "INTEGER",
            "row_idx": "INTEGER",
            "col_idx": "INTEGER",
            "row_span": "INTEGER",
            "col_span": "INTEGER",
            "page": "INTEGER",
            "text": "VARCHAR",
        },
        "PRIMARY KEY (doc_id, table_id, row_idx, col_idx)",
    ),
}

COLUMN_COMMENTS = {
    "documents.doc_id": "sha256 of the file content: the same file is one document wherever it came from",
    "documents.status": "ok | needs_ocr | error",
    "documents.error": "why the file could not be read, naming the file",
    "documents.fiscal_year": "the year the report is about (from its title)",
    "documents.report_kind": "budget | final_accounts | performance_self_evaluation | "
                             "project_self_evaluation | fiscal_evaluation | other",
    "text_blocks.page": "1-based page; NULL for Word files, which have no fixed pages",
    "doc_tables.pages": "every page the table's rows are printed on (a table continued over pages is one table)",
    "doc_tables.unit": "the unit the caption declares (单位：万元 → 万元)",
    "doc_tables.quality": "the parser's score: share of printed characters placed in cells, weighted by fill",
    "doc_tables.parent_table_id": "for a table nested in a Word table cell, the table holding it",
    "table_cells.text": "cell text as printed; a merged cell appears once, at its top-left slot",
    "table_cells.page": "page the cell is printed on",
}


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    for name, (comment, columns, constraint) in TABLES.items():
        cols = ",\n  ".join(f"{col} {typ}" for col, typ in columns.items())
        extra = f",\n  {constraint}" if constraint else ""
        con.execute(f"CREATE TABLE IF NOT EXISTS {name} (\n  {cols}{extra}\n)")
        con.execute(f"COMMENT ON TABLE {name} IS {_quote(comment)}")
    for key, comment in COLUMN_COMMENTS.items():
        con.execute(f"COMMENT ON COLUMN {key} IS {_quote(comment)}")
