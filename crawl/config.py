"""Portal sources as declared in sources.toml (`[[source]]` tables with `start_urls`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlparse

from fiscaldocs.model import ReportKind

DOCUMENT_SUFFIX = r"\.(?:pdf|docx?|xlsx?|wps|zip)(?:$|\?)"
# Links that download without a file suffix: download.jsp?id=2, /attach/123, getfile.do …
DOWNLOAD_WORDS = r"download|attach|fujian|getfile|filedown|file\.do|downfile"


@dataclass(frozen=True)
class PortalSource:
    name: str
    start_urls: list[str]
    allowed_hosts: frozenset[str]
    list_pattern: re.Pattern[str] | None = None
    detail_pattern: re.Pattern[str] | None = None
    attachment_pattern: re.Pattern[str] = re.compile(f"{DOCUMENT_SUFFIX}|{DOWNLOAD_WORDS}", re.IGNORECASE)
    next_page_text: str = "下一页"
    max_list_pages: int = 50
    max_detail_pages: int = 1000
    rate_limit: float = 1.0  # requests per second per host
    concurrency: int = 2
    timeout: float = 30.0  # seconds without a byte
    deadline: float = 300.0  # seconds for one whole download (robots.txt and pages too)
    retries: int = 3
    max_bytes: int = 100 * 1024 * 1024
    # region (a place name, e.g. "上海市普陀区"), department, report_kind: fill what a document
    # fetched from this portal does not say itself
    hints: dict[str, str] = field(default_factory=dict)


class ConfigError(ValueError):
    pass


def portal_from_dict(entry: dict, where: str) -> PortalSource:
    name = entry.get("name") or where
    start = entry.get("start_urls") or []
    if not start or not all(urlparse(u).scheme in ("http", "https") for u in start):
        raise ConfigError(f"{where}: `start_urls` must list http(s) URLs")
    hosts = frozenset(entry.get("allowed_hosts") or {urlparse(u).netloc for u in start})

    def pattern(key: str) -> re.Pattern[str] | None:
        try:
            return re.compile(entry[key], re.IGNORECASE) if entry.get(key) else None
        except re.error as exc:
            raise ConfigError(f"{where}: `{key}` is not a valid regular expression: {exc}") from exc

    kwargs = {k: entry[k] for k in ("next_page_text", "max_list_pages", "max_detail_pages", "rate_limit",
                                    "concurrency", "timeout", "deadline", "retries", "max_bytes") if k in entry}
    attachment = pattern("attachment_pattern")
    kind = entry.get("hints", {}).get("report_kind")
    if kind and kind not in {k.value for k in ReportKind}:
        raise ConfigError(f"{where}: hints.report_kind {kind!r} is not one of {sorted(k.value for k in ReportKind)}")
    return PortalSource(
        name=name, start_urls=list(start), allowed_hosts=hosts, list_pattern=pattern("list_pattern"),
        detail_pattern=pattern("detail_pattern"), hints=dict(entry.get("hints", {})),
        **({"attachment_pattern": attachment} if attachment else {}), **kwargs,
    )


def one_off(url: str, **overrides) -> PortalSource:
    """`fiscaldocs crawl URL`: the URL's host only; every same-host page it links to is a detail
    page; attachments of any supported type."""
    return PortalSource(name=url, start_urls=[url], allowed_hosts=frozenset({urlparse(url).netloc}), **overrides)
