"""File → normalized Document: the extraction stage, then the normalization stage."""

from __future__ import annotations

from pathlib import Path

from fiscaldocs.extractors import extract
from fiscaldocs.model import Document
from fiscaldocs.normalize import normalize


def process(path: str | Path) -> Document:
    return normalize(extract(path))
