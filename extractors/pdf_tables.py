"""Table parsers for PDF pages, one adapter per parser flavor, each returning `Grid`s.

- `ruled_grids`: pdfplumber's ruling-line table finder. Cheap (it reuses the page already parsed)
  and exact on the ruled grids most reports have, so it runs on every page with rules.
- `camelot_lattice_grids`: camelot lattice, which finds rules in the rendered image (pdfium). It
  costs ~0.3 s a page, so it runs only where the pdfplumber grid scored poorly.
- `camelot_stream_grids`: camelot network/stream for tables printed without rules, only inside
  regions whose lines look columnar (`columnar_regions`); `pdfplumber_text_grids` (pdfplumber's
  text strategy) and our own `pdf_text_grid.text_grid` are read on the same regions.
"""

from __future__ import annotations

import logging
import statistics
import warnings
from pathlib import Path

from fiscaldocs.extractors.errors import is_file_fault
from fiscaldocs.extractors.pdf_grid import Grid, Region, grid_from_cell_boxes
from fiscaldocs.extractors.pdf_layout import Line

from fiscaldocs.model import BBox

log = logging.getLogger(__name__)

RULED_SETTINGS = {
    "vertical_strategy": "lines",
    "horizontal_strategy": "lines",
    "snap_tolerance": 3,
    "join_tolerance": 3,
    "intersection_tolerance": 3,
}


def ruled_grids(page) -> list[Grid]:
    """Grids from the page's ruling lines and rectangle edges (pdfplumber)."""
    grids = []
    for t in page.find_tables(RULED_SETTINGS):
        grid = grid_from_cell_boxes([tuple(c) for c in t.cells], parser="pdfplumber")
        if grid is not None and grid.n_cols >= 2 and grid.n_rows >= 1:
            grids.append(grid)
    return grids


TEXT_SETTINGS = {"vertical_strategy": "text", "horizontal_strategy": "text", "snap_tolerance": 3,
                 "text_x_tolerance": 3, "min_words_vertical": 3}


def pdfplumber_text_grids(page, area: BBox) -> list[Grid]:
    """Grids from pdfplumber's text strategy (columns from word alignment) inside `area`."""
    x0, top, x1, bottom = area
    box = (max(0.0, x0 - 2), max(0.0, top - 2), min(float(page.width), x1 + 2), min(float(page.height), bottom + 2))
    grids = []
    for t in page.crop(box).find_tables(TEXT_SETTINGS):
        grid = grid_from_cell_boxes([tuple(c) for c in t.cells], parser="pdfplumber-text")
        if grid is not None and grid.n_cols >= 2 and grid.n_rows >= 2:
            grids.append(grid)
    return grids


def camelot_page_errors() -> tuple[type[BaseException], ...]:
    """What camelot 2 and its backends raise on odd pages. Its own checks raise ValueError
    ("No segments found", ImageConversionError when pdfium cannot render), RuntimeError (a PDF
    it cannot decrypt), AssertionError and OSError; its geometry raises bare IndexError,
    ZeroDivisionError and ValueError on degenerate layouts; playa (its PDF reader) raises
    PDFException and bare ValueError/TypeError/KeyError/IndexError/EOFError on malformed objects;
    pypdfium2 raises PdfiumError (a RuntimeError), OpenCV cv2.error; a hostile page can exhaust
    memory or the stack."""
    import cv2
    from playa.exceptions import PDFException

    return (PDFException, cv2.error, ValueError, TypeError, KeyError, IndexError, ZeroDivisionError,
            EOFError, AssertionError, RuntimeError, OSError, MemoryError, RecursionError)


def _camelot_tables(path: Path, page_number: int, flavor: str, **kwargs):
    import camelot  # imported lazily: it pulls in OpenCV, which most pages never need

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return camelot.read_pdf(str(path), pages=str(page_number), flavor=flavor,
                                    suppress_stdout=True, **kwargs)
        except camelot_page_errors() as exc:
            # An odd page is a miss, not a failed document; anything raised in our own code, or
            # not inside camelot and its backends, is not camelot's reaction to the page: re-raise.
            if not is_file_fault(exc):
                raise
            log.warning("camelot %s failed on %s page %d: %s: %s", flavor, path.name, page_number,
                        type(exc).__name__, exc)
            return []


def camelot_lattice_grids(path: Path, page_number: int, page_height: float) -> list[Grid]:
    """Grids from camelot lattice; spans come from the cell edges camelot did not find."""
    grids = []
    for t in _camelot_tables(path, page_number, "lattice", backend="pdfium", line_scale=40):
        rows = t.cells
        if not rows or len(rows[0]) < 2:
            continue
        xs = [c.x1 for c in rows[0]] + [rows[0][-1].x2]
        ys = [page_height - r[0].y2 for r in rows] + [page_height - rows[-1][0].y1]
        grids.append(Grid(xs=xs, ys=ys, regions=_merged_regions(rows), parser="camelot-lattice"))
    return grids


def _merged_regions(rows) -> list[Region]:
    """Union the grid slots that no drawn edge separates; each union is one (merged) cell."""
    n_rows, n_cols = len(rows), len(rows[0])
    parent = {(r, c): (r, c) for r in range(n_rows) for c in range(n_cols)}

    def find(k: tuple[int, int]) -> tuple[int, int]:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            if c + 1 < n_cols and not cell.right:
                parent[find((r, c + 1))] = find((r, c))
            if r + 1 < n_rows and not cell.bottom:
                parent[find((r + 1, c))] = find((r, c))
    members: dict[tuple[int, int], list[tuple[int, int]]] = {}
    for k in parent:
        members.setdefault(find(k), []).append(k)
    return [Region(min(r for r, _ in m), min(c for _, c in m), max(r for r, _ in m) + 1, max(c for _, c in m) + 1)
            for m in members.values()]


def camelot_stream_grids(path: Path, page_number: int, page_height: float, area: BBox) -> list[Grid]:
    """A grid for an unruled table inside `area` (top-left coordinates), via camelot network."""
    x0, top, x1, bottom = area
    table_area = f"{x0 - 2},{page_height - top + 2},{x1 + 2},{page_height - bottom - 2}"
    grids = []
    for flavor in ("network", "stream"):
        for t in _camelot_tables(path, page_number, flavor, table_areas=[table_area]):
            if len(t.cols) < 2 or len(t.rows) < 2:
                continue
            xs = [t.cols[0][0]] + [c[1] for c in t.cols]
            ys = [page_height - t.rows[0][0]] + [page_height - r[1] for r in t.rows]
            regions = [Region(r, c, r + 1, c + 1) for r in range(len(ys) - 1) for c in range(len(xs) - 1)]
            grids.append(Grid(xs=xs, ys=ys, regions=regions, parser=f"camelot-{flavor}"))
        if grids:
            break
    return grids


MAX_PLAIN_LINES = 2  # lines without columns kept inside a columnar run
MAX_WRAPPED_LINES = 5  # … or short ones: a label wrapped in a narrow column


def columnar_regions(lines: list[Line], min_lines: int = 3) -> list[BBox]:
    """Areas where consecutive lines split into aligned pieces: candidate unruled tables.

    A line is columnar when wide gaps cut it into three or more pieces. A run of `min_lines`
    such lines, allowing single plain lines inside (a label row with no amounts), is a region;
    whether it really is a table is left to the parsers' quality score.
    """
    regions: list[BBox] = []
    run: list[Line] = []

    def close() -> None:
        while run and run[-1].segments < 3:
            run.pop()
        if sum(1 for ln in run if ln.segments >= 3) >= min_lines:
            first = run[0]
            above = previous.get(id(first))
            # a header row whose cells fill their columns shows fewer gaps: take it with the body
            if above is not None and above.segments >= 2 and first.top - above.bottom < 2 * first.size \
                    and above.x0 >= min(ln.x0 for ln in run) - first.size:
                run.insert(0, above)
            regions.append((min(ln.x0 for ln in run), run[0].top, max(ln.x1 for ln in run), run[-1].bottom))
        run.clear()

    def near(ln: Line) -> bool:
        # rows of a table may sit further apart than lines of text (cell padding, space after)
        gaps = [b.top - a.bottom for a, b in zip(run, run[1:], strict=False)]
        spacing = 1.6 * statistics.median(gaps) if gaps else 0.0
        return bool(run) and ln.top - run[-1].bottom < max(2 * ln.size, min(spacing, 4 * ln.size))

    def plain_tail() -> int:
        return next((i for i, ln in enumerate(reversed(run)) if ln.segments >= 3), len(run))

    previous = {id(b): a for a, b in zip(lines, lines[1:], strict=False)}
    for ln in lines:
        if ln.segments >= 3 and (not run or near(ln)):
            run.append(ln)
        elif run and near(ln) and (plain_tail() < MAX_PLAIN_LINES or (
                plain_tail() < MAX_WRAPPED_LINES and ln.x1 - ln.x0 < 0.4 * (max(r.x1 for r in run) - run[0].x0))):
            # a label wrapped over lines, a label row with no amounts
            run.append(ln)
        else:
            close()
            if ln.segments >= 3:
                run.append(ln)
    close()
    return regions


def overlap(a: BBox, b: BBox) -> float:
    """Intersection over the smaller area: how much two table boxes are the same table."""
    ix = max(0.0, min(a[2], b[2]) - max(a[0], b[0]))
    iy = max(0.0, min(a[3], b[3]) - max(a[1], b[1]))
    small = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return ix * iy / small if small > 0 else 0.0

