"""The fetcher's politeness and retry policy, on a mock transport (no sockets)."""

from __future__ import annotations

import time

import httpx
from fiscaldocs.crawl.fetcher import Fetcher


def fetcher_with(handler, **kw) -> Fetcher:
    f = Fetcher(frozenset({"example.gov.cn"}), **kw)
    f.client = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=False)
    return f


def test_retry_after_is_honoured_then_succeeds():
    calls = []

    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        calls.append(time.monotonic())
        return httpx.Response(429, headers={"Retry-After": "1"}) if len(calls) == 1 else httpx.Response(200, text="ok")

    f = fetcher_with(handler, rate_limit=1000, backoff=0.01)
    response, _, body = f.get("http://example.gov.cn/list.html")
    assert response.status_code == 200 and body == b"ok"
    assert calls[1] - calls[0] >= 0.95  # waited as the server asked, not the 0.01 s backoff


def test_crawl_delay_from_robots_slows_the_host():
    seen = []

    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(200, text="User-agent: *\nCrawl-delay: 1\n")
        seen.append(time.monotonic())
        return httpx.Response(200, text="page")

    f = fetcher_with(handler, rate_limit=1000)
    f.page("http://example.gov.cn/a.html")
    f.page("http://example.gov.cn/b.html")
    assert seen[1] - seen[0] >= 0.95


def test_redirect_off_the_allowed_hosts_is_refused():
    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(302, headers={"Location": "http://evil.example.com/x.pdf"})

    f = fetcher_with(handler, rate_limit=1000)
    record = f.document("http://example.gov.cn/x.pdf", "s", store=None, previous=None, referer=None)
    assert record.status == "error" and "off the allowed hosts" in record.error


def test_size_limit():
    def handler(request):
        if request.url.path == "/robots.txt":
            return httpx.Response(404)
        return httpx.Response(200, content=b"%PDF-1.4" + b"0" * 5000)

    f = fetcher_with(handler, rate_limit=1000, max_bytes=1000)
    record = f.document("http://example.gov.cn/x.pdf", "s", store=None, previous=None, referer=None)
    assert record.status == "error" and "size limit" in record.error
