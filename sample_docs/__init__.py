"""The embedded default corpus: five real reports' ground truth rendered by several producers.

Shipped in the wheel as package data, so `fiscaldocs run` has something to ingest wherever it is
installed. The generators (`tools/`, not shipped) need LibreOffice and CJK fonts.
"""

from __future__ import annotations

import json
from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent


def documents() -> list[Path]:
    """The corpus's documents, as its manifest lists them (the folder also holds the ground truth
    and this module, which are not reports)."""
    manifest = json.loads((SAMPLE_DIR / "manifest.json").read_text(encoding="utf-8"))
    return [SAMPLE_DIR / entry["file"] for entry in manifest]
