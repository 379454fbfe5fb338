"""Command line: a thin face over the flows and the warehouse."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from fiscaldocs.model import Status
from fiscaldocs.sample_docs import documents as sample_documents

DEFAULT_DB = "warehouse.duckdb"


def default_inputs() -> list[str]:
    """The embedded default corpus, shipped in the wheel: the main job runs wherever fiscaldocs is
    installed."""
    return [str(p) for p in sample_documents()]


OVERVIEW_SQL = """
SELECT coalesce(d.county, d.city) AS region, f.department, f.period_year AS year, f.category_name AS item,
       f.phase, f.fund_scope, CAST(f.amount_yuan * 0.0001 AS DECIMAL(20, 4)) AS "万元",
       f.statement AS stated_in, f.n_printed AS printed
FROM v_canonical_facts f JOIN documents d USING (doc_id)
WHERE f.category_code IN ('expenditure.basic', 'expenditure.project', 'expenditure.basic.personnel',
                          'expenditure.basic.public', 'sangong.total', 'agency_operation')
  AND f.direction = 'expenditure' AND f.breakdown = 'total'
ORDER BY region, f.department, year, item, f.phase, f.fund_scope
"""


def _quiet_prefect() -> None:
    # Must be set before prefect is imported: no analytics, no chatter on the console.
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    os.environ.setdefault("PREFECT_LOGGING_TO_API_WHEN_MISSING_FLOW", "ignore")
    # The temporary API server migrates a fresh database on its first start: Prefect's 20 s are
    # too short on a busy 2-core machine (the tests' harness allows 120 s too).
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")


def _cmd_extract(args: argparse.Namespace) -> int:
    from fiscaldocs.extractors import extract
    from fiscaldocs.pipeline import finish
    from fiscaldocs.table_report import table_reports

    processed = finish(extract(Path(args.file)))
    doc, checks = processed.document, processed.checks
    reports = table_reports(processed) if doc.status is Status.OK else []
    if args.json:
        data = doc.to_json_dict()
        data["document"]["audit_version"] = processed.versions["audit"]
        for table, report in zip(data["tables"], reports, strict=False):
            table["report"] = report.as_dict()
        data["lost_tables"] = [r.index for r in reports if r.lost]
        data["checks"] = [c.as_dict() for c in checks]
        json.dump(data, sys.stdout, ensure_ascii=False, indent=None if args.compact else 1)
        sys.stdout.write("\n")
    else:
        m = doc.meta
        print(f"{m.file_name}: {doc.status} ({m.file_type}, {m.page_count or '?'} pages)")
        if doc.error:
            print(f"  error: {doc.error}")
        print(f"  title: {m.title}  year: {m.fiscal_year}  kind: {m.report_kind}")
        print(f"  issuer: {m.issuer}  department: {m.department}  region: {m.region.code} "
              f"{m.region.province or ''}{m.region.city or ''}{m.region.county or ''}")
        print(f"  {len(doc.blocks)} text blocks, {len(doc.tables)} tables, {len(doc.claims)} claims")
        failed = [c for c in checks if c.status in ("fail", "warn")]
        print(f"  checks: {len(checks)}, {len(failed)} failed or doubtful")
        for c in failed:
            print(f"    {c.status}: {c.rule}: {c.message}")
        for t, r in zip(doc.tables, reports, strict=False):
            q = f"{r.score:.2f}" if r.score is not None else "-"
            print(f"  table {t.index}: pages {r.pages or '-'} {t.n_rows}x{t.n_cols} {r.parser} score={q} "
                  f"numbers={r.numeric_cells} facts={r.facts + r.indicators} title={t.title!r} unit={t.unit!r}")
            for note in r.notes:
                print(f"    {note}")
        lost = [r for r in reports if r.lost]
        if lost:
            print(f"  {len(lost)} table(s) hold numbers but produced no facts:")
            for r in lost:
                print(f"    table {r.index} (pages {r.pages}, {r.numeric_cells} numbers, {r.parser}): {r.title!r}")
    return 0 if doc.status is Status.OK else 1


def _cmd_ingest(args: argparse.Namespace) -> int:
    from fiscaldocs.flows.changes import DEFAULT_WORKDIR, quiet_run
    from fiscaldocs.sources import missing_inputs
    from fiscaldocs.warehouse.runs import RunSummary

    crawl_urls = getattr(args, "crawl_urls", None)
    inputs = args.paths or ([] if args.sources or crawl_urls else default_inputs())
    missing = missing_inputs(inputs)
    if missing and len(missing) == len(inputs) and not (args.sources or crawl_urls):
        # nothing to ingest: say so, and do not create an empty warehouse
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)} (nothing ingested, {args.db} untouched)")
    # A night with nothing new is answered here, without starting Prefect; the flow runs only for work.
    result = None if crawl_urls else quiet_run(inputs, args.sources, args.db, DEFAULT_WORKDIR,
                                               getattr(args, "wait", False))
    if result is None:
        _quiet_prefect()
        from fiscaldocs.flows.cluster import ClusterUnavailable
        from fiscaldocs.flows.ingest import ingest_flow

        try:
            result = ingest_flow(inputs=inputs, sources_file=args.sources, db=args.db, crawl_urls=crawl_urls,
                                 wait=getattr(args, "wait", False), cluster=getattr(args, "cluster", None),
                                 batch_size=getattr(args, "batch_size", None))
        except ClusterUnavailable as exc:  # before anything was processed or loaded
            print(f"fiscaldocs: {exc} (nothing ingested, {args.db} untouched)", file=sys.stderr)
            return 2
    if "error" in result:  # the warehouse could not be written: one line, the live file untouched
        print(f"fiscaldocs: {result['error']}", file=sys.stderr)
        return 2
    summary = RunSummary.from_dict(result)
    print(f"\nrun {summary.run_id}: {len(summary.outcomes)} files — new {summary.count('new')}, "
          f"changed {summary.count('changed')}, reloaded {summary.count('reloaded')}, "
          f"skipped (unchanged) {summary.count('skipped')}, failed {summary.failed} -> {args.db}")
    for o in summary.outcomes:
        if o.status != "ok":
            print(f"  {o.status}: {o.error}")
    for problem in summary.problems:
        print(f"  error: {problem}")
    if summary.unsupported:
        print(f"  {len(summary.unsupported)} files not ingested (not PDF or Word; also in ingest_runs.unsupported):")
        for line in summary.unsupported:
            print(f"    {line}")
    _print_fetch_failures(args.db, summary.run_id)
    from fiscaldocs.warehouse.backends import read_only

    with read_only(args.db) as con:
        print("\nKey spending figures by region and year (one document per report; `fiscaldocs query` for more):")
        con.sql(OVERVIEW_SQL).show(max_width=160)
    if args.report:
        from fiscaldocs.dashboard.report import write_report

        write_report(Path(args.db), Path(args.report))
        print(f"report: {args.report}")
    return 1 if summary.failed else 0


def _print_fetch_failures(db: str, run_id: str) -> None:
    from fiscaldocs.warehouse.backends import read_only

    with read_only(db) as con:
        failed = con.execute("SELECT url, error FROM fetches WHERE status IN ('error', 'skipped') ORDER BY url").fetchall()
    if failed:
        print(f"  {len(failed)} URLs not fetched (see the fetches table):")
        for url, error in failed:
            print(f"    {url}: {error}")


def _write(text: str, output: str | None) -> None:
    if output:
        Path(output).write_text(text, encoding="utf-8")
        print(f"wrote {output}", file=sys.stderr)
    else:
        sys.stdout.write(text)


def _cmd_query(args: argparse.Namespace) -> int:
    from fiscaldocs.warehouse.query import render, run_query

    _write(render(run_query(args.db, args.sql), args.format), args.output)
    return 0


def _cmd_schema(args: argparse.Namespace) -> int:
    from fiscaldocs.warehouse.query import describe, render

    _write(render(describe(args.db, args.table), args.format), args.output)
    return 0


def _cmd_dashboard(args: argparse.Namespace) -> int:
    from fiscaldocs.dashboard.launch import launch

    return launch(Path(args.db), port=args.port, host=args.host)


def _cmd_report(args: argparse.Namespace) -> int:
    from fiscaldocs.dashboard.report import write_report

    write_report(Path(args.db), Path(args.out))
    print(f"wrote {args.out}")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from fiscaldocs.warehouse.backends import read_only

    with read_only(args.db) as con:
        print("Last runs:")
        con.sql("SELECT run_id, started_at, finished_at - started_at AS took, seen, new, changed, skipped, failed "
                "FROM ingest_runs ORDER BY started_at DESC LIMIT 10").show(max_width=160)
        print("Documents:")
        con.sql("SELECT status, report_kind, count(*) AS documents, sum(page_count) AS pages FROM documents "
                "GROUP BY ALL ORDER BY ALL").show(max_width=160)
        failures = con.execute("SELECT file_name, error FROM documents WHERE status <> 'ok' ORDER BY file_name").fetchall()
        print(f"Failures: {len(failures)}")
        for name, error in failures:
            print(f"  {name}: {error}")
    return 0


def _cmd_checks(args: argparse.Namespace) -> int:
    from fiscaldocs.warehouse.backends import read_only

    where, params = [], []
    if args.failed:
        where.append("k.status IN ('fail', 'warn')")
    if args.doc:
        where.append("(k.doc_id LIKE ? OR d.file_name = ?)")
        params += [args.doc + "%", args.doc]
    sql = ("SELECT d.file_name, k.rule, k.status, k.message FROM checks k JOIN documents d USING (doc_id)"
           + (" WHERE " + " AND ".join(where) if where else "")
           + " ORDER BY d.file_name, CASE k.status WHEN 'fail' THEN 0 WHEN 'warn' THEN 1 ELSE 2 END, k.rule")
    with read_only(args.db) as con:
        rows = con.execute(sql, params).fetchall()
    current = None
    for name, rule, status, message in rows:
        if name != current:
            print(f"\n{name}")
            current = name
        print(f"  {status:<7} {rule:<17} {message}")
    print(f"\n{len(rows)} checks")
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from fiscaldocs.warehouse.backends import read_only
    from fiscaldocs.warehouse.export import export_parquet

    with read_only(args.db) as con:
        counts = export_parquet(con, Path(args.dir))
    for table, n in counts.items():
        print(f"{table:12} {n:8d} rows -> {Path(args.dir) / table}")
    return 0


def _cmd_maintain(args: argparse.Namespace) -> int:
    from fiscaldocs.warehouse.maintenance import Policy, maintain, render

    policy = Policy(expire_older_than=args.expire_older_than, delete_older_than=args.delete_older_than,
                    rewrite_delete_threshold=args.rewrite_delete_threshold)
    report = maintain(args.db, policy, wait=args.wait, on_wait=lambda msg: print(msg, file=sys.stderr))
    sys.stdout.write(render(report))
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    _quiet_prefect()
    from fiscaldocs.flows.serve import serve_nightly

    return serve_nightly(cron=args.cron, timezone=args.timezone, inputs=args.paths or default_inputs(),
                         sources_file=args.sources, db=args.db, log_file=args.log)


def _warehouse_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", "--warehouse", dest="db", default=None,
                   help=f"the warehouse: a DuckDB file (default: {DEFAULT_DB}, or the sources file's `warehouse`) "
                        "or ducklake:postgres:<libpq settings> [data_path=<folder>] (README: DuckLake on PostgreSQL)")


def _resolve_warehouse(args: argparse.Namespace) -> None:
    """--db, else the sources file's `warehouse`, else the embedded DuckDB file."""
    if getattr(args, "db", "") is None:
        from fiscaldocs.sources import read_sources_file

        sources = getattr(args, "sources", None)
        args.db = (read_sources_file(Path(sources)).warehouse if sources else None) or DEFAULT_DB


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fiscaldocs", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="extract one PDF or Word file")
    p.add_argument("file")
    p.add_argument("--json", action="store_true", help="print the Document as one JSON object")
    p.add_argument("--compact", action="store_true", help="with --json: no indentation")
    p.set_defaults(func=_cmd_extract)
    for name, help_text in (("ingest", "ingest files, folders or URLs into the warehouse (a Prefect flow)"),
                            ("run", "the main job: ingest sample_docs/ into ./warehouse.duckdb")):
        p = sub.add_parser(name, help=help_text)
        if name == "ingest":
            p.add_argument("paths", nargs="*", help="files, folders or URLs (default: the bundled sample_docs/)")
            p.add_argument("--sources", help="a sources file (TOML)")
        else:
            p.set_defaults(paths=None, sources=None)
        _warehouse_option(p)
        p.add_argument("--report", metavar="OUT.html", help="after the run, write the static HTML report there")
        p.add_argument("--wait", action="store_true", help="wait for another run writing the warehouse to finish "
                                                           "instead of failing")
        p.add_argument("--cluster", metavar="ADDRESS",
                       help="process on this Dask cluster (tcp://scheduler:8786; default: the sources file's "
                            "`cluster`, else FISCALDOCS_CLUSTER, else locally). Needs fiscaldocs[cluster] and a "
                            "staging folder on shared storage (README: Prefect on Dask)")
        p.add_argument("--batch-size", type=int, metavar="N",
                       help="documents per Prefect task at most (default: 8 with --cluster, 32 locally)")
        p.set_defaults(func=_cmd_ingest)
    p = sub.add_parser("crawl", help="crawl a portal page once (same host, attachments of any supported "
                                     "type) and ingest what it finds")
    p.add_argument("crawl_urls", nargs="+", metavar="URL")
    _warehouse_option(p)
    p.set_defaults(func=_cmd_ingest, paths=None, sources=None, report=None)
    from fiscaldocs.warehouse.query import FORMATS

    p = sub.add_parser("query", help="run one SELECT against the warehouse (read-only; no files, no ATTACH)")
    p.add_argument("sql")
    _warehouse_option(p)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--output", "-o", help="write to this file instead of the console")
    p.set_defaults(func=_cmd_query)
    p = sub.add_parser("schema", help="tables and views with their comments; with TABLE, its columns")
    p.add_argument("table", nargs="?")
    _warehouse_option(p)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--output", "-o")
    p.set_defaults(func=_cmd_schema)
    p = sub.add_parser("dashboard", help="open the dashboard (Streamlit, on this machine only)")
    p.add_argument("--db", default=DEFAULT_DB)
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    p.set_defaults(func=_cmd_dashboard)
    p = sub.add_parser("report", help="write the main views as one self-contained HTML file")
    p.add_argument("out")
    p.add_argument("--db", default=DEFAULT_DB)
    p.set_defaults(func=_cmd_report)
    p = sub.add_parser("status", help="last runs, counts, failures")
    _warehouse_option(p)
    p.set_defaults(func=_cmd_status)
    p = sub.add_parser("checks", help="list the consistency checks")
    p.add_argument("--failed", action="store_true", help="only failures and warnings")
    p.add_argument("--doc", help="one document: its id (or a prefix) or file name")
    _warehouse_option(p)
    p.set_defaults(func=_cmd_checks)
    p = sub.add_parser("export", help="export the warehouse as Parquet, partitioned by year")
    p.add_argument("dir")
    _warehouse_option(p)
    p.set_defaults(func=_cmd_export)
    p = sub.add_parser("maintain", help="compact the warehouse under the writers' lock: DuckLake: merge small files, "
                                        "expire old snapshots, delete unreferenced files; a DuckDB file: drop free blocks")
    _warehouse_option(p)
    p.add_argument("--expire-older-than", default="7 days", metavar="INTERVAL",
                   help="DuckLake: expire snapshots older than this (default: 7 days; time travel and readers "
                        "keep what is younger)")
    p.add_argument("--delete-older-than", default="1 day", metavar="INTERVAL",
                   help="DuckLake: delete unreferenced and orphaned files once this old (default: 1 day)")
    p.add_argument("--rewrite-delete-threshold", type=float, default=0.5, metavar="SHARE",
                   help="DuckLake: rewrite a data file once this share of its rows is deleted (default: 0.5)")
    p.add_argument("--wait", action="store_true", help="wait for a run writing the warehouse instead of failing")
    p.set_defaults(func=_cmd_maintain)
    p = sub.add_parser("serve", help="run the nightly ingestion on a schedule (starts a local Prefect "
                                     "server unless PREFECT_API_URL is set)")
    p.add_argument("paths", nargs="*", help="what to ingest each night (default: the bundled sample_docs/)")
    p.add_argument("--sources", help="a sources file (TOML)")
    _warehouse_option(p)
    p.add_argument("--cron", default="0 2 * * *", help="schedule (default: 02:00 every day)")
    p.add_argument("--timezone", default="Asia/Shanghai")
    p.add_argument("--log", default="prefect-server.log", help="where the local Prefect server logs")
    p.set_defaults(func=_cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from fiscaldocs.sources import SourceError
    from fiscaldocs.warehouse.backends import WarehouseUnavailable
    from fiscaldocs.warehouse.maintenance import MaintenanceError
    from fiscaldocs.warehouse.publish import WarehouseBusy, WarehouseWriteError
    from fiscaldocs.warehouse.query import QueryError
    from fiscaldocs.warehouse.schema import SchemaMismatch

    try:
        _resolve_warehouse(args)
        return args.func(args)
    except (FileNotFoundError, SchemaMismatch, WarehouseBusy, WarehouseWriteError, WarehouseUnavailable, SourceError,
            QueryError, MaintenanceError) as exc:
        print(f"fiscaldocs: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
