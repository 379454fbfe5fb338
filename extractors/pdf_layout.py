"""Text layout for PDF pages: characters → lines → paragraphs, without running headers and footers.

PDFs carry positioned glyphs, not paragraphs. We rebuild lines from glyph positions, drop the
lines that repeat at the top or bottom of many pages (running headers, page numbers), and join
lines that the layout wrapped back into paragraphs. Geometry decides, not file names: a line that
reaches the right margin continues into the next line unless that one is indented, far below, in
another font size, or starts a numbered heading.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from fiscaldocs.extractors.captions import UNIT
from fiscaldocs.extractors.cjk import clean_line, join_lines

from fiscaldocs.model import BlockKind, TextBlock


@dataclass(slots=True)
class Line:
    page: int
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    text: str
    page_width: float = 0.0
    page_height: float = 0.0
    segments: int = 1  # pieces separated by gaps wider than a character: columns of a table
    ocr_confidence: float | None = None  # lowest recognition confidence, for a line read by OCR

    @property
    def center_x(self) -> float:
        return (self.x0 + self.x1) / 2


# A gap this wide (in font sizes) between glyphs of a line separates columns, not words: wider
# than a word space (≈0.3) and than the gaps of justified text.
COLUMN_GAP = 0.6


def chars_to_lines(chars: Iterable[dict], page: int, page_width: float, page_height: float) -> list[Line]:
    """Group glyphs into visual lines by vertical centre, then order each line left to right."""
    upright = sorted(
        (c for c in chars if c.get("text", "").strip() or c.get("text") == " "),
        key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"]),
    )
    groups: list[list[dict]] = []
    for ch in upright:
        mid = (ch["top"] + ch["bottom"]) / 2
        if groups:
            last = groups[-1]
            last_mid = (last[0]["top"] + last[0]["bottom"]) / 2
            tol = 0.45 * max(ch.get("size", 10.0), last[0].get("size", 10.0))
            if abs(mid - last_mid) <= tol:
                last.append(ch)
                continue
        groups.append([ch])
    lines = []
    for group in groups:
        group.sort(key=lambda c: c["x0"])
        text = _glyphs_to_text(group)
        if not text:
            continue
        sizes = [c.get("size", 10.0) for c in group if c["text"].strip()]
        inked = [c for c in group if c["text"].strip()]
        segments = 1 + sum(1 for a, b in zip(inked, inked[1:], strict=False)
                           if b["x0"] - a["x1"] > COLUMN_GAP * max(b.get("size", 10.0), 1.0))
        lines.append(Line(
            page=page,
            x0=min(c["x0"] for c in group),
            top=min(c["top"] for c in group),
            x1=max(c["x1"] for c in group),
            bottom=max(c["bottom"] for c in group),
            size=statistics.median(sizes) if sizes else 10.0,
            text=text,
            page_width=page_width,
            page_height=page_height,
            segments=segments,
            ocr_confidence=min((c["ocr_conf"] for c in group if "ocr_conf" in c), default=None),
        ))
    return lines


def _glyphs_to_text(glyphs: Sequence[dict]) -> str:
    """Concatenate glyphs of one line; a gap wider than a third of the font size is a space."""
    parts: list[str] = []
    prev = None
    for g in glyphs:
        if prev is not None and g["x0"] - prev["x1"] > 0.3 * max(g.get("size", 10.0), 1.0):
            parts.append(" ")
        parts.append(g["text"])
        prev = g
    return clean_line("".join(parts))


# Page furniture -------------------------------------------------------------------------------

_PAGE_NUMBER = re.compile(
    r"^(?:[-—–－~]*\s*\d{1,4}\s*[-—–－~]*|第\s*\d+\s*页(?:\s*[，,/]?\s*共\s*\d+\s*页)?|\d+\s*/\s*\d+"
    r"|page\s*\d+(?:\s*of\s*\d+)?)$",
    re.IGNORECASE,
)


def _furniture_key(line: Line) -> tuple[str, float]:
    """Digits ignored (page numbers, dates change), font size kept: a document title repeated as
    a small running header is furniture, the title itself on page 1 is not."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", line.text)), round(line.size)


def drop_page_furniture(pages: list[list[Line]]) -> list[list[Line]]:
    """Remove running headers, footers and page numbers.

    A candidate is one of the two outermost lines at the top or bottom of a page, inside the
    outer 15% of the page. It is furniture when it is a page number, or when the same text (digits
    ignored) stands in that position on at least 40% of the pages (and at least two).
    """
    def candidates(lines: list[Line]) -> list[Line]:
        if not lines:
            return []
        ordered = sorted(lines, key=lambda ln: ln.top)
        edge = {id(ln): ln for ln in ordered[:2] + ordered[-2:]}.values()
        # a unit line (单位：万元) repeated above a continued table on every page belongs to the table
        return [ln for ln in edge if (ln.top < 0.15 * ln.page_height or ln.bottom > 0.85 * ln.page_height)
                and not UNIT.search(ln.text)]

    counts: Counter[tuple[str, float]] = Counter()
    for lines in pages:
        counts.update({_furniture_key(ln) for ln in candidates(lines)})
    threshold = max(2, int(0.4 * len(pages) + 0.5))
    cleaned = []
    for lines in pages:
        drop = {id(ln) for ln in candidates(lines)
                if _PAGE_NUMBER.match(ln.text.strip()) or counts[_furniture_key(ln)] >= threshold}
        cleaned.append([ln for ln in lines if id(ln) not in drop])
    return cleaned


# Paragraphs -----------------------------------------------------------------------------------

HEADING_START = re.compile(
    r"^(?:[一二三四五六七八九十百]+[、．.]|[（(][一二三四五六七八九十]+[）)]|第[一二三四五六七八九十]+[章节部分]"
    r"|附件\s*\d*[-—]?\d*[:：]?$)"
)
ITEM_START = re.compile(r"^(?:\d+[、.．](?!\d)|[（(]\d+[）)]|[①②③④⑤⑥⑦⑧⑨⑩])")


@dataclass(slots=True)
class Margins:
    left: float
    right: float
    body_size: float = 10.5  # the commonest font size: body text


def page_margins(lines: Sequence[Line]) -> Margins:
    """Body margins of a group of same-width pages: the commonest line start and a high line end."""
    starts = Counter(round(ln.x0) for ln in lines if len(ln.text) > 3)
    left = starts.most_common(1)[0][0] if starts else min((ln.x0 for ln in lines), default=0.0)
    ends = sorted(ln.x1 for ln in lines)
    right = ends[int(0.9 * (len(ends) - 1))] if ends else 0.0
    sizes = Counter(round(ln.size * 2) / 2 for ln in lines for _ in range(len(ln.text)))
    body = sizes.most_common(1)[0][0] if sizes else 10.5
    return Margins(left=float(left), right=float(right), body_size=body)


_TERMINAL = "。！？；：!?;:"


def _fills_line(line: Line, m: Margins) -> bool:
    """Ends at the right margin, give or take the two characters that Chinese line breaking
    (kinsoku) carries to the next line with a closing punctuation mark."""
    return line.x1 >= m.right - 2.6 * line.size


def _word_wrapped(prev: Line, cur: Line, m: Margins) -> bool:
    """Ragged-right layouts push a whole number or Latin word ("1377.2万元") to the next line,
    leaving the previous line several characters short of the margin."""
    return (cur.text[:1].isascii() and cur.text[:1].isalnum() and prev.text[-1:] not in _TERMINAL
            and prev.x1 >= m.right - 8 * prev.size)


def _is_centered(line: Line, m: Margins) -> bool:
    """Centred between the body margins: equal, visible gaps on both sides (a justified line has
    none; an indented first line has a gap on the left only)."""
    left_gap, right_gap = line.x0 - m.left, m.right - line.x1
    return left_gap > 2 and right_gap > 2 and abs(left_gap - right_gap) < max(line.size, 6.0)


def _is_display(line: Line, m: Margins) -> bool:
    """Set larger than body text: a title or a display heading."""
    return line.size >= 1.2 * m.body_size


def _continues(prev: Line, cur: Line, m: Margins) -> bool:
    """Whether `cur` is the wrapped continuation of the paragraph whose last line is `prev`."""
    if abs(prev.size - cur.size) > 1.0 or HEADING_START.match(cur.text):
        return False
    # "4、…" at the left margin after a full line is an inline enumeration wrapping ("…；3、…；" /
    # "4、…"); after a line that stopped short it is a new item.
    if ITEM_START.match(cur.text) and prev.x1 < m.right - 1.0 * prev.size:
        return False
    if _is_centered(prev, m) and _is_centered(cur, m):  # a title set over several lines
        return cur.page == prev.page and cur.top - prev.bottom <= 1.5 * cur.size
    wrapped = (_fills_line(prev, m) or _word_wrapped(prev, cur, m)) and cur.x0 <= m.left + 0.8 * cur.size
    if cur.page != prev.page:
        return wrapped
    return wrapped and cur.top - prev.bottom <= 1.2 * cur.size


@dataclass(slots=True)
class _Para:
    lines: list[Line] = field(default_factory=list)


TABLE_BREAK = None  # marks where a table interrupts the text flow


def lines_to_blocks(flow: Sequence[Line | None], margins: dict[int, Margins]) -> list[TextBlock]:
    """Turn the text flow (lines in reading order, `TABLE_BREAK` where a table stands) into blocks.

    A paragraph split by a page break joins across it; a paragraph never joins across a table.
    """
    paras: list[_Para] = []
    prev: Line | None = None
    for line in flow:
        if line is None:
            prev = None
            continue
        if prev is not None and _continues(prev, line, margins[round(line.page_width)]):
            paras[-1].lines.append(line)
        else:
            paras.append(_Para([line]))
        prev = line
    return [_to_block(p, margins[round(p.lines[0].page_width)]) for p in paras]


def _to_block(para: _Para, m: Margins) -> TextBlock:
    first = para.lines[0]
    text = join_lines([ln.text for ln in para.lines])
    if all(_is_centered(ln, m) for ln in para.lines):
        kind = BlockKind.TITLE if _is_display(first, m) else BlockKind.HEADING
    elif HEADING_START.match(text) and len(text) <= 40:
        kind = BlockKind.HEADING
    else:
        kind = BlockKind.PARAGRAPH
    bbox = (min(ln.x0 for ln in para.lines), first.top,
            max(ln.x1 for ln in para.lines), para.lines[-1].bottom)
    confs = [ln.ocr_confidence for ln in para.lines if ln.ocr_confidence is not None]
    return TextBlock(text=text, page=first.page, kind=kind, bbox=bbox, ocr=bool(confs),
                     ocr_confidence=round(min(confs), 4) if confs else None)
