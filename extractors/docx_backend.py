"""Word backend: python-docx in body order, paragraphs and tables interleaved.

Merged cells are read from the XML (gridSpan, vMerge) so a merged cell is one `Cell` with spans,
not the same text repeated in every slot it covers (which is what python-docx's `table.cell()`
API returns). Tables nested in a cell become tables of their own with a `parent` reference.
Headers and footers live in other parts of the package, so page furniture never enters the body.
"""

from __future__ import annotations

from pathlib import Path

import docx
from docx.oxml.ns import qn
from fiscaldocs.extractors.captions import CaptionLine, find_caption
from fiscaldocs.extractors.cjk import clean_line, join_lines
from fiscaldocs.extractors.limits import check_pages, check_table, check_zip_members
from fiscaldocs.extractors.pdf_layout import HEADING_START

from fiscaldocs.model import BlockKind, Cell, Document, Table, TextBlock

W_P, W_TBL, W_SDT = qn("w:p"), qn("w:tbl"), qn("w:sdt")


def extract_docx_body(path: Path, doc: Document) -> None:
    check_zip_members(path)  # before python-docx inflates anything
    document = docx.Document(str(path))
    pages = _page_count(document)
    check_pages(pages)
    doc.meta.page_count = pages
    doc.meta.producer = _application(document)
    items: list[TextBlock | Table] = []
    _walk(document.element.body, items, doc)
    for order, item in enumerate(items):
        item.order = order
        (doc.tables if isinstance(item, Table) else doc.blocks).append(item)  # type: ignore[arg-type]
    for i, table in enumerate(doc.tables):
        table.index = i


def _walk(container, items: list, doc: Document, parent: tuple[int, int, int] | None = None) -> None:
    for child in container.iterchildren():
        if child.tag == W_P:
            block = _paragraph(child)
            if block is not None:
                items.append(block)
        elif child.tag == W_TBL:
            _table(child, items, doc, parent)
        elif child.tag == W_SDT:  # content controls wrap ordinary body content
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                _walk(content, items, doc, parent)


def _paragraph_text(p) -> str:
    parts = []
    for node in p.iter(qn("w:t"), qn("w:tab"), qn("w:br"), qn("w:cr"), qn("w:noBreakHyphen")):
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.tag == qn("w:tab"):
            parts.append(" ")
        elif node.tag == qn("w:noBreakHyphen"):  # a printed hyphen ("2022‑2023"), not a soft one
            parts.append("-")
        else:
            parts.append("\n")
    return "".join(parts)


def paragraph_clean(raw: str) -> str:
    """A paragraph's text as a block holds it: breaks ("\n") joined the CJK way, spaces folded."""
    return join_lines(raw.split("\n")) if "\n" in raw else clean_line(raw)


def cell_clean(raw_paragraphs: list[str]) -> str:
    """A table cell's text from the raw text of its paragraphs."""
    return join_lines([t for t in (clean_line(r) for r in raw_paragraphs) if t])


def _paragraph(p) -> TextBlock | None:
    text = paragraph_clean(_paragraph_text(p))
    if not text:
        return None
    return TextBlock(text=text, page=None, kind=_kind(p, text))


def _kind(p, text: str) -> BlockKind:
    ppr = p.find(qn("w:pPr"))
    style = ""
    centered = outline = False
    if ppr is not None:
        ps = ppr.find(qn("w:pStyle"))
        style = (ps.get(qn("w:val")) or "") if ps is not None else ""
        jc = ppr.find(qn("w:jc"))
        centered = jc is not None and jc.get(qn("w:val")) == "center"
        outline = ppr.find(qn("w:outlineLvl")) is not None
    return classify(text, style=style, centered=centered, outline=outline, max_size=lambda: _max_size(p))


def classify(text: str, *, style: str, centered: bool, outline: bool, max_size) -> BlockKind:
    """Title, heading or paragraph, from what Word says of the paragraph (shared with the .doc
    backend). `style` is the style's id or name; `max_size` returns the largest font size in
    half-points (called only when it matters)."""
    style = style.replace(" ", "").lower()
    if outline:
        return BlockKind.HEADING
    if style.startswith("title"):
        return BlockKind.TITLE
    if style.startswith("heading") or HEADING_START.match(text) and len(text) <= 40:
        return BlockKind.HEADING
    if centered and len(text) <= 60 and not text.endswith("。"):
        return BlockKind.TITLE if max_size() >= 30 else BlockKind.HEADING  # half-points: 15pt+
    return BlockKind.PARAGRAPH


def _max_size(p) -> int:
    sizes = [int(sz.get(qn("w:val"))) for sz in p.iter(qn("w:sz")) if (sz.get(qn("w:val")) or "").isdigit()]
    return max(sizes, default=0)


def _is_centered_block(block: TextBlock) -> bool:
    return block.kind in (BlockKind.TITLE, BlockKind.HEADING)


def take_caption(items: list) -> tuple[str | None, str | None]:
    """The caption of a top-level table about to be appended to `items`: the paragraphs right
    above it, nearest first. Those that belong to the caption leave the text flow."""
    above = []
    for it in reversed(items):
        if not isinstance(it, TextBlock):
            break
        above.append(it)
        if len(above) == 4:
            break
    cap = find_caption([CaptionLine(b.text, _is_centered_block(b)) for b in above])
    for _ in range(cap.consumed):
        items.pop()
    return cap.title, cap.unit


def _table(tbl, items: list, doc: Document, parent: tuple[int, int, int] | None) -> None:
    # Which Table this is among all tables found so far (nested ones included).
    index = sum(1 for it in items if isinstance(it, Table))
    cells, n_rows, n_cols, nested = _grid(tbl)
    title, unit = take_caption(items) if parent is None else (None, None)
    table = Table(index=index, n_rows=n_rows, n_cols=n_cols, cells=cells, title=title, unit=unit,
                  extractor="python-docx", parent=parent, row_pages=[None] * n_rows)
    items.append(table)
    for (row, col), inner in nested:
        _table(inner, items, doc, (index, row, col))


def _grid(tbl) -> tuple[list[Cell], int, int, list]:
    """Read the cell grid with spans from the table XML."""
    anchors: dict[tuple[int, int], Cell] = {}
    open_vmerge: dict[int, Cell] = {}  # column → cell a vertical merge is running in
    nested = []
    n_cols = len(tbl.findall(f"{qn('w:tblGrid')}/{qn('w:gridCol')}"))
    rows = tbl.findall(qn("w:tr"))
    check_table(len(rows), n_cols)
    for r, tr in enumerate(rows):
        col = _int(tr.find(f"{qn('w:trPr')}/{qn('w:gridBefore')}"), 0)
        check_table(len(rows), col)
        for tc in tr.findall(qn("w:tc")):
            tcpr = tc.find(qn("w:tcPr"))
            span = _int(tcpr.find(qn("w:gridSpan")) if tcpr is not None else None, 1)
            check_table(len(rows), col + span)  # before a span of 2,000,000,000 is walked
            vmerge = tcpr.find(qn("w:vMerge")) if tcpr is not None else None
            continues = vmerge is not None and vmerge.get(qn("w:val")) in (None, "continue")
            if continues and col in open_vmerge:
                open_vmerge[col].row_span = r - open_vmerge[col].row + 1
            else:
                text = cell_clean([_paragraph_text(p) for p in tc.findall(qn("w:p"))])
                cell = Cell(row=r, col=col, text=text, col_span=span)
                anchors[(r, col)] = cell
                for c in range(col, col + span):
                    open_vmerge.pop(c, None)
                if vmerge is not None:
                    open_vmerge[col] = cell
                for inner in tc.findall(qn("w:tbl")):
                    nested.append(((r, col), inner))
            col += span
        n_cols = max(n_cols, col)
    return sorted(anchors.values(), key=lambda c: (c.row, c.col)), len(rows), n_cols, nested


def _int(el, default: int) -> int:
    if el is None:
        return default
    try:
        return int(el.get(qn("w:val")))
    except (TypeError, ValueError):
        return default


def _page_count(document) -> int | None:
    """The page count Word stored in docProps/app.xml when it last laid the file out. Files
    written by libraries (python-docx keeps its template's "1 page, 0 words") never laid out:
    a zero word count marks the figure as stale, and then there is no page count."""
    app = _app_xml(document)
    if app is None:
        return None
    pages, words = app.find("{*}Pages"), app.find("{*}Words")
    if pages is None or not (pages.text or "").isdigit() or int(pages.text) == 0:
        return None
    if words is not None and (words.text or "").strip() == "0":
        return None
    return int(pages.text)


def _application(document) -> str | None:
    app = _app_xml(document)
    node = app.find("{*}Application") if app is not None else None
    return node.text if node is not None else None


def _app_xml(document):
    from lxml import etree

    for rel in document.part.package.rels.values() if hasattr(document.part.package, "rels") else []:
        if rel.reltype.endswith("/extended-properties"):
            return etree.fromstring(rel.target_part.blob)
    return None
