"""A crawler that cannot be hung, against hostile routes of the local portal (tests/portal.py):
a gzip-bomb robots.txt, a server dripping a byte a second, file names with NUL bytes or longer than
255 bytes, a file that cannot be stored, a redirect to another host for `ingest URL`."""

from __future__ import annotations

import errno
import hashlib
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from fiscaldocs.crawl import fetcher as fetcher_module
from fiscaldocs.crawl.config import one_off
from fiscaldocs.crawl.crawler import Journal, crawl_source
from fiscaldocs.crawl.fetcher import MAX_NAME_BYTES, safe_name
from hostile.generate import gzip_bomb
from portal import YIYANG_PATH, Portal

SAMPLES = Path(__file__).resolve().parent.parent / "sample_docs"
PDF_BYTES = (SAMPLES / "huaihua_2022_project_self_evaluation.pdf").read_bytes()
LONG_TITLE = "上海市普陀区万里街道办事处" + "二〇二四年度部门预算及项目支出绩效目标申报与评价情况说明" * 3  # > 85 characters


def _send(h, status: int, headers: dict, body: bytes) -> None:
    h.send_response(status)
    for k, v in headers.items():
        h.send_header(k, v)
    h.send_header("Content-Length", str(len(body)))
    h.end_headers()
    h.wfile.write(body)
    h.wfile.flush()


def _document(disposition: str, body: bytes = PDF_BYTES):
    return lambda h, closing: _send(h, 200, {"Content-Type": "application/pdf", "Content-Disposition": disposition},
                                    body)


def _drip(h, closing) -> None:
    """Headers, then one byte a second: each read succeeds, so a per-read timeout never fires."""
    h.send_response(200)
    h.send_header("Content-Type", "application/pdf")
    h.send_header("Content-Length", "100000")
    h.end_headers()
    h.wfile.write(b"%PDF-1.4\n")
    h.wfile.flush()
    while not closing.wait(1.0):
        h.wfile.write(b"%")
        h.wfile.flush()


def _robots_bomb(body: bytes):
    return lambda h, closing: _send(h, 200, {"Content-Type": "text/plain", "Content-Encoding": "gzip"}, body)


@pytest.fixture(scope="module")
def hostile_crawl(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("crawl")
    bomb = gzip_bomb()  # ~1 MB on the wire, 1 GiB inflated
    nul_name = "attachment; filename*=UTF-8''" + quote("2024年\x00预算\x07说明.pdf")
    with Portal() as portal:
        links = ["/hostile/drip.pdf", "/hostile/drip.html", "/hostile/nul.pdf", "/hostile/long1.pdf",
                 "/hostile/long2.pdf", "/hostile/full.pdf", "/private/secret.pdf", YIYANG_PATH]
        index = "<html><body>" + "".join(f'<a href="{u}">{u}</a>' for u in links) + "</body></html>"
        portal.add_route("/robots.txt", _robots_bomb(bomb))
        portal.add_route("/hostile/index.html", lambda h, c: _send(h, 200, {"Content-Type": "text/html"},
                                                                    index.encode()))
        portal.add_route("/hostile/drip.pdf", _drip)
        portal.add_route("/hostile/drip.html", _drip)
        portal.add_route("/hostile/nul.pdf", _document(nul_name))
        for i in (1, 2):  # same long title, different documents
            portal.add_route(f"/hostile/long{i}.pdf", _document(
                "attachment; filename*=UTF-8''" + quote(f"{LONG_TITLE}{i}.pdf"), PDF_BYTES + b"\n%" * i))
        portal.add_route("/hostile/full.pdf", _document("attachment; filename=full.pdf", PDF_BYTES + b"\n%full"))
        source = one_off(portal.url + "/hostile/index.html", timeout=5.0, deadline=2.5, retries=0, rate_limit=0,
                         concurrency=4, max_bytes=4 * 2**20)
        real_put = fetcher_module.RawStore.put

        def put(self, body, name):  # the disk is full for one file only
            if name == "full.pdf":
                raise OSError(errno.ENOSPC, "No space left on device", str(tmp / "raw"))
            return real_put(self, body, name)

        fetcher_module.RawStore.put = put
        started = time.monotonic()
        try:
            records = crawl_source(source, tmp / "raw", Journal(tmp / "journal.jsonl"))
        finally:
            fetcher_module.RawStore.put = real_put
        took = time.monotonic() - started
    return {r.url.removeprefix(portal.url): r for r in records}, took


def test_the_crawl_ends_in_bounded_time(hostile_crawl):
    records, took = hostile_crawl
    assert took < 20  # without the deadline: never (a byte every second, forever)


def test_robots_bomb_is_read_up_to_the_cap_and_obeyed(hostile_crawl):
    records, _ = hostile_crawl
    # the bomb's first line is "Disallow: /private/": read (up to max_bytes), parsed and obeyed
    assert records["/private/secret.pdf"].status == "skipped"
    assert records["/private/secret.pdf"].error == "disallowed by robots.txt"


def test_dripping_server_hits_the_deadline(hostile_crawl):
    records, _ = hostile_crawl
    drip = records["/hostile/drip.pdf"]
    assert drip.status == "error" and "deadline of 2.5 s" in drip.error
    page = records["/hostile/drip.html"]  # a page is read under the same deadline
    assert page.status == "error" and page.error.startswith("page: not done within the download deadline")


def test_unsafe_names_are_made_safe_and_stored(hostile_crawl):
    records, _ = hostile_crawl
    nul = records["/hostile/nul.pdf"]
    assert nul.status == "ok" and nul.file_name == "2024年预算说明.pdf" and Path(nul.path).exists()
    long1, long2 = records["/hostile/long1.pdf"], records["/hostile/long2.pdf"]
    for r in (long1, long2):
        assert r.status == "ok" and Path(r.path).exists() and r.file_name.endswith(".pdf")
        assert len(r.file_name.encode()) <= MAX_NAME_BYTES
        assert r.file_name.startswith("上海市普陀区万里街道办事处二〇二四年度")
    assert long1.file_name != long2.file_name  # uniqueness kept


def test_a_file_that_cannot_be_stored_is_its_own_error(hostile_crawl):
    records, _ = hostile_crawl
    full = records["/hostile/full.pdf"]
    assert full.status == "error" and full.error.startswith("cannot store the file: disk full")
    assert records[YIYANG_PATH].status == "ok"  # the good files of the same portal are kept


@pytest.mark.parametrize("name, expected", [
    ("a\x00b\x1f.pdf", "ab.pdf"),
    ("../../etc/passwd", "_.._etc_passwd"),
    ("..\\x.docx", "_x.docx"),
    ("", "download"),
    ("\u200b\u202e.pdf", "pdf"),
])
def test_safe_name(name, expected):
    assert safe_name(name) == expected


def test_safe_name_shortens_keeping_extension_and_uniqueness():
    a, b = safe_name("报" * 200 + "甲.docx"), safe_name("报" * 200 + "乙.docx")
    assert a != b and a.endswith(".docx") and b.endswith(".docx")
    assert len(a.encode()) <= 255 and len(b.encode()) <= 255
    assert a.startswith("报" * 80)
    digest = hashlib.sha256(("报" * 200 + "甲.docx").encode()).hexdigest()[:8]
    assert f"~{digest}.docx" in a


def test_ingest_url_goes_through_the_fetcher(tmp_path):
    """Redirects stay on the URL's host unless more hosts are configured; the size cap applies."""
    from fiscaldocs import sources

    with Portal() as portal:
        away = portal.other_url + "/files/elsewhere.pdf"
        portal.add_route("/hostile/away.pdf", lambda h, c: _send(h, 302, {"Location": away}, b""))
        url = portal.url + "/hostile/away.pdf"
        [fetch] = sources.resolve([url], tmp_path / "raw").fetches
        assert fetch["status"] == "error" and fetch["error"] == f"download failed: redirected off the allowed hosts to {away}"
        assert portal.other_requests == []
        host, other = portal.url.removeprefix("http://"), portal.other_url.removeprefix("http://")
        resolved = sources.resolve([url], tmp_path / "raw", {url: frozenset({host, other})})
        assert resolved.fetches[0]["status"] == "ok" and len(resolved.files) == 1
        assert resolved.files[0].url == url and Path(resolved.files[0].path).read_bytes()[:5] == b"%PDF-"
