"""Loading speed and size of the two warehouse backends, side by side in one run: the DuckDB file
(staged copy + rename) and DuckLake on PostgreSQL (advisory lock + one transaction). Only the
warehouse write is timed: the sample corpus is extracted once, then its processed documents are
copied N times with new ids (doc_id, fact and check ids) so every copy is a distinct document.

    FISCALDOCS_TEST_PG_DSN='host=… user=… dbname=postgres' \\
        .venv/bin/python benchmarks/warehouse_backends.py [--docs 200] [--runs 4]

The corpus is loaded in `--runs` runs of docs/runs documents each (a nightly run adds to what is
there), then a one-document run is timed on the full warehouse. Needs a PostgreSQL where databases
may be created (a new one is made and dropped).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))


def distinct_copies(n: int, work: Path) -> list[dict]:
    """n staged items: the sample corpus's processed documents, each copy with its own ids."""
    import json

    from fiscaldocs.extractors import sha256_file

    from fiscaldocs.codec import write_json
    from fiscaldocs.staging import process_to_file, read_processed

    manifest = json.loads((ROOT / "sample_docs" / "manifest.json").read_text(encoding="utf-8"))
    files = [ROOT / "sample_docs" / (e["file"] if isinstance(e, dict) else e) for e in manifest]
    originals = [read_processed(process_to_file(str(f), sha256_file(f), str(work / "stage"))) for f in files]
    items = []
    for k in range(n):
        p = originals[k % len(originals)]
        sha = hashlib.sha256(f"{p.document.meta.sha256}|copy {k}".encode()).hexdigest()
        doc = dataclasses.replace(p.document, meta=dataclasses.replace(p.document.meta, sha256=sha,
                                                                        file_name=f"copy{k}_{p.document.meta.file_name}"))
        copy = dataclasses.replace(
            p, document=doc,
            facts=[dataclasses.replace(f, fact_id=_rid(f.fact_id, sha), doc_id=sha) for f in p.facts],
            indicators=[dataclasses.replace(f, fact_id=_rid(f.fact_id, sha), doc_id=sha) for f in p.indicators],
            checks=[dataclasses.replace(c, doc_id=sha) for c in p.checks])
        staged = work / "copies" / f"{sha}.json"
        write_json(staged, copy)
        items.append({"path": f"/corpus/copy{k}/{p.document.meta.file_name}", "url": None, "sha256": sha,
                      "staged": str(staged)})
    return items


def _rid(old: str, sha: str) -> str:
    return hashlib.sha256(f"{old}|{sha}".encode()).hexdigest()[:24]


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def measure(db: str, items: list[dict], runs: int) -> dict:
    from fiscaldocs.warehouse.runs import write_run

    share = -(-len(items) // runs)
    t0 = time.perf_counter()
    for i in range(runs):
        write_run(db, items[i * share:(i + 1) * share], [], f"bench run {i}", datetime.now(UTC).replace(tzinfo=None))
    load = time.perf_counter() - t0
    t1 = time.perf_counter()
    write_run(db, items[:1], [], "one-document run", datetime.now(UTC).replace(tzinfo=None))  # a skip: nothing new
    one_skip = time.perf_counter() - t1
    return {"docs": len(items), "load_s": load, "docs_per_s": len(items) / load, "noop_run_s": one_skip}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200)
    parser.add_argument("--runs", type=int, default=4)
    args = parser.parse_args()
    dsn = os.environ.get("FISCALDOCS_TEST_PG_DSN")
    if not dsn:
        sys.exit("set FISCALDOCS_TEST_PG_DSN to libpq settings of a PostgreSQL where databases may be created")
    import psycopg
    from psycopg.conninfo import make_conninfo

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        t = time.perf_counter()
        items = distinct_copies(args.docs, work)
        print(f"{len(items)} distinct documents staged in {time.perf_counter() - t:.1f} s (not timed below)")
        name = f"fiscaldocs_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(dsn, autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}")
        with psycopg.connect(make_conninfo(dsn, dbname=name)) as con:  # what an empty database already takes
            empty = con.execute("SELECT pg_database_size(current_database())").fetchone()[0]
        try:
            lake_dsn = make_conninfo(dsn, dbname=name)
            results = {
                "duckdb file": measure(str(work / "w.duckdb"), items, args.runs),
                "ducklake/postgres": measure(f"ducklake:postgres:{lake_dsn} data_path={work / 'lake'}/", items,
                                             args.runs),
            }
            with psycopg.connect(lake_dsn) as con:
                catalog = con.execute("SELECT pg_database_size(current_database())").fetchone()[0] - empty
        finally:
            with psycopg.connect(dsn, autocommit=True) as con:
                con.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            size_file = (work / "w.duckdb").stat().st_size
            size_lake = folder_size(work / "lake")
    base = results["duckdb file"]
    print(f"\n{'backend':<20}{'docs':>6}{'load s':>9}{'docs/s':>9}{'ratio':>7}{'no-op run s':>13}  size")
    for label, r in results.items():
        size = (f"file {size_file / 2**20:.1f} MiB" if label == "duckdb file" else
                f"parquet {size_lake / 2**20:.1f} MiB + catalog {catalog / 2**20:.1f} MiB "
                f"(pg_database_size beyond an empty database's)")
        print(f"{label:<20}{r['docs']:>6}{r['load_s']:>9.1f}{r['docs_per_s']:>9.2f}"
              f"{r['docs_per_s'] / base['docs_per_s']:>7.2f}{r['noop_run_s']:>13.2f}  {size}")


if __name__ == "__main__":
    main()
