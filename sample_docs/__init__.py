"""The embedded default corpus: five real reports' ground truth rendered by several producers.

Shipped in the wheel as package data, so `fiscaldocs run` has something to ingest wherever it is
installed. The generators (`tools/`, not shipped) need LibreOffice and CJK fonts.
"""

from __future__ import annotations

from pathlib import Path

SAMPLE_DIR = Path(__file__).resolve().parent
