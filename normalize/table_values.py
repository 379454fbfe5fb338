"""Numbers in table cells, with the unit that applies to each.

A table's declared unit (单位：万元) applies to its numeric cells unless something closer says
otherwise, nearest first: the cell itself ("12%", "15万元"), its row's label ("财政供养人员情况(人)"),
its column's header ("金额（万元）", "比例(%)"). Classification-code columns (类/款/项, 科目编码,
序号) hold identifiers, not quantities, and get no value.
"""

from __future__ import annotations

import functools
import re

from fiscaldocs.normalize.numbers import asciify, parse_number, plain
from fiscaldocs.normalize.units import BY_PRINTED, lookup

from fiscaldocs.model import CellValue, Table

_UNIT_NAMES = "|".join(sorted((re.escape(u) for u in BY_PRINTED), key=len, reverse=True))
_NUMERIC_CELL = re.compile(rf"^(?P<num>[-+]?(?:\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.\d+)?)\s*(?P<unit>{_UNIT_NAMES})?$")
_BRACKET_UNIT = re.compile(rf"[（(]\s*(?P<unit>{_UNIT_NAMES})\s*[)）]")
_CODE_HEADER = re.compile(r"^(?:类|款|项|科目编码|功能分类科目编码|经济分类科目编码|编码|代码|序号|编号|行次|科目代码)$")


def table_values(table: Table) -> list[CellValue]:
    grid = covering_text(table)
    printed = table.rows()  # once: rows() rebuilds the grid
    numeric = {(c.row, c.col): m for c in table.cells if (m := _NUMERIC_CELL.match(asciify(c.text).strip()))}
    numeric_rows = {r for r, _ in numeric}
    code_cols = _code_columns(grid, numeric)
    out = []
    for (row, col), m in sorted(numeric.items()):
        if col in code_cols:
            continue
        unit, source = _applicable_unit(
            m.group("unit"), _row_label(grid[row], col), _column_header(grid, row, col),
            _section_label(grid, numeric_rows, row), table.unit)
        value = m.group("num").replace(",", "")
        spec = lookup(unit) if unit else None
        out.append(CellValue(
            row=row, col=col, text=printed[row][col], value=value, unit=unit, unit_source=source,
            value_normalized=plain(parse_number(value) * spec.factor) if spec else None,
            unit_normalized=spec.normalized if spec else None,
        ))
    return out


def _applicable_unit(cell_unit: str | None, row_label: str, header: str, section: str,
                     table_unit: str | None) -> tuple[str | None, str]:
    if cell_unit:
        return cell_unit, "cell"
    for text, source in ((row_label, "row"), (header, "column"), (section, "section")):
        m = _BRACKET_UNIT.search(text)
        if m:
            return m.group("unit"), source
    if table_unit:
        return table_unit, "table"
    return None, "none"


def covering_text(table: Table) -> list[list[str]]:
    """The grid with a merged cell's text in every slot it covers: a label merged down over
    several rows ("项目资金（万元）") is the label of each of them."""
    grid = [[""] * table.n_cols for _ in range(table.n_rows)]
    for c in table.cells:
        for r in range(c.row, min(c.row + c.row_span, table.n_rows)):
            for k in range(c.col, min(c.col + c.col_span, table.n_cols)):
                grid[r][k] = c.text
    return grid


def _row_label(row: list[str], col: int) -> str:
    """The row's labels left of the cell: the nearest that declares a unit in brackets, else the
    nearest."""
    labels = [t for t in reversed(row[:col]) if t and not _is_number(t)]
    return next((t for t in labels if _BRACKET_UNIT.search(t)), labels[0] if labels else "")


def _column_header(grid: list[list[str]], row: int, col: int) -> str:
    """The nearest text above the cell in its column that is not itself an amount, skipping the
    rows of amounts in between ("金额（万元）" over a column)."""
    for r in range(row - 1, -1, -1):
        text = grid[r][col]
        if text and not _is_number(text):
            return re.sub(r"\s+", "", text)
    return ""


def _section_label(grid: list[list[str]], numeric_rows: set[int], row: int) -> str:
    """A heading row inside the table ("经费控制情况(万元) | 2022年决算数 | …", a row with no
    amounts) that declares a unit for the rows under it. A line printed without amounts (an empty
    "其中：公车购置", "项目支出：", "....." row: a label and nothing else) is a line of the section, not
    a heading: the search goes on above it."""
    for r in range(row - 1, -1, -1):
        if r in numeric_rows:
            continue
        unit = next((t for t in grid[r] if t and _BRACKET_UNIT.search(t)), "")
        if unit or not label_only(grid[r]):
            return unit
    return ""


def label_only(row: list[str]) -> bool:
    """A row whose only text is its label (a merged label repeated across slots counts once)."""
    texts = [t for t in row if t]
    return bool(texts) and all(t == texts[0] for t in texts)


def _code_columns(grid: list[list[str]], numeric: dict) -> set[int]:
    """Columns whose header (the text above their first number) is 类/款/项/科目编码/序号…"""
    cols = set()
    for col in range(len(grid[0]) if grid else 0):
        first = min((r for r, c in numeric if c == col), default=None)
        if first is not None and any(_CODE_HEADER.match(re.sub(r"\s+", "", grid[r][col])) for r in range(first)):
            cols.add(col)
    return cols


@functools.lru_cache(maxsize=4096)  # asked for every cell above and left of every amount
def _is_number(text: str) -> bool:
    return bool(_NUMERIC_CELL.match(asciify(text).strip()))
