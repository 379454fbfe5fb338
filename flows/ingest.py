"""Prefect flows: ingest a set of sources into the warehouse.

Tasks pass paths and ids. Each document is one `extract_document` task — retried on transient
failure, cached on the file's content hash and the extractor version — whose CPU-bound work runs
in a process pool (plain worker processes: a Prefect task runner per process would start an
ephemeral API server in each). One task then writes everything to DuckDB and publishes it; a run
summary is published as a Prefect table artifact.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import sys
import threading
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

from fiscaldocs.extractors import EXTRACTOR_VERSION
from fiscaldocs.warehouse.runs import RunSummary, loaded_ids, write_run
from prefect import flow, task
from prefect.artifacts import create_table_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from fiscaldocs.sources import Input, read_sources_file, resolve
from fiscaldocs.staging import extract_to_file

DEFAULT_DB = "warehouse.duckdb"
DEFAULT_WORKDIR = ".fiscaldocs"


_POOL_LOCK = threading.Lock()


@cache
def _make_pool() -> ProcessPoolExecutor:
    workers = int(os.environ.get("FISCALDOCS_WORKERS", "0")) or os.cpu_count() or 1
    return ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("forkserver"))


def _pool() -> ProcessPoolExecutor:
    with _POOL_LOCK:  # task threads ask at once: one pool, not one each
        return _make_pool()


def _extraction_key(context, parameters) -> str:
    """Same content, same extractor version, same staging folder: same result."""
    workdir = hashlib.sha256(os.path.abspath(parameters["workdir"]).encode()).hexdigest()[:12]
    return f"extract-{parameters['sha256']}-{EXTRACTOR_VERSION}-{workdir}"


@task(retries=2, retry_delay_seconds=[1, 5], cache_key_fn=_extraction_key, persist_result=True,
      task_run_name="extract {path}")
def extract_document(path: str, sha256: str, workdir: str) -> str:
    return _pool().submit(extract_to_file, path, sha256, workdir).result()


@task(task_run_name="load and publish {db}")
def load_and_publish(db: str, items: list[dict], problems: list[str], sources: str, started: datetime,
                     fetches: list[dict]) -> dict:
    return write_run(Path(db), items, problems, sources, started, progress=lambda msg: print(msg, flush=True),
                     fetches=fetches).as_dict()


@flow(name="fiscaldocs-ingest", task_runner=ThreadPoolTaskRunner(max_workers=8))
def ingest_flow(inputs: list[str] | None = None, sources_file: str | None = None, db: str = DEFAULT_DB,
                workdir: str = DEFAULT_WORKDIR, crawl_urls: list[str] | None = None) -> dict:
    """Ingest files, folders and file URLs (`inputs`), the sources of a sources file (crawling its
    portals first) and one-off crawls of `crawl_urls`; only new or changed documents are extracted."""
    from fiscaldocs.flows.crawl import crawl_flow

    started = datetime.now(UTC).replace(tzinfo=None)
    declared = read_sources_file(Path(sources_file)) if sources_file else None
    requested = list(inputs or []) + (declared.inputs if declared else [])
    files, problems = resolve(requested, Path(workdir) / "raw")
    fetches: list[dict] = []
    hints_by_sha: dict[str, dict] = {}
    if (declared and declared.portals) or crawl_urls:
        fetches = crawl_flow(sources_file=sources_file, urls=crawl_urls, db=db, workdir=workdir)
        fetched = {f["sha256"]: f for f in fetches if f["status"] in ("ok", "not_modified") and f["path"]}
        have = {f.sha256 for f in files}
        files += [Input(f["path"], sha, url=f["url"]) for sha, f in fetched.items() if sha not in have]
        hints = {p.name: p.hints for p in (declared.portals if declared else [])}
        hints_by_sha = {sha: hints.get(f["source"], {}) for sha, f in fetched.items()}
        requested += [f"crawl:{p.name}" for p in (declared.portals if declared else [])] + list(crawl_urls or [])
    known = loaded_ids(Path(db), EXTRACTOR_VERSION)
    futures = {f: extract_document.submit(f.path, f.sha256, workdir) for f in files if f.sha256 not in known}
    items = []
    for f in _progress(files, futures):
        item = {"path": f.path, "url": f.url, "sha256": f.sha256, "skipped": f.sha256 in known,
                "hints": hints_by_sha.get(f.sha256, {})}
        if f in futures:
            if futures[f].state.is_completed():
                item["staged"] = futures[f].result()
            else:
                item["error"] = f"extraction crashed: {futures[f].state.message}"
        items.append(item)
    summary = load_and_publish(db, items, problems, " ".join(requested), started, fetches)
    _publish_artifact(summary)
    return summary


def _progress(files: list, futures: dict):
    """Yield the files in order once extracted, showing progress: a bar on a terminal, lines
    otherwise (logs, CI)."""
    if sys.stdout.isatty() and futures:
        from rich.progress import Progress

        with Progress(transient=True) as bar:
            job = bar.add_task("extracting", total=len(futures))
            for f in files:
                if f in futures:
                    futures[f].wait()
                    bar.advance(job)
                yield f
        return
    done = 0
    for f in files:
        if f in futures:
            futures[f].wait()
            done += 1
            print(f"extracted [{done}/{len(futures)}] {Path(f.path).name}", flush=True)
        yield f


def _publish_artifact(summary: dict) -> None:
    rows = [{k: o[k] for k in ("file", "action", "status", "tables", "claims", "facts", "error")}
            for o in summary["outcomes"]]
    rows += [{"file": p, "action": "failed", "status": "error", "tables": 0, "claims": 0, "facts": 0, "error": p}
             for p in summary["problems"]]
    create_table_artifact(key="ingest-summary", table=rows or [{"file": "(nothing to ingest)"}],
                          description=f"fiscaldocs ingest run {summary['run_id']}")


def run_summary(result: dict) -> RunSummary:
    from fiscaldocs.warehouse.runs import Outcome

    return RunSummary(result["run_id"], [Outcome(**o) for o in result["outcomes"]], result["problems"])
