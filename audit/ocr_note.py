"""A check that fails on numbers read by OCR is more likely a misread digit than a mistake in the
report: say so in its message, so a reader looks at the page image before blaming the report."""

from __future__ import annotations

from fiscaldocs.model import Check, Document, Side

NOTE = ("; read by OCR (page {pages}): a misread digit is the likelier cause — "
        "compare with the page image")


def note_ocr_misreads(doc: Document, checks: list[Check]) -> list[Check]:
    if not doc.meta.ocr_pages:
        return checks
    for check in checks:
        if check.status != "fail":
            continue
        read = [s for s in check.sides if _ocr(doc, s)]
        if read:
            pages = sorted({s.page for s in read if s.page is not None})
            check.message += NOTE.format(pages=", ".join(map(str, pages)) or "?")
    return checks


def _ocr(doc: Document, side: Side) -> bool:
    if side.doc_id not in (None, doc.meta.sha256):
        return False
    if side.table is not None and 0 <= side.table < len(doc.tables):
        table = doc.tables[side.table]
        if side.row is None:
            return any(c.ocr for c in table.cells)
        return any(c.ocr for c in table.cells if c.row == side.row and (side.col is None or c.col == side.col))
    if side.block is not None and 0 <= side.block < len(doc.blocks):
        return doc.blocks[side.block].ocr
    return side.page in doc.meta.ocr_pages
