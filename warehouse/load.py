"""Idempotent load of processed documents: the warehouse is a sink.

Every per-document stage (extraction, normalization, facts, audit) has already run when a
`Processed` document reaches here; loading only writes its rows (made by `rows.py`, usually in the
worker that processed it and staged beside the processed file). A document's rows are replaced in
one transaction: a reload changes nothing, a failure never leaves a partial document, and a source
whose content changed (same path or URL, new sha256) has its old document's rows replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import PurePath

import duckdb
from fiscaldocs.warehouse.rows import (
    FILE_NAME,
    INGESTED_AT,
    SOURCE_PATH,
    SOURCE_URL,
    TABLES,
    check_rows,
    document_rows,
)

from fiscaldocs.model import Check, Processed

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
    """`load_rows` of documents given as `Processed` (their rows made here, as a worker makes them)."""
    return load_rows(con, [(document_rows(p), s) for p, s in batch], in_transaction)


def load_rows(con: duckdb.DuckDBPyConnection, batch: list[tuple[dict, Source]], in_transaction: bool = False) -> list[str]:
    """Load (or reload) a batch of documents given as their rows (`rows.document_rows`, as staged by
    the workers), each new | changed | reloaded: one DELETE and one INSERT per table for the whole
    batch (a statement per document per table costs ~1 ms each on a file, a round trip each on
    DuckLake). Rows land in the order of a document-by-document load. `in_transaction`: the caller
    holds a transaction (a DuckLake run is one: its commit publishes the run, and a failure undoes
    all of it), else the batch gets its own. A batch must not hold one document or one source twice
    (the writer flushes before a repeat)."""
    own = not in_transaction
    if own:
        con.execute("BEGIN TRANSACTION")
    try:
        ids = [r["header"]["doc_id"] for r, _ in batch]
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


def _insert(con: duckdb.DuckDBPyConnection, batch: list[tuple[dict, Source]]) -> None:
    tables: dict[str, list[list]] = {t: [] for t in TABLES}
    regions: dict[str, list] = {}  # a region met again moves to the end, as delete + insert per document did
    checks: dict[str, list] = {}
    for doc_rows, source in batch:
        document = list(doc_rows["tables"]["documents"][0])  # the load's own values filled in
        document[SOURCE_URL], document[SOURCE_PATH] = source.url, source.path
        # the name of the file loaded: a staged result is shared by every copy of the same bytes
        document[FILE_NAME] = PurePath(source.path).name
        document[INGESTED_AT] = datetime.now(UTC).replace(tzinfo=None)
        tables["documents"].append(document)
        for table in TABLES[1:]:
            tables[table] += doc_rows["tables"].get(table, [])
        if region := doc_rows["region"]:
            regions.pop(region[0], None)
            regions[region[0]] = region
        for row in doc_rows["checks"]:  # met in an earlier document: moves here
            checks.pop(row[0], None)
            checks[row[0]] = row
    _many(con, "documents", tables["documents"], {"ocr_pages": "INTEGER[]", "published_date": "DATE",
                                                  "ingested_at": "TIMESTAMP", "page_count": "INTEGER",
                                                  "fiscal_year": "INTEGER"})
    if regions:  # delete + insert, not INSERT OR REPLACE: DuckLake tables have no key to replace on
        con.execute("DELETE FROM regions WHERE region_code IN (SELECT unnest(?))", [list(regions)])
        _many(con, "regions", list(regions.values()))
    _many(con, "text_blocks", tables["text_blocks"], {"bbox": "DOUBLE[]", **OCR_CASTS})
    _many(con, "doc_tables", tables["doc_tables"], casts={"notes": "VARCHAR[]"})
    _many(con, "table_cells", tables["table_cells"], {"bbox": "DOUBLE[]", **OCR_CASTS})
    _many(con, "claims", tables["claims"], OCR_CASTS)
    _many(con, "facts", tables["facts"], OCR_CASTS)
    _many(con, "indicators", tables["indicators"], OCR_CASTS)
    _write_checks(con, checks)


def insert_checks(con: duckdb.DuckDBPyConnection, checks: list[Check]) -> None:
    """In bulk; a check found twice (same id) is written once."""
    _write_checks(con, check_rows(checks))


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
