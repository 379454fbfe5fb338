"""A parser-independent table grid and how text is poured into it.

Every PDF table parser (pdfplumber's ruling-line finder, camelot lattice, camelot stream/network)
answers the same question differently: where are the column and row boundaries, and which slots
of that grid are merged into one cell. Each parser adapter returns a `Grid`; filling the grid with
the page's characters, joining wrapped cell text and scoring the result happen once, here, so the
parsers are compared on equal terms.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from fiscaldocs.extractors.cjk import join_lines
from fiscaldocs.extractors.pdf_layout import chars_to_lines

from fiscaldocs.model import BBox, Cell, TableQuality


@dataclass(slots=True)
class Region:
    """One cell of the grid: slots [r0, r1) × [c0, c1)."""

    r0: int
    c0: int
    r1: int
    c1: int


@dataclass(slots=True)
class Grid:
    xs: list[float]  # column boundaries, left to right (n_cols + 1)
    ys: list[float]  # row boundaries, top to bottom (n_rows + 1)
    regions: list[Region]
    parser: str

    @property
    def bbox(self) -> BBox:
        return (self.xs[0], self.ys[0], self.xs[-1], self.ys[-1])

    @property
    def n_rows(self) -> int:
        return len(self.ys) - 1

    @property
    def n_cols(self) -> int:
        return len(self.xs) - 1


def cluster(values: list[float], tol: float) -> list[float]:
    """Merge coordinates closer than `tol` (lines drawn twice, half-point misalignments)."""
    out: list[float] = []
    for v in sorted(values):
        if out and v - out[-1] <= tol:
            continue
        out.append(v)
    return out


def grid_from_cell_boxes(boxes: list[BBox], parser: str, tol: float = 2.0) -> Grid | None:
    """A grid from the boxes of its cells (merged cells are bigger boxes)."""
    if not boxes:
        return None
    xs = cluster([b[0] for b in boxes] + [b[2] for b in boxes], tol)
    ys = cluster([b[1] for b in boxes] + [b[3] for b in boxes], tol)
    if len(xs) < 2 or len(ys) < 2:
        return None

    def idx(axis: list[float], v: float) -> int:
        i = bisect.bisect_left(axis, v - tol)
        return min(i, len(axis) - 1)

    regions = []
    for x0, top, x1, bottom in boxes:
        r = Region(idx(ys, top), idx(xs, x0), idx(ys, bottom), idx(xs, x1))
        if r.r1 > r.r0 and r.c1 > r.c0:
            regions.append(r)
    return Grid(xs=xs, ys=ys, regions=regions, parser=parser)


@dataclass(slots=True)
class FilledTable:
    grid: Grid
    cells: list[Cell]
    quality: TableQuality
    page: int


def fill_grid(grid: Grid, chars: list[dict], page: int, area: BBox | None = None) -> FilledTable:
    """Assign each character to the cell holding its centre and score how well that went.

    With `area` (the region a parser was asked to read), characters of the area that the grid
    leaves out count as lost: a grid that reads only part of the region scores lower."""
    owner: dict[tuple[int, int], int] = {}
    for i, r in enumerate(grid.regions):
        for row in range(r.r0, r.r1):
            for col in range(r.c0, r.c1):
                owner.setdefault((row, col), i)
    x0, top, x1, bottom = grid.bbox
    per_region: list[list[dict]] = [[] for _ in grid.regions]
    inside = placed = 0
    owners: list[tuple[dict, int | None]] = []
    for ch in chars:
        cx, cy = (ch["x0"] + ch["x1"]) / 2, (ch["top"] + ch["bottom"]) / 2
        in_grid = x0 <= cx <= x1 and top <= cy <= bottom
        in_area = area is not None and area[0] - 1 <= cx <= area[2] + 1 and area[1] - 1 <= cy <= area[3] + 1
        if not (in_grid or in_area) or not ch["text"].strip():
            continue
        inside += 1
        col = bisect.bisect_right(grid.xs, cx) - 1
        row = bisect.bisect_right(grid.ys, cy) - 1
        i = owner.get((min(row, grid.n_rows - 1), min(col, grid.n_cols - 1)))
        owners.append((ch, i))
        if i is not None:
            per_region[i].append(ch)
            placed += 1
    cells = []
    for r, glyphs in zip(grid.regions, per_region, strict=True):
        lines = chars_to_lines(glyphs, page, 0, 0) if glyphs else []
        cells.append(Cell(
            row=r.r0, col=r.c0, row_span=r.r1 - r.r0, col_span=r.c1 - r.c0,
            text=join_lines([ln.text for ln in lines]), page=page,
            bbox=(grid.xs[r.c0], grid.ys[r.r0], grid.xs[r.c1], grid.ys[r.r1]),
        ))
    coverage = placed / inside if inside else 0.0
    fill = sum(1 for c in cells if c.text) / len(cells) if cells else 0.0
    # Lost characters are the unforgivable error; a sparse grid is suspicious (a text-only
    # region read as a table, or a grid cut into slivers) but normal forms have empty cells; a
    # boundary through a word ("2|023年决算数") is a wrong column edge.
    score = coverage * (0.6 + 0.4 * min(1.0, fill / 0.5)) / (1 + CUT_PENALTY * _cut_words(owners))
    return FilledTable(grid=grid, cells=cells, quality=TableQuality(score, coverage, fill, grid.parser), page=page)


CUT_PENALTY = 0.1  # score divisor per word cut by a cell boundary


def _cut_words(owners: list[tuple[dict, int | None]]) -> int:
    """Touching glyphs of one line that landed in different cells."""
    ordered = sorted(owners, key=lambda o: (round((o[0]["top"] + o[0]["bottom"]) / 2), o[0]["x0"]))
    cuts = 0
    for (a, ia), (b, ib) in zip(ordered, ordered[1:], strict=False):
        size = max(a.get("size", 10.0), 1.0)
        same_line = abs((a["top"] + a["bottom"]) / 2 - (b["top"] + b["bottom"]) / 2) < 0.3 * size
        if same_line and ia != ib and -0.1 * size <= b["x0"] - a["x1"] < 0.15 * size:
            cuts += 1
    return cuts


def _column_widths(cells: list[Cell], n_cols: int) -> list[float]:
    """Width of each grid column, read off single-column cells (0 when none has a box)."""
    widths = [0.0] * n_cols
    for c in cells:
        if c.col_span == 1 and c.bbox:
            widths[c.col] = max(widths[c.col], c.bbox[2] - c.bbox[0])
    return widths


def tidy(cells: list[Cell], n_rows: int, n_cols: int) -> tuple[list[Cell], int, int]:
    """Remove artefact columns and rows: ones no cell starts in, and empty sliver columns.

    Grid irregularities (a vertical rule that stops a little short, two rules a point apart) make
    slivers that no printed cell really occupies. An empty column of normal width is real (a
    continued table's page where that column has no amounts) and stays.
    """
    col_starts = {c.col for c in cells}
    texted_cols = {col for c in cells if c.text for col in range(c.col, c.col + c.col_span)}
    widths = _column_widths(cells, n_cols)
    typical = sorted(w for w in widths if w > 0)[len([w for w in widths if w > 0]) // 2] if any(widths) else 0
    sliver = {i for i, w in enumerate(widths) if w < max(6.0, 0.35 * typical)}
    keep_cols = [i for i in range(n_cols) if i in col_starts and (i in texted_cols or i not in sliver)]
    row_starts = {c.row for c in cells}
    keep_rows = [i for i in range(n_rows) if i in row_starts]
    col_map = {old: new for new, old in enumerate(keep_cols)}
    row_map = {old: new for new, old in enumerate(keep_rows)}

    def remap_span(start: int, span: int, keep: list[int], mapping: dict[int, int]) -> tuple[int, int] | None:
        kept = [mapping[i] for i in range(start, start + span) if i in mapping]
        return (kept[0], len(kept)) if kept else None

    out = []
    for c in cells:
        cs = remap_span(c.col, c.col_span, keep_cols, col_map)
        rs = remap_span(c.row, c.row_span, keep_rows, row_map)
        if cs is None or rs is None:
            continue
        c.col, c.col_span = cs
        c.row, c.row_span = rs
        out.append(c)
    # A cell whose start column was dropped but which spans kept columns moves to its first kept
    # slot; two cells may then claim one slot: keep the one with text.
    seen: dict[tuple[int, int], Cell] = {}
    for c in out:
        key = (c.row, c.col)
        if key not in seen or (not seen[key].text and c.text):
            seen[key] = c
    cells = sorted(seen.values(), key=lambda c: (c.row, c.col))
    return cells, len(keep_rows), len(keep_cols)
