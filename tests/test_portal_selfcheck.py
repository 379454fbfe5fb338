"""The test portal (tests/portal.py) behaves as the crawler tests rely on."""

from __future__ import annotations

import hashlib
import re
import time
from urllib.parse import unquote, urljoin

import httpx
import pytest
from conftest import SAMPLES
from portal import EXPECTED, YIYANG_PATH, Portal

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
def portal():
    with Portal() as p:
        yield p


@pytest.fixture
def client():
    with httpx.Client(timeout=5, trust_env=False) as c:
        yield c


def links(html: str, base: str) -> list[str]:
    return [urljoin(base, h) for h in re.findall(r'href="([^"]+)"', html)]


def test_list_pages_pagination_and_detail_links(portal, client):
    page1 = portal.url + EXPECTED["start_path"]
    r = client.get(page1)
    assert r.status_code == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    assert re.search(r'<a href="index_1\.html">下一页</a>', r.text)
    r2 = client.get(urljoin(page1, "index_1.html"))
    assert r2.status_code == 200 and "下一页</a>" not in r2.text

    details, others = [], []
    for resp in (r, r2):
        for url in links(resp.text, str(resp.url)):
            if not url.startswith(portal.url):
                continue
            path = url[len(portal.url):]
            (details if re.search(EXPECTED["detail_pattern"], path) else others).append(path)
    assert details == EXPECTED["detail_pages"]
    assert set(EXPECTED["non_detail_links"]) <= set(others)
    for path in EXPECTED["detail_pages"] + EXPECTED["non_detail_links"]:
        assert client.get(portal.url + path).status_code == 200

    # Each detail page carries two attachments; together they cover every expected URL.
    attachments = []
    for path in EXPECTED["detail_pages"]:
        page = client.get(portal.url + path)
        attachments += [u for u in links(page.text, str(page.url)) if re.search(r"/files/|/old/|/private/|download\.jsp", u)]
    paths = {u.replace(portal.url, "") for u in attachments}
    expected = set(EXPECTED["documents_by_path"]) | set(EXPECTED["errors"]) | {"/private/secret.pdf"}
    assert expected <= paths
    assert portal.other_url + "/files/elsewhere.pdf" in paths


def test_robots_txt(portal, client):
    r = client.get(portal.url + "/robots.txt")
    assert r.status_code == 200
    assert r.text.splitlines() == ["User-agent: *", "Disallow: /private/"]


def test_documents_and_conditional_requests(portal, client):
    r = client.get(portal.url + YIYANG_PATH)
    data = (SAMPLES / EXPECTED["documents_by_path"][YIYANG_PATH]).read_bytes()
    assert r.status_code == 200 and r.content == data
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-length"] == str(len(data))
    assert r.headers["etag"] == '"' + hashlib.sha1(data).hexdigest() + '"'
    last_modified = r.headers["last-modified"]

    r = client.get(portal.url + YIYANG_PATH, headers={"If-None-Match": r.headers["etag"]})
    assert r.status_code == 304 and r.content == b""
    r = client.get(portal.url + YIYANG_PATH, headers={"If-Modified-Since": last_modified})
    assert r.status_code == 304 and r.content == b""
    r = client.get(portal.url + YIYANG_PATH, headers={"If-None-Match": '"stale"', "If-Modified-Since": last_modified})
    assert r.status_code == 200  # If-None-Match wins

    # The same file at two URLs: same bytes, same ETag.
    a = client.get(portal.url + "/files/ningxiang.docx")
    b = client.get(portal.url + "/files/copy/ningxiang-copy.docx")
    assert a.status_code == b.status_code == 200 and a.content == b.content
    assert a.headers["etag"] == b.headers["etag"] and a.headers["content-type"] == DOCX


def test_content_disposition(portal, client):
    r = client.get(portal.url + "/download.jsp?id=2")
    cd = r.headers["content-disposition"]
    assert r.status_code == 200 and cd.startswith("attachment; filename*=UTF-8''%E8%B5%AB%E5%B1%B1")
    assert unquote(cd.split("''", 1)[1]) == EXPECTED["filenames"]["/download.jsp?id=2"]
    assert r.content == (SAMPLES / "heshan_2021_final_accounts.pdf").read_bytes()

    r = client.get(portal.url + "/download.jsp?id=3")
    assert r.headers["content-disposition"] == 'attachment; filename="fengnan.docx"'
    assert r.headers["content-type"] == DOCX
    assert r.content == (SAMPLES / "fengnan_2023_fiscal_evaluation.docx").read_bytes()


def test_redirect_404_and_html_error_page(portal, client):
    r = client.get(portal.url + "/old/huaihua.pdf")
    assert r.status_code == 302 and r.headers["location"] == "/files/huaihua.pdf"
    r = client.get(portal.url + "/old/huaihua.pdf", follow_redirects=True)
    assert r.status_code == 200 and str(r.url) == portal.url + "/files/huaihua.pdf"
    assert r.content == (SAMPLES / "huaihua_2022_project_self_evaluation.pdf").read_bytes()

    assert client.get(portal.url + "/files/missing.pdf").status_code == 404

    r = client.get(portal.url + "/files/notfound.pdf")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert r.text == "<html><body>文件不存在</body></html>"


def test_flaky_then_ok_and_slow_times_out():
    with Portal() as portal, httpx.Client(timeout=1, trust_env=False) as client:
        assert client.get(portal.url + "/files/flaky.pdf").status_code == 500
        r = client.get(portal.url + "/files/flaky.pdf")
        assert r.status_code == 200
        assert r.content == (SAMPLES / "yiyang_2023_performance_self_evaluation_unruled.pdf").read_bytes()

        started = time.monotonic()
        with pytest.raises(httpx.TimeoutException):
            client.get(portal.url + "/files/slow.pdf")
        assert time.monotonic() - started < 2
        assert portal.hits("/files/slow.pdf") == 1  # logged (status None while still sleeping)
    # Leaving the block does not wait out the 3 s sleep.
    assert time.monotonic() - started < 2.5


def test_change_alters_etag_and_last_modified(portal, client):
    before = client.get(portal.url + "/files/huaihua.pdf")
    portal.change("huaihua", b"%PDF-1.4 changed")
    r = client.get(portal.url + "/files/huaihua.pdf", headers={"If-None-Match": before.headers["etag"]})
    assert r.status_code == 200 and r.content == b"%PDF-1.4 changed"
    assert r.headers["etag"] != before.headers["etag"]
    assert r.headers["last-modified"] != before.headers["last-modified"]
    r = client.get(portal.url + "/files/huaihua.pdf", headers={"If-Modified-Since": before.headers["last-modified"]})
    assert r.status_code == 200
    portal.change("huaihua_2022_project_self_evaluation.pdf", before.content)  # by sample name too
    assert client.get(portal.url + "/files/huaihua.pdf").headers["etag"] == before.headers["etag"]


def test_request_log_and_hosts():
    with Portal() as portal, httpx.Client(timeout=5, trust_env=False) as client:
        etag = client.get(portal.url + "/files/ningxiang.docx").headers["etag"]
        client.get(portal.url + "/files/ningxiang.docx", headers={"If-None-Match": etag})
        client.get(portal.url + "/download.jsp?id=3")
        client.get(portal.url + "/files/notfound.pdf")
        client.head(portal.url + "/files/huaihua.pdf")
        client.get(portal.url + YIYANG_PATH)

        log = portal.requests
        assert [(m, p, s) for m, p, _, s, _ in log] == [
            ("GET", "/files/ningxiang.docx", 200),
            ("GET", "/files/ningxiang.docx", 304),
            ("GET", "/download.jsp?id=3", 200),
            ("GET", "/files/notfound.pdf", 200),
            ("HEAD", "/files/huaihua.pdf", 200),
            ("GET", YIYANG_PATH, 200),
        ]
        assert log[1].headers["If-None-Match"] == etag and log[1].bytes_sent == 0
        assert log[0].bytes_sent == len((SAMPLES / "ningxiang_2024_performance_self_evaluation.docx").read_bytes())
        assert portal.full_downloads() == ["/files/ningxiang.docx", YIYANG_PATH]
        assert portal.full_downloads("/") == ["/files/ningxiang.docx", "/download.jsp?id=3", YIYANG_PATH]
        assert portal.hits("/files/2023年度益阳市医疗保障局.pdf") == 1  # decoded form matches too

        assert not portal.was_requested("/private/secret.pdf")
        assert portal.other_requests == []
        r = client.get(portal.other_url + "/files/elsewhere.pdf")
        assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
        assert portal.was_requested("/files/elsewhere.pdf", host="other")
        assert portal.full_downloads(host="other") == ["/files/elsewhere.pdf"]
        assert client.get(portal.other_url + "/xxgk/czyjs/index.html").status_code == 404

        portal.clear_log()
        assert portal.requests == [] and portal.other_requests == []


def test_expected_is_consistent():
    digests = {hashlib.sha256((SAMPLES / f).read_bytes()).hexdigest() for f in EXPECTED["documents_by_path"].values()}
    assert len(digests) == EXPECTED["documents"]
    for group in EXPECTED["duplicate_urls"]:
        assert len({EXPECTED["documents_by_path"][p] for p in group}) == 1
    assert set(EXPECTED["filenames"]) == set(EXPECTED["documents_by_path"])


def test_slow_answer_after_client_gave_up_is_logged_499_not_as_download():
    with Portal(slow_seconds=1.0) as portal, httpx.Client(timeout=0.3, trust_env=False) as client:
        with pytest.raises(httpx.TimeoutException):
            client.get(portal.url + "/files/slow.pdf")
        assert portal.requests[0].status is None  # still sleeping
        deadline = time.monotonic() + 3
        while portal.requests[0].status is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert portal.requests[0][3:] == (499, 0)
        assert portal.full_downloads() == []
