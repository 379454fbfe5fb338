"""Ingest files into the warehouse in this process: discover, extract, load, summarize.

The plain-Python core that the Prefect flows will orchestrate; it already holds the rules a run
must keep: every file gets a row (a bad file an error row with its reason), a failure never
stops the run, and already loaded documents are never lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb

from fiscaldocs.model import Status
from fiscaldocs.pipeline import process
from warehouse.load import load_document
from warehouse.schema import create_schema

DOCUMENT_SUFFIXES = {".pdf", ".docx", ".doc"}


@dataclass
class RunSummary:
    statuses: Counter = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    tables: int = 0
    pages: int = 0

    @property
    def ok(self) -> bool:
        return not self.failures


def discover(paths: Iterable[Path]) -> list[Path]:
    """Files given directly are always taken (so a mislabelled one is reported, not skipped);
    folders are searched for documents by suffix."""
    found: list[Path] = []
    for p in paths:
        if p.is_dir():
            found += sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in DOCUMENT_SUFFIXES)
        else:
            found.append(p)
    return found


def ingest(paths: Iterable[Path], db: Path, progress=print) -> RunSummary:
    summary = RunSummary()
    files = discover(paths)
    con = duckdb.connect(str(db))
    try:
        create_schema(con)
        for i, path in enumerate(files, start=1):
            doc = process(path)
            load_document(con, doc, str(path))
            summary.statuses[str(doc.status)] += 1
            summary.tables += len(doc.tables)
            summary.pages += doc.meta.page_count or 0
            if doc.status is not Status.OK:
                summary.failures.append(doc.error or f"{path}: {doc.status}")
            progress(f"[{i}/{len(files)}] {doc.status:<9} {path.name}  "
                     f"{len(doc.tables)} tables, {len(doc.blocks)} blocks")
    finally:
        con.close()
    return summary
