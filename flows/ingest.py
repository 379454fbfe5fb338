"""Prefect flows: ingest a set of sources into the warehouse.

Tasks pass paths and ids. The documents to process are cut into batches (flows/batches.py), one
`process_documents` task each — every per-document stage (extract, normalize, facts, audit) of
each of its documents, one after another, in a worker of a process pool (plain worker processes:
a Prefect task runner per process would start an ephemeral API server in each), a few batches at
once so every worker is busy. One task per batch, not per document: Prefect keeps ~35–40 KiB per
task run in the flow process until the flow run ends. Each document is isolated as before — over
a limit, raising, or killing its worker, it fails alone and the rest of its batch goes on — and
results are reused from the staging folder (fiscaldocs/staging.py: keyed by content hash, stage
versions and portal hints), stage by stage, so an upgrade of normalization re-normalizes without
extracting again, and a retried batch or a rerun costs only its unfinished documents. The writer
(the single writer, which only writes) consumes the documents as their batches finish
(`_processed`, reordered to input order so rows and outcomes are deterministic), writing them
into the next warehouse state in batches while the others are still extracted; it then runs the
rules across documents and publishes. A run summary is a Prefect table artifact. A run with
nothing new records its row without copying the warehouse, and the command line answers such a
night without starting Prefect at all (flows/changes.py).
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from fiscaldocs.extractors.limits import limits
from fiscaldocs.flows.batches import (
    DEFAULT_BATCH_SIZE,
    LOCAL_BATCH_SIZE,
    batches,
    each_alone,
    effective_batch_size,
)
from fiscaldocs.flows.changes import DEFAULT_WORKDIR, Work, changed, resolve_local, skipped_items
from fiscaldocs.flows.cluster import cluster_address, process_on_cluster
from fiscaldocs.warehouse.backends import backend
from fiscaldocs.warehouse.runs import RunSummary, record_unchanged_run, write_run
from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.futures import as_completed
from prefect.task_runners import ThreadPoolTaskRunner

from fiscaldocs.sources import Input, read_sources_file, unsupported_files
from fiscaldocs.staging import job_result, stage_job
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


# The task runner's threads: batches processed at once (at most, and at most one per worker).
RUNNER_THREADS = 8
# A document whose processing raised is tried again after these many seconds (a transient failure:
# a full disk, a file being replaced), then is an error of its own.
RETRY_DELAYS = (1.0, 5.0)


def _process_one(path: str, sha256: str, workdir: str, hints: dict) -> dict:
    return each_alone(_run_in_worker, path, sha256, workdir, hints, delays=RETRY_DELAYS)


@task(retries=1, retry_delay_seconds=2, cache_policy=NO_CACHE, persist_result=False,
      task_run_name="process batch of {size}")
def process_documents(docs: list[tuple[str, str, dict]], workdir: str, size: int) -> list[dict]:
    """Every document of the batch, one after another in a worker: their reports, in order. Not
    cached by Prefect: the staging folder is the cache (a staged document is returned at once), so a
    retried batch costs only its unfinished documents."""
    return [_process_one(path, sha, workdir, hints) for path, sha, hints in docs]


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


@flow(name="fiscaldocs-ingest", task_runner=ThreadPoolTaskRunner(max_workers=RUNNER_THREADS))
def ingest_flow(inputs: list[str] | None = None, sources_file: str | None = None, db: str = DEFAULT_DB,
                workdir: str = DEFAULT_WORKDIR, crawl_urls: list[str] | None = None, wait: bool = False,
                cluster: str | None = None, batch_size: int | None = None) -> dict:
    """Ingest files, folders and file URLs (`inputs`), the sources of a sources file (crawling its
    portals first) and one-off crawls of `crawl_urls`; only documents that are new, changed, or
    were produced by other stage versions are processed. `wait`: wait for another run's lock on
    the warehouse instead of failing. `cluster`: a Dask scheduler's address (else the sources file's
    `cluster`, else FISCALDOCS_CLUSTER): process on that cluster (flows/cluster.py). `batch_size`:
    documents per task at most (default: 8 on a cluster, 32 locally). Returns the run summary, or
    {"error": …} when the warehouse could not be written."""
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
            done = _cluster_progress(process_on_cluster(work.todo, workdir, hints_by_sha, cluster,
                                                        batch_size or DEFAULT_BATCH_SIZE), len(work.todo))
        else:  # FISCALDOCS_RETRY_FAILED=1 put the given-up documents in work.todo (nothing caches errors)
            done = _processed(work.todo, workdir, hints_by_sha, versions=work.versions,
                              batch_size=batch_size or LOCAL_BATCH_SIZE)
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
               batch_size: int = LOCAL_BATCH_SIZE) -> Iterator[tuple[Input, dict]]:
    """Each document of `todo` processed (every per-document stage, in the worker pool, in batches
    of at most `batch_size`, one Prefect task each), yielded as `(input, result)` in the order the
    batches finish; `result` is `_result`'s: {"staged", "stages"} or {"error", …}. As many batches
    run at once as there are workers (so each runs at a worker's pace and the first ones reach the
    writer early), the next submitted as one finishes. Lazy: nothing is submitted before the first
    `next`, so a writer that cannot take the warehouse fails before any work starts. Another engine
    (a Dask cluster) plugs in by yielding the same pairs."""
    from fiscaldocs.versions import current

    versions = versions or current().as_dict()
    todo = list(dict.fromkeys(todo))  # the same file met twice is processed once
    lanes = max(1, min(_workers(), RUNNER_THREADS))
    waiting = iter(batches(todo, effective_batch_size(len(todo), batch_size, lanes)))
    running: dict = {}

    def submit_next() -> None:
        batch = next(waiting, None)
        if batch:
            docs = [(f.path, f.sha256, hints_by_sha.get(f.sha256, {})) for f in batch]
            running[process_documents.submit(docs, workdir, len(docs))] = batch

    for _ in range(lanes):
        submit_next()
    done = 0
    while running:
        future = next(as_completed(list(running)))
        batch = running.pop(future)
        submit_next()
        for f, report in zip(batch, _reports(future, len(batch)), strict=True):
            done += 1
            print(f"processed [{done}/{len(todo)}] {Path(f.path).name}", flush=True)
            yield f, _result(report, f, workdir, hints_by_sha.get(f.sha256, {}), versions)


def _reports(future, size: int) -> list[dict]:
    """The batch's reports, or the same error for each of its documents when the task itself failed
    (each document's own failures are reports: this is the task's code failing)."""
    future.wait()  # as_completed saw it finish; waiting reads its final state
    if not future.state.is_completed():
        return [{"error": f"processing crashed: {future.state.message}"}] * size
    return future.result()


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


def _result(report: dict, f: Input, workdir: str, hints: dict, versions: dict) -> dict:
    """The document's result for the writer; one whose staged file was cleaned away since its
    worker staged it (`fiscaldocs maintain`, a person) is made again (the writer never runs a stage
    itself)."""
    if not report.get("error") and not Path(report["staged"]).exists():
        report = _process_one(f.path, f.sha256, workdir, hints)
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
