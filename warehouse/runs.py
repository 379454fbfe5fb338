"""One ingestion run's write: load every processed document into the next warehouse state,
record the run, publish. The single writer, and a sink: every stage has run before it (the flow
runs them in workers); it reads staged results and writes rows. Prefect-free.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from fiscaldocs.warehouse.backends import backend
from fiscaldocs.warehouse.load import (
    Source,
    insert_checks,
    load_rows,
    loaded_versions,
    replace_categories,
)
from fiscaldocs.warehouse.rows import document_rows
from fiscaldocs.warehouse.schema import literal

from fiscaldocs.model import Check


@dataclass
class Outcome:
    file: str
    action: str  # new | changed | reloaded | skipped | failed
    status: str  # ok | needs_ocr | error
    tables: int = 0
    claims: int = 0
    facts: int = 0
    error: str | None = None
    stages: str = ""  # stages run for it in this run (e.g. "normalize,audit": extraction reused)
@dataclass
class RunSummary:
    run_id: str
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unsupported: list[str] = field(default_factory=list)  # "path (type)" of files left out

    def count(self, action: str) -> int:
        return sum(1 for o in self.outcomes if o.action == action)

    @property
    def failed(self) -> int:
        return sum(1 for o in self.outcomes if o.status != "ok") + len(self.problems)

    @classmethod
    def from_dict(cls, data: dict) -> RunSummary:
        return cls(data["run_id"], [Outcome(**o) for o in data["outcomes"]], data["problems"],
                   data.get("unsupported", []))

    def as_dict(self) -> dict:
        return {"run_id": self.run_id, "outcomes": [asdict(o) for o in self.outcomes], "problems": self.problems,
                "unsupported": self.unsupported}


@dataclass
class KnownDocuments:
    """What the live warehouse says of the documents a run may meet, read once."""

    loaded: dict[str, dict[str, str]]  # loaded successfully: doc_id → the stage versions that produced it
    given_up: dict[str, tuple[str, str]]  # killed its worker or ran out of time: doc_id → (extractor version, error)


def known_documents(db: str | Path) -> KnownDocuments:
    """Documents loaded (with their stage versions) and documents given up on (not processed again
    until the file or the extractor changes), in one read of the live warehouse."""
    from fiscaldocs.retry import NOT_RETRIED

    rows = _live_rows(db, "SELECT doc_id, status, extractor_version, normalize_version, audit_version, error "
                          "FROM documents WHERE status = 'ok' OR (status = 'error' AND extractor_version IS NOT NULL "
                          f"AND contains(error, {literal(NOT_RETRIED)}))", [])  # no parameter: see literal
    return KnownDocuments(
        loaded={r[0]: {"extract": r[2], "normalize": r[3], "audit": r[4]} for r in rows if r[1] == "ok"},
        given_up={r[0]: (r[2], r[5]) for r in rows if r[1] == "error"})


def loaded_documents(db: str | Path) -> dict[str, dict[str, str]]:
    """Documents the live warehouse holds, loaded successfully, with the stage versions that
    produced them (read-only; an empty dict before the first run)."""
    return known_documents(db).loaded


# Documents written per batch (one INSERT per table each): big enough that statements are few, small
# enough that the writer keeps pace with extraction and holds only a few documents' rows at once.
BATCH_DOCUMENTS = 32


def write_run(db: str | Path, items: Iterable[dict], problems: list[str], sources: str, started: datetime,
              progress: Callable[[str], None] = lambda msg: None, fetches: list[dict] | None = None,
              categories: list[list] | None = None,
              cross_audit: Callable[[duckdb.DuckDBPyConnection], list[Check]] | None = None,
              unsupported: list[str] | None = None, wait: bool = False, batch: int = BATCH_DOCUMENTS) -> RunSummary:
    """`items`: {path, url, sha256, staged (a processed file) or error, skipped (bool), stages}, a
    list or an iterator (the flow hands them over as extraction finishes them: each is written into
    the next warehouse state at once, in batches of `batch` documents, and only the small outcomes
    are kept); `fetches`: crawl records (crawl.fetcher.Fetch as dicts), kept whatever extraction
    makes of them; `categories`: the taxonomy rows to replace the dimension with; `cross_audit`:
    rules that read the loaded warehouse (checks across documents), run before publishing;
    `unsupported`: files left out (listed in the summary and the run's row); `wait`: wait for
    another run's lock instead of failing."""
    summary = RunSummary(run_id=_run_id(started, sources), problems=list(problems), unsupported=list(unsupported or []))
    warehouse = backend(db)
    with warehouse.writer(wait=wait, on_wait=progress) as con:
        if categories is not None:
            replace_categories(con, categories)
        record_fetches(con, fetches or [])
        writer = _BatchWriter(con, warehouse.run_is_one_transaction, summary, progress, max(1, batch))
        seen = 0
        for seen, item in enumerate(items, start=1):
            writer.add(item, seen)
        writer.flush()
        if cross_audit is not None:
            con.execute("DELETE FROM checks WHERE rule = 'across_documents'")
            insert_checks(con, cross_audit(con))
        _record_run(con, summary, started, seen, sources)
    return summary


class _BatchWriter:
    """Documents' staged rows gathered into batches and loaded with `load_rows`; outcomes keep input order."""

    def __init__(self, con, in_transaction: bool, summary: RunSummary, progress: Callable[[str], None], size: int):
        self.con, self.in_transaction, self.summary, self.progress, self.size = con, in_transaction, summary, progress, size
        self.pending: list[tuple[dict, Source, Outcome, int]] = []

    def add(self, item: dict, i: int) -> None:
        from fiscaldocs.staging import failed_processing, read_rows  # (not on a no-change night: heavy)

        source = Source(path=item["path"], url=item.get("url"))
        name = Path(item["path"]).name
        if item.get("skipped"):
            self.summary.outcomes.append(_skipped(item))
            return
        rows = (read_rows(item["staged"]) if item.get("staged")
                else document_rows(failed_processing(item["path"], item["sha256"], item.get("error") or "not processed",
                                                     item.get("versions"))))
        head = rows["header"]
        doc_id = head["doc_id"]
        if any(r["header"]["doc_id"] == doc_id or s.key == source.key for r, s, _, _ in self.pending):
            self.flush()  # a repeat sees its first occurrence loaded, as document by document
        if head["status"] == "ok" and loaded_versions(self.con, doc_id) == head["versions"] \
                and _same_source(self.con, doc_id, source):
            self.summary.outcomes.append(Outcome(name, "skipped", "ok"))
            return
        outcome = Outcome(name, "failed", head["status"], head["tables"], head["claims"], head["facts"],
                          head["error"], ",".join(item.get("stages") or []))
        self.summary.outcomes.append(outcome)  # its action is known once its batch is written
        self.pending.append((rows, source, outcome, i))
        if len(self.pending) >= self.size:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        actions = load_rows(self.con, [(r, s) for r, s, _, _ in self.pending], self.in_transaction)
        for (rows, _, outcome, i), action in zip(self.pending, actions, strict=True):
            if rows["header"]["status"] == "ok":
                outcome.action = action
            self.progress(f"[{i}] {outcome.action:<8} {outcome.file}")
        self.pending = []


def _skipped(item: dict) -> Outcome:
    """The outcome of a document not processed: loaded before, or given up on (its reason kept)."""
    given_up = item.get("given_up")
    return Outcome(Path(item["path"]).name, "skipped", "error" if given_up else "ok", error=given_up)


def _record_run(con, summary: RunSummary, started: datetime, seen: int, sources: str) -> None:
    finished = datetime.now(UTC).replace(tzinfo=None)
    values = [summary.run_id, started, finished, seen, summary.count("new"), summary.count("changed"),
              summary.count("skipped"), summary.failed, sources, "\n".join(summary.unsupported) or None]
    con.execute(f"INSERT INTO ingest_runs VALUES ({', '.join(map(literal, values))})")  # no parameters: see literal


def record_unchanged_run(db: str | Path, items: list[dict], problems: list[str], sources: str, started: datetime,
                         unsupported: list[str] | None = None, wait: bool = False) -> RunSummary:
    """A run in which every document was loaded before under the current stage versions (or given
    up on): only its ingest_runs row is written, as one small transaction — no copy of the
    warehouse, no taxonomy or cross-document rules (unchanged documents and stage versions give the
    same rows). `items` are all skipped ones."""
    summary = RunSummary(run_id=_run_id(started, sources), problems=list(problems), unsupported=list(unsupported or []))
    summary.outcomes += [_skipped(item) for item in items]
    with backend(db).small_writer(wait=wait) as con:
        _record_run(con, summary, started, len(items), sources)
    return summary


FETCH_COLUMNS = ("url", "source", "status", "http_status", "sha256", "etag", "last_modified", "fetched_at",
                 "error", "file_name", "path", "final_url", "referer")


def record_fetches(con, fetches: list[dict]) -> None:
    """Latest fetch per (source, URL)."""
    for f in fetches:  # delete + insert: DuckLake has no key for INSERT OR REPLACE
        con.execute("DELETE FROM fetches WHERE source IS NOT DISTINCT FROM ? AND url = ?", [f.get("source"), f.get("url")])
        con.execute(f"INSERT INTO fetches VALUES ({', '.join('?' * len(FETCH_COLUMNS))})",
                    [f.get(c) for c in FETCH_COLUMNS])


def previous_fetches(db: str | Path, source: str) -> list[dict]:
    """What the live warehouse knows of a source's URLs (for conditional requests)."""
    rows = _live_rows(db, f"SELECT {', '.join(FETCH_COLUMNS)} FROM fetches WHERE source = ? AND sha256 IS NOT NULL",
                      [source])
    return [{c: (v.isoformat(timespec="seconds") if c == "fetched_at" and v else v)
             for c, v in zip(FETCH_COLUMNS, r, strict=True)} for r in rows]


def _live_rows(db: str | Path, sql: str, params: list) -> list[tuple]:
    """Rows of a query on the published warehouse; none before the first run, or where the table
    does not exist yet (a file whose first run died before publishing, an older schema)."""
    warehouse = backend(db)
    if not warehouse.exists():
        return []
    with warehouse.reader() as con:
        try:
            return (con.execute(sql, params) if params else con.execute(sql)).fetchall()
        except duckdb.CatalogException:
            return []


def _same_source(con, doc_id: str, source: Source) -> bool:
    row = con.execute("SELECT coalesce(source_url, source_path) FROM documents WHERE doc_id = ?", [doc_id]).fetchone()
    return row is not None and row[0] == source.key


def _run_id(started: datetime, sources: str) -> str:
    return f"{started:%Y%m%dT%H%M%S}-{hashlib.sha256((sources + uuid.uuid4().hex).encode()).hexdigest()[:8]}"
