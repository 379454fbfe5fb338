"""Normalization: give every number a value, unit, year, category and place.

`normalize(doc)` fills a Document's metadata (title, issuer, department, region, fiscal year,
report kind, published date) and its numeric claims. It reads the Document only: it knows nothing
of files, DuckDB or Prefect.
"""

from __future__ import annotations

from fiscaldocs.normalize.claims import find_claims
from fiscaldocs.normalize.metadata import fill_metadata

from fiscaldocs.model import BlockKind, Document, Status
from fiscaldocs.versions import stage_digest

# Changes whenever normalization's code or data (taxonomy, units, vocabularies) changes.
NORMALIZER_VERSION = stage_digest("normalize")

PROSE = (BlockKind.TITLE, BlockKind.HEADING, BlockKind.PARAGRAPH)


def normalize(doc: Document) -> Document:
    doc.normalizer_version = NORMALIZER_VERSION
    if doc.status is not Status.OK:
        return doc
    fill_metadata(doc)
    doc.claims = [
        claim
        for i, block in enumerate(doc.blocks)
        if block.kind in PROSE
        for claim in find_claims(block.text, block=i, page=block.page, fiscal_year=doc.meta.fiscal_year)
    ]
    for claim in doc.claims:  # a sentence read by OCR: its digits may be misread
        block = doc.blocks[claim.block]
        claim.ocr, claim.ocr_confidence = block.ocr, block.ocr_confidence
    return doc
