"""Per-document stages on a Dask cluster (prefect-dask's DaskTaskRunner), in batches.

Prefect + Dask cost ~0.2 s per task, so one task processes a batch of documents. Inside a batch
each document runs in a `WorkerPool` process of the Dask worker — the same isolation as a local
run: one document over its memory or time limit, or crashing its process, fails (and, when it
killed its process or ran out of time, is given up) alone, while the Dask worker and the rest of
the batch go on. Dask itself offers no per-task time limit, and a document that brought down the
Dask worker would cost every task on it and a worker restart.

What the pool does not cover — the Dask worker process lost (its machine, the OOM killer choosing
it, a kill) — Dask covers: the scheduler resubmits the lost batch to another worker
(`distributed.scheduler.allowed-failures` times). A batch that Dask gives up on (KilledWorker) is
split and each of its unfinished documents resubmitted alone; a document whose own task is lost
again is given up. Everything a batch staged before it was lost is reused by its retry
(`run_stages` returns a staged result at once), so a retry costs only the unfinished documents,
and the writer's loads stay idempotent (keyed by content hash and stage versions).

The staging folder (`workdir`) and the input files must be the same paths on every worker and on
the machine of the flow: shared storage (NFS, a mounted bucket) for a real cluster. Workers must
run the same fiscaldocs (the stage versions are compared: a worker with other versions fails its
documents with a clear error instead of staging results the writer would mislabel).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Iterator
from contextlib import nullcontext
from pathlib import Path
from urllib.parse import urlparse

from fiscaldocs.flows.batches import DEFAULT_BATCH_SIZE, batches, each_alone, effective_batch_size
from prefect import task
from prefect.cache_policies import NO_CACHE

from fiscaldocs.retry import NOT_RETRIED
from fiscaldocs.sources import Input
from fiscaldocs.staging import job_result, stage_job
from fiscaldocs.versions import current

# The function a batch runs per document (a test stands in one that kills its Dask worker).
BATCH_JOB = stage_job


class ClusterUnavailable(RuntimeError):
    """The cluster cannot be used: the extra is not installed, or its scheduler cannot be reached."""


def cluster_address(given: str | None, configured: str | None = None) -> str | None:
    """--cluster, else the sources file's `cluster`, else FISCALDOCS_CLUSTER; None: run locally."""
    return given or configured or os.environ.get("FISCALDOCS_CLUSTER", "").strip() or None


_POOL: list = []
_POOL_LOCK = threading.Lock()


def _pool():
    """This Dask worker's pool: one process per worker thread, started on first use and kept for
    the worker's life (a dead one is replaced by the pool)."""
    from distributed import get_worker

    from fiscaldocs.workers import WorkerPool

    with _POOL_LOCK:
        if not _POOL:
            _POOL.append(WorkerPool(get_worker().state.nthreads))
        return _POOL[0]


def _run_document(path: str, sha256: str, workdir: str, hints: dict) -> dict:
    """One document in a pool process of this Dask worker; in the Dask worker's thread when it may
    not start processes (a daemonic worker: start workers with DASK_DISTRIBUTED__WORKER__DAEMON=False
    for the per-document limits)."""
    from fiscaldocs.workers import run_document

    if multiprocessing.current_process().daemon:
        return each_alone(BATCH_JOB, path, sha256, workdir, hints)
    return each_alone(lambda *args: run_document(_pool(), BATCH_JOB, *args), path, sha256, workdir, hints)


@task(retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE, persist_result=False,
      task_run_name="process batch of {size}")
def process_batch(docs: list[tuple[str, str, dict]], workdir: str, size: int) -> dict:
    """Every document of the batch, one after another: their results in order, with this worker's
    stage versions."""
    return {"versions": current().as_dict(),
            "results": [_run_document(path, sha, workdir, hints) for path, sha, hints in docs]}


def process_on_cluster(todo: list[Input], workdir: str, hints_by_sha: dict, address: str,
                       batch_size: int = DEFAULT_BATCH_SIZE) -> Iterator[tuple[Input, dict]]:
    """Each document of `todo` with its result ({"staged", "stages"}, or {"error"} with "versions"
    when given up), in the order the batches finish. Runs inside a flow run."""
    try:
        import distributed
        from prefect_dask import DaskTaskRunner
    except ImportError as exc:
        raise ClusterUnavailable(f"running on a Dask cluster needs the cluster extra: pip install "
                                 f"'fiscaldocs[cluster]' ({exc})") from exc

    if not todo:
        return
    workdir = os.path.abspath(workdir)  # the same path on every worker (shared storage)
    versions = current().as_dict()
    with DaskTaskRunner(address=address) as runner:
        try:
            threads = sum(runner.client.nthreads().values()) or 1
        except (OSError, TimeoutError) as exc:  # nothing processed, nothing loaded: the run stops here
            raise ClusterUnavailable(f"cannot reach the Dask scheduler at {address}: {exc}") from exc
        size = effective_batch_size(len(todo), batch_size, threads)
        pending: dict[distributed.Future, tuple[list[Input], bool]] = {}
        done = distributed.as_completed(loop=runner.client.loop)

        def submit(batch: list[Input], alone: bool) -> None:
            docs = [(f.path, f.sha256, hints_by_sha.get(f.sha256, {})) for f in batch]
            with _api_for_workers(address):
                future = runner.submit(process_batch, {"docs": docs, "workdir": workdir, "size": len(docs)})
            pending[future.wrapped_future] = (batch, alone)
            done.add(future.wrapped_future)

        for batch in batches(todo, size):
            submit(batch, False)
        for fut in done:
            batch, alone = pending.pop(fut)
            outcome = _batch_outcome(fut)
            if isinstance(outcome, str):  # the batch's task was lost or failed
                if len(batch) > 1 or not alone:
                    print(f"a batch of {len(batch)} was lost ({outcome}): its documents resubmitted one by one",
                          flush=True)
                    for f in batch:  # each alone: only a document that is lost again is given up
                        submit([f], True)
                    continue
                yield batch[0], {"error": f"{Path(batch[0].path).name}: {outcome}; {NOT_RETRIED}",
                                 "versions": versions}
                continue
            for f, report in zip(batch, outcome["results"], strict=True):
                yield f, _result(f, report, outcome["versions"], versions)


def _api_for_workers(address: str):
    """The Prefect API the batches report to (it travels with each task's context). Without a
    PREFECT_API_URL the flow runs on an ephemeral API of its own process; workers on this machine
    are pointed at it — else each Dask worker would start an ephemeral API of its own (~15 s, and
    task runs the flow's API never sees). Workers elsewhere cannot reach it (it listens on
    127.0.0.1): give the flow and the workers a Prefect server (PREFECT_API_URL)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value() or urlparse(address if "://" in address else f"tcp://{address}").hostname \
            not in ("127.0.0.1", "localhost", "::1", None):
        return nullcontext()
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()  # one per process: the flow run's own, already started
    return temporary_settings({PREFECT_API_URL: server.api_url}) if server.running else nullcontext()


def _batch_outcome(fut) -> dict | str:
    """The batch task's return value, or why there is none (its worker lost too often, a crash)."""
    try:
        state = fut.result()
    except Exception as exc:  # KilledWorker: Dask resubmitted it and lost it every time
        return f"its Dask task was lost ({type(exc).__name__}: {exc})"
    if not state.is_completed():
        return f"its Dask task ended {state.type.value}: {state.message}"
    return state.result(raise_on_failure=False, _sync=True)


def _result(f: Input, report: dict, worker_versions: dict, versions: dict) -> dict:
    name = Path(f.path).name
    if worker_versions != versions:
        return {"error": f"{name}: the Dask worker runs other stage versions than this flow "
                         f"({worker_versions} ≠ {versions}): install the same fiscaldocs on the workers"}
    result = job_result(report, versions)
    if "staged" in result and not Path(result["staged"]).exists():
        return {"error": f"{name}: its staged result {result['staged']} is not visible here: the staging "
                         "folder must be shared storage, at the same path on every Dask worker"}
    return result
