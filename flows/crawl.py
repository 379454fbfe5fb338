"""Prefect flow: crawl portal sources into the raw store, one task per source. Feeds the
ingestion flow with what it fetched; fetch records go to the warehouse whatever extraction makes
of the files."""

from __future__ import annotations

from dataclasses import asdict
from pathlib import Path

from fiscaldocs.crawl.config import PortalSource, one_off
from fiscaldocs.crawl.crawler import Journal, crawl_source
from fiscaldocs.crawl.fetcher import Fetch
from fiscaldocs.warehouse.runs import previous_fetches
from prefect import flow, task
from prefect.task_runners import ThreadPoolTaskRunner

from fiscaldocs.sources import read_sources_file


def _journal(workdir: str, name: str) -> Journal:
    import hashlib

    return Journal(Path(workdir) / "crawl" / f"{hashlib.sha256(name.encode()).hexdigest()[:16]}.jsonl")


@task(retries=1, retry_delay_seconds=5, task_run_name="crawl {source.name}")
def crawl_portal(source: PortalSource, workdir: str, db: str) -> list[dict]:
    previous = [Fetch(**f) for f in previous_fetches(db, source.name)]
    records = crawl_source(source, Path(workdir) / "raw", _journal(workdir, source.name), previous,
                           progress=lambda msg: print(f"fetch {msg}", flush=True))
    return [asdict(r) for r in records]


@flow(name="fiscaldocs-crawl", task_runner=ThreadPoolTaskRunner(max_workers=4))
def crawl_flow(sources_file: str | None = None, urls: list[str] | None = None, db: str = "warehouse.duckdb",
               workdir: str = ".fiscaldocs") -> list[dict]:
    portals = read_sources_file(Path(sources_file)).portals if sources_file else []
    portals += [one_off(u) for u in urls or []]
    futures = [crawl_portal.submit(p, workdir, db) for p in portals]
    return [record for f in futures for record in f.result()]
