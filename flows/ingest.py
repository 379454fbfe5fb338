"""Prefect flows: ingest a set of sources into the warehouse.

Tasks pass paths and ids. Each document is one `process_document` task — every per-document stage
(extract, normalize, facts, audit), retried on transient failure and cached on the file's content
hash, the stage versions and the portal hints — whose CPU-bound work runs in a process pool
(plain worker processes: a Prefect task runner per process would start an ephemeral API server in
each). The staged results are reused stage by stage, so an upgrade of normalization re-normalizes
without extracting again. The writer (the single writer, which only writes) consumes the
documents as they finish (`_processed`, in completion order, reordered to input order so rows and
outcomes are deterministic), writing them into the next warehouse state in batches while the others
are still extracted; it then runs the rules across documents and publishes. A run summary is a
Prefect table artifact. A run with nothing new records its row without copying the warehouse, and
the command line answers such a night without starting Prefect at all (flows/changes.py).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from fiscaldocs.extractors.limits import limits
from fiscaldocs.flows.changes import DEFAULT_WORKDIR, Work, changed, resolve_local, skipped_items
from fiscaldocs.flows.cluster import DEFAULT_BATCH_SIZE, cluster_address, process_on_cluster
from fiscaldocs.warehouse.backends import backend
from fiscaldocs.warehouse.runs import RunSummary, record_unchanged_run, write_run
from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from fiscaldocs.sources import Input, read_sources_file, unsupported_files
from fiscaldocs.staging import hints_digest, job_result, stage_job
from fiscaldocs.versions import current, rows_digest
from fiscaldocs.workers import WorkerPool, run_document

DEFAULT_DB = "warehouse.duckdb"


_POOL_LOCK = threading.Lock()


def _workers() -> int:
    """FISCALDOCS_WORKERS: extraction processes (default: one per core); 0 runs every stage in the
    flow's own process (debugging, tests)."""
    value = os.environ.get("FISCALDOCS_WORKERS", "").strip()
    return int(value) if value else (os.cpu_count() or 1)


_POOLS: dict[tuple[int, float], WorkerPool] = {}
# The function a worker runs for one document (a test stands in one that kills its worker).
STAGE_JOB = stage_job


def _make_pool(workers: int) -> WorkerPool:
    """One pool per process, size and memory limit (set when a worker starts); it replaces a worker
    that dies, so it is never broken."""
    key = (workers, limits().memory_mb)
    with _POOL_LOCK:  # task threads ask at once: one pool, not one each
        if key not in _POOLS:
            _POOLS[key] = WorkerPool(workers)
        return _POOLS[key]


def _run_in_worker(path: str, sha256: str, workdir: str, hints: dict) -> dict:
    """The document's staged result ({"staged", "stages_run"}), or {"error", "given_up"} when it
    is over a limit or killed its worker; the other documents go on either way."""
    workers = _workers()
    if workers == 0:  # in this process: no memory or time limit (debugging)
        return STAGE_JOB(path, sha256, workdir, hints)
    return run_document(_make_pool(workers), STAGE_JOB, path, sha256, workdir, hints)


def _processing_key(context, parameters) -> str:
    """Same content, same stage versions, same hints, same staging folder, same limits, same row
    code (the worker stages the warehouse rows too): same result."""
    workdir = hashlib.sha256(os.path.abspath(parameters["workdir"]).encode()).hexdigest()[:12]
    lim = hashlib.sha256(repr(limits()).encode()).hexdigest()[:8]
    return (f"process-{parameters['sha256']}-{current().key()}-{hints_digest(parameters['hints'])}-{workdir}-{lim}"
            f"-{rows_digest()}")


@task(retries=2, retry_delay_seconds=[1, 5], cache_key_fn=_processing_key, persist_result=True,
      task_run_name="process {path}")
def process_document(path: str, sha256: str, workdir: str, hints: dict) -> dict:
    return _run_in_worker(path, sha256, workdir, hints)


def load_and_publish(db: str, items: Iterable[dict], problems: list[str], sources: str, started: datetime,
                     fetches: list[dict], unsupported: list[str] | None = None, wait: bool = False) -> dict:
    """The run's summary, or {"error": one line} when the warehouse cannot be written (busy, disk
    full, permission denied): the live warehouse is then untouched. `items` may be an iterator that
    yields documents as they are processed: each is written as it comes. (A plain function, not a
    task: a task's parameters are resolved before it starts, an iterator cannot be.)"""
    from fiscaldocs.audit import across_documents
    from fiscaldocs.normalize.categories import entries
    from fiscaldocs.warehouse.publish import WarehouseBusy, WarehouseWriteError

    categories = [[e.scheme, e.code, e.level, e.name, e.parent, e.valid_from, e.valid_to] for e in entries()]
    try:
        return write_run(db, items, problems, sources, started, progress=lambda msg: print(msg, flush=True),
                         fetches=fetches, categories=categories, cross_audit=across_documents,
                         unsupported=unsupported, wait=wait).as_dict()
    except (WarehouseBusy, WarehouseWriteError) as exc:
        return {"error": str(exc)}


@flow(name="fiscaldocs-ingest", task_runner=ThreadPoolTaskRunner(max_workers=8))
def ingest_flow(inputs: list[str] | None = None, sources_file: str | None = None, db: str = DEFAULT_DB,
                workdir: str = DEFAULT_WORKDIR, crawl_urls: list[str] | None = None, wait: bool = False,
                cluster: str | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> dict:
    """Ingest files, folders and file URLs (`inputs`), the sources of a sources file (crawling its
    portals first) and one-off crawls of `crawl_urls`; only documents that are new, changed, or
    were produced by other stage versions are processed. `wait`: wait for another run's lock on
    the warehouse instead of failing. `cluster`: a Dask scheduler's address (else the sources file's
    `cluster`, else FISCALDOCS_CLUSTER): process on that cluster in batches of `batch_size`
    (flows/cluster.py). Returns the run summary, or {"error": …} when the warehouse
    could not be written."""
    from fiscaldocs.flows.crawl import crawl_flow

    started = datetime.now(UTC).replace(tzinfo=None)
    declared = read_sources_file(Path(sources_file)) if sources_file else None
    requested = list(inputs or []) + (declared.inputs if declared else [])
    resolved = resolve_local(requested, workdir, declared.url_hosts if declared else None)
    files, problems = resolved.files, resolved.problems
    fetches: list[dict] = list(resolved.fetches)  # URLs given as inputs, failed ones included
    hints_by_sha: dict[str, dict] = {}
    if (declared and declared.portals) or crawl_urls:
        crawled = crawl_flow(sources_file=sources_file, urls=crawl_urls, db=db, workdir=workdir)
        fetches += crawled
        fetched = {f["sha256"]: f for f in crawled if f["status"] in ("ok", "not_modified") and f["path"]}
        have = {f.sha256 for f in files}
        files += [Input(f["path"], sha, url=f["url"]) for sha, f in fetched.items() if sha not in have]
        hints = {p.name: p.hints for p in (declared.portals if declared else [])}
        hints_by_sha = {sha: hints.get(f["source"], {}) for sha, f in fetched.items()}
        requested += [f"crawl:{p.name}" for p in (declared.portals if declared else [])] + list(crawl_urls or [])
    work = changed(files, db)
    failed_urls = [_failed_url(f) for f in resolved.fetches if f["status"] != "ok"]
    if files and not work.todo and not fetches and not failed_urls and backend(db).exists():
        summary = _record_unchanged(db, skipped_items(files, work), problems, " ".join(requested), started,
                                    unsupported_files(requested), wait)
    else:
        cluster = cluster_address(cluster, declared.cluster if declared else None)
        if cluster:
            done = _cluster_progress(process_on_cluster(work.todo, workdir, hints_by_sha, cluster, batch_size),
                                     len(work.todo))
        else:
            retry = os.environ.get("FISCALDOCS_RETRY_FAILED") == "1"
            done = _processed(work.todo, workdir, hints_by_sha, versions=work.versions, refresh=retry)
        items = _in_input_order(files, work, done)
        summary = load_and_publish(db, _chain(items, failed_urls), problems, " ".join(requested), started, fetches,
                                   unsupported_files(requested), wait)
    if "error" not in summary:
        _publish_artifact(summary)
    return summary


def _record_unchanged(db: str, items: list[dict], problems: list[str], sources: str, started: datetime,
                      unsupported: list[str], wait: bool) -> dict:
    from fiscaldocs.warehouse.publish import WarehouseBusy, WarehouseWriteError

    try:
        return record_unchanged_run(db, items, problems, sources, started, unsupported, wait).as_dict()
    except (WarehouseBusy, WarehouseWriteError) as exc:
        return {"error": str(exc)}


def _processed(todo: list[Input], workdir: str, hints_by_sha: dict[str, dict], versions: dict[str, str] | None = None,
               refresh: bool = False) -> Iterator[tuple[Input, dict]]:
    """Each document of `todo` processed (every per-document stage, in the worker pool through one
    Prefect task each), yielded as `(input, result)` in completion order; `result` is `_result`'s:
    {"staged", "stages"} or {"error", …}. Lazy: nothing is submitted before the first `next`, so a
    writer that cannot take the warehouse fails before any work starts. Another engine (a Dask
    cluster) plugs in by yielding the same pairs. `refresh`: ignore the task cache (retrying the
    given-up documents)."""
    from fiscaldocs.versions import current

    versions = versions or current().as_dict()
    task = process_document.with_options(refresh_cache=True) if refresh else process_document
    futures = {}
    for f in dict.fromkeys(todo):  # the same file met twice is processed once
        futures[task.submit(f.path, f.sha256, workdir, hints_by_sha.get(f.sha256, {}))] = f
    for done, future in enumerate(as_completed(list(futures)), start=1):
        f = futures.pop(future)
        print(f"processed [{done}/{done + len(futures)}] {Path(f.path).name}", flush=True)
        yield f, _result(future, f, workdir, hints_by_sha.get(f.sha256, {}), versions)


def _in_input_order(files: list[Input], work: Work, done: Iterator[tuple[Input, dict]]) -> Iterator[dict]:
    """The writer's items in the order of `files` (rows, ids and outcomes as a document-by-document
    load in input order gives them), each as soon as it and those before it are processed: the
    results that finish early wait here as small dicts (paths), never as documents."""
    todo = set(work.todo)
    ready: dict[Input, dict] = {}
    for f in files:
        item = {"path": f.path, "url": f.url, "sha256": f.sha256, "skipped": f not in todo}
        if f in todo:
            while f not in ready:
                finished, result = next(done)
                ready[finished] = result
            item.update(ready[f])  # kept: the same file may be listed again
        elif f.sha256 in work.given_up:
            item["given_up"] = work.given_up[f.sha256][1]
        yield item


def _chain(*parts: Iterable[dict]) -> Iterator[dict]:
    for part in parts:
        yield from part


def _failed_url(fetch: dict) -> dict:
    """A URL given to `ingest` that could not be downloaded: a document row with status error
    (its id: the sha256 of the URL, as there is no content), replaced once the URL downloads."""
    url = fetch["url"]
    return {"path": url, "url": url, "sha256": hashlib.sha256(f"url:{url}".encode()).hexdigest(),
            "error": f"{url}: {fetch['error']}"}


def _result(future, f: Input, workdir: str, hints: dict, versions: dict) -> dict:
    """The task's staged result; a cached result whose file was cleaned away is made again (the
    writer never runs a stage itself)."""
    future.wait()  # as_completed saw it finish; waiting reads its final state
    if not future.state.is_completed():
        return {"error": f"processing crashed: {future.state.message}"}
    report = future.result()
    if not report.get("error") and not Path(report["staged"]).exists():
        report = process_document.with_options(refresh_cache=True)(f.path, f.sha256, workdir, hints)
    return job_result(report, versions)


def _cluster_progress(results: Iterator[tuple[Input, dict]], total: int) -> Iterator[tuple[Input, dict]]:
    for done, (f, result) in enumerate(results, 1):
        print(f"processed on the cluster [{done}/{total}] {Path(f.path).name}", flush=True)
        yield f, result


def _publish_artifact(summary: dict) -> None:
    rows = [{k: o[k] for k in ("file", "action", "status", "stages", "tables", "claims", "facts", "error")}
            for o in summary["outcomes"]]
    rows += [{"file": p, "action": "failed", "status": "error", "stages": "", "tables": 0, "claims": 0, "facts": 0,
              "error": p}
             for p in summary["problems"]]
    create_table_artifact(key="ingest-summary", table=rows or [{"file": "(nothing to ingest)"}],
                          description=f"fiscaldocs ingest run {summary['run_id']}")


def run_summary(result: dict) -> RunSummary:
    return RunSummary.from_dict(result)
