"""What `fiscaldocs maintain` does to a warehouse grown night by night, on both backends side by
side: files, bytes and snapshots before and after, and the time of the same read queries before
and after (median of `--repeat`, one connection each side), as ratios.

    FISCALDOCS_TEST_PG_DSN='host=… user=… dbname=postgres' \\
        .venv/bin/python benchmarks/maintenance.py [--nights 30] [--per-night 2] [--replace-every 3]

Each night loads `--per-night` new documents (distinct copies of the sample corpus's processed
documents, as benchmarks/warehouse_backends.py makes them) in one run; every `--replace-every`-th
night also replaces an earlier document (the same content from a new path: its rows deleted and
written again). Maintenance runs with ages of 0 (everything older than now expired and deleted)
to show the floor; the defaults (7 days, 1 day) keep more. Needs a PostgreSQL where databases may
be created (a new one is made and dropped); without it only the DuckDB file is measured.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

QUERIES = {
    "region totals": "SELECT level, fund_scope, count(*), sum(amount_yuan) FROM v_spending_by_region GROUP BY ALL",
    "canonical facts": "SELECT category_code, count(*), sum(amount_yuan) FROM v_canonical_facts GROUP BY ALL",
    "facts × documents": "SELECT d.fiscal_year, count(*), sum(f.amount_yuan) FROM facts f JOIN documents d "
                         "USING (doc_id) GROUP BY ALL",
}


def grow(db: str, items: list[dict], nights: int, per_night: int, replace_every: int) -> None:
    from fiscaldocs.warehouse.runs import write_run

    now = datetime.now(UTC).replace(tzinfo=None)
    for night in range(nights):
        batch = items[night * per_night:(night + 1) * per_night]
        if replace_every and night and night % replace_every == 0:
            old = items[(night // replace_every - 1) * per_night]
            batch = [*batch, dict(old, path=old["path"] + f".night{night}")]
        write_run(db, batch, [], f"night {night}", now)


def query_times(db: str, repeat: int) -> dict[str, float]:
    from fiscaldocs.warehouse.backends import read_only

    with read_only(db) as con:
        times = {}
        for name, sql in QUERIES.items():
            runs = []
            for _ in range(repeat):
                t = time.perf_counter()
                con.execute(sql).fetchall()
                runs.append(time.perf_counter() - t)
            times[name] = statistics.median(runs)
    return times


def measure(label: str, db: str, repeat: int) -> None:
    from fiscaldocs.warehouse.maintenance import Policy, maintain, render

    before_q = query_times(db, repeat)
    t = time.perf_counter()
    report = maintain(db, Policy(expire_older_than="0 seconds", delete_older_than="0 seconds"))
    took = time.perf_counter() - t
    after_q = query_times(db, repeat)
    print(f"\n== {label}: maintain took {took:.1f} s")
    print(render(report), end="")
    for name in QUERIES:
        b, a = before_q[name], after_q[name]
        print(f"  query {name:<20} before {b * 1000:8.1f} ms  after {a * 1000:8.1f} ms  after/before {a / b:.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nights", type=int, default=30)
    parser.add_argument("--per-night", type=int, default=2)
    parser.add_argument("--replace-every", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    from warehouse_backends import distinct_copies

    work = Path(tempfile.mkdtemp(prefix="fiscaldocs-bench-maint-"))
    items = distinct_copies(args.nights * args.per_night, work)
    print(f"{args.nights} nights × {args.per_night} documents (distinct copies of the sample corpus), "
          f"a replaced document every {args.replace_every} nights")
    targets = [("DuckDB file", str(work / "w.duckdb"))]
    dsn, name = os.environ.get("FISCALDOCS_TEST_PG_DSN"), f"fiscaldocs_bench_{uuid.uuid4().hex[:10]}"
    if dsn:
        import psycopg
        from psycopg.conninfo import make_conninfo

        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}")
        (work / "lake").mkdir()
        targets.append(("DuckLake (local data path)", f"ducklake:postgres:{make_conninfo(dsn, dbname=name)} "
                                                      f"data_path={work / 'lake'}/"))
    else:
        print("FISCALDOCS_TEST_PG_DSN unset: DuckLake not measured")
    try:
        for label, db in targets:
            t = time.perf_counter()
            grow(db, items, args.nights, args.per_night, args.replace_every)
            print(f"{label}: {args.nights} nights loaded in {time.perf_counter() - t:.1f} s")
            measure(label, db, args.repeat)
    finally:
        if dsn:
            with psycopg.connect(dsn, autocommit=True) as con:
                con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
