"""Prefect on Dask (flows/cluster.py) beside the local run, in one run: the same corpus ingested
locally (the flow's own process pool), on a Dask LocalCluster of 1 worker and on one of 2 workers
(one thread each); plus the per-task cost of Prefect + Dask, from batches of no documents. Every
measured ingest is its own process (its Prefect start-up and cluster start are its own).

The corpus: every file of sample_docs/ (Word and PDF) `--copies` times, each copy made distinct
(a PDF gets a trailing comment after %%EOF, a Word file an extra zip entry nobody reads), so each
copy is a new document with the same pages.

    .venv/bin/python benchmarks/cluster.py [--copies 4] [--batch-size 8] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_docs"


def make_corpus(out: Path, copies: int) -> int:
    out.mkdir(parents=True, exist_ok=True)
    files = sorted(p for p in SAMPLES.iterdir() if p.suffix in (".pdf", ".docx"))
    for n in range(copies):
        for src in files:
            dst = out / f"{src.stem}.copy{n}{src.suffix}"
            if src.suffix == ".pdf":
                dst.write_bytes(src.read_bytes() + f"\n% benchmark copy {n}\n".encode())
            else:
                with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
                    for item in zin.infolist():
                        zout.writestr(item, zin.read(item.filename))
                    zout.writestr("customXml/benchmark-copy.txt", f"copy {n}")
    return len(files) * copies


# ---------------------------------------------------------------- child: one measured ingest


def child(mode: str, corpus: str, root: str, batch_size: int, result: str) -> None:
    """Ingest `corpus` in this process ("local", "dask1", "dask2") and write the timings."""
    import duckdb
    from fiscaldocs.flows import ingest
    from prefect import flow

    marks: dict[str, float] = {}
    processed, cluster_progress = ingest._processed, ingest._cluster_progress

    def timed(gen):  # the processing phase ends when the flow has the last document's result
        for item in gen:  # (the reader stops asking once it has them all: the end is never reached)
            marks["processed"] = time.perf_counter()
            yield item

    ingest._processed = lambda *args, **kwargs: timed(processed(*args, **kwargs))
    ingest._cluster_progress = lambda results, total: timed(cluster_progress(results, total))

    @flow(name="benchmark-startup")
    def startup() -> None:
        """Nothing: the first flow run of a process starts the ephemeral Prefect API."""

    t0 = time.perf_counter()
    startup()
    t1 = time.perf_counter()
    out: dict = {"prefect_startup_s": t1 - t0}
    db, work = f"{root}/{mode}.duckdb", f"{root}/work-{mode}"
    if mode == "local":
        t2 = time.perf_counter()
        summary = ingest.ingest_flow(inputs=[corpus], db=db, workdir=work)
    else:
        import dask
        import distributed

        workers = int(mode[-1])
        with dask.config.set({"distributed.worker.daemon": False}):
            cluster = distributed.LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                               dashboard_address=":0")
        t2 = time.perf_counter()
        out["cluster_start_s"] = t2 - t1
        summary = ingest.ingest_flow(inputs=[corpus], db=db, workdir=work, cluster=cluster.scheduler_address,
                                     batch_size=batch_size)
    t3 = time.perf_counter()
    out |= {"flow_s": t3 - t2, "process_s": marks["processed"] - t2, "load_s": t3 - marks["processed"]}
    if mode != "local":
        out["task_overhead_s"] = empty_task_cost(cluster.scheduler_address, 4 * workers * 5)
        cluster.close()
    with duckdb.connect(db, read_only=True) as con:
        docs, pages, ok = con.execute("SELECT count(*), coalesce(sum(page_count), 0), count(*) FILTER "
                                      "(status = 'ok') FROM documents").fetchone()
        out["facts"] = con.execute("SELECT count(*) FROM facts").fetchone()[0]
        out["checks"] = con.execute("SELECT count(*) FROM checks").fetchone()[0]
    out |= {"docs": docs, "ok": ok, "pages": pages,
            "failed": [o["error"] for o in summary["outcomes"] if o["status"] != "ok"]}
    Path(result).write_text(json.dumps(out))


def empty_task_cost(address: str, tasks: int) -> float:
    """Prefect + Dask's own cost of one task: batches of no documents, run back to back on the
    cluster (worker-seconds per task: wall time × worker threads / tasks)."""
    from fiscaldocs.flows.cluster import _api_for_workers, process_batch
    from prefect import flow
    from prefect_dask import DaskTaskRunner

    @flow(name="benchmark-empty-tasks")
    def empty() -> float:
        with DaskTaskRunner(address=address) as runner:
            threads = sum(runner.client.nthreads().values())
            with _api_for_workers(address):  # as process_on_cluster submits
                runner.submit(process_batch, {"docs": [], "workdir": "/nonexistent", "size": 0}).result()  # warm
                start = time.perf_counter()
                futures = [runner.submit(process_batch, {"docs": [], "workdir": "/nonexistent", "size": 0})
                           for _ in range(tasks)]
            for f in futures:
                f.wait()
            return (time.perf_counter() - start) * threads / tasks

    return empty()


def measure(mode: str, corpus: Path, root: Path, batch_size: int) -> dict:
    result = root / f"{mode}.result.json"
    start = time.perf_counter()
    env = os.environ | {"PREFECT_LOGGING_LEVEL": "WARNING", "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
                        "FISCALDOCS_WORKERS": "2"}
    subprocess.run([sys.executable, __file__, "--child", mode, str(corpus), str(root), str(batch_size), str(result)],
                   env=env, cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
    return json.loads(result.read_text()) | {"wall_s": time.perf_counter() - start}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=8)
    ap.add_argument("--out", help="keep the corpora, warehouses and results here")
    ap.add_argument("--child", nargs=5, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        mode, corpus, root, batch, result = args.child
        child(mode, corpus, root, int(batch), result)
        return
    root = Path(args.out or tempfile.mkdtemp(prefix="fiscaldocs-cluster-bench-"))
    n = make_corpus(root / "corpus", args.copies)
    print(f"corpus: {n} documents ({args.copies} distinct copies of each file of sample_docs/), "
          f"batch size {args.batch_size}; {os.cpu_count()} cores, {platform.processor() or platform.machine()}, "
          f"load average before {os.getloadavg()[0]:.1f}")
    runs = {}
    for mode in ("local", "dask1", "dask2"):
        runs[mode] = measure(mode, root / "corpus", root, args.batch_size)
        print(f"  {mode}: {json.dumps({k: round(v, 2) if isinstance(v, float) else v for k, v in runs[mode].items()})}",
              flush=True)
    base = runs["local"]
    print("\n| run | wall s | Prefect start s | cluster start s | processing s | load s | docs/s (processing) "
          "| pages/s | task overhead s | vs local (processing) |\n|---|---|---|---|---|---|---|---|---|---|")
    for mode, r in runs.items():
        print(f"| {mode} | {r['wall_s']:.1f} | {r['prefect_startup_s']:.1f} | {r.get('cluster_start_s', 0):.1f} | "
              f"{r['process_s']:.1f} | {r['load_s']:.1f} | {r['docs'] / r['process_s']:.2f} | "
              f"{r['pages'] / r['process_s']:.1f} | {r.get('task_overhead_s', float('nan')):.2f} | "
              f"{base['process_s'] / r['process_s']:.2f}× |")
    same = len({(r["docs"], r["ok"], r["facts"], r["checks"]) for r in runs.values()}) == 1
    print(f"\nsame documents/facts/checks counts in the three warehouses: {same} "
          f"({base['docs']} docs, {base['ok']} ok, {base['facts']} facts, {base['checks']} checks)")
    print(f"load average after {os.getloadavg()[0]:.1f}")
    if not args.out:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
