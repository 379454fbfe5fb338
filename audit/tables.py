"""Table arithmetic and balance identities.

- `table_totals`: a 合计/小计/总计 row equals the sum of its parts. The parts are the rows one
  numbering level below it ("二、收入合计" ← "（一）…（二）…（三）"), or by code hierarchy
  (类 = Σ款, 款 = Σ项, 合计 = Σ类). "其中" rows are parts of the row above, never of a total.
- `column_totals`: a 合计 column equals the sum of its sibling columns (same parent header).
- `fund_balance`: 当期结余 = 收入 − 支出; 期末滚存结余 = 期初余额 + 当期结余.
- `two_sided_total`: both sides of a 收支总表 balance (总计 = 总计).
"""

from __future__ import annotations

import re
from collections import Counter
from decimal import Decimal

from fiscaldocs.audit.model import Check, Side, compare, half_unit
from fiscaldocs.normalize.categories import clean_label, line_items
from fiscaldocs.normalize.table_values import CellValue, table_values

from fiscaldocs.model import Document, Table

_LEVELS = [
    re.compile(r"^[一二三四五六七八九十]+[、.．]"),
    re.compile(r"^[（(][一二三四五六七八九十]+[)）]"),
    re.compile(r"^\d+[.、．](?!\d)"),
    re.compile(r"^[（(]\d+[)）]"),
]
_TOTAL = re.compile(r"合计|总计|小计")
_OF_WHICH = re.compile(r"^\s*其中")


def level(label: str) -> int | None:
    text = re.sub(r"\s+", "", label)
    return next((i + 1 for i, rx in enumerate(_LEVELS) if rx.match(text)), None)


def audit_tables(doc: Document) -> list[Check]:
    checks: list[Check] = []
    for table in doc.tables:
        if table.parent is not None:
            continue
        cell_values = table_values(table)
        values = {(v.row, v.col): v for v in cell_values if v.unit_normalized != "percent"}
        if not values:
            continue
        items = line_items(table, doc.meta.fiscal_year, cell_values)
        checks += _row_totals(table, items, values)
        checks += _code_totals(table, items, values)
        checks += _column_totals(table, values, min(v.row for v in cell_values))
        checks += _fund_balance(table, items, values)
        checks += _two_sided(table, items, values)
    for c in checks:
        c.doc_id = doc.meta.sha256
    return checks


def _side(table: Table, v: CellValue) -> Side:
    page = table.row_pages[v.row] if v.row < len(table.row_pages) else table.page
    return Side("table", page=page, table=table.index, row=v.row, col=v.col, text=v.text)


def _sum_check(rule: str, table: Table, total: CellValue, parts: list[CellValue], what: str) -> Check:
    expected = sum((Decimal(p.value) for p in parts), Decimal(0))
    tolerance = half_unit(total.value) + sum((half_unit(p.value) for p in parts), Decimal(0))
    return compare(rule, expected, Decimal(total.value), tolerance,
                   [_side(table, total)] + [_side(table, p) for p in parts], what)


def _value_columns(values: dict) -> list[int]:
    return sorted({c for _, c in values})


def _row_totals(table: Table, items, values) -> list[Check]:
    """Numbered totals: the rows one level below, up to the next row at its level or above."""
    rows = [(i.row, i.label, level(i.label), i.cols) for i in items if not i.code]
    checks = []
    for idx, (row, label, lvl, cols) in enumerate(rows):
        if lvl is None or not _TOTAL.search(label):
            continue
        children = []
        for r2, label2, lvl2, _ in rows[idx + 1:]:
            if lvl2 is not None and lvl2 <= lvl:
                break
            if lvl2 == lvl + 1 and not _OF_WHICH.match(label2):
                children.append(r2)
        if not children:
            continue
        for col in cols:
            total = values.get((row, col))
            if total is None:
                continue
            parts = [values[(r, col)] for r in children if (r, col) in values]
            if len(parts) != len(children):
                continue  # a part without a number here: nothing to add up
            checks.append(_sum_check("table_total", table, total, parts,
                                     f"{clean_label(label)} = sum of its {len(parts)} sub-items"))
    return checks


def _code_totals(table: Table, items, values) -> list[Check]:
    """类 = Σ款 = Σ项 by the code columns; an uncoded 合计 row = Σ类."""
    coded = [(i.row, i.code, i.cols) for i in items if i.code]
    if not coded:
        return []
    checks = []
    rows_of = Counter(code for _, code, _ in coded)
    for code in sorted(c for c, n in rows_of.items() if n > 1):
        # "301 | 2 | 津贴补贴": a 款 code printed without its leading zero joins to its 类's code;
        # the hierarchy is ambiguous, and adding up the wrong rows would be our false alarm.
        checks.append(Check("table_total", "skipped", f"{code} is printed on {rows_of[code]} rows: "
                            "the code hierarchy is ambiguous (a code cell lost its leading zero?)",
                            sides=[Side("table", page=table.page, table=table.index)]))
    coded = [(row, code, cols) for row, code, cols in coded if rows_of[code] == 1]
    for row, code, cols in coded:
        children = [r for r, c, _ in coded if len(c) == len(code) + 2 and c.startswith(code)]
        if children:
            checks += _sum_rows(table, values, row, children, cols, f"{code} = sum of its {len(children)} sub-codes")
    for item in items:
        top = [r for r, c, cols in coded if len(c) == 3 and set(cols) & set(item.cols)]
        if not item.code and re.fullmatch(r"(?:合计|总计)", clean_label(item.label)) and top:
            checks += _sum_rows(table, values, item.row, top, item.cols, f"合计 = sum of the {len(top)} 类")
    return checks


def _sum_rows(table: Table, values, row: int, children: list[int], cols, what: str) -> list[Check]:
    """One check per column of the total's item where it has a number; a blank part cell counts as
    zero (budget tables leave zeros blank)."""
    checks = []
    for col in cols:
        total = values.get((row, col))
        parts = [values[(r, col)] for r in children if (r, col) in values]
        if total is not None and parts:
            checks.append(_sum_check("table_total", table, total, parts, what))
    return checks


def _headers(table: Table, first: int) -> dict[int, list[str]]:
    """The header cells over each column: those above the first row of numbers."""
    out: dict[int, list[str]] = {}
    for cell in sorted(table.cells, key=lambda c: (c.row, c.col)):
        if cell.row < first and cell.text:
            for col in range(cell.col, cell.col + cell.col_span):
                out.setdefault(col, []).append(re.sub(r"\s+", "", cell.text))
    return out


def _column_totals(table: Table, values, first_numeric_row: int) -> list[Check]:
    """A 合计 column = the sum of the column groups beside it under the same parent header; a
    group of several columns counts by its own 小计 (or is not checkable)."""
    headers = _headers(table, first_numeric_row)
    checks = []
    for col, path in headers.items():
        if len(path) < 2 or not re.fullmatch(r"合计|小计|总计", path[-1]):
            continue
        depth = len(path)
        groups: dict[tuple[str, ...], list[int]] = {}
        for c, p in headers.items():
            if c != col and len(p) >= depth and p[: depth - 1] == path[:-1]:
                groups.setdefault(tuple(p[:depth]), []).append(c)
        parts_cols = []
        for cols in groups.values():
            if len(cols) == 1:
                parts_cols.append(cols[0])
                continue
            subtotal = [c for c in cols if re.fullmatch(r"小计|合计", headers[c][-1])]
            if len(subtotal) != 1:
                parts_cols = []
                break
            parts_cols.append(subtotal[0])
        if not parts_cols:
            continue
        for row in sorted({r for r, c in values if c == col}):
            parts = [values[(row, c)] for c in parts_cols if (row, c) in values]
            if parts:
                checks.append(_sum_check("column_total", table, values[(row, col)], parts,
                                         f"{'|'.join(path)} = sum of {len(parts_cols)} column groups"))
    return checks


def _fund_balance(table: Table, items, values) -> list[Check]:
    rows: dict[str, int] = {}
    for i in items:
        if i.match and i.match.code.startswith("si_fund.") and i.match.code not in rows:
            rows[i.match.code] = i.row
    need = ("si_fund.revenue", "si_fund.expenditure", "si_fund.current_balance")
    checks = []
    for col in _value_columns(values):
        get = {code: values.get((row, col)) for code, row in rows.items()}
        rev, exp, cur = (get.get(c) for c in need)
        if rev and exp and cur:
            expected = Decimal(rev.value) - Decimal(exp.value)
            tol = half_unit(rev.value) + half_unit(exp.value) + half_unit(cur.value)
            checks.append(compare("balance_identity", expected, Decimal(cur.value), tol,
                                  [_side(table, cur), _side(table, rev), _side(table, exp)], "当期收支结余 = 收入 − 支出"))
        opening, closing = get.get("si_fund.opening_balance"), get.get("si_fund.closing_balance")
        if opening and closing and cur:
            expected = Decimal(opening.value) + Decimal(cur.value)
            tol = half_unit(opening.value) + half_unit(cur.value) + half_unit(closing.value)
            checks.append(compare("balance_identity", expected, Decimal(closing.value), tol,
                                  [_side(table, closing), _side(table, opening), _side(table, cur)],
                                  "期末滚存结余 = 期初余额 + 当期收支结余"))
    return checks


def _two_sided(table: Table, items, values) -> list[Check]:
    """收支总表: the 总计 of the revenue side equals the 总计 of the expenditure side."""
    checks = []
    by_row: dict[int, list] = {}
    for i in items:
        if clean_label(i.label) == "总计":
            by_row.setdefault(i.row, []).append(i)
    for row, pair in by_row.items():
        if len(pair) != 2:
            continue
        left = next((values[(row, c)] for c in pair[0].cols if (row, c) in values), None)
        right = next((values[(row, c)] for c in pair[1].cols if (row, c) in values), None)
        if left and right:
            tol = half_unit(left.value) + half_unit(right.value)
            checks.append(compare("balance_identity", Decimal(left.value), Decimal(right.value), tol,
                                  [_side(table, right), _side(table, left)], "收支总表: 支出总计 = 收入总计"))
    return checks
