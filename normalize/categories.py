"""Line-item labels → fiscal categories, from the versioned taxonomy in normalize/data/.

Schemes: `functional` (支出功能分类, 2xx/2xxxx/2xxxxxx), `economic` (部门/政府预算支出经济分类,
3xx/5xx), `revenue` (收入分类, 1xx), `special` (budget types, 基本/项目支出, 三公经费, 医保基金 lines).
A label maps by its code column when it has one, by a "X(类)Y(款)Z(项)" path, or by a name or
alias that is unambiguous in the report's year (or made so by the table's enclosing 类/款).
An ambiguous or unknown label is left unmapped, never guessed.
"""

from __future__ import annotations

import csv
import functools
import re
from dataclasses import dataclass
from pathlib import Path

from fiscaldocs.normalize.table_values import table_values

from fiscaldocs.model import Table

DATA = Path(__file__).parent / "data"
FILES = {"functional": "functional_classification.csv", "economic": "economic_classification.csv",
         "revenue": "revenue_classification.csv", "special": "special_items.csv"}


@dataclass(frozen=True, slots=True)
class Entry:
    scheme: str
    code: str
    level: str
    name: str
    parent: str | None
    valid_from: int | None
    valid_to: int | None

    def valid_in(self, year: int | None) -> bool:
        return year is None or ((self.valid_from or 0) <= year <= (self.valid_to or 9999))


@dataclass(frozen=True, slots=True)
class CategoryMatch:
    scheme: str
    code: str
    name: str  # the name in force in the report's year
    level: str
    method: str  # code | code_unknown | path | name | name+parent
    known: bool = True  # False: a printed code the taxonomy lacks, kept with its printed name


def key(text: str) -> str:
    """Matching form: no whitespace, half-width brackets and quotes, no trailing 合计/小计."""
    text = re.sub(r"\s+", "", text).translate(str.maketrans("（）“”‘’：", "()\"\"'':"))
    return text


@functools.cache
def taxonomy() -> tuple[dict[str, list[Entry]], dict[str, list[Entry]]]:
    """(code → entries, matching key of every name and alias → entries)."""
    by_code: dict[str, list[Entry]] = {}
    by_name: dict[str, list[Entry]] = {}
    for scheme, file in FILES.items():
        with (DATA / file).open(encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                entry = Entry(scheme, row["code"], row["level"], row["name"], row["parent_code"] or None,
                              int(row["valid_from"]) if row["valid_from"] else None,
                              int(row["valid_to"]) if row["valid_to"] else None)
                by_code.setdefault(entry.code, []).append(entry)
                for name in [row["name"], *filter(None, row["aliases"].split("|"))]:
                    by_name.setdefault(key(name), []).append(entry)
    return by_code, by_name


def entries() -> list[Entry]:
    """Every taxonomy entry once (the warehouse's `categories` dimension), grouped by code in file order."""
    by_code, _ = taxonomy()
    return [entry for group in by_code.values() for entry in group]


_NUMBERING = re.compile(r"^(?:[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．](?!\d)|[①-⑳]"
                        r"|其中[:：]?)+")
_PATH = re.compile(r"(?P<name>[^()（）]+?)[（(](?P<level>类|款|项)[)）]")


def clean_label(label: str) -> str:
    return _NUMBERING.sub("", re.sub(r"\s+", "", label)).strip()


def by_code(code: str, year: int | None = None) -> CategoryMatch | None:
    entries = taxonomy()[0].get(code, [])
    entry = next((e for e in entries if e.valid_in(year)), entries[-1] if entries else None)
    return _match(entry, "code") if entry else None


def map_label(label: str, year: int | None = None, code: str | None = None,
              context: tuple[str, ...] = ()) -> CategoryMatch | None:
    """Map one line item. `code` is what its code column(s) say; `context` the codes of the
    enclosing rows (nearest last) or a code prefix the table implies (its title names a fund),
    used only to choose among same-named entries."""
    if code and (found := by_code(code, year)):
        return found
    text = clean_label(label)
    if code and (unknown := _unknown_code(code, text)):
        return unknown  # a printed code is the category, even one the taxonomy lacks
    if not text:
        return None
    path = _PATH.findall(text)
    if path:
        return _walk(path, year)
    return _by_name(text, year, context)


def _by_name(text: str, year: int | None, context: tuple[str, ...], parent: str | None = None) -> CategoryMatch | None:
    entries = [e for e in taxonomy()[1].get(key(text), []) if e.valid_in(year)]
    if parent is not None:
        entries = [e for e in entries if e.parent == parent]
    codes = {(e.scheme, e.code) for e in entries}
    if len(codes) == 1:
        return _match(entries[0], "name")
    for ctx in reversed(context):  # the nearest enclosing row that narrows it to one
        narrowed = {(e.scheme, e.code): e for e in entries if ctx in _ancestors(e)}
        if len(narrowed) == 1:
            return _match(next(iter(narrowed.values())), "name+parent")
    return None


# A printed code's scheme by its first digit and its level by its length (政府收支分类科目).
_SCHEME_BY_DIGIT = {"1": "revenue", "2": "functional", "3": "economic", "5": "economic"}
_LEVEL_BY_LENGTH = {3: "类", 5: "款", 7: "项"}


def _unknown_code(code: str, printed_name: str) -> CategoryMatch | None:
    scheme, level = _SCHEME_BY_DIGIT.get(code[:1]), _LEVEL_BY_LENGTH.get(len(code))
    if scheme is None or level is None:
        return None
    return CategoryMatch(scheme, code, printed_name or code, level, "code_unknown", known=False)


def _ancestors(entry: Entry) -> list[str]:
    chain, parent = [], entry.parent
    codes = taxonomy()[0]
    while parent:
        chain.append(parent)
        parent = codes[parent][0].parent if parent in codes else None
    return chain


def _walk(path: list[tuple[str, str]], year: int | None) -> CategoryMatch | None:
    """"卫生健康支出(类)医疗保障管理事务(款)行政运行(项)": each level within the one above."""
    parent: str | None = None
    found: CategoryMatch | None = None
    for name, _level in path:
        candidates = [name, name + "支出"] if not name.endswith("支出") else [name, name[:-2]]
        match = next((m for n in candidates if (m := _by_name(n, year, (), parent))), None)
        if match is None:
            return None
        parent, found = match.code, match
    return CategoryMatch(found.scheme, found.code, found.name, found.level, "path") if found else None


def _match(entry: Entry, method: str) -> CategoryMatch:
    return CategoryMatch(entry.scheme, entry.code, entry.name, entry.level, method)


# Line items of a table ------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LineItem:
    row: int
    label: str
    code: str | None
    match: CategoryMatch | None
    is_total: bool = False  # 合计/总计/小计: structure, not a category
    has_money: bool = False  # an amount in 元/万元/亿元 (not a score or a count)
    cols: tuple[int, ...] = ()  # the columns of this item in its row (several items may share a row)


_CODE_CELL = re.compile(r"^\d{2,7}$")
_TOTAL = re.compile(r"(?:合计|总计|小计|共计)")
_CODE_HEADER = re.compile(r"^(?:类|款|项|科目编码|功能分类科目编码|经济分类科目编码|编码|科目代码)$")


# What a table's title says its rows are about, to tell apart lines named alike in several
# vocabularies (其他收入 of a fund vs of a department).
TITLE_CONTEXT = [(re.compile(r"三公"), "sangong.total"), (re.compile(r"保险基金"), "si_fund"),
                 (re.compile(r"收入支出|收支|收入决算|收入预算"), "dept_revenue"),
                 (re.compile(r"绩效目标|自评表|申报表"), "funding")]


def line_items(table: Table, year: int | None = None, cell_values: list | None = None) -> list[LineItem]:
    """Line items with amounts: label, code (joined from 类/款/项 columns) and category.

    A row may hold several items side by side (收入 | 决算数 | 支出 | 决算数; an economic table in
    two halves 301… | 302…): a new item starts at a code cell or a label after the previous
    item's label and amounts. `cell_values`: the table's `table_values`, when the caller has them.
    """
    grid = table.rows()
    values = {(v.row, v.col): v for v in (table_values(table) if cell_values is None else cell_values)}
    code_cols = set(_code_columns(grid))
    items: list[LineItem] = []
    context: list[str] = [ctx for rx, ctx in TITLE_CONTEXT if rx.search(table.title or "")]
    for r, row in enumerate(grid):
        for label, code, cols in _segments(row, code_cols, {c for (rr, c) in values if rr == r}):
            amounts = [values[(r, c)] for c in cols if (r, c) in values]
            if not amounts:
                continue
            match = map_label(label, year, code, tuple(context))
            if match and match.level in ("类", "款"):
                context.append(match.code)
            items.append(LineItem(r, label, code, match, is_total=bool(_TOTAL.fullmatch(clean_label(label))),
                                  has_money=any(v.unit_normalized == "CNY" for v in amounts), cols=tuple(cols)))
    return items


def _segments(row: list[str], code_cols: set[int], value_cols: set[int]):
    """Split a row into (label, code, columns) items."""
    label, code, cols, seen_value = "", "", [], False
    for c, text in enumerate(row):
        if c in code_cols and len(code) in (3, 5) and re.fullmatch(r"\d", text or ""):
            text = "0" + text  # a 款/项 printed without its leading zero: "301 | 2 | 津贴补贴" is 30102
        is_code = c in code_cols and bool(_CODE_CELL.match(text or ""))
        starts_new = label and (is_code or (text and c not in value_cols and seen_value))
        if starts_new:
            yield label, (code if len(code) in (3, 5, 7) else None), cols
            label, code, cols, seen_value = "", "", [], False
        cols.append(c)
        if is_code:
            code += text
        elif c in value_cols:
            seen_value = True
        elif text:  # not a code, even in a code column: "合计" printed across the 类/款/项 columns
            label = text  # the text nearest the amounts: "项目资金（元） | 年度资金申请总额 | 4,100,000"
    if label:
        yield label, (code if len(code) in (3, 5, 7) else None), cols


def _code_columns(grid: list[list[str]]) -> list[int]:
    """Columns headed 类/款/项/科目编码, or whose filled cells are all 2–7 digit codes."""
    cols = []
    for c in range(len(grid[0]) if grid else 0):
        column = [row[c] for row in grid if row[c]]
        headed = any(_CODE_HEADER.match(re.sub(r"\s+", "", t)) for t in column[:4])
        codes = [t for t in column if _CODE_CELL.match(t)]
        # unheaded: only 2–3 digit cells (类 201, 款/项 05) — a column of integers is amounts
        short = [t for t in column if re.fullmatch(r"\d{2,3}", t)]
        if headed and codes or (len(short) >= 3 and len(short) >= 0.8 * len(column) and c < 3):
            cols.append(c)
    return cols


def _is_number(text: str) -> bool:
    return bool(re.fullmatch(r"[-+]?[\d,]+(?:\.\d+)?%?", text.strip()))
