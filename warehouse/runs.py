"""One ingestion run's write: load every extracted document into the next warehouse state,
record the run, publish. Single writer; Prefect-free (the flow calls it as one task)."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fiscaldocs.audit import across_documents, audit_document
from fiscaldocs.normalize.facts import derive
from fiscaldocs.normalize.regions import resolve as resolve_region
from fiscaldocs.warehouse.load import Source, is_loaded, load_categories, load_document
from fiscaldocs.warehouse.publish import read_only, staged

from fiscaldocs.model import Document, DocumentMeta, ReportKind, Status
from fiscaldocs.staging import extract_to_file, read_staged


@dataclass
class Outcome:
    file: str
    action: str  # new | changed | reloaded | skipped | failed
    status: str  # ok | needs_ocr | error
    tables: int = 0
    claims: int = 0
    facts: int = 0
    error: str | None = None


@dataclass
class RunSummary:
    run_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.status != "ok") + len(self.problems)

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "outcomes": [asdict(o) for o in self.outcomes], "problems": self.problems}


def loaded_ids(db: Path, extractor_version: str) -> set[str]:
    """Documents the live warehouse already holds from this extractor version (read-only)."""
    if not Path(db).exists():
        return set()
    with read_only(db) as con:
        try:
            rows = con.execute("SELECT doc_id FROM documents WHERE extractor_version = ? AND status = 'ok'",
                               [extractor_version]).fetchall()
        except Exception:  # an empty or older file without the table: nothing loaded yet
            return set()
    return {r[0] for r in rows}


def write_run(db: Path, items: list[dict], problems: list[str], sources: str, started: datetime,
              progress=lambda msg: None, fetches: list[dict] | None = None) -> RunSummary:
    """`items`: {path, url, sha256, staged (path or None), error (str or None), skipped (bool)};
    `fetches`: crawl records (crawl.fetcher.Fetch as dicts), kept whatever extraction makes of them."""
    summary = RunSummary(run_id=_run_id(started, sources), problems=list(problems))
    with staged(Path(db)) as con:
        load_categories(con)
        record_fetches(con, fetches or [])
        for i, item in enumerate(items, start=1):
            source = Source(path=item["path"], url=item.get("url"))
            name = Path(item["path"]).name
            if item.get("skipped"):
                summary.outcomes.append(Outcome(name, "skipped", "ok"))
                continue
            doc = apply_hints(_staged_document(item), item.get("hints") or {})
            if doc.status is Status.OK and is_loaded(con, doc.meta.sha256, doc.extractor_version) \
                    and _same_source(con, doc.meta.sha256, source):
                summary.outcomes.append(Outcome(name, "skipped", "ok"))
                continue
            derived = derive(doc) if doc.status is Status.OK else ([], [])
            action = load_document(con, doc, source, derived)
            record_checks(con, audit_document(doc, derived[0]))
            summary.outcomes.append(Outcome(
                name, action if doc.status is Status.OK else "failed", str(doc.status), len(doc.tables),
                len(doc.claims), _count(con, doc.meta.sha256), doc.error))
            progress(f"[{i}/{len(items)}] {summary.outcomes[-1].action:<8} {name}")
        con.execute("DELETE FROM checks WHERE rule = 'across_documents'")
        record_checks(con, across_documents(con))
        finished = datetime.now(UTC).replace(tzinfo=None)
        con.execute("INSERT INTO ingest_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [summary.run_id, started, finished, len(items), summary.count("new"), summary.count("changed"),
                     summary.count("skipped"), summary.failed, sources])
    return summary


FETCH_COLUMNS = ("url", "source", "status", "http_status", "sha256", "etag", "last_modified", "fetched_at",
                 "error", "file_name", "path", "final_url", "referer")


def record_fetches(con, fetches: list[dict]) -> None:
    """Latest fetch per (source, URL)."""
    for f in fetches:
        con.execute(f"INSERT OR REPLACE INTO fetches VALUES ({', '.join('?' * len(FETCH_COLUMNS))})",
                    [f.get(c) for c in FETCH_COLUMNS])


def apply_hints(doc: Document, hints: dict) -> Document:
    """A portal's declared region, department and report kind fill what the document did not say
    (the document's own metadata wins)."""
    if doc.status is not Status.OK or not hints:
        return doc
    meta = doc.meta
    if hints.get("department") and not meta.department:
        meta.department = hints["department"]
    if hints.get("report_kind") and meta.report_kind in (None, ReportKind.OTHER):
        meta.report_kind = ReportKind(hints["report_kind"])
    if hints.get("region") and not meta.region.code:
        meta.region = resolve_region([hints["region"]])
    return doc


def record_checks(con, checks: list) -> None:
    rows = {c.check_id: [c.check_id, c.doc_id, c.rule, c.status, c.message, c.expected, c.actual, c.tolerance,
                         c.provenance()] for c in checks}
    for row in rows.values():
        con.execute("INSERT OR REPLACE INTO checks VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", row)


def previous_fetches(db: Path, source: str) -> list[dict]:
    """What the live warehouse knows of a source's URLs (for conditional requests)."""
    if not Path(db).exists():
        return []
    with read_only(db) as con:
        try:
            rows = con.execute(f"SELECT {', '.join(FETCH_COLUMNS)} FROM fetches WHERE source = ? AND sha256 IS NOT NULL",
                               [source]).fetchall()
        except Exception:  # an older warehouse without the table
            return []
    return [{c: (v.isoformat(timespec="seconds") if c == "fetched_at" and v else v)
             for c, v in zip(FETCH_COLUMNS, r, strict=True)} for r in rows]


def _staged_document(item: dict) -> Document:
    if not item.get("staged"):
        return _crashed(item)
    if not Path(item["staged"]).exists():  # a cached task result whose file was cleaned away: redo
        return read_staged(extract_to_file(item["path"], item["sha256"], str(Path(item["staged"]).parent.parent)))
    return read_staged(item["staged"])


def _same_source(con, doc_id: str, source: Source) -> bool:
    row = con.execute("SELECT coalesce(source_url, source_path) FROM documents WHERE doc_id = ?", [doc_id]).fetchone()
    return row is not None and row[0] == source.key


def _count(con, doc_id: str) -> int:
    return con.execute("SELECT count(*) FROM facts WHERE doc_id = ?", [doc_id]).fetchone()[0]


def _crashed(item: dict) -> Document:
    """A document whose extraction itself failed (after retries): an error row, named."""
    meta = DocumentMeta(sha256=item["sha256"], file_name=Path(item["path"]).name, file_type="unknown")
    return Document(meta=meta, status=Status.ERROR, error=f"{Path(item['path']).name}: {item.get('error')}")


def _run_id(started: datetime, sources: str) -> str:
    return f"{started:%Y%m%dT%H%M%S}-{hashlib.sha256((sources + uuid.uuid4().hex).encode()).hexdigest()[:8]}"
