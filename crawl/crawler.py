"""Discovery and download for one portal source: list pages (with pagination) → detail pages →
attachments. Every URL gets a `Fetch` record — a success, a 304, or an error with its reason —
appended to a journal as it happens, so an interrupted crawl resumes without re-downloading what
it already has."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

from fiscaldocs.crawl.config import DOCUMENT_SUFFIX, PortalSource
from fiscaldocs.crawl.fetcher import Fetch, Fetcher, FetchError, RawStore
from fiscaldocs.crawl.links import decode_html, extract_links

_DETAIL_DEFAULT = re.compile(r"\.s?html?(?:$|\?)|/$", re.IGNORECASE)  # one-off: same-host HTML pages
RESUME_WINDOW = timedelta(hours=12)


class Journal:
    """Append-only JSON lines of Fetch records for one crawl of one source, closed by a
    completion mark. A journal without the mark is an interrupted crawl, to be resumed."""

    COMPLETE = {"_complete": True}

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)

    def read(self) -> tuple[list[Fetch], bool]:
        """(records, whether that crawl completed)."""
        if not self.path.exists():
            return [], True
        records, complete = [], False
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                data = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut by a kill: ignore it
            if data == self.COMPLETE:
                complete = True
                continue
            complete = False
            try:
                records.append(Fetch(**data))
            except TypeError:
                continue
        return records, complete

    def start(self) -> None:
        self.path.write_text("", encoding="utf-8")

    def append(self, record: Fetch) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(asdict(record), ensure_ascii=False) + "\n")

    def finish(self) -> None:
        with self.path.open("a", encoding="utf-8") as fh:
            fh.write(json.dumps(self.COMPLETE) + "\n")


def crawl_source(source: PortalSource, raw_dir: Path, journal: Journal, previous: Iterable[Fetch] = (),
                 progress=lambda msg: None) -> list[Fetch]:
    """Crawl one source; returns one Fetch per attachment URL (and per failed page)."""
    known = {f.url: f for f in previous if f.sha256}
    journaled, complete = journal.read()
    known.update({f.url: f for f in journaled if f.sha256})  # conditional requests either way
    recent = {} if complete else _recent(journaled)  # resume only an interrupted crawl
    if complete:
        journal.start()
    fetcher = Fetcher(source.allowed_hosts, source.rate_limit, source.timeout, source.retries, source.max_bytes,
                      deadline=source.deadline)
    store = RawStore(raw_dir)
    records: list[Fetch] = []
    try:
        attachments, page_errors = _discover(source, fetcher)
        records += page_errors
        for record in page_errors:
            journal.append(record)

        def fetch(item: tuple[str, str]) -> Fetch:
            url, referer = item
            if url in recent and recent[url].status in ("ok", "not_modified"):
                return recent[url]  # fetched by the interrupted run being resumed: not again
            if not fetcher.allowed(url):
                record = Fetch(url, source.name, "skipped", error="host not allowed", referer=referer)
            elif not fetcher.robots_allow(url):
                record = Fetch(url, source.name, "skipped", error="disallowed by robots.txt", referer=referer)
            else:
                record = fetcher.document(url, source.name, store, known.get(url), referer)
            journal.append(record)
            progress(f"{record.status:<12} {url}" + (f"  ({record.error})" if record.error else ""))
            return record

        with ThreadPoolExecutor(max_workers=max(1, source.concurrency)) as pool:
            records += list(pool.map(fetch, attachments))
        journal.finish()
    finally:
        fetcher.close()
    return records


def _recent(records: list[Fetch]) -> dict[str, Fetch]:
    cutoff = datetime.now(UTC).replace(tzinfo=None) - RESUME_WINDOW
    out = {}
    for r in records:
        if r.fetched_at and datetime.fromisoformat(r.fetched_at) >= cutoff:
            out[r.url] = r
    return out


def _discover(source: PortalSource, fetcher: Fetcher) -> tuple[list[tuple[str, str]], list[Fetch]]:
    """Walk list pages and detail pages; return (attachment URL, referer) pairs in discovery order
    and Fetch errors for pages that could not be read."""
    list_queue = list(source.start_urls)
    seen_lists: set[str] = set()
    details: list[tuple[str, str]] = []
    seen_details: set[str] = set()
    attachments: dict[str, str] = {}
    errors: list[Fetch] = []
    while list_queue and len(seen_lists) < source.max_list_pages:
        url = list_queue.pop(0)
        if url in seen_lists:
            continue
        seen_lists.add(url)
        links = _page_links(url, source, fetcher, errors)
        for link, text in links:
            if _is_attachment(link, source):
                attachments.setdefault(link, url)
            elif not fetcher.allowed(link):
                continue
            elif _is_list(link, text, source) and link not in seen_lists:
                list_queue.append(link)
            elif _is_detail(link, source) and link not in seen_details and link not in source.start_urls:
                seen_details.add(link)
                details.append((link, url))
    for url, _referer in details[: source.max_detail_pages]:
        for link, _text in _page_links(url, source, fetcher, errors):
            if _is_attachment(link, source):
                attachments.setdefault(link, url)
    return list(attachments.items()), errors


def _page_links(url: str, source: PortalSource, fetcher: Fetcher, errors: list[Fetch]) -> list[tuple[str, str]]:
    try:
        if not fetcher.robots_allow(url):
            raise FetchError("disallowed by robots.txt")
        page = fetcher.page(url)
    except FetchError as exc:
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        errors.append(Fetch(url, source.name, "error", exc.http_status, fetched_at=now, error=f"page: {exc}"))
        return []
    return extract_links(decode_html(page.body, page.content_type), page.url)


def _is_attachment(url: str, source: PortalSource) -> bool:
    path_and_query = urlparse(url).path + ("?" + urlparse(url).query if urlparse(url).query else "")
    return bool(source.attachment_pattern.search(path_and_query))


def _is_list(url: str, text: str, source: PortalSource) -> bool:
    if source.next_page_text and text.strip() == source.next_page_text:
        return True
    return bool(source.list_pattern and source.list_pattern.search(url))


def _is_detail(url: str, source: PortalSource) -> bool:
    pattern = source.detail_pattern or _DETAIL_DEFAULT
    return bool(pattern.search(url)) and not re.search(DOCUMENT_SUFFIX, url, re.IGNORECASE)
