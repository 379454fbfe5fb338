"""Tables continued over a page break: join the parts, or carry caption and header over.

A page break splits a table whatever the producer. Whether the table that starts a page continues
the one that ended the page before is decided from evidence, each piece recorded in the table's
quality notes:

- place: the first ends its page (nothing below it) and the second starts the next one, with no
  caption of its own (a repeated caption, a "续表", a running page title or a repeated 单位 line
  above it do not count as its own);
- columns: the same outer edges, and the inner column boundaries of one found in the other
  (sliver columns of an irregular grid aside);
- header: the second repeats the first's header rows;
- codes: the 类/款/项 or 科目编码 hierarchy carries on (the second's first code follows the first's
  last);
- room: the first ends at the bottom margin, and no 合计/总计 row closes it.

Joined tables keep every row's page. When the evidence is not enough to join but the second table
has no caption of its own and lines up with the first, they stay separate and the second inherits
the first's title, unit and header rows (laid on its own columns by position), so its amounts still
get their category, unit, phase and year.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fiscaldocs.extractors.cjk import normalize_ws
from fiscaldocs.extractors.pdf_grid import FilledTable, cluster

from fiscaldocs.model import BBox, Cell

EDGE_TOL = 4.0  # points: two parts' column boundaries that are the same rule
SLIVER = 6.0  # points: a column this narrow is a grid irregularity, not a column
_CONTINUED = re.compile(r"续表|[（(]续[）)]|^续")
_TABLE_TITLE = re.compile(r"表\s*$|表[（(]续[）)]\s*$")
# A row labelled just 合计/总计 closes a table; "本年收入合计" in a 收支总表 is a line within it.
_CLOSING = re.compile(r"^(?:合计|总计)$")
_NUMBER = re.compile(r"^[-−–]?[\d,，]+(?:\.\d+)?%?$")
_CODE_PART = re.compile(r"^\d{2,7}$")
_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[.、．]|其中)")


@dataclass(slots=True)
class PageTable:
    page: int
    bbox: BBox
    cells: list[Cell]
    n_rows: int
    n_cols: int
    xs: list[float]
    parsed: FilledTable
    title: str | None = None
    unit: str | None = None
    first_on_page: bool = False
    last_on_page: bool = False
    row_pages: list[int] = field(default_factory=list)
    page_height: float = 0.0
    last_bottom: float = 0.0  # bottom edge of its last part, on its last page

    def starts_page(self) -> bool:
        return self.first_on_page and self.bbox[1] < 0.3 * self.page_height


@dataclass(slots=True)
class Evidence:
    columns: bool
    header_rows: int
    codes: bool
    room: bool
    closed: bool

    def describe(self) -> str:
        said = [("same columns" if self.columns else "columns differ"),
                (f"{self.header_rows} header row(s) repeated" if self.header_rows else "no repeated header"),
                ("code hierarchy continues" if self.codes else "no code hierarchy across the break"),
                ("ends at the bottom margin" if self.room else "room left below it"),
                ("closed by a 合计/总计 row" if self.closed else "no total row closing it")]
        return ", ".join(said)


def join_continued(tables: list[PageTable], body_bottoms: dict[int, float]) -> list[PageTable]:
    """Join (or link) each table that starts a page to the one that ended the page before."""
    out: list[PageTable] = []
    for t in tables:
        prev = out[-1] if out else None
        if prev is None or not _placed_as_continuation(prev, t) or _own_title(prev, t):
            out.append(t)
            continue
        ev = _evidence(prev, t, body_bottoms)
        # Room under the first part is the page break's signature; a code hierarchy carried on
        # over the same columns says so even when the producer left room (a row moved whole).
        outer = _same_outer_edges(prev.xs, t.xs)
        if outer and (ev.columns or ev.header_rows or ev.codes) and ev.header_rows < t.n_rows \
                and ((ev.room and not ev.closed) or (ev.codes and ev.columns)):
            _append_rows(prev, t, ev.header_rows)
            prev.parsed.quality.notes.append(f"rows continued on page {t.page}: {ev.describe()}")
            continue
        if not ev.closed and (outer or ev.codes or prev.n_cols == t.n_cols):
            _inherit(prev, t)
            t.parsed.quality.notes.append(
                f"not joined to the table on page {prev.row_pages[-1]} ({ev.describe()}); "
                "its title, unit and header rows carried over")
        out.append(t)
    return out


def _placed_as_continuation(prev: PageTable, t: PageTable) -> bool:
    return prev.last_on_page and t.starts_page() and t.page == prev.row_pages[-1] + 1


def _own_title(prev: PageTable, t: PageTable) -> bool:
    """A caption of its own names a new table; a repeated one, a 续表 or a running page title
    (not a table's title) does not."""
    if t.unit is not None and prev.unit is not None and t.unit != prev.unit:
        return True
    if t.title is None or _CONTINUED.search(t.title):
        return False
    if prev.title and normalize_ws(t.title) == normalize_ws(prev.title):
        return False
    return bool(_TABLE_TITLE.search(t.title))


def _evidence(prev: PageTable, t: PageTable, body_bottoms: dict[int, float]) -> Evidence:
    repeated = _repeated_header_rows(prev, t)
    room = body_bottoms[round(prev.page_height)] - prev.last_bottom
    return Evidence(
        columns=_columns_agree(prev.xs, t.xs),
        header_rows=repeated,
        codes=_codes_continue(prev, t, repeated),
        room=room < max(_row_height(t, repeated) + 2, 0.12 * prev.page_height),
        closed=_closed(prev),
    )


def _closed(t: PageTable) -> bool:
    label = next((normalize_ws(c.text) for c in _row_cells(t, t.n_rows - 1) if normalize_ws(c.text)), "")
    return bool(_CLOSING.match(label))


def _same_outer_edges(a: list[float], b: list[float], tol: float = EDGE_TOL) -> bool:
    return bool(a and b) and abs(a[0] - b[0]) <= tol and abs(a[-1] - b[-1]) <= tol


def _real_edges(xs: list[float]) -> list[float]:
    """Column boundaries without the ones that only cut a sliver off a neighbour."""
    out: list[float] = []
    for x in xs:
        if out and x - out[-1] < SLIVER:
            continue
        out.append(x)
    return out


def _columns_agree(a: list[float], b: list[float]) -> bool:
    """Same outer edges, and every inner boundary of the coarser grid is one of the finer's (a
    form whose top rows merge columns the rows on the next page split still agrees)."""
    if not _same_outer_edges(a, b):
        return False
    a, b = _real_edges(a), _real_edges(b)
    fewer, more = (a, b) if len(a) <= len(b) else (b, a)
    return all(any(abs(x - y) <= EDGE_TOL for y in more) for x in fewer)


def _row_texts(t: PageTable) -> list[str]:
    rows = [""] * t.n_rows
    for c in sorted(t.cells, key=lambda c: (c.row, c.col)):
        rows[c.row] += normalize_ws(c.text)
    return rows


def _repeated_header_rows(head: PageTable, cont: PageTable) -> int:
    """How many leading rows of `cont` repeat the leading rows of `head` (column-independent)."""
    a, b = _row_texts(head), _row_texts(cont)
    n = 0
    while n < min(3, len(a), len(b) - 1) and a[n] and a[n] == b[n]:
        n += 1
    return n


def _row_cells(t: PageTable, row: int) -> list[Cell]:
    return sorted((c for c in t.cells if c.row == row), key=lambda c: c.col)


def _row_code(cells: list[Cell]) -> str | None:
    """The classification code a row starts with: "208","02","01" or "2080201" → "2080201"."""
    parts = []
    for c in cells:
        text = normalize_ws(c.text)
        if not text:
            if parts:
                continue
            return None
        if not _CODE_PART.match(text):
            break
        parts.append(text)
    code = "".join(parts)
    return code if len(code) in (3, 5, 7) else None


def _codes_continue(prev: PageTable, t: PageTable, skip: int) -> bool:
    last = next((code for r in range(prev.n_rows - 1, -1, -1)
                 if (code := _row_code(_row_cells(prev, r)))), None)
    first = next((code for r in range(skip, t.n_rows) if (code := _row_code(_row_cells(t, r)))), None)
    return bool(last and first) and first.ljust(7, "0") > last.ljust(7, "0") and first[:1] == last[:1]


def _row_height(t: PageTable, row: int) -> float:
    tops = [c.bbox[1] for c in t.cells if c.row == row and c.bbox]
    bottoms = [c.bbox[3] for c in t.cells if c.row == row and c.row_span == 1 and c.bbox]
    return (min(bottoms) - min(tops)) if tops and bottoms else 0.0


def _regrid(t: PageTable, xs: list[float]) -> None:
    """Re-index the cells' columns on the boundaries `xs` (a superset of the table's own)."""
    def col(x: float) -> int:
        return min(range(len(xs)), key=lambda i: abs(xs[i] - x))

    for c in t.cells:
        if c.bbox:
            c.col = col(c.bbox[0])
            c.col_span = max(1, col(c.bbox[2]) - c.col)
    t.xs, t.n_cols = xs, len(xs) - 1


def _append_rows(head: PageTable, cont: PageTable, repeated: int) -> None:
    if head.xs != cont.xs:
        union = cluster(head.xs + cont.xs, EDGE_TOL)
        _regrid(head, union)
        _regrid(cont, union)
    first_new = head.n_rows
    for c in cont.cells:
        if c.row < repeated:
            continue
        c.row += head.n_rows - repeated
        head.cells.append(c)
    head.row_pages += [cont.page] * (cont.n_rows - repeated)
    head.n_rows += cont.n_rows - repeated
    head.last_on_page, head.last_bottom = cont.last_on_page, cont.last_bottom
    _merge_split_row(head, first_new)


def _merge_split_row(t: PageTable, row: int) -> None:
    """A row the page break cut in two (Word lets a row break across pages): the new page's first
    row holds only the rest of a label — no number, no code, one cell, under a cell of the row
    above that has text. Its text joins that cell."""
    if row == 0 or row >= t.n_rows:
        return
    cells = [c for c in _row_cells(t, row) if normalize_ws(c.text)]
    if len(cells) != 1:
        return
    text = normalize_ws(cells[0].text)
    if re.search(r"\d", text) or _NUMBERING.match(text):
        return
    above = next((c for c in _row_cells(t, row - 1) if c.col == cells[0].col and normalize_ws(c.text)), None)
    if above is None or not any(_NUMBER.match(normalize_ws(c.text)) for c in _row_cells(t, row - 1)):
        return
    above.text += cells[0].text
    t.cells = [c for c in t.cells if c.row != row]
    for c in t.cells:
        if c.row > row:
            c.row -= 1
    del t.row_pages[row]
    t.n_rows -= 1


def _header_rows(t: PageTable) -> int:
    """Leading rows with no amount and no code: the header."""
    n = 0
    while n < min(4, t.n_rows):
        cells = _row_cells(t, n)
        if any(_NUMBER.match(normalize_ws(c.text)) for c in cells):
            break
        n += 1
    return n if n < t.n_rows else 0


def _inherit(head: PageTable, cont: PageTable) -> None:
    """Give `cont` the caption and header rows of `head`, each header cell laid on the columns of
    `cont` whose centres it covers."""
    cont.title = cont.title if cont.title and _CONTINUED.search(cont.title) is None else head.title
    cont.unit = cont.unit or head.unit
    if _repeated_header_rows(head, cont):
        return
    n = _header_rows(head)
    if n == 0:
        return
    centres = [(cont.xs[i] + cont.xs[i + 1]) / 2 for i in range(len(cont.xs) - 1)] if len(cont.xs) > 1 else []
    copies = []
    for c in head.cells:
        if c.row >= n or not c.bbox:
            continue
        cols = [i for i, x in enumerate(centres) if c.bbox[0] <= x <= c.bbox[2]]
        if not cols:
            continue
        copies.append(Cell(row=c.row, col=cols[0], text=c.text, row_span=min(c.row_span, n - c.row),
                           col_span=len(cols), page=cont.page,
                           bbox=(cont.xs[cols[0]], c.bbox[1], cont.xs[cols[-1] + 1], c.bbox[3])))
    if not copies:
        return
    for c in cont.cells:
        c.row += n
    taken: set[tuple[int, int]] = set()
    kept = []
    for c in copies:
        if (c.row, c.col) not in taken:
            taken.add((c.row, c.col))
            kept.append(c)
    cont.cells = sorted(kept + cont.cells, key=lambda c: (c.row, c.col))
    cont.row_pages = [cont.page] * n + cont.row_pages
    cont.n_rows += n
