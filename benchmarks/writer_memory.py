"""The writer alone (`load_and_publish`, no Prefect), peak RSS of its process at N and 4N documents,
with DuckDB's default memory limit and with a lower one: how much of the ingest process's growth
is DuckDB's buffer pool. Reads the documents and staged results an `ingest_memory.py --out DIR`
run left in DIR.

    .venv/bin/python benchmarks/writer_memory.py DIR [--docs 200] [--limits default 100MB]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path


def child(out: Path, n: int, limit: str, db: str) -> None:
    import duckdb
    import fiscaldocs.flows.ingest as ingest

    from fiscaldocs.hashing import sha256_file

    if limit != "default":  # every connection the writer opens gets the limit
        connect = duckdb.connect

        def limited(*args, **kwargs):
            con = connect(*args, **kwargs)
            con.execute(f"SET memory_limit = '{limit}'")
            return con

        duckdb.connect = limited
    staged = {p.name.split(".")[0]: p for p in (out / "staged" / "processed").glob("*.json") if ".rows." not in p.name}
    items = []
    for doc in sorted((out / "corpus").iterdir())[:n]:
        sha = sha256_file(doc)
        items.append({"path": str(doc), "url": None, "sha256": sha, "staged": str(staged[sha]), "stages": []})
    summary = ingest.load_and_publish(db, iter(items), [], "writer_memory", datetime.now(UTC).replace(tzinfo=None), [])
    print(json.dumps({"error": summary.get("error"), "loaded": len(summary["outcomes"]) if "outcomes" in summary else 0,
                      "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="an ingest_memory.py --out folder")
    parser.add_argument("--docs", type=int, default=200, help="N: writes of N and 4N documents (default 200)")
    parser.add_argument("--limits", nargs="+", default=["default", "100MB"], help="DuckDB memory_limit values")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.out, int(args.child[0]), args.child[1], args.child[2])
    print("| DuckDB memory_limit | documents | peak RSS, writer process |\n| --- | --- | --- |")
    with tempfile.TemporaryDirectory() as tmp:
        for limit in args.limits:
            for n in (args.docs, 4 * args.docs):
                db = str(Path(tmp) / f"w-{limit}-{n}.duckdb")
                out = subprocess.run([sys.executable, __file__, str(args.out), "--child", str(n), limit, db],
                                     capture_output=True, text=True, check=True).stdout
                r = json.loads(out.strip().splitlines()[-1])
                print(f"| {limit} | {n} ({r['loaded']} loaded{', ' + r['error'] if r['error'] else ''}) | "
                      f"{r['peak_mib']:.0f} MiB |", flush=True)


if __name__ == "__main__":
    main()
