"""The OCR columns (schema 8): a warehouse of schema 7 gets them in place, rows kept."""

from __future__ import annotations

import duckdb
from fiscaldocs.warehouse.publish import staged
from fiscaldocs.warehouse.schema import OCR_TABLES, TABLES


def test_schema_7_warehouse_gains_the_ocr_columns(tmp_path):
    db = tmp_path / "v7.duckdb"
    with duckdb.connect(str(db)) as con:  # schema 7 as it was: today's tables without the OCR columns
        con.execute("CREATE TABLE warehouse_meta (key VARCHAR PRIMARY KEY, value VARCHAR)")
        con.execute("INSERT INTO warehouse_meta VALUES ('schema_version', '7')")
        for name in ("documents", "facts"):
            columns = [(c, t) for c, t, _ in TABLES[name][1] if c not in ("ocr", "ocr_confidence", "ocr_pages")]
            con.execute(f"CREATE TABLE {name} ({', '.join(f'{c} {t}' for c, t in columns)})")
        con.execute("INSERT INTO facts (fact_id, doc_id, amount_yuan) VALUES ('f1', 'd1', 12.5)")
    with staged(db):
        pass
    with duckdb.connect(str(db), read_only=True) as con:
        for name in OCR_TABLES:
            cols = [r[0] for r in con.execute("SELECT column_name FROM duckdb_columns() WHERE table_name = ? "
                                              "ORDER BY column_index", [name]).fetchall()]
            assert cols == [c for c, _, _ in TABLES[name][1]], name  # same order as a new warehouse
        assert con.execute("SELECT fact_id, amount_yuan, ocr FROM facts").fetchall() == [("f1", 12.5, None)]
        assert "ocr_pages" in [r[0] for r in con.execute("DESCRIBE documents").fetchall()]
