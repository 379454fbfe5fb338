"""Command line: a thin face over the extractors (and, later, the flows and the warehouse)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from fiscaldocs.model import Status


def _cmd_extract(args: argparse.Namespace) -> int:
    from extractors import extract

    doc = extract(Path(args.file))
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fiscaldocs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="extract one PDF or Word file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the Document as one JSON object")
    p.add_argument("--compact", action="store_true", help="with --json: no indentation")
    p.set_defaults(func=_cmd_extract)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
