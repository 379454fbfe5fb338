"""`fiscaldocs query` and `fiscaldocs schema` for people: one read-only SELECT on a locked
connection (warehouse/reader.py), its rows written as a table, CSV, JSON or Markdown, and the
documented schema (tables, views, columns and their COMMENTs)."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
from fiscaldocs.warehouse.reader import open_reader

FORMATS = ("table", "csv", "json", "markdown")
# Statements that only read: SELECT (WITH … SELECT included), and the catalog's own look-ups.
READING = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}


class QueryError(ValueError):
    """A query that cannot run, said in one line."""


@dataclass
class Result:
    columns: list[str]
    rows: list[tuple]


def run_query(db: Path | str, sql: str) -> Result:
    con = open_reader(db)
    try:
        try:
            statements = con.extract_statements(sql)
        except duckdb.Error as exc:
            raise QueryError(_one_line(exc)) from exc
        if len(statements) != 1:
            raise QueryError(f"give one statement, not {len(statements)}")
        if statements[0].type not in READING:
            raise QueryError(f"only SELECT queries are allowed (this is {statements[0].type.name}); "
                             "the warehouse is written by `fiscaldocs ingest` alone")
        try:
            cur = con.execute(sql)
            rows = cur.fetchall()
        except duckdb.Error as exc:
            raise QueryError(_one_line(exc)) from exc
        return Result([d[0] for d in cur.description], rows)
    finally:
        con.close()


def _one_line(exc: Exception) -> str:
    text = str(exc).strip()
    first = text.splitlines()[0] if text else type(exc).__name__
    # DuckDB adds "LINE 1: …" and a caret below; the first line says what is wrong.
    return first


def _plain(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _json_value(value):
    if isinstance(value, Decimal):
        return format(value, "f")  # exact: as a string, never a float
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _json_value(v) for k, v in value.items()}
    return value


def _width(text: str) -> int:
    """Columns on a terminal: CJK characters take two."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def render(result: Result, fmt: str) -> str:
    if fmt == "json":
        return json.dumps([{c: _json_value(v) for c, v in zip(result.columns, row, strict=True)}
                           for row in result.rows], ensure_ascii=False, indent=1) + "\n"
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(result.columns)
        writer.writerows([[_plain(v) for v in row] for row in result.rows])
        return out.getvalue()
    cells = [[_plain(v).replace("\n", " ") for v in row] for row in result.rows]
    if fmt == "markdown":
        def line(values):
            return "| " + " | ".join(v.replace("|", "\\|") for v in values) + " |"
        return "\n".join([line(result.columns), "|" + "---|" * len(result.columns)]
                         + [line(r) for r in cells]) + "\n"
    if fmt == "table":  # nothing truncated: wide values stay whole
        widths = [max([_width(c)] + [_width(r[i]) for r in cells]) for i, c in enumerate(result.columns)]

        def pad(values):
            return "  ".join(v + " " * (w - _width(v)) for v, w in zip(values, widths, strict=True)).rstrip()
        rule = "  ".join("-" * w for w in widths)
        tail = f"({len(cells)} row{'s' if len(cells) != 1 else ''})"
        return "\n".join([pad(result.columns), rule] + [pad(r) for r in cells] + [tail]) + "\n"
    raise QueryError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")


SCHEMA_SQL = """
SELECT table_name AS name, 'table' AS kind, comment FROM duckdb_tables() WHERE database_name = current_database()
UNION ALL
SELECT view_name, 'view', comment FROM duckdb_views() WHERE database_name = current_database() AND NOT internal
ORDER BY kind, name
"""


def describe(db: Path | str, table: str | None = None) -> Result:
    """Tables and views with their comments; with `table`, its columns, types and comments."""
    con = open_reader(db)
    try:
        if table is None:
            return Result(["name", "kind", "comment"], con.execute(SCHEMA_SQL).fetchall())
        rows = con.execute("SELECT column_name, data_type, comment FROM duckdb_columns() "
                           "WHERE database_name = current_database() AND table_name = ? ORDER BY column_index",
                           [table]).fetchall()
        if not rows:
            names = [r[0] for r in con.execute(SCHEMA_SQL).fetchall()]
            raise QueryError(f"no table or view {table!r}; there are: {', '.join(names)}")
        return Result(["column", "type", "comment"], rows)
    finally:
        con.close()
