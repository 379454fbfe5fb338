"""PDF backend: pdfplumber for text and ruled tables, camelot where pdfplumber's grid scores poorly
and for tables printed without rules. Produces the `Document` body (blocks and tables)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
from fiscaldocs.extractors import pdf_limits
from fiscaldocs.extractors.captions import CaptionLine, find_caption
from fiscaldocs.extractors.limits import check_pages
from fiscaldocs.extractors.ocr import INSTALL_HINT, mark_cells, read_scanned_page, scanned_tables
from fiscaldocs.extractors.pdf_continuation import PageTable, join_continued
from fiscaldocs.extractors.pdf_glyphs import document_descents, read_page, use_pdfium
from fiscaldocs.extractors.pdf_grid import FilledTable, fill_grid, tidy
from fiscaldocs.extractors.pdf_layout import (
    TABLE_BREAK,
    Line,
    Margins,
    chars_to_lines,
    drop_page_furniture,
    lines_to_blocks,
    page_margins,
)
from fiscaldocs.extractors.pdf_tables import (
    camelot_lattice_grids,
    camelot_stream_grids,
    columnar_regions,
    overlap,
    pdfplumber_text_grids,
    ruled_grids,
)
from fiscaldocs.extractors.pdf_text_grid import text_grid
from fiscaldocs.extractors.text_layer import text_layer

from fiscaldocs.model import BBox, Document, Status, Table

log = logging.getLogger(__name__)

# When a pdfplumber grid loses characters (coverage below this), camelot lattice re-parses the
# page and the better-scoring grid is kept. Sparse but complete grids are left alone.
RETRY_BELOW = 0.99
# An unruled candidate must score at least this to be taken as a table rather than text.
UNRULED_MIN_SCORE = 0.9
# Text above a table only in this top share of the page is a running title, not content.
RUNNING_TITLE_ZONE = 0.1


def extract_pdf_body(path: Path, doc: Document) -> None:
    pdf_limits.install()
    with _pages(path) as (count, producer, pages):
        doc.meta.page_count = count
        doc.meta.producer = producer
        pages_lines: list[list[Line]] = []
        pages_tables: list[list[PageTable]] = []
        ink = 0
        unread: list[int] = []  # pages that need OCR, when the OCR extra is missing
        for number, page in enumerate(pages, start=1):
            chars = page.chars
            scanned = None
            if not text_layer(page, chars).usable:  # the one OCR hook: read the page image instead
                scanned = read_scanned_page(path, number, unread)
                if scanned is not None:
                    chars = scanned.chars
                    doc.meta.ocr_pages.append(number)
            ink += sum(1 for c in chars if c["text"].strip())
            tables = (_page_tables(path, page, number, chars) if scanned is None
                      else [_page_table(f) for f in scanned_tables(scanned, number)])
            inside = [t.bbox for t in tables]
            outside = [c for c in chars if not any(_contains(b, c) for b in inside)]
            lines = chars_to_lines(outside, number, float(page.width), float(page.height))
            unruled = _unruled_tables(path, page, number, chars, lines)
            if scanned is not None:  # the column clustering ran on OCR'd characters
                for t in unruled:
                    mark_cells(t.cells, chars)
            tables += unruled
            lines = [ln for ln in lines if not any(_line_in(b, ln) for b in (t.bbox for t in tables))]
            for t in tables:
                t.page_height, t.last_bottom = float(page.height), t.bbox[3]
            pages_lines.append(lines)
            pages_tables.append(tables)
            page.flush_cache()
    if ink < 10 * max(1, doc.meta.page_count or 1) and doc.meta.page_count:
        doc.status = Status.NEEDS_OCR
        doc.error = (f"{path.name}: no text layer ({ink} characters on {doc.meta.page_count} pages); OCR needed"
                     + (f"; {INSTALL_HINT}" if unread else ""))
        return
    if unread:
        log.warning("%s: pages %s have no usable text layer and were skipped; %s", path.name, unread, INSTALL_HINT)

    pages_lines = drop_page_furniture(pages_lines)
    flow, positioned = _attach_captions_and_flow(pages_lines, pages_tables)
    margins = _margins_by_width(pages_lines)
    blocks = lines_to_blocks(flow, margins)
    tables = join_continued(positioned, _body_bottoms(pages_lines, pages_tables))
    _assign_order(doc, blocks, tables)


@contextmanager
def _pages(path: Path) -> Iterator[tuple[int, str | None, Iterator]]:
    """(page count, producer, pages): each page read by pdfium (`pdf_glyphs`) into a page object
    the layout and table code reads like a pdfplumber page; pages with /Rotate, or all pages when
    FISCALDOCS_PDF_GLYPHS=pdfplumber, are pdfplumber's own (de-duplicated) pages."""
    if not use_pdfium():
        check_pages(_declared_page_count(path))  # before pdfplumber builds every page (its close() does)
        with pdfplumber.open(path) as pdf:
            check_pages(len(pdf.pages))
            meta = pdf.metadata or {}
            yield len(pdf.pages), meta.get("Producer") or meta.get("Creator"), _plumber_pages(pdf.pages)
        return
    pdf = pdfium.PdfDocument(path)
    plumber = None
    try:
        count = len(pdf)
        check_pages(count)
        descents = document_descents(path)  # pdfminer's object layer only: fonts, inflation cap
        meta = pdf.get_metadata_dict(skip_empty=True)

        def pages() -> Iterator:
            nonlocal plumber
            for index in range(count):
                page = pdf[index]
                try:
                    if page.get_rotation() % 360 == 0:
                        yield read_page(page, index + 1, descents)
                        continue
                    if plumber is None:
                        plumber = pdfplumber.open(path)
                    yield from _plumber_pages([plumber.pages[index]])
                finally:
                    page.close()

        yield count, meta.get("Producer") or meta.get("Creator"), pages()
    finally:
        if plumber is not None:
            plumber.close()
        pdf.close()


def _plumber_pages(pages) -> Iterator:
    for raw_page in pages:
        page = raw_page.dedupe_chars(tolerance=1)
        yield page
        raw_page.flush_cache()


def _declared_page_count(path: Path) -> int | None:
    """The page tree's /Count (cheap; None when missing or unreadable: pdfplumber then reports the
    file, and the real count is checked after it)."""
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import resolve1
    from pdfminer.psexceptions import PSException

    try:
        with path.open("rb") as fh:
            count = resolve1(resolve1(PDFDocument(PDFParser(fh)).catalog.get("Pages")).get("Count"))
        return count if isinstance(count, int) else None
    except (AttributeError, KeyError, TypeError, ValueError, PSException):
        return None


# Tables ---------------------------------------------------------------------------------------

def _page_tables(path: Path, page, number: int, chars: list[dict]) -> list[PageTable]:
    if not (page.lines or page.rects or page.curves):
        return []
    filled = [f for f in (fill_grid(g, chars, number) for g in ruled_grids(page)) if _is_table(f)]
    if any(f.quality.coverage < RETRY_BELOW for f in filled):
        alternatives = [fill_grid(g, chars, number)
                        for g in camelot_lattice_grids(path, number, float(page.height))]
        for i, f in enumerate(filled):
            rivals = [a for a in alternatives if _is_table(a) and overlap(a.grid.bbox, f.grid.bbox) > 0.8]
            best = max(rivals, key=lambda a: a.quality.score, default=None)
            if best is not None and best.quality.score > f.quality.score:
                filled[i] = best
    return [_page_table(f) for f in _drop_nested(filled)]


def _unruled_tables(path: Path, page, number: int, chars: list[dict], lines: list[Line]) -> list[PageTable]:
    found = []
    for area in columnar_regions(lines):
        grids = [g for g in [text_grid(chars, area)] if g is not None] + pdfplumber_text_grids(page, area)
        grids += camelot_stream_grids(path, number, float(page.height), area)
        candidates = [f for f in (fill_grid(g, chars, number, area) for g in grids) if _is_table(f)]
        best = max(candidates, key=lambda f: (f.quality.score, f.quality.fill), default=None)
        if best is not None and best.quality.score >= UNRULED_MIN_SCORE:
            found.append(_page_table(best))
    return found


def _is_table(f: FilledTable) -> bool:
    return f.grid.n_cols >= 2 and f.grid.n_rows >= 2 and any(c.text for c in f.cells)


def _drop_nested(tables: list[FilledTable]) -> list[FilledTable]:
    """A ruled box drawn inside a table cell is part of that table, not a table of its own."""
    keep = []
    for t in tables:
        if not any(o is not t and overlap(o.grid.bbox, t.grid.bbox) > 0.9
                   and _area(o.grid.bbox) > _area(t.grid.bbox) for o in tables):
            keep.append(t)
    return keep


def _page_table(f: FilledTable) -> PageTable:
    cells, n_rows, n_cols = tidy(f.cells, f.grid.n_rows, f.grid.n_cols)
    xs = sorted({c.bbox[0] for c in cells if c.bbox} | {c.bbox[2] for c in cells if c.bbox})
    return PageTable(page=f.page, bbox=f.grid.bbox, cells=cells, n_rows=n_rows, n_cols=n_cols, xs=xs,
                     parsed=f, row_pages=[f.page] * n_rows)


def _area(b: BBox) -> float:
    return (b[2] - b[0]) * (b[3] - b[1])


def _contains(b: BBox, ch: dict) -> bool:
    cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
    return b[0] - 1 <= cx <= b[2] + 1 and b[1] - 1 <= cy <= b[3] + 1


def _line_in(b: BBox, ln: Line) -> bool:
    cy = (ln.top + ln.bottom) / 2
    return b[1] - 1 <= cy <= b[3] + 1 and ln.x0 >= b[0] - 4 and ln.x1 <= b[2] + 4


# Captions, flow and continuation --------------------------------------------------------------

def _attach_captions_and_flow(
    pages_lines: list[list[Line]], pages_tables: list[list[PageTable]]
) -> tuple[list[Line | None], list[PageTable]]:
    """Give each table the caption right above it; return the text flow and tables in order."""
    flow: list[Line | None] = []
    positioned: list[PageTable] = []
    for lines, tables in zip(pages_lines, pages_tables, strict=True):
        lines = sorted(lines, key=lambda ln: ln.top)
        tables = sorted(tables, key=lambda t: t.bbox[1])
        consumed: set[int] = set()
        for t in tables:
            above = [ln for ln in lines if ln.bottom <= t.bbox[1] + 2 and id(ln) not in consumed]
            nearest = _adjacent_lines(list(reversed(above)), t.bbox[1])
            m = page_margins(lines) if lines else Margins(t.bbox[0], t.bbox[2])
            cap = find_caption([CaptionLine(ln.text, _centered(ln, t.bbox, m)) for ln in nearest])
            t.title, t.unit = cap.title, cap.unit
            consumed.update(id(ln) for ln in nearest[: cap.consumed])
        kept = [ln for ln in lines if id(ln) not in consumed]
        items: list[tuple[float, Line | PageTable]] = [(ln.top, ln) for ln in kept]
        items += [(t.bbox[1], t) for t in tables]
        items.sort(key=lambda item: item[0])
        for pos, (_, item) in enumerate(items):
            if isinstance(item, PageTable):
                # a running page title above the table does not make it start lower on the page
                item.first_on_page = all(isinstance(i, Line) and i.bottom < RUNNING_TITLE_ZONE * i.page_height
                                         for _, i in items[:pos])
                item.last_on_page = pos == len(items) - 1
                positioned.append(item)
                flow.append(TABLE_BREAK)
            else:
                flow.append(item)
    return flow, positioned


def _adjacent_lines(lines_up: list[Line], top: float) -> list[Line]:
    """Lines stacked directly above `top` with no wide gap, nearest first."""
    out: list[Line] = []
    edge = top
    for ln in lines_up:
        if edge - ln.bottom > 3.0 * ln.size:
            break
        out.append(ln)
        edge = ln.top
    return out[:4]


def _centered(ln: Line, box: BBox, m: Margins) -> bool:
    mid = (box[0] + box[2]) / 2
    return abs(ln.center_x - mid) < 2.5 * ln.size and ln.x0 > min(box[0], m.left) + 2 * ln.size


def _margins_by_width(pages_lines: list[list[Line]]) -> dict[int, Margins]:
    groups: dict[int, list[Line]] = {}
    for lines in pages_lines:
        for ln in lines:
            groups.setdefault(round(ln.page_width), []).append(ln)
    return {w: page_margins(lines) for w, lines in groups.items()}


def _body_bottoms(pages_lines: list[list[Line]], pages_tables: list[list[PageTable]]) -> dict[int, float]:
    """The lowest content edge seen on pages of each height (portrait and landscape differ):
    where the bottom margin starts."""
    out: dict[int, float] = {}
    for lines, tables in zip(pages_lines, pages_tables, strict=True):
        for height, bottom in [(ln.page_height, ln.bottom) for ln in lines] + [(t.page_height, t.bbox[3])
                                                                               for t in tables]:
            out[round(height)] = max(out.get(round(height), 0.0), bottom)
    return out


def _assign_order(doc: Document, blocks, tables: list[PageTable]) -> None:
    keyed: list[tuple[tuple[int, float], object]] = [((b.page or 0, b.bbox[1] if b.bbox else 0.0), b)
                                                     for b in blocks]
    keyed += [((t.page, t.bbox[1]), t) for t in tables]
    keyed.sort(key=lambda item: item[0])
    table_index = 0
    for order, (_, item) in enumerate(keyed):
        if isinstance(item, PageTable):
            doc.tables.append(Table(
                index=table_index, n_rows=item.n_rows, n_cols=item.n_cols, cells=item.cells,
                page=item.page, row_pages=list(item.row_pages), bbox=item.bbox, title=item.title,
                unit=item.unit, extractor=item.parsed.quality.parser, quality=item.parsed.quality,
                order=order,
            ))
            table_index += 1
        else:
            item.order = order
            doc.blocks.append(item)
