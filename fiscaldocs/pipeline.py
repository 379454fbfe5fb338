"""File → normalized Document: the extraction stage, then the normalization stage."""

from __future__ import annotations

from pathlib import Path

from extractors import extract
from fiscaldocs.model import Document
from normalize import normalize


def process(path: str | Path) -> Document:
    return normalize(extract(path))
