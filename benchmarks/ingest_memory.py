"""The ingest process's peak memory for a run of N documents and of 4N, this checkout beside a
baseline checkout (another worktree with its own .venv), in one run on the same documents.

    .venv/bin/python benchmarks/ingest_memory.py --baseline ../wt-base [--docs 200] [--out DIR]

The documents are scale.py's distinct .docx copies of the five sample reports (another region's
names, amounts scaled: each its own sha256, facts and region). Five of them (one per sample) are
extracted for real; every other one gets a stand-in staged result (scale.py `stage_stand_ins`), so
the runs measure what grows with the number of documents in the ingest process — orchestration
(one Prefect task run per document before, per batch now) and the writer — without paying 4N
extractions. The stand-ins sit in each run's staging folder (hard links), where `run_stages` finds
them and returns at once, in either checkout (the stage versions and row code are the same; checked
before measuring). Each run is `fiscaldocs ingest DIR --db …` in its own process with a fresh
Prefect home (no task cache carried over); peak RSS of the ingest process is wait4's, the tree's
(workers and the ephemeral Prefect API included) sampled every 0.25 s.

Each size is also run with the writer left out (`--child-drain`: the same flow in a process of its
own, its documents drained instead of written), to tell the orchestration's part of the growth
from the writer's.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from ingest import machine  # noqa: E402
from scale import divisions, ingest, make_corpus, stage_stand_ins, warehouse_counts  # noqa: E402

VERSIONS = ("from fiscaldocs.versions import current, rows_digest; "
            "print(current().key(), rows_digest())")


def versions(checkout: Path) -> str:
    return subprocess.run([str(checkout / ".venv" / "bin" / "python"), "-c", VERSIONS], capture_output=True,
                          text=True, check=True).stdout.strip()


def staged_corpus(n: int, out: Path) -> tuple[Path, Path]:
    """`n` .docx copies in out/corpus, every one staged (five for real, the rest stand-ins) in
    out/staged/processed."""
    from fiscaldocs.hashing import sha256_file
    from fiscaldocs.staging import process_to_file

    counties, cities = divisions()
    corpus = make_corpus(n, out / "corpus", 0).folder
    real, work = out / "real", out / "staged"
    real.mkdir()
    for f in sorted(corpus.iterdir())[:5]:  # one copy of each sample report
        os.link(f, real / f.name)
        process_to_file(str(f), sha256_file(f), str(work))
    stage_stand_ins(corpus, real, work / "processed", counties, cities)
    return corpus, work / "processed"


def drain_child(inputs: str, db: str) -> None:
    """The ingest flow on `inputs` with every document processed and the writer left out; run by
    the checkout's own interpreter."""
    import fiscaldocs.flows.ingest as ingest

    class Drained:
        def as_dict(self) -> dict:
            return {"error": "drained: nothing written"}

    def drain(db, items, *args, **kwargs):
        for _ in items:
            pass
        return Drained()

    ingest.write_run = drain
    ingest.ingest_flow(inputs=[inputs], db=db, workdir=".fiscaldocs")


def run(checkout: Path, docs: list[Path], processed: Path, folder: Path, drained: bool = False) -> dict:
    inputs, staging = folder / "docs", folder / ".fiscaldocs" / "processed"
    inputs.mkdir(parents=True)
    staging.mkdir(parents=True)
    for f in docs:
        os.link(f, inputs / f.name)
    for f in processed.iterdir():
        os.link(f, staging / f.name)
    home = folder / "prefect"
    env = os.environ | {"PREFECT_HOME": str(home), "PREFECT_LOCAL_STORAGE_PATH": str(home / "results"),
                        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
                        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}
    env.pop("PYTHONPATH", None)
    db = str(folder / "w.duckdb")
    if drained:
        command = [str(checkout / ".venv" / "bin" / "python"), __file__, "--child-drain", str(inputs), db]
        return time_and_memory(command, folder, env, folder / "ingest.log")
    r = ingest([str(inputs)], db, folder, env, folder / "ingest.log", checkout)
    return r | warehouse_counts(db)


def time_and_memory(command: list[str], cwd: Path, env: dict, log: Path) -> dict:
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
    return {"wall_s": time.perf_counter() - start, "rc": os.waitstatus_to_exitcode(status),
            "peak_main_mib": usage.ru_maxrss / 1024, "tail": log.read_text().splitlines()[-5:]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200, help="N: runs of N and 4N documents (default 200)")
    parser.add_argument("--baseline", type=Path, help="a checkout with its own .venv (required)")
    parser.add_argument("--out", type=Path, help="an empty folder for everything (default: temporary)")
    parser.add_argument("--child-drain", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_drain:
        return drain_child(*args.child_drain)
    if not args.baseline:
        parser.error("--baseline is required")
    checkouts = {"baseline": args.baseline.resolve(), "this": ROOT}
    seen = {name: versions(path) for name, path in checkouts.items()}
    if len(set(seen.values())) != 1:
        sys.exit(f"the checkouts stage differently, stand-ins would be extracted again: {seen}")
    with tempfile.TemporaryDirectory(prefix="fiscaldocs-memory-") as tmp:
        out = (args.out or Path(tmp)).resolve()
        out.mkdir(parents=True, exist_ok=True)
        n = args.docs
        print(f"machine: {machine()}\nFISCALDOCS_WORKERS={os.environ.get('FISCALDOCS_WORKERS', 'unset')}\n"
              f"checkouts: {checkouts}", flush=True)
        corpus, processed = staged_corpus(4 * n, out)
        files = sorted(corpus.iterdir())
        results = {}
        drains = {}
        for size in (n, 4 * n):
            for name, checkout in checkouts.items():
                r = run(checkout, files[:size], processed, out / f"{name}-{size}")
                results[name, size] = r
                drains[name, size] = d = run(checkout, files[:size], processed, out / f"{name}-{size}-drained", True)
                print(json.dumps({"checkout": name, "docs": size} | {k: v for k, v in r.items() if k != "tail"}
                                 | {"drained_peak_main_mib": d["peak_main_mib"], "drained_rc": d["rc"]}), flush=True)
                for x in (r, d):
                    if x["rc"] not in (0, 1):
                        print("  exit code", x["rc"], *x["tail"], sep="\n  ", flush=True)
        print(f"\n{4 * n} .docx copies of the 5 sample reports (5 extracted, the rest stand-in staged results)\n")
        print("| checkout | documents | documents / facts loaded | wall | peak RSS, ingest process | "
              "peak RSS, process tree | peak RSS, ingest process without the writer |\n"
              "| --- | --- | --- | --- | --- | --- | --- |")
        for (name, size), r in results.items():
            print(f"| {name} | {size} | {r['documents']} / {r['facts']} | {r['wall_s']:.0f} s | "
                  f"{r['peak_main_mib']:.0f} MiB | {r['peak_tree_mib']:.0f} MiB | "
                  f"{drains[name, size]['peak_main_mib']:.0f} MiB |")
        print()
        for name in checkouts:
            for label, runs in (("ingest process", results), ("without the writer", drains)):
                a, b = runs[name, n]["peak_main_mib"], runs[name, 4 * n]["peak_main_mib"]
                print(f"{name}, {label}: {a:.0f} → {b:.0f} MiB from {n} to {4 * n} documents "
                      f"({(b - a) * 1024 / (3 * n):+.1f} KiB a document)")


if __name__ == "__main__":
    main()
