"""What a run has to do, decided before anything heavy starts: which documents are new, changed or
produced by other stage versions (content hash + stage versions against the live warehouse's
loaded and given-up documents). Prefect-free and parser-free, so the command line can answer a
no-change night with it alone (`quiet_run`) and start the Prefect flow only when there is work.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fiscaldocs.hashing import HashCache
from fiscaldocs.sources import Input, Resolved, resolve

DEFAULT_WORKDIR = ".fiscaldocs"  # the staging folder (fiscaldocs/staging.py) and its hash cache


@dataclass
class Work:
    """The documents a run must process (`todo`) and what it knows of the others."""

    todo: list[Input]
    given_up: dict[str, tuple[str, str]] = field(default_factory=dict)  # sha256 → (extractor version, error)
    versions: dict[str, str] = field(default_factory=dict)


def resolve_local(inputs: list[str], workdir: str, url_hosts=None) -> Resolved:
    """`resolve`, hashing through the staging folder's hash cache (fiscaldocs/hashing.py)."""
    hashes = HashCache(workdir)
    resolved = resolve(inputs, Path(workdir) / "raw", url_hosts, hashes=hashes)
    hashes.save()
    return resolved


def changed(files: list[Input], db: str) -> Work:
    """Documents not loaded under the current stage versions, less those given up on under the
    current extractor (FISCALDOCS_RETRY_FAILED=1 retries those)."""
    from fiscaldocs.warehouse.runs import known_documents

    from fiscaldocs.versions import current_lean

    versions = current_lean().as_dict()
    known = known_documents(db)  # one read of the live warehouse (a file or a DuckLake spec, as given)
    retry = os.environ.get("FISCALDOCS_RETRY_FAILED") == "1"
    given_up = {} if retry else known.given_up
    todo = [f for f in files if known.loaded.get(f.sha256) != versions
            and given_up.get(f.sha256, (None,))[0] != versions["extract"]]
    return Work(todo, given_up, versions)


def skipped_items(files: list[Input], work: Work) -> list[dict]:
    return [{"path": f.path, "url": f.url, "sha256": f.sha256, "skipped": True,
             **({"given_up": work.given_up[f.sha256][1]} if f.sha256 in work.given_up else {})} for f in files]


def needs_network(inputs: list[str], sources_file: str | None, crawl_urls: list[str] | None) -> bool:
    """URLs and portals are fetched by the flow (the crawler's conditional GETs decide there)."""
    from urllib.parse import urlparse

    from fiscaldocs.sources import read_sources_file

    if crawl_urls or any(urlparse(i).scheme in ("http", "https") for i in inputs):
        return True
    if sources_file:
        declared = read_sources_file(Path(sources_file))
        return bool(declared.portals) or any(urlparse(i).scheme in ("http", "https") for i in declared.inputs)
    return False


def quiet_run(inputs: list[str], sources_file: str | None, db: str, workdir: str,
              wait: bool = False) -> dict | None:
    """The run's summary when nothing changed — every local document already loaded under the
    current stage versions, or given up on — recorded without Prefect, without the parsers and
    without copying the warehouse; None when there is work (or anything to fetch), for the flow."""
    from fiscaldocs.warehouse.backends import backend
    from fiscaldocs.warehouse.runs import record_unchanged_run

    from fiscaldocs.sources import read_sources_file, unsupported_files

    if needs_network(inputs, sources_file, None):
        return None
    started = datetime.now(UTC).replace(tzinfo=None)
    requested = list(inputs) + (read_sources_file(Path(sources_file)).inputs if sources_file else [])
    resolved = resolve_local(requested, workdir)
    if not resolved.files or not backend(db).exists():
        return None  # a first run (or an empty one) creates the warehouse through the flow
    work = changed(resolved.files, db)
    if work.todo:
        return None
    summary = record_unchanged_run(db, skipped_items(resolved.files, work), resolved.problems, " ".join(requested),
                                   started, unsupported_files(requested), wait)
    return summary.as_dict()
