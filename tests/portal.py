"""A small, realistic government portal served on 127.0.0.1 for crawler tests (no outside network).

Usage::

    from portal import EXPECTED, Portal   # tests/ is on sys.path, as for conftest

    with Portal() as portal:
        start = portal.url + EXPECTED["start_path"]          # list page 1
        ...crawl...
        assert not portal.was_requested("/private/secret.pdf")
        assert portal.other_requests == []                    # the other host was never touched

Two ThreadingHTTPServers run in daemon threads: the main portal (``portal.url``) and a second
"host" on another port (``portal.other_url``) that serves one document, ``/files/elsewhere.pdf``.
Both are shut down (``shutdown()`` + ``server_close()``) when the ``with`` block ends.

Layout of the main host (see ``EXPECTED`` for the ground truth a crawler should reach):

    /robots.txt                              User-agent: * / Disallow: /private/
    /index.html, /about.html, /xxgk/index.html, /zwdt/index.html     nav pages (not detail pages)
    /xxgk/czyjs/index.html                   list page 1: 3 detail links + "下一页" -> index_1.html
    /xxgk/czyjs/index_1.html                 list page 2: 3 detail links + "上一页" (no "下一页")
    /xxgk/czyjs/tYYYYMMDD_NNN.html           6 detail pages, 2 attachments each:
      t20240510_001  /files/2023%E5%B9%B4%E5%BA%A6...%E5%B1%80.pdf  yiyang pdf (percent-encoded name)
                     /files/ningxiang.docx                          ningxiang docx
      t20240510_002  /download.jsp?id=2                             heshan pdf, filename*=UTF-8''赫山….pdf
                     /files/missing.pdf                             404
      t20240415_003  /download.jsp?id=3                             fengnan docx, filename="fengnan.docx"
                     /private/secret.pdf                            disallowed by robots.txt
      t20231120_004  ../../old/huaihua.pdf                          302 -> /files/huaihua.pdf (huaihua pdf)
                     /files/flaky.pdf                               500 once, then 200 (unruled yiyang pdf)
      t20231120_005  /files/copy/ningxiang-copy.docx                same bytes as /files/ningxiang.docx
                     /files/slow.pdf                                answers after 3 s (tests use 1 s timeout)
      t20230830_006  /files/notfound.pdf                            200, text/html "文件不存在"
                     <other_url>/files/elsewhere.pdf                another host

Documents carry Content-Type, Content-Length, ETag (quoted sha1 of the content) and Last-Modified,
and answer ``If-None-Match`` / ``If-Modified-Since`` with 304 and no body (If-None-Match wins when
both are sent). HEAD is answered like GET without a body.
"""

from __future__ import annotations

import hashlib
import http.server
import re
import select
import socket
import threading
from dataclasses import dataclass
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import NamedTuple
from urllib.parse import quote, unquote, urlsplit

SAMPLES = Path(__file__).resolve().parent.parent / "sample_docs"

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
HTML = "text/html; charset=utf-8"

# Last-Modified of every document until change() is called; each change() adds one day.
BASE_LAST_MODIFIED = 1715328000  # Fri, 10 May 2024 08:00:00 GMT

YIYANG_NAME = "2023年度益阳市医疗保障局.pdf"
YIYANG_PATH = "/files/" + quote(YIYANG_NAME)  # /files/2023%E5%B9%B4%E5%BA%A6...%E5%B1%80.pdf
HESHAN_NAME = "赫山区2021年度部门决算.pdf"
DETAIL_RE = re.compile(r"t\d{8}_\d+\.html")

# Document key -> (sample file, content type). change() takes a key or the sample file's name.
DOCUMENT_FILES: dict[str, tuple[str, str]] = {
    "yiyang": ("yiyang_2023_performance_self_evaluation.pdf", PDF),
    "heshan": ("heshan_2021_final_accounts.pdf", PDF),
    "fengnan": ("fengnan_2023_fiscal_evaluation.docx", DOCX),
    "huaihua": ("huaihua_2022_project_self_evaluation.pdf", PDF),
    "ningxiang": ("ningxiang_2024_performance_self_evaluation.docx", DOCX),
    "flaky": ("yiyang_2023_performance_self_evaluation_unruled.pdf", PDF),
    # Reachable only by a misbehaving crawler; distinct contents so a wrong fetch shows in the store.
    "secret": ("fengnan_2023_fiscal_evaluation.pdf", PDF),
    "elsewhere": ("ningxiang_2024_performance_self_evaluation.pdf", PDF),
}

# Ground truth for crawler tests. Paths are exactly as linked/requested on the main host
# (percent-encoded where the link is), relative to portal.url unless said otherwise.
EXPECTED: dict = {
    # Where a crawl starts, and the pages it should visit.
    "start_path": "/xxgk/czyjs/index.html",
    "list_pages": ["/xxgk/czyjs/index.html", "/xxgk/czyjs/index_1.html"],
    "detail_pattern": DETAIL_RE.pattern,
    "detail_pages": [
        "/xxgk/czyjs/t20240510_001.html",
        "/xxgk/czyjs/t20240510_002.html",
        "/xxgk/czyjs/t20240415_003.html",
        "/xxgk/czyjs/t20231120_004.html",
        "/xxgk/czyjs/t20231120_005.html",
        "/xxgk/czyjs/t20230830_006.html",
    ],
    # Links on list pages that are NOT detail pages (nav/header/footer noise).
    "non_detail_links": ["/index.html", "/about.html", "/xxgk/index.html", "/zwdt/index.html"],
    # Number of distinct document contents a correct crawl of the main host stores:
    # yiyang, heshan, fengnan, huaihua, ningxiang (once, though linked twice) and flaky.
    "documents": 6,
    # Attachment URL (as linked, after resolving against the page) -> sample file whose bytes it
    # finally yields. /old/huaihua.pdf yields through a redirect; /files/flaky.pdf after one 500.
    "documents_by_path": {
        YIYANG_PATH: "yiyang_2023_performance_self_evaluation.pdf",
        "/download.jsp?id=2": "heshan_2021_final_accounts.pdf",
        "/download.jsp?id=3": "fengnan_2023_fiscal_evaluation.docx",
        "/old/huaihua.pdf": "huaihua_2022_project_self_evaluation.pdf",
        "/files/ningxiang.docx": "ningxiang_2024_performance_self_evaluation.docx",
        "/files/copy/ningxiang-copy.docx": "ningxiang_2024_performance_self_evaluation.docx",
        "/files/flaky.pdf": "yiyang_2023_performance_self_evaluation_unruled.pdf",
    },
    # Attachment URL -> the file name the server advertises (Content-Disposition, else the
    # decoded last path segment of the final URL).
    "filenames": {
        YIYANG_PATH: YIYANG_NAME,
        "/download.jsp?id=2": HESHAN_NAME,
        "/download.jsp?id=3": "fengnan.docx",
        "/old/huaihua.pdf": "huaihua.pdf",
        "/files/ningxiang.docx": "ningxiang.docx",
        "/files/copy/ningxiang-copy.docx": "ningxiang-copy.docx",
        "/files/flaky.pdf": "flaky.pdf",
    },
    # Attachment URL -> how fetching it goes wrong: "404" (HTTP 404), "timeout" (no answer within
    # a 1 s client timeout), "html" (200 but an HTML error page under a .pdf name), or None (fails
    # once with 500, then succeeds: a crawler that retries stores it and reports no error).
    "errors": {
        "/files/missing.pdf": "404",
        "/files/slow.pdf": "timeout",
        "/files/notfound.pdf": "html",
        "/files/flaky.pdf": None,
    },
    # Redirects: linked path -> Location target.
    "redirects": {"/old/huaihua.pdf": "/files/huaihua.pdf"},
    # (host, path) pairs a correct crawler never requests: host "main" is portal.url (the path is
    # disallowed by robots.txt), "other" is portal.other_url (not an allowed host). Check with
    # portal.was_requested(path, host=host).
    "never_requested": [("main", "/private/secret.pdf"), ("other", "/files/elsewhere.pdf")],
    # Groups of attachment URLs that serve identical bytes ("the same file at two URLs").
    "duplicate_urls": [["/files/ningxiang.docx", "/files/copy/ningxiang-copy.docx"]],
}


class Request(NamedTuple):
    """One logged request. ``headers`` are the request headers (case-insensitive lookup);
    ``status`` is None while the request is still being answered (e.g. /files/slow.pdf)."""

    method: str
    path: str  # raw request target as sent, query string included (percent-encoding kept)
    headers: dict
    status: int | None  # 499: the client hung up before the answer (a timed-out /files/slow.pdf)
    bytes_sent: int  # body bytes written (0 for 304, HEAD, or a client that hung up)


class Headers(dict):
    """A dict of request headers with case-insensitive lookup (keys are stored lower-case)."""

    def __init__(self, items=()):
        super().__init__((k.lower(), v) for k, v in items)

    def __getitem__(self, key):
        return super().__getitem__(key.lower())

    def __contains__(self, key):
        return isinstance(key, str) and super().__contains__(key.lower())

    def get(self, key, default=None):
        return super().get(key.lower(), default)


@dataclass
class _Doc:
    content: bytes
    content_type: str
    etag: str
    last_modified: int  # epoch seconds


def _etag(data: bytes) -> str:
    return '"' + hashlib.sha1(data).hexdigest() + '"'


# --------------------------------------------------------------------------------------- HTML

SITE = "益阳市财政局"


def _page(title: str, location: str, body: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="SiteName" content="{SITE}">
<meta name="SiteDomain" content="czj.yiyang.gov.cn">
<meta name="ColumnName" content="预决算公开">
<title>{title} - {SITE}</title>
<link rel="stylesheet" href="/css/style.css">
<script type="text/javascript" src="/js/jquery-1.12.4.min.js"></script>
</head>
<body>
<div class="top-bar"><div class="w1200">
  <span>欢迎访问{SITE}门户网站！</span>
  <a href="javascript:void(0);" onclick="aria.start()">无障碍浏览</a>
  <a href="#" onclick="return false;">长者模式</a>
</div></div>
<div class="header"><div class="w1200">
  <div class="logo"><a href="/index.html"><img src="/images/logo.png" alt="{SITE}"></a></div>
  <form class="search" action="/search.jsp" method="get" target="_blank">
    <input type="text" name="q" placeholder="请输入关键字"><button type="submit">搜索</button>
  </form>
</div></div>
<div class="nav"><ul class="w1200">
  <li><a href="/index.html">首页</a></li>
  <li><a href="/about.html">机构概况</a></li>
  <li><a href="/zwdt/index.html">政务动态</a></li>
  <li><a href="/xxgk/index.html">信息公开</a></li>
  <li class="on"><a href="/xxgk/czyjs/index.html">预决算公开</a></li>
</ul></div>
<div class="w1200 main">
<div class="location">当前位置：<a href="/index.html">首页</a> &gt; {location}</div>
{body}
</div>
<div class="footer"><div class="w1200">
  <p><a href="/about.html">关于我们</a> | <a href="/index.html">网站地图</a> | <a href="javascript:;">联系我们</a></p>
  <p>主办单位：{SITE}　地址：湖南省益阳市赫山区龙洲南路　邮编：413000</p>
  <p>网站标识码：4309000011　<a href="https://beian.miit.gov.cn/" target="_blank">湘ICP备05001234号</a>　湘公网安备 43090202000123号</p>
  <p><a href="https://www.gov.cn/" target="_blank"><img src="/images/gov.png" alt="中国政府网"></a></p>
</div></div>
<script type="text/javascript">var _hmt = _hmt || [];</script>
</body>
</html>
"""


LOCATION_LIST = '<a href="/xxgk/index.html">信息公开</a> &gt; <a href="/xxgk/czyjs/index.html">预决算公开</a>'


def _list_page(base: str, page: int) -> str:
    if page == 0:
        items = [
            ("./t20240510_001.html", "益阳市医疗保障局2023年度部门整体支出绩效自评报告", "2024-05-10"),
            ("/xxgk/czyjs/t20240510_002.html", "赫山区2021年度部门决算公开", "2024-05-10"),
            (f"{base}/xxgk/czyjs/t20240415_003.html", "丰南区2023年度财政重点绩效评价报告", "2024-04-15"),
        ]
        pager = (
            '<div class="page">共2页 当前第1页 <a href="index.html">首页</a> <span>上一页</span> '
            '<a href="index_1.html">下一页</a> <a href="index_1.html">尾页</a></div>'
        )
    else:
        items = [
            ("./t20231120_004.html", "怀化市2022年度项目支出绩效自评报告", "2023-11-20"),
            ("/xxgk/czyjs/t20231120_005.html", "宁乡市2024年度部门整体支出绩效自评报告（转载）", "2023-11-20"),
            (f"{base}/xxgk/czyjs/t20230830_006.html", "2023年度部门预算公开说明", "2023-08-30"),
        ]
        pager = (
            '<div class="page">共2页 当前第2页 <a href="index.html">首页</a> '
            '<a href="index.html">上一页</a> <span>下一页</span> <a href="index_1.html">尾页</a></div>'
        )
    lis = "\n".join(
        f'  <li><a href="{href}" target="_blank" title="{title}">{title}</a><span class="date">{date}</span></li>'
        for href, title, date in items
    )
    body = f"""<div class="side"><h3>信息公开</h3><ul>
  <li><a href="/xxgk/index.html">信息公开指南</a></li>
  <li class="on"><a href="/xxgk/czyjs/index.html">预决算公开</a></li>
  <li><a href="/zwdt/index.html">通知公告</a></li>
</ul></div>
<div class="list-box"><h2 class="list-title">预决算公开</h2>
<ul class="list">
{lis}
</ul>
{pager}
</div>"""
    return _page("预决算公开", LOCATION_LIST, body)


def _detail_pages(other_url: str) -> dict[str, str]:
    """Detail path -> HTML; each page carries two attachment links."""
    spec = {
        "t20240510_001": (
            "益阳市医疗保障局2023年度部门整体支出绩效自评报告", "2024-05-10 09:30",
            [(YIYANG_PATH, "2023年度益阳市医疗保障局部门整体支出绩效自评报告.pdf"),
             ("/files/ningxiang.docx", "宁乡市2024年度部门整体支出绩效自评报告.docx")],
        ),
        "t20240510_002": (
            "赫山区2021年度部门决算公开", "2024-05-10 10:15",
            [("/download.jsp?id=2", "赫山区2021年度部门决算.pdf"),
             ("/files/missing.pdf", "2021年度部门决算公开表（补充）.pdf")],
        ),
        "t20240415_003": (
            "丰南区2023年度财政重点绩效评价报告", "2024-04-15 16:00",
            [("/download.jsp?id=3", "丰南区2023年度财政重点绩效评价报告.docx"),
             ("/private/secret.pdf", "内部审核稿.pdf")],
        ),
        "t20231120_004": (
            "怀化市2022年度项目支出绩效自评报告", "2023-11-20 11:00",
            [("../../old/huaihua.pdf", "怀化市2022年度项目支出绩效自评报告.pdf"),
             ("/files/flaky.pdf", "益阳市2023年度绩效自评报告（扫描版）.pdf")],
        ),
        "t20231120_005": (
            "宁乡市2024年度部门整体支出绩效自评报告（转载）", "2023-11-20 15:40",
            [("/files/copy/ningxiang-copy.docx", "宁乡市2024年度部门整体支出绩效自评报告.docx"),
             ("/files/slow.pdf", "附表：项目支出明细.pdf")],
        ),
        "t20230830_006": (
            "2023年度部门预算公开说明", "2023-08-30 08:45",
            [("/files/notfound.pdf", "2023年度部门预算公开表.pdf"),
             (f"{other_url}/files/elsewhere.pdf", "省财政厅转发文件.pdf")],
        ),
    }
    pages = {}
    for stem, (title, date, links) in spec.items():
        attachments = "\n".join(
            f'<p><a href="{href}" target="_blank" title="{text}">{text}</a></p>' for href, text in links
        )
        body = f"""<div class="article">
<h1 class="article-title">{title}</h1>
<div class="article-info"><span>发布时间：{date}</span><span>来源：{SITE}</span>
<span>浏览次数：<script type="text/javascript">document.write("1024")</script></span>
<span>字号：【<a href="javascript:doZoom(18)">大</a> <a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</span></div>
<div class="article-content" id="zoom">
<p>　　根据《中华人民共和国预算法》和《湖南省预算绩效管理办法》有关规定，现将{title}予以公开，请点击下方附件查看。</p>
<p>　　附件：</p>
{attachments}
</div>
<div class="article-tools">【<a href="javascript:window.print()">打印本页</a>】【<a href="javascript:window.close()">关闭窗口</a>】</div>
</div>"""
        pages[f"/xxgk/czyjs/{stem}.html"] = _page(title, LOCATION_LIST + " &gt; 正文", body)
    return pages


def _simple_page(title: str, text: str) -> str:
    body = f'<div class="article"><h1 class="article-title">{title}</h1><div class="article-content"><p>{text}</p>' \
        f'<p><a href="/xxgk/czyjs/index.html">预决算公开</a></p></div></div>'
    return _page(title, title, body)


NAV_PAGES = {
    "/index.html": ("首页", "益阳市财政局门户网站。"),
    "/about.html": ("机构概况", "益阳市财政局是市人民政府工作部门。"),
    "/xxgk/index.html": ("信息公开", "政府信息公开指南、目录与年报。"),
    "/zwdt/index.html": ("政务动态", "工作动态与通知公告。"),
}

ROBOTS = "User-agent: *\nDisallow: /private/\n"
NOT_FOUND_HTML = "<html><head><title>404</title></head><body><h1>404 Not Found</h1><p>您访问的页面不存在</p></body></html>"


# --------------------------------------------------------------------------------------- server


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    portal: Portal
    host_name: str  # "main" or "other"

    def handle_error(self, request, client_address):
        pass  # clients hanging up (timeouts) are expected; keep test output clean


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "Apache"
    sys_version = ""
    timeout = 5  # an idle keep-alive connection ends after this; keeps threads bounded
    server: _Server

    def log_message(self, format, *args):  # silence the default stderr log
        pass

    def do_GET(self):
        self.server.portal._handle(self, head=False)

    def do_HEAD(self):
        self.server.portal._handle(self, head=True)


class Portal:
    """Context manager running the test portal (main host) and a second host on 127.0.0.1.

    Portal(samples=SAMPLES, slow_seconds=3.0, flaky_failures=1)
      url, other_url         "http://127.0.0.1:PORT" of the main and the other host
      requests               snapshot list of Request(method, path, headers, status, bytes_sent)
                             for the main host, in arrival order; other_requests for the other host
      full_downloads(prefix) paths answered 200 with a full document body (not HTML), in order
      was_requested(path, host="main"), hits(path, host="main")
      change(name, new_bytes) new content (and ETag, Last-Modified) for one document
      clear_log()            forget the logged requests (e.g. between two crawls)
      add_route(path, fn)    serve `path` on the main host by fn(handler, closing): fn writes the
                             whole response itself (hostile servers: drip, bombs); `closing` is an
                             Event set when the portal closes. Overrides the built-in paths.
    """

    def __init__(self, samples: Path = SAMPLES, slow_seconds: float = 3.0, flaky_failures: int = 1):
        self.samples = Path(samples)
        self.slow_seconds = slow_seconds
        self.flaky_failures = flaky_failures
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self.flaky_hits = 0  # requests for /files/flaky.pdf so far (the first flaky_failures get 500)
        self._log: dict[str, list[tuple[Request, str]]] = {"main": [], "other": []}
        self._docs: dict[str, _Doc] = {}
        for key, (fname, ctype) in DOCUMENT_FILES.items():
            data = (self.samples / fname).read_bytes()
            self._docs[key] = _Doc(data, ctype, _etag(data), BASE_LAST_MODIFIED)
        self._servers: list[_Server] = []
        self._threads: list[threading.Thread] = []
        self.url = ""
        self.other_url = ""
        self._pages: dict[str, str] = {}
        self._routes: dict[str, object] = {}

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> Portal:
        try:
            for name in ("main", "other"):
                server = _Server(("127.0.0.1", 0), _Handler)
                server.portal = self
                server.host_name = name
                self._servers.append(server)
            self.url = f"http://127.0.0.1:{self._servers[0].server_address[1]}"
            self.other_url = f"http://127.0.0.1:{self._servers[1].server_address[1]}"
            self._pages = self._build_pages()
            for server in self._servers:
                t = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
                t.start()
                self._threads.append(t)
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self._closing.set()  # wakes a sleeping /files/slow.pdf handler
        for server, thread in zip(self._servers, self._threads, strict=False):
            server.shutdown()
            thread.join(timeout=5)
        for server in self._servers:
            server.server_close()
        self._servers.clear()
        self._threads.clear()

    def _build_pages(self) -> dict[str, str]:
        pages = {
            "/xxgk/czyjs/index.html": _list_page(self.url, 0),
            "/xxgk/czyjs/index_1.html": _list_page(self.url, 1),
        }
        pages.update(_detail_pages(self.other_url))
        for path, (title, text) in NAV_PAGES.items():
            pages[path] = _simple_page(title, text)
        pages["/"] = pages["/index.html"]
        return pages

    # ------------------------------------------------------------------ test API
    @property
    def requests(self) -> list[Request]:
        with self._lock:
            return [r for r, _ in self._log["main"]]

    @property
    def other_requests(self) -> list[Request]:
        with self._lock:
            return [r for r, _ in self._log["other"]]

    def full_downloads(self, path_prefix: str = "/files/", host: str = "main") -> list[str]:
        """Raw paths (as requested) answered 200 with a complete document body, not HTML.
        Pass path_prefix="/" to include /download.jsp?id=N."""
        with self._lock:
            entries = list(self._log[host])
        return [
            r.path
            for r, ctype in entries
            if r.status == 200 and r.method == "GET" and r.bytes_sent > 0
            and ctype in (PDF, DOCX) and r.path.startswith(path_prefix)
        ]

    def was_requested(self, path: str, host: str = "main") -> bool:
        return self.hits(path, host) > 0

    def hits(self, path: str, host: str = "main") -> int:
        """Requests (any method) whose raw or decoded path equals `path`."""
        with self._lock:
            entries = list(self._log[host])
        return sum(1 for r, _ in entries if path in (r.path, unquote(r.path)))

    def clear_log(self) -> None:
        with self._lock:
            for entries in self._log.values():
                entries.clear()

    def change(self, name: str, new_bytes: bytes) -> None:
        """Replace a document's content; name is a DOCUMENT_FILES key ("yiyang", "heshan",
        "fengnan", "huaihua", "ningxiang", "flaky", "secret", "elsewhere") or its sample file
        name. ETag follows the content; Last-Modified moves one day later per change."""
        key = name
        if key not in self._docs:
            matches = [k for k, (fname, _) in DOCUMENT_FILES.items() if fname == name]
            if not matches:
                raise KeyError(name)
            key = matches[0]
        with self._lock:
            doc = self._docs[key]
            doc.content = bytes(new_bytes)
            doc.etag = _etag(doc.content)
            doc.last_modified += 86400

    def document(self, name: str) -> tuple[bytes, str, str]:
        """(content, ETag, Last-Modified header value) of one document, as currently served."""
        with self._lock:
            doc = self._docs[name]
            return doc.content, doc.etag, formatdate(doc.last_modified, usegmt=True)

    # ------------------------------------------------------------------ request handling
    def add_route(self, path: str, fn) -> None:
        self._routes[path] = fn

    def _handle(self, h: _Handler, head: bool) -> None:
        host = h.server.host_name
        raw = h.path
        entry = Request(h.command, raw, Headers(h.headers.items()), None, 0)
        with self._lock:
            log = self._log[host]
            log.append((entry, ""))
            index = len(log) - 1
        route = self._routes.get(_decode_path(urlsplit(raw).path)) if host == "main" else None
        if route is not None:
            h.close_connection = True
            try:
                route(h, self._closing)
            except OSError:  # the client hung up
                pass
            return
        status, headers, body, ctype = self._respond(host, raw, h)
        if _client_gone(h.connection):  # e.g. gave up on /files/slow.pdf: log 499, send nothing
            h.close_connection = True
            self._update(host, index, entry, entry._replace(status=499), ctype)
            return
        will_send = len(body) if (not head and status != 304) else 0
        # Finalise the log entry before the body goes out, so a client that has just received
        # its response always finds it logged; corrected below if the client hung up.
        done = entry._replace(status=status, bytes_sent=will_send)
        self._update(host, index, entry, done, ctype)
        try:
            h.send_response(status)
            for k, v in headers.items():
                h.send_header(k, v)
            if status != 304:
                h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            if will_send:
                h.wfile.write(body)
            h.wfile.flush()
        except OSError:
            h.close_connection = True
            self._update(host, index, done, done._replace(bytes_sent=0), ctype)

    def _update(self, host: str, index: int, old: Request, new: Request, ctype: str) -> None:
        with self._lock:
            log = self._log[host]
            # clear_log() may have run meanwhile; only update our own entry if it is still there.
            if index < len(log) and log[index][0] is old:
                log[index] = (new, ctype)

    def _respond(self, host: str, raw: str, h: _Handler) -> tuple[int, dict, bytes, str]:
        path = _decode_path(urlsplit(raw).path)
        query = urlsplit(raw).query
        if host == "other":
            if path == "/files/elsewhere.pdf":
                return self._document("elsewhere", h)
            return self._html(404, NOT_FOUND_HTML)

        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain; charset=utf-8"}, ROBOTS.encode(), "text/plain"
        if path in self._pages:
            return self._html(200, self._pages[path])
        if path == "/files/" + YIYANG_NAME:
            return self._document("yiyang", h)
        if path == "/download.jsp":
            if query == "id=2":
                cd = "attachment; filename*=UTF-8''" + quote(HESHAN_NAME)
                return self._document("heshan", h, {"Content-Disposition": cd})
            if query == "id=3":
                return self._document("fengnan", h, {"Content-Disposition": 'attachment; filename="fengnan.docx"'})
            return self._html(404, NOT_FOUND_HTML)
        if path == "/old/huaihua.pdf":
            return 302, {"Location": "/files/huaihua.pdf", "Content-Type": HTML}, b"", HTML
        if path == "/files/huaihua.pdf":
            return self._document("huaihua", h)
        if path in ("/files/ningxiang.docx", "/files/copy/ningxiang-copy.docx"):
            return self._document("ningxiang", h)
        if path == "/files/flaky.pdf":
            with self._lock:
                self.flaky_hits += 1
                fail = self.flaky_hits <= self.flaky_failures
            if fail:
                return self._html(500, "<html><body><h1>500 Internal Server Error</h1></body></html>")
            return self._document("flaky", h)
        if path == "/files/slow.pdf":
            self._closing.wait(self.slow_seconds)  # bounded; cut short when the portal closes
            return self._document("heshan", h)
        if path == "/files/notfound.pdf":
            return self._html(200, "<html><body>文件不存在</body></html>")
        if path == "/private/secret.pdf":
            return self._document("secret", h)
        return self._html(404, NOT_FOUND_HTML)

    @staticmethod
    def _html(status: int, text: str) -> tuple[int, dict, bytes, str]:
        return status, {"Content-Type": HTML}, text.encode("utf-8"), HTML

    def _document(self, key: str, h: _Handler, extra: dict | None = None) -> tuple[int, dict, bytes, str]:
        with self._lock:
            doc = self._docs[key]
            content, etag, mtime, ctype = doc.content, doc.etag, doc.last_modified, doc.content_type
        headers = {
            "Content-Type": ctype,
            "ETag": etag,
            "Last-Modified": formatdate(mtime, usegmt=True),
            **(extra or {}),
        }
        if _not_modified(h.headers.get("If-None-Match"), h.headers.get("If-Modified-Since"), etag, mtime):
            return 304, headers, b"", ctype
        return 200, headers, content, ctype


def _client_gone(sock) -> bool:
    """True when the client has closed its end (readable with nothing to read, or an error)."""
    try:
        readable, _, _ = select.select([sock], [], [], 0)
        return bool(readable) and sock.recv(1, socket.MSG_PEEK) == b""
    except (OSError, ValueError):
        return True


def _decode_path(path: str) -> str:
    """Percent-decode a request path; raw UTF-8 sent unencoded arrives as latin-1 text."""
    try:
        path = path.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        pass
    return unquote(path)


def _not_modified(if_none_match: str | None, if_modified_since: str | None, etag: str, mtime: int) -> bool:
    if if_none_match is not None:  # takes precedence over If-Modified-Since (RFC 9110 13.1.3)
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or etag in tags
    if if_modified_since:
        try:
            since = parsedate_to_datetime(if_modified_since).timestamp()
        except (TypeError, ValueError):
            return False
        return mtime <= since
    return False


__all__ = ["DOCUMENT_FILES", "EXPECTED", "SAMPLES", "Portal", "Request"]
