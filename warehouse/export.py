"""Parquet export of the warehouse, hive-partitioned by year, for tools that do not speak DuckDB."""

from __future__ import annotations

from pathlib import Path

import duckdb

# table → partition column (None: one file)
EXPORTS = {
    "documents": "fiscal_year", "facts": "period_year", "indicators": "period_year", "claims": None,
    "doc_tables": None, "table_cells": None, "checks": None, "regions": None, "categories": None,
}


def export_parquet(con: duckdb.DuckDBPyConnection, out: Path) -> dict[str, int]:
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    counts = {}
    for table, partition in EXPORTS.items():
        target = out / table
        counts[table] = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if partition:
            con.execute(f"COPY (SELECT *, coalesce({partition}, 0) AS year FROM {table}) TO '{target}' "
                        "(FORMAT parquet, PARTITION_BY (year), OVERWRITE_OR_IGNORE)")
        else:
            target.mkdir(exist_ok=True)
            con.execute(f"COPY {table} TO '{target / 'data.parquet'}' (FORMAT parquet)")
    return counts
