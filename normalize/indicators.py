"""Every quantity of a table, not only money: integer and percentage cells become indicators with
their row and column labels.

Budget tables give facts through their line items (`normalize/facts.py`). Other genres print
counts and rates in tables that have no money and often no declared unit — a 政府信息公开年报
counts requests received, decisions and reviews (申请人情况 × 本年度办理结果); a 绩效目标表 gives
indicator values ("≥95%", "100%", "12") — and these become `Indicator`s here, labelled by the
row's labels left to right ("三、本年度办理结果|（三）不予公开|1.属于国家秘密") and the column's
headers top to bottom ("申请人情况|法人或其他组织|商业企业"), so they can be queried.

What becomes an indicator: a cell already turned into a fact or an indicator is left alone; a
percentage, or a number in a non-money unit (人, 件, 户 …) that applies to it; an integer with no
unit at all, as a count — unless the table also holds unitless decimals (then its bare numbers
are amounts whose unit we did not see, and guessing "count" would be wrong). What is counted
comes from the labels, as for a bare 万 in prose (人数 → person, 人次 → person_time, 户 → household).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from decimal import Decimal

from fiscaldocs.normalize.numbers import asciify, parse_number, plain
from fiscaldocs.normalize.table_values import covering_text, table_values
from fiscaldocs.normalize.units import lookup

from fiscaldocs.model import CellValue, Document, Fact, Table

# A target cell of a 绩效目标表 carries its comparison: "≥95%", "≤100%", "＞0".
_QUALIFIED = re.compile(r"^(?P<q>[≥≤><＞＜]=?|不低于|不高于|不少于|不超过|大于|小于|高于|低于)\s*"
                        r"(?P<num>[-+]?\d+(?:\.\d+)?)\s*(?P<unit>%|‰|人次|人|件|户|个|项|次|家|天|分)?$")
_LABEL = re.compile(r"[\u4e00-\u9fffA-Za-z]")
_NUMBERISH = re.compile(r"^[-+≥≤><＞＜=\s\d.,%‰]*$")
# What an unlabelled count counts, when a label says so; else requests, items, cases: a count.
# Narrower than prose subjects: "自然人" heads a column of requests, not of people.
COUNTED: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"分值|得分|自评分|评分|分数|[（(]\d+(?:\.\d+)?分[)）]"), "score"),
    (re.compile(r"人次"), "person_time"), (re.compile(r"人数|人员数|人口数"), "person"), (re.compile(r"户数"), "household"),
]
# A label is short; a long cell beside or above a number is a description (指标解释, 年度总体目标),
# and a cell with a target or a result ("≥12.00(次)", "可控性100%") is another row's value.
MAX_LABEL = 40
_VALUE_TEXT = re.compile(r"[%％≥≤=＝＞＜]")


def table_indicators(doc: Document, table: Table, found: list[Fact]) -> list[Fact]:
    """The table's non-money quantities that are not among `found` (its facts and indicators by
    line item); those of `found` that are indicators get their row label too."""
    values = {(v.row, v.col): v for v in table_values(table)}
    grid = [[re.sub(r"\s+", "", t) for t in row] for row in covering_text(table)]
    bare_decimals = any(v.unit is None and "." in v.value for v in values.values())
    numeric_rows = {r for r, _ in values} | {r for r, c in _qualified_cells(table)}
    taken = {(f.row_idx, f.col_idx) for f in found}
    for f in found:  # indicators by line item: labelled the same way (their period and phase are read)
        if f.unit != "CNY" and f.row_label is None:
            f.row_label = _row_label(grid, f.row_idx, f.col_idx) or None
            f.column_header = _column_label(grid, numeric_rows, f.row_idx, f.col_idx) or f.column_header
    out = []
    for (row, col), unit, amount in _quantities(table, values, bare_decimals):
        if (row, col) in taken:
            continue
        row_label = _row_label(grid, row, col)
        column_label = _column_label(grid, numeric_rows, row, col)
        if unit == "count":
            unit = _counted(row_label + "|" + column_label)
        out.append(Fact(
            fact_id=_id(doc.meta.sha256, "i", table.index, row, col), doc_id=doc.meta.sha256,
            fiscal_year=doc.meta.fiscal_year, period_year=_period(column_label, doc.meta.fiscal_year), phase=None,
            direction=None, budget_type=None, line_item=row_label.split("|")[-1] if row_label else "",
            category_scheme=None, category_code=None, category_name=None, economic_code=None,
            amount=amount, unit=unit, source_kind="table", table_id=table.index, row_idx=row, col_idx=col,
            claim_idx=None, page=table.row_pages[row] if row < len(table.row_pages) else table.page,
            column_header=column_label or None, row_label=row_label or None))
    return out


def _quantities(table: Table, values: dict[tuple[int, int], CellValue],
                bare_decimals: bool) -> Iterable[tuple[tuple[int, int], str, Decimal]]:
    """(cell, normalized unit, amount) of every non-money quantity; a target's comparison (≥) is not kept."""
    for key, v in sorted(values.items()):
        if v.unit_normalized == "CNY":
            continue
        if v.unit_normalized is not None:
            yield key, v.unit_normalized, Decimal(v.value_normalized)
        elif v.unit is None and "." not in v.value and not bare_decimals:
            yield key, "count", Decimal(v.value)
    for key, m in _qualified_cells(table):
        if key not in values:
            unit = lookup(m.group("unit")) if m.group("unit") else None
            if unit is None and m.group("unit") is None and bare_decimals:
                continue
            amount = parse_number(m.group("num")) * (unit.factor if unit else 1)
            yield key, unit.normalized if unit else "count", Decimal(plain(amount))


def _qualified_cells(table: Table) -> list[tuple[tuple[int, int], re.Match]]:
    return [((c.row, c.col), m) for c in table.cells if (m := _QUALIFIED.match(asciify(c.text).strip()))]


def _row_label(grid: list[list[str]], row: int, col: int) -> str:
    """The row's labels left of the cell, merged cells included, outermost first."""
    labels: list[str] = []
    for text in grid[row][:col]:
        if text and _LABEL.search(text) and not _NUMBERISH.match(text) and len(text) <= MAX_LABEL \
                and (not labels or labels[-1] != text):
            labels.append(text)
    return "|".join(labels)


def _column_label(grid: list[list[str]], numeric_rows: set[int], row: int, col: int) -> str:
    """The headers above the cell's block of number rows, top to bottom, merged cells included."""
    r = row - 1
    parts: list[str] = []
    while r >= 0 and not parts:  # a row with no numbers in between (a blank score) is no header
        while r >= 0 and r in numeric_rows:
            r -= 1
        while r >= 0 and r not in numeric_rows:
            text = grid[r][col]
            if text and _LABEL.search(text) and len(text) <= MAX_LABEL and not _VALUE_TEXT.search(text) \
                    and (not parts or parts[0] != text):
                parts.insert(0, text)
            r -= 1
    return "|".join(parts)


def _counted(labels: str) -> str:
    """What an unlabelled count counts, from its labels (人数 → person …); else a count."""
    return next((u for rx, u in COUNTED if rx.search(labels)), "count")


def _period(column_label: str, fiscal_year: int | None) -> int | None:
    m = re.search(r"(20\d{2})\s*年", column_label)
    return int(m.group(1)) if m else fiscal_year


def _id(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:24]
