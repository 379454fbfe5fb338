"""Shared fixtures: the sample corpus, its hand-written ground truth, and cached extractions."""

from __future__ import annotations

import functools
import json
import shutil
from pathlib import Path

import pytest

from fiscaldocs.model import Document
from fiscaldocs.pipeline import process

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_docs"
GROUND_TRUTH = SAMPLES / "ground_truth"
REALDOCS = ROOT.parent / "shared" / "realdocs"


def manifest() -> list[dict]:
    return json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))


@functools.cache
def ground_truth(slug: str) -> dict:
    return json.loads((GROUND_TRUTH / f"{slug}.json").read_text(encoding="utf-8"))


@functools.cache
def extracted(path: str) -> Document:
    """Extraction is deterministic and the files are read-only: process each once per session."""
    return process(Path(path))


@pytest.fixture
def realdoc(tmp_path):
    """Copy a file from ../shared/realdocs (read-only test material) or skip when it is absent."""

    def get(name: str) -> Path:
        src = REALDOCS / name
        if not src.exists():
            pytest.skip(f"{src} not available")
        dst = tmp_path / name
        shutil.copyfile(src, dst)
        return dst

    return get
