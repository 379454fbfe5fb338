"""What one Prefect task run costs in memory for the rest of its flow run: the flow process's RSS
growth after N trivial tasks (each returning a staged-result dict, as the per-document `process_document` task did,
with a persisted, cached result), all submitted at once or in windows of 64. Each measurement is
its own process.

    .venv/bin/python benchmarks/prefect_task_memory.py [--tasks 500 2000]

Why: the ingest process's peak RSS grew with the number of documents of a run (~0.1 MiB a
document in benchmarks/scale.py) while the writer holds at most one batch; this isolates the part
Prefect's own bookkeeping of task runs takes (why the flow now runs one task per batch of
documents: benchmarks/ingest_memory.py measures the ingest process before and after).
"""

from __future__ import annotations

import argparse
import gc
import os
import subprocess
import sys
import tempfile


def rss_mib() -> int:
    with open("/proc/self/status") as status:
        return next(int(line.split()[1]) // 1024 for line in status if line.startswith("VmRSS"))


def child(n: int, windowed: bool) -> None:
    from prefect import flow, task
    from prefect.futures import as_completed
    from prefect.task_runners import ThreadPoolTaskRunner

    @task(persist_result=True, cache_key_fn=lambda context, p: f"memory-{p['i']}-{os.getpid()}")
    def staged(i: int) -> dict:
        return {"staged": f"/tmp/processed/{i}.json", "stages_run": ["extract", "normalize", "audit"]}

    @flow(task_runner=ThreadPoolTaskRunner(max_workers=8))
    def run() -> None:
        before = rss_mib()
        windows = [range(s, min(n, s + 64)) for s in range(0, n, 64)] if windowed else [range(n)]
        for window in windows:
            for future in as_completed([staged.submit(i) for i in window]):
                future.result()
        gc.collect()
        print(f"{n}\t{'windows of 64' if windowed else 'all at once'}\t{rss_mib() - before}", flush=True)

    run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=[500, 2000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(int(args.child[0]), args.child[1] == "windowed")
    print("tasks\tsubmitted\tRSS growth MiB")
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "PREFECT_HOME": home, "PREFECT_LOGGING_LEVEL": "WARNING"}
        for n in args.tasks:
            for mode in ("all", "windowed"):
                out = subprocess.run([sys.executable, __file__, "--child", str(n), mode], env=env,
                                     capture_output=True, text=True, check=True).stdout
                print(out.strip().splitlines()[-1])


if __name__ == "__main__":
    main()
