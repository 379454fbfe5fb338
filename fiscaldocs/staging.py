"""Extraction results on disk, so tasks pass paths, not documents, and a rerun reuses them."""

from __future__ import annotations

import pickle
from pathlib import Path

from fiscaldocs.extractors import EXTRACTOR_VERSION
from fiscaldocs.model import Document


def staged_path(workdir: Path, sha256: str) -> Path:
    return Path(workdir) / "extracted" / f"{sha256}-{EXTRACTOR_VERSION}.pickle"


def extract_to_file(path: str, sha256: str, workdir: str) -> str:
    """Process one file (extract + normalize) and write the Document; CPU-bound, run in a worker
    process. Returns the path of the result."""
    from fiscaldocs.pipeline import process

    target = staged_path(Path(workdir), sha256)
    if not target.exists():
        doc = process(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_suffix(".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(doc, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(target)
    return str(target)


def read_staged(path: str) -> Document:
    with open(path, "rb") as fh:
        return pickle.load(fh)
