"""The crawler against a realistic test portal on 127.0.0.1 (tests/portal.py): pagination,
relative links, Chinese file names, Content-Disposition, a redirect, a 404, a 500 that succeeds on
retry, a timeout, an HTML page named .pdf, one file at two URLs, robots.txt, another host, and a
second crawl where only one document changed."""

from __future__ import annotations

import re
from collections import Counter
from urllib.parse import urlparse

import duckdb
import pytest
from fiscaldocs.crawl.config import PortalSource, one_off
from fiscaldocs.crawl.crawler import Journal, crawl_source
from fiscaldocs.crawl.fetcher import file_name
from portal import EXPECTED, Portal

FAST = dict(timeout=1.0, retries=1, rate_limit=200.0, concurrency=4)


def portal_source(portal: Portal) -> PortalSource:
    return PortalSource(
        name="test portal", start_urls=[portal.url + EXPECTED["start_path"]],
        allowed_hosts=frozenset({urlparse(portal.url).netloc}),
        list_pattern=re.compile(r"czyjs/index(_\d+)?\.html$"), detail_pattern=re.compile(EXPECTED["detail_pattern"]),
        **FAST)


def by_path(records, portal):
    return {r.url.replace(portal.url, "").replace(portal.other_url, "other:"): r for r in records}


@pytest.fixture
def crawled(tmp_path):
    with Portal() as portal:
        journal = Journal(tmp_path / "journal.jsonl")
        records = crawl_source(portal_source(portal), tmp_path / "raw", journal)
        yield portal, records, tmp_path


def test_every_document_found_and_stored_once(crawled):
    portal, records, tmp = crawled
    stored = {r.sha256 for r in records if r.status == "ok"}
    assert len(stored) == EXPECTED["documents"]
    files = [p for p in (tmp / "raw").rglob("*") if p.is_file()]
    assert len(files) == EXPECTED["documents"]  # the file served at two URLs is stored once
    paths = by_path(records, portal)
    for path in EXPECTED["documents_by_path"]:
        assert paths[path].status == "ok", (path, paths[path].error)
    a, b = EXPECTED["duplicate_urls"][0]
    assert paths[a].sha256 == paths[b].sha256


def test_file_names_from_content_disposition_and_urls(crawled):
    portal, records, _ = crawled
    paths = by_path(records, portal)
    for path, name in EXPECTED["filenames"].items():
        if path in EXPECTED["duplicate_urls"][0][1:]:
            continue  # stored once, under the first name it came with
        assert paths[path].file_name == name


def test_failures_recorded_with_their_reason(crawled):
    portal, records, _ = crawled
    paths = by_path(records, portal)
    assert paths["/files/missing.pdf"].status == "error" and "404" in paths["/files/missing.pdf"].error
    assert paths["/files/slow.pdf"].status == "error" and "timeout" in paths["/files/slow.pdf"].error
    assert paths["/files/notfound.pdf"].status == "error" and "HTML" in paths["/files/notfound.pdf"].error
    assert paths["/files/flaky.pdf"].status == "ok" and portal.flaky_hits == 2  # a 500, then retried once
    assert paths["/old/huaihua.pdf"].final_url.endswith("/files/huaihua.pdf")


def test_never_leaves_allowed_hosts_nor_ignores_robots(crawled):
    portal, records, _ = crawled
    for host, path in EXPECTED["never_requested"]:
        assert not portal.was_requested(path, host=host)
    paths = by_path(records, portal)
    assert paths["/private/secret.pdf"].status == "skipped" and "robots" in paths["/private/secret.pdf"].error
    assert paths["other:/files/elsewhere.pdf"].status == "skipped"
    assert not any("gov.cn" in r.url for r in records if r.status != "skipped")
    assert not any(portal.was_requested(p) for p in ("/about.html", "/zwdt/index.html"))  # nav is not a detail page


def test_second_crawl_downloads_only_the_changed_document(crawled):
    portal, first, tmp = crawled
    portal.change("yiyang", portal.document("yiyang")[0] + b"\n% revised\n")
    portal.clear_log()
    second = crawl_source(portal_source(portal), tmp / "raw", Journal(tmp / "other-journal.jsonl"), previous=first)
    downloads = [p for p in portal.full_downloads("/")]
    assert len(downloads) == 1 and "2023%E5%B9%B4" in downloads[0]
    statuses = Counter(r.status for r in second if r.url in {f.url for f in first if f.status == "ok"})
    assert statuses == Counter({"not_modified": 6, "ok": 1})
    sent = [h for _, path, h, _, _ in portal.requests if path.startswith("/files/ningxiang")]
    assert all("if-none-match" in {k.lower() for k in h} for h in sent)


def test_interrupted_crawl_resumes_without_downloading_again(crawled):
    portal, first, tmp = crawled
    journal = tmp / "journal.jsonl"
    journal.write_text("".join(journal.read_text().splitlines(keepends=True)[:-1]))  # as if killed before the end
    portal.clear_log()
    again = crawl_source(portal_source(portal), tmp / "raw", Journal(tmp / "journal.jsonl"))  # same journal
    assert portal.full_downloads("/") == []
    assert {r.sha256 for r in again if r.status == "ok"} == {r.sha256 for r in first if r.status == "ok"}


def test_one_off_crawl_of_a_page(tmp_path):
    with Portal() as portal:
        records = crawl_source(one_off(portal.url + EXPECTED["start_path"], **FAST), tmp_path / "raw",
                               Journal(tmp_path / "j.jsonl"))
    assert len({r.sha256 for r in records if r.status == "ok"}) == EXPECTED["documents"]


@pytest.mark.parametrize(("disposition", "url", "name"), [
    ("attachment; filename*=UTF-8''%E5%86%B3%E7%AE%97.pdf", "http://x/d.jsp?id=1", "决算.pdf"),
    ('attachment; filename="report.docx"', "http://x/d.jsp", "report.docx"),
    (None, "http://x/files/2023%E5%B9%B4%E5%BA%A6.pdf", "2023年度.pdf"),
])
def test_file_name(disposition, url, name):
    assert file_name(disposition, url) == name


def test_crawl_then_ingest_through_the_flows(prefect_harness, tmp_path):
    from fiscaldocs.flows.ingest import ingest_flow

    with Portal() as portal:
        sources = tmp_path / "sources.toml"
        sources.write_text(f'''[[source]]
name = "test portal"
start_urls = ["{portal.url}{EXPECTED["start_path"]}"]
list_pattern = 'czyjs/index(_\\d+)?\\.html$'
detail_pattern = '{EXPECTED["detail_pattern"]}'
timeout = 1.0
retries = 1
rate_limit = 200.0
concurrency = 4
''', encoding="utf-8")
        db, work = tmp_path / "w.duckdb", tmp_path / "work"
        first = ingest_flow(sources_file=str(sources), db=str(db), workdir=str(work))
        portal.change("huaihua", portal.document("huaihua")[0] + b"\n% revised\n")
        second = ingest_flow(sources_file=str(sources), db=str(db), workdir=str(work))
    assert Counter(o["action"] for o in first["outcomes"]) == Counter({"new": 6})
    assert Counter(o["action"] for o in second["outcomes"]) == Counter({"skipped": 5, "changed": 1})
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents").fetchone()[0] == 6
        fetch_status = dict(con.execute("SELECT status, count(*) FROM fetches GROUP BY ALL").fetchall())
        errors = dict(con.execute("SELECT regexp_extract(url, '[^/]+$'), error FROM fetches WHERE status = 'error'").fetchall())
        urls = con.execute("SELECT count(*) FROM documents WHERE source_url IS NOT NULL").fetchone()[0]
    assert fetch_status["skipped"] == 2 and set(errors) == {"missing.pdf", "slow.pdf", "notfound.pdf"}
    assert urls == 6
