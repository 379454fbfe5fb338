"""Command line: a thin face over the extractors (and, later, the flows and the warehouse)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fiscaldocs.model import Status


def _cmd_extract(args: argparse.Namespace) -> int:
    from fiscaldocs.pipeline import process

    doc = process(Path(args.file))
    if args.json:
        json.dump(doc.to_json_dict(), sys.stdout, ensure_ascii=False, indent=None if args.compact else 1)
        sys.stdout.write("\n")
    else:
        m = doc.meta
        print(f"{m.file_name}: {doc.status} ({m.file_type}, {m.page_count or '?'} pages)")
        if doc.error:
            print(f"  error: {doc.error}")
        print(f"  title: {m.title}  year: {m.fiscal_year}  kind: {m.report_kind}")
        print(f"  {len(doc.blocks)} text blocks, {len(doc.tables)} tables")
        for t in doc.tables:
            q = f"{t.quality.score:.2f}" if t.quality else "-"
            print(f"  table {t.index}: pages {t.pages or '-'} {t.n_rows}x{t.n_cols} {t.extractor} q={q} "
                  f"title={t.title!r} unit={t.unit!r}")
    return 0 if doc.status is Status.OK else 1


OVERVIEW_SQL = """
SELECT d.title, d.fiscal_year, d.report_kind, d.file_type, d.page_count AS pages,
       count(DISTINCT t.table_id) AS tables, count(c.text) FILTER (WHERE c.text <> '') AS filled_cells
FROM documents d
LEFT JOIN doc_tables t USING (doc_id)
LEFT JOIN table_cells c ON c.doc_id = t.doc_id AND c.table_id = t.table_id
GROUP BY ALL ORDER BY d.fiscal_year, d.title, d.file_type
"""


def _cmd_ingest(args: argparse.Namespace) -> int:
    import duckdb

    from flows.local_ingest import ingest

    paths = [Path(p) for p in (args.paths or [DEFAULT_SOURCE])]
    summary = ingest(paths, Path(args.db))
    print(f"\n{sum(summary.statuses.values())} documents ({dict(summary.statuses)}), "
          f"{summary.pages} pages, {summary.tables} tables -> {args.db}")
    for failure in summary.failures:
        print(f"  failed: {failure}")
    with duckdb.connect(args.db, read_only=True) as con:
        print()
        con.sql(OVERVIEW_SQL).show(max_width=200)
    return 0 if summary.ok else 1


def _cmd_query(args: argparse.Namespace) -> int:
    import duckdb

    with duckdb.connect(args.db, read_only=True) as con:
        con.sql(args.sql).show(max_width=200, max_rows=args.max_rows)
    return 0


DEFAULT_SOURCE = Path("sample_docs")
DEFAULT_DB = "warehouse.duckdb"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fiscaldocs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="extract one PDF or Word file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the Document as one JSON object")
    p.add_argument("--compact", action="store_true", help="with --json: no indentation")
    p.set_defaults(func=_cmd_extract)
    for name, help_text in (("ingest", "extract files or folders into the DuckDB warehouse"),
                            ("run", "the main job: ingest sample_docs/ into ./warehouse.duckdb")):
        p = sub.add_parser(name, help=help_text)
        if name == "ingest":
            p.add_argument("paths", nargs="*", help="files or folders (default: sample_docs/)")
        else:
            p.set_defaults(paths=None)
        p.add_argument("--db", default=DEFAULT_DB, help=f"warehouse file (default: {DEFAULT_DB})")
        p.set_defaults(func=_cmd_ingest)
    p = sub.add_parser("query", help="run SQL against the warehouse")
    p.add_argument("sql")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--max-rows", type=int, default=100)
    p.set_defaults(func=_cmd_query)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
