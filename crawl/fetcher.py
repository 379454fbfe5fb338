"""HTTP for crawling, made for it: per-host politeness, robots.txt, retries with backoff on
timeouts, 429 and 5xx (Retry-After honoured), conditional requests on re-crawl, redirects that
never leave the allowed hosts, a size limit and a total deadline for every read (robots.txt and
pages included: a gzip bomb or a server dripping a byte every few seconds cannot hang a crawl),
content sniffing (an HTML "file not found" page served under a .pdf name is an error, not a
document), and file names made safe for any file system."""

from __future__ import annotations

import email.utils
import errno
import hashlib
import re
import tempfile
import threading
import time
import unicodedata
import urllib.robotparser
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import httpx
from fiscaldocs.extractors.sniff import sniff

USER_AGENT = "fiscaldocs/0.1 (+https://github.com/fiscaldocs; government fiscal report archiver)"
DOCUMENT_TYPES = {"pdf", "docx", "doc", "xlsx", "zip"}
MAX_REDIRECTS = 5
DEFAULT_DEADLINE = 300.0  # seconds for one download, redirects and retries included


@dataclass
class Fetch:
    """One URL's outcome; a row of the warehouse's `fetches` table."""

    url: str
    source: str
    status: str  # ok | not_modified | error | skipped
    http_status: int | None = None
    sha256: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    fetched_at: str | None = None
    error: str | None = None
    file_name: str | None = None
    path: str | None = None
    final_url: str | None = None
    referer: str | None = None


@dataclass
class Page:
    url: str
    status: int
    content_type: str | None
    body: bytes


class FetchError(Exception):
    def __init__(self, message: str, http_status: int | None = None):
        super().__init__(message)
        self.http_status = http_status


class Fetcher:
    def __init__(self, allowed_hosts: frozenset[str], rate_limit: float = 1.0, timeout: float = 30.0,
                 retries: int = 3, max_bytes: int = 100 * 1024 * 1024, backoff: float = 0.5,
                 max_retry_wait: float = 60.0, deadline: float = DEFAULT_DEADLINE):
        self.allowed_hosts = allowed_hosts
        self.interval = 1.0 / rate_limit if rate_limit > 0 else 0.0
        self.retries, self.max_bytes, self.backoff, self.max_retry_wait = retries, max_bytes, backoff, max_retry_wait
        self.deadline = deadline
        self.client = httpx.Client(follow_redirects=False, timeout=timeout, headers={"User-Agent": USER_AGENT})
        self._last: dict[str, float] = {}
        self._host_locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._host_interval: dict[str, float] = {}

    def close(self) -> None:
        self.client.close()

    # Policy ---------------------------------------------------------------------------------

    def allowed(self, url: str) -> bool:
        return urlparse(url).netloc in self.allowed_hosts and urlparse(url).scheme in ("http", "https")

    def robots_allow(self, url: str) -> bool:
        parts = urlparse(url)
        root = f"{parts.scheme}://{parts.netloc}"
        with self._lock:
            parser = self._robots.get(root)
        if parser is None:
            parser = urllib.robotparser.RobotFileParser()
            try:  # same size cap and deadline as any page; only the first max_bytes are read
                response = self._send("GET", f"{root}/robots.txt", {}, stream=True)
                try:
                    body = self._read(response, time.monotonic() + self.deadline, truncate=True)
                finally:
                    response.close()
                text = body.decode("utf-8", errors="replace") if response.status_code == 200 else ""
            except (httpx.HTTPError, FetchError):
                text = ""  # no robots.txt reachable: everything allowed, as the convention says
            parser.parse(text.splitlines())
            with self._lock:
                self._robots[root] = parser
                delay = parser.crawl_delay(USER_AGENT)
                if delay:  # the site's Crawl-delay, when slower than our rate limit
                    self._host_interval[parts.netloc] = max(self.interval, float(delay))
        return parser.can_fetch(USER_AGENT, url)

    def _polite(self, host: str) -> threading.Lock:
        with self._lock:
            return self._host_locks.setdefault(host, threading.Lock())

    def _send(self, method: str, url: str, headers: dict[str, str], stream: bool = False) -> httpx.Response:
        host = urlparse(url).netloc
        with self._polite(host):  # one request at a time per host, spaced by the rate limit
            wait = self._last.get(host, 0.0) + self._host_interval.get(host, self.interval) - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                request = self.client.build_request(method, url, headers=headers)
                return self.client.send(request, stream=stream)
            finally:
                self._last[host] = time.monotonic()

    # Requests -------------------------------------------------------------------------------

    def get(self, url: str, headers: dict[str, str] | None = None) -> tuple[httpx.Response, str, bytes]:
        """GET with retries and checked redirects, all within the deadline; returns (response,
        final URL, body)."""
        attempt = 0
        deadline = time.monotonic() + self.deadline
        while True:
            try:
                response, final = self._follow(url, headers or {})
                try:
                    if response.status_code in (429, 500, 502, 503, 504) and attempt < self.retries:
                        delay = self._retry_after(response) or self.backoff * 2 ** attempt
                        response.close()
                        attempt += 1
                        self._sleep(min(delay, self.max_retry_wait), deadline)
                        continue
                    return response, final, self._read(response, deadline)
                finally:
                    response.close()
            except httpx.InvalidURL as exc:
                raise FetchError(f"malformed URL: {exc}") from exc
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                if attempt >= self.retries:
                    kind = "timeout" if isinstance(exc, httpx.TimeoutException) else "connection failed"
                    raise FetchError(f"{kind} after {attempt + 1} attempts: {exc.__class__.__name__}") from exc
                self._sleep(self.backoff * 2 ** attempt, deadline)
                attempt += 1

    def _sleep(self, seconds: float, deadline: float) -> None:
        if time.monotonic() + seconds > deadline:
            raise FetchError(f"not done within the download deadline of {self.deadline:g} s (retries included)")
        time.sleep(seconds)

    def _follow(self, url: str, headers: dict[str, str]) -> tuple[httpx.Response, str]:
        for _ in range(MAX_REDIRECTS + 1):
            if not self.allowed(url):
                raise FetchError(f"redirected off the allowed hosts to {url}")
            if not self.robots_allow(url):
                raise FetchError(f"disallowed by robots.txt: {url}")
            response = self._send("GET", url, headers, stream=True)
            if response.status_code in (301, 302, 303, 307, 308) and "location" in response.headers:
                response.close()
                url = urljoin(url, response.headers["location"])
                continue
            return response, url
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")

    def _read(self, response: httpx.Response, deadline: float, truncate: bool = False) -> bytes:
        """The body, decoded (gzip too), within the size limit and the deadline; `truncate`: the
        first max_bytes of a longer body instead of an error (robots.txt)."""
        declared = int(response.headers.get("content-length") or 0) if (
            response.headers.get("content-length") or "").isdigit() else 0
        if declared > self.max_bytes and not truncate:
            raise FetchError(f"larger than the size limit ({declared} > {self.max_bytes} bytes)", response.status_code)
        chunks, size = [], 0
        for chunk in response.iter_bytes():  # as they arrive: never wait to fill a buffer
            if time.monotonic() > deadline:
                raise FetchError(f"not done within the download deadline of {self.deadline:g} s "
                                 f"({size} bytes received)", response.status_code)
            size += len(chunk)
            if size > self.max_bytes:
                if truncate:
                    chunks.append(chunk[: len(chunk) - (size - self.max_bytes)])
                    break
                raise FetchError(f"larger than the size limit ({self.max_bytes} bytes)", response.status_code)
            chunks.append(chunk)
        return b"".join(chunks)

    @staticmethod
    def _retry_after(response: httpx.Response) -> float | None:
        value = response.headers.get("retry-after")
        if not value:
            return None
        if value.strip().isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, (when - datetime.now(UTC)).total_seconds())
        except (TypeError, ValueError):
            return None

    def page(self, url: str) -> Page:
        response, final, body = self.get(url)
        if response.status_code != 200:
            raise FetchError(f"HTTP {response.status_code}", response.status_code)
        return Page(final, response.status_code, response.headers.get("content-type"), body)

    def document(self, url: str, source: str, store: RawStore, previous: Fetch | None, referer: str | None) -> Fetch:
        """Download one attachment into the raw store (conditionally when fetched before)."""
        now = datetime.now(UTC).replace(tzinfo=None).isoformat(timespec="seconds")
        record = Fetch(url=url, source=source, status="error", fetched_at=now, referer=referer)
        headers = {}
        if previous and previous.sha256 and previous.path and Path(previous.path).exists():
            if previous.etag:
                headers["If-None-Match"] = previous.etag
            if previous.last_modified:
                headers["If-Modified-Since"] = previous.last_modified
        try:
            response, final, body = self.get(url, headers)
        except FetchError as exc:
            record.error, record.http_status = str(exc), exc.http_status
            return record
        record.http_status, record.final_url = response.status_code, final
        record.etag = response.headers.get("etag") or (previous.etag if previous else None)
        record.last_modified = response.headers.get("last-modified") or (previous.last_modified if previous else None)
        if response.status_code == 304 and previous:
            record.status, record.sha256, record.path, record.file_name = (
                "not_modified", previous.sha256, previous.path, previous.file_name)
            return record
        if response.status_code != 200:
            record.error = f"HTTP {response.status_code}"
            return record
        kind = sniff_bytes(body)
        if kind not in DOCUMENT_TYPES:
            what = {"html": "an HTML page", "empty": "an empty body"}.get(kind, "not a document")
            record.error = f"served {what}, not a document ({response.headers.get('content-type', '?')})"
            return record
        name = safe_name(file_name(response.headers.get("content-disposition"), final))
        try:
            record.sha256, record.path = store.put(body, name)
        except (OSError, ValueError) as exc:  # this file's error, never the crawl's
            record.error = f"cannot store the file: {_os_reason(exc)}"
            return record
        record.file_name, record.status = name, "ok"
        return record


def _os_reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return f"disk full ({exc.filename or ''})".replace(" ()", "")
    if isinstance(exc, OSError) and exc.strerror:
        return f"{exc.strerror} ({exc.filename})" if exc.filename else exc.strerror
    return str(exc)


def sniff_bytes(body: bytes) -> str:
    with tempfile.NamedTemporaryFile() as tmp:
        tmp.write(body[:65536] if not body.startswith(b"PK") else body)
        tmp.flush()
        return sniff(Path(tmp.name))


_FILENAME_STAR = re.compile(r"filename\*\s*=\s*([\w-]+)'[^']*'([^;]+)", re.IGNORECASE)
_FILENAME = re.compile(r'filename\s*=\s*"?([^";]+)"?', re.IGNORECASE)


def file_name(disposition: str | None, url: str) -> str:
    """The name the server gives (RFC 5987 `filename*=UTF-8''…` first, then `filename=`), else
    the URL's last path segment, percent-decoded."""
    if disposition:
        m = _FILENAME_STAR.search(disposition)
        if m:
            try:
                return Path(unquote(m.group(2).strip(), encoding=m.group(1) or "utf-8")).name
            except LookupError:  # a charset Python does not know: read it as UTF-8
                return Path(unquote(m.group(2).strip())).name
        m = _FILENAME.search(disposition)
        if m:
            raw = m.group(1).strip()
            try:  # servers often send GBK or UTF-8 bytes as Latin-1
                raw = raw.encode("latin-1").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                pass
            return Path(unquote(raw)).name
    name = Path(unquote(urlparse(url).path)).name
    return name or "download"


MAX_NAME_BYTES = 255  # a file name on ext4, XFS, btrfs, NTFS (UTF-16 units there: fewer bytes still fit)


def safe_name(name: str) -> str:
    """A file name any file system takes: no NUL or other control or format characters, no path
    separators, no leading dots, at most 255 bytes of UTF-8 (≈ 85 Chinese characters). A shortened
    name keeps its extension and gets 8 hex digits of the full name's sha256, so two long names that
    start alike stay apart."""
    cleaned = "".join(ch for ch in unicodedata.normalize("NFC", name)
                      if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Co", "Cn"))
    cleaned = re.sub(r"[/\\]+", "_", cleaned).strip().lstrip(".").strip() or "download"
    if len(cleaned.encode("utf-8")) <= MAX_NAME_BYTES:
        return cleaned
    stem, dot, ext = cleaned.rpartition(".")
    if not dot or len(ext.encode()) > 16 or not stem:
        stem, ext = cleaned, ""
    tag = "~" + hashlib.sha256(name.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    tail = tag + ("." + ext if ext else "")
    room = MAX_NAME_BYTES - len(tail.encode())
    short = stem.encode("utf-8")[:room].decode("utf-8", errors="ignore")  # never half a character
    return short + tail


class RawStore:
    """Content-addressed: raw/<sha[:2]>/<sha>/<file name>. The same content under two URLs is
    stored once (under the first name it came with)."""

    def __init__(self, root: Path):
        self.root = Path(root)

    def put(self, body: bytes, name: str) -> tuple[str, str]:
        digest = hashlib.sha256(body).hexdigest()
        folder = self.root / digest[:2] / digest
        existing = sorted(folder.iterdir()) if folder.exists() else []
        if existing:
            return digest, str(existing[0])
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / safe_name(name)
        tmp = folder / f".{digest[:16]}.part"  # short: the name itself may take all 255 bytes
        tmp.write_bytes(body)
        tmp.replace(target)
        return digest, str(target)
