"""What to ingest: files, folders, URLs, or a sources file — resolved to local files with their
content hash. (Crawling portals comes with the crawl stage; a URL here is one file.)"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlparse

from fiscaldocs.crawl.config import ConfigError, PortalSource, portal_from_dict
from fiscaldocs.extractors import sha256_file

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
    warehouse: str | None = None  # `warehouse = "…"`: a DuckDB file or ducklake:postgres:… (warehouse/backends.py)


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
    for i, entry in enumerate(data.get("source", [])):
        where = f"{path}: [[source]] #{i + 1}"
        if not isinstance(entry, dict) or not (entry.get("paths") or entry.get("urls") or entry.get("start_urls")):
            raise SourceError(f"{where} needs `paths`, `urls` or `start_urls`")
        out.inputs += [str(Path(path).parent / p) for p in entry.get("paths", [])]
        out.inputs += list(entry.get("urls", []))
        if entry.get("start_urls"):
            try:
                out.portals.append(portal_from_dict(entry, where))
            except ConfigError as exc:
                raise SourceError(str(exc)) from exc
    return out


def resolve(inputs: list[str], raw_dir: Path) -> tuple[list[Input], list[str]]:
    """(files to ingest, problems). Folders are searched for documents by suffix; a file given
    by name is always taken (a mislabelled one is reported by extraction, not skipped)."""
    found: list[Input] = []
    problems: list[str] = []
    for item in inputs:
        if urlparse(item).scheme in ("http", "https"):
            import httpx

            try:
                path = download(item, raw_dir)
                found.append(Input(str(path), sha256_file(path), url=item))
            except (httpx.HTTPError, httpx.InvalidURL, OSError) as exc:
                # a dead link (network error, HTTP error status), a malformed URL or a raw store
                # that cannot be written is a problem to report, not a crash; anything else is a bug
                problems.append(f"{item}: download failed: {exc}")
            continue
        p = Path(item)
        if p.is_dir():
            files = sorted(f for f in p.rglob("*") if f.is_file() and f.suffix.lower() in DOCUMENT_SUFFIXES)
            found += [Input(str(f), sha256_file(f)) for f in files]
        elif p.is_file():
            found.append(Input(str(p), sha256_file(p)))
        else:
            problems.append(f"{item}: no such file or folder")
    return found, problems


def download(url: str, raw_dir: Path) -> Path:
    """Fetch one URL into the content-addressed raw store (raw/<sha256><suffix>)."""
    import hashlib

    import httpx

    raw_dir.mkdir(parents=True, exist_ok=True)
    with httpx.Client(follow_redirects=True, timeout=60) as client:
        response = client.get(url)
        response.raise_for_status()
    digest = hashlib.sha256(response.content).hexdigest()
    suffix = Path(unquote(urlparse(url).path)).suffix.lower()
    target = raw_dir / f"{digest}{suffix if suffix in DOCUMENT_SUFFIXES else ''}"
    if not target.exists():
        target.write_bytes(response.content)
    return target
