"""What to ingest: files, folders, URLs, or a sources file — resolved to local files with their
content hash. (Crawling portals comes with the crawl stage; a URL here is one file, downloaded by
the crawler's Fetcher: same robots.txt, size cap, deadline and redirect rules, allowed hosts = the
URL's host unless `allowed_hosts` is set beside `urls` in the sources file.)"""

from __future__ import annotations

import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from fiscaldocs.crawl.config import ConfigError, PortalSource, portal_from_dict
from fiscaldocs.hashing import HashCache, sha256_file

DOCUMENT_SUFFIXES = {".pdf", ".docx", ".doc"}


@dataclass(frozen=True, slots=True)
class Input:
    path: str
    sha256: str
    url: str | None = None


class SourceError(ValueError):
    pass


@dataclass
class SourcesFile:
    inputs: list[str]  # paths and single-file URLs
    portals: list[PortalSource]  # sites to crawl
    url_hosts: dict[str, frozenset[str]] = field(default_factory=dict)  # URL → hosts it may redirect to
    warehouse: str | None = None  # `warehouse = "…"`: a DuckDB file or ducklake:postgres:… (warehouse/backends.py)
    cluster: str | None = None  # `cluster = "tcp://scheduler:8786"`: process on that Dask cluster (flows/cluster.py)


def read_sources_file(path: Path) -> SourcesFile:
    """`[[source]]` tables: `paths = [...]` and/or `urls = [...]` (files), or `start_urls = [...]`
    with crawl settings (a portal: see crawl/config.py). Relative paths are relative to the file."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SourceError(f"{path}: cannot read sources file: {exc}") from exc
    out = SourcesFile([], [])
    warehouse = data.get("warehouse")
    if warehouse is not None and not isinstance(warehouse, str):
        raise SourceError(f"{path}: `warehouse` must be a string (a DuckDB file or ducklake:postgres:…)")
    if warehouse:  # a relative file is relative to the sources file, like its paths
        out.warehouse = warehouse if warehouse.startswith("ducklake:") else str(Path(path).parent / warehouse)
    cluster = data.get("cluster")
    if cluster is not None and not isinstance(cluster, str):
        raise SourceError(f"{path}: `cluster` must be a string (a Dask scheduler's address, tcp://host:8786)")
    out.cluster = cluster or None
    for i, entry in enumerate(data.get("source", [])):
        where = f"{path}: [[source]] #{i + 1}"
        if not isinstance(entry, dict) or not (entry.get("paths") or entry.get("urls") or entry.get("start_urls")):
            raise SourceError(f"{where} needs `paths`, `urls` or `start_urls`")
        out.inputs += [str(Path(path).parent / p) for p in entry.get("paths", [])]
        out.inputs += list(entry.get("urls", []))
        if entry.get("urls") and entry.get("allowed_hosts"):
            out.url_hosts.update({u: frozenset(entry["allowed_hosts"]) for u in entry["urls"]})
        if entry.get("start_urls"):
            try:
                out.portals.append(portal_from_dict(entry, where))
            except ConfigError as exc:
                raise SourceError(str(exc)) from exc
    return out


@dataclass
class Resolved:
    files: list[Input]
    problems: list[str]  # inputs that are neither a file, a folder nor a URL
    fetches: list[dict]  # one crawl.fetcher.Fetch (as a dict) per URL, failed ones included


def resolve(inputs: list[str], raw_dir: Path, url_hosts: dict[str, frozenset[str]] | None = None,
            hashes: HashCache | None = None) -> Resolved:
    """Folders are searched for documents by suffix; a file given by name is always taken (a
    mislabelled one is reported by extraction, not skipped); a URL is downloaded into the raw store.
    `hashes`: a cache of content hashes (fiscaldocs/hashing.py) so unchanged files are not re-read."""
    out = Resolved([], [], [])
    sha = hashes.sha256 if hashes is not None else sha256_file
    for item in inputs:
        if urlparse(item).scheme in ("http", "https"):
            record = download(item, raw_dir, (url_hosts or {}).get(item))
            out.fetches.append(asdict(record))
            if record.status == "ok":
                out.files.append(Input(record.path, record.sha256, url=item))
            continue
        p = Path(item)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in DOCUMENT_SUFFIXES)
            out.files += [Input(str(f), sha(f)) for f in files]
        elif p.is_file():
            out.files.append(Input(str(p), sha(p)))
        else:
            out.problems.append(f"{item}: no such file or folder")
    return out


def unsupported_files(inputs: list[str]) -> list[str]:
    """Files in the folders given that are not ingested (their suffix is no document's), each as
    "path (type)" with the type read from the bytes, so the run summary can say what it left out."""
    out = []
    for item in inputs:
        p = Path(item)
        if urlparse(item).scheme in ("http", "https") or not p.is_dir():
            continue
        for f in sorted(p.rglob("*")):
            if f.is_file() and f.suffix.lower() not in DOCUMENT_SUFFIXES:
                # imported only when there is one: the parsers load with it
                from fiscaldocs.extractors.sniff import sniff

                try:
                    kind = sniff(f)
                except OSError as exc:
                    kind = f"unreadable: {exc.strerror}"
                out.append(f"{f} ({kind})")
    return out


def missing_inputs(inputs: list[str]) -> list[str]:
    """Local paths that do not exist (a run given only those must not create a warehouse)."""
    return [i for i in inputs if urlparse(i).scheme not in ("http", "https") and not Path(i).exists()]


URL_SOURCE = "ingest"  # the `source` of a URL given to `ingest` (portals are named in sources.toml)


def download(url: str, raw_dir: Path, allowed_hosts: frozenset[str] | None = None):
    """Fetch one URL into the raw store with the crawler's Fetcher; returns its Fetch record (a
    dead link, a redirect off the allowed hosts, an HTML error page, a full disk: status error
    and the reason)."""
    from fiscaldocs.crawl.fetcher import Fetch, Fetcher, RawStore

    try:
        fetcher = Fetcher(allowed_hosts or frozenset({urlparse(url).netloc}), rate_limit=0)
    except (ValueError, TypeError) as exc:  # pragma: no cover - bad configuration
        return Fetch(url, URL_SOURCE, "error", error=f"download failed: {exc}")
    try:
        record = fetcher.document(url, URL_SOURCE, RawStore(raw_dir), None, None)
    finally:
        fetcher.close()
    if record.error:
        record.error = f"download failed: {record.error}"
    return record
