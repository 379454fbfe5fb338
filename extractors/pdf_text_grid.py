"""Our own grid for a table printed without rules, read off the text alone.

Columns are the gaps that (almost) no text line crosses inside the region: cells aligned left,
right or on the decimal point all leave the same white channel between columns; a long label or
a header spanning two columns crosses a channel on one line only and is tolerated. Rows are the
text lines; a line with text in the label column only that sits closer to a neighbouring line
than rows sit to each other is the wrapped rest of that neighbour's label. Header lines (above
the first line holding a number) keep a piece of text that crosses a channel as one cell
spanning those columns.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass

from fiscaldocs.extractors.pdf_grid import Grid, Region

from fiscaldocs.model import BBox

_NUMBER = re.compile(r"^[-−–(（]?[\d,，]+(?:\.\d+)?[)）%]?$|^[—–-]$")
CROSSING_SHARE = 0.12  # a channel survives lines crossing it up to this share of the lines


@dataclass(slots=True)
class _Piece:
    x0: float
    x1: float
    text: str


@dataclass(slots=True)
class _Row:
    top: float
    bottom: float
    pieces: list[_Piece]
    size: float


def _rows(chars: list[dict], area: BBox) -> list[_Row]:
    x0, top, x1, bottom = area
    inside = sorted((c for c in chars if c["text"].strip() and x0 - 1 <= (c["x0"] + c["x1"]) / 2 <= x1 + 1
                     and top - 1 <= (c["top"] + c["bottom"]) / 2 <= bottom + 1),
                    key=lambda c: ((c["top"] + c["bottom"]) / 2, c["x0"]))
    groups: list[list[dict]] = []
    for ch in inside:
        mid = (ch["top"] + ch["bottom"]) / 2
        if groups and abs(mid - (groups[-1][0]["top"] + groups[-1][0]["bottom"]) / 2) <= 0.45 * ch.get("size", 10):
            groups[-1].append(ch)
        else:
            groups.append([ch])
    rows = []
    for g in groups:
        g.sort(key=lambda c: c["x0"])
        size = statistics.median(c.get("size", 10.0) for c in g)
        pieces: list[_Piece] = []
        for ch in g:
            if pieces and ch["x0"] - pieces[-1].x1 <= 0.45 * size:  # a word space, not a column gap
                p = pieces[-1]
                p.x1, p.text = max(p.x1, ch["x1"]), p.text + ch["text"]
            else:
                pieces.append(_Piece(ch["x0"], ch["x1"], ch["text"]))
        rows.append(_Row(min(c["top"] for c in g), max(c["bottom"] for c in g), pieces, size))
    return rows


def _channels(rows: list[_Row], x0: float, x1: float) -> list[float]:
    """Centres of the white channels between columns."""
    width = int(x1 - x0) + 3
    cover = [0] * width
    for r in rows:
        for p in r.pieces:
            for i in range(max(0, int(p.x0 - x0)), min(width, int(p.x1 - x0) + 1)):
                cover[i] += 1
    limit = CROSSING_SHARE * len(rows)
    size = statistics.median(r.size for r in rows)
    out, start = [], None
    for i, n in enumerate(cover + [len(rows)]):
        if n <= limit and start is None:
            start = i
        elif n > limit and start is not None:
            if start > 0 and i < width and i - start >= 0.4 * size:
                out.append(x0 + (start + i) / 2)
            start = None
    return out


def _is_label_only(r: _Row, first_channel: float) -> bool:
    return all(p.x1 <= first_channel + 1 for p in r.pieces) and not any(_NUMBER.match(p.text) for p in r.pieces)


def _group_wrapped(rows: list[_Row], first_channel: float, body_start: int) -> list[list[_Row]]:
    """Join a label-only line to the neighbour it sits closer to, when closer than rows sit."""
    gaps = [b.top - a.bottom for a, b in zip(rows, rows[1:], strict=False)]
    typical = statistics.median(gaps) if gaps else 0.0
    groups: list[list[_Row]] = [[r] for r in rows]
    i = body_start
    while i < len(groups):
        r = groups[i][0] if len(groups[i]) == 1 else None
        if r is None or not _is_label_only(r, first_channel):
            i += 1
            continue
        above = r.top - groups[i - 1][-1].bottom if i > body_start else None
        below = groups[i + 1][0].top - r.bottom if i + 1 < len(groups) else None
        lower_case = r.pieces[0].text[:1].islower()
        if above is not None and (lower_case or (above < 0.7 * typical and (below is None or above <= below))):
            groups[i - 1].extend(groups.pop(i))
            continue
        if below is not None and below < 0.7 * typical and not _is_label_only(groups[i + 1][0], first_channel):
            label = groups.pop(i)  # popped first: the row below is then at index i
            groups[i][:0] = label
            continue
        i += 1
    return groups


def text_grid(chars: list[dict], area: BBox) -> Grid | None:
    rows = _rows(chars, area)
    if len(rows) < 2:
        return None
    x0, x1 = min(p.x0 for r in rows for p in r.pieces), max(p.x1 for r in rows for p in r.pieces)
    channels = _channels(rows, x0, x1)
    if not channels:
        return None
    xs = [x0 - 1] + channels + [x1 + 1]
    body_start = next((i for i, r in enumerate(rows) if any(_NUMBER.match(p.text) for p in r.pieces)), 0)
    groups = _group_wrapped(rows, channels[0], body_start)
    ys = [groups[0][0].top - 1]
    for a, b in zip(groups, groups[1:], strict=False):
        ys.append((a[-1].bottom + b[0].top) / 2)
    ys.append(groups[-1][-1].bottom + 1)

    def col(x: float) -> int:
        return max(0, min(len(xs) - 2, next((i for i in range(len(xs) - 1) if x < xs[i + 1]), len(xs) - 2)))

    regions: list[Region] = []
    for ri, g in enumerate(groups):
        spans = [(col(p.x0 + 0.5), col(p.x1 - 0.5)) for p in g[0].pieces] if ri < body_start and len(g) == 1 else []
        taken: set[int] = set()
        for c0, c1 in spans:
            if c1 > c0 and not taken & set(range(c0, c1 + 1)):
                regions.append(Region(ri, c0, ri + 1, c1 + 1))
                taken |= set(range(c0, c1 + 1))
        regions += [Region(ri, c, ri + 1, c + 1) for c in range(len(xs) - 1) if c not in taken]
    return Grid(xs=xs, ys=ys, regions=regions, parser="fiscaldocs-text")
