"""Facts: one comparable row per amount, modelled on the Fiscal Data Package (Open Knowledge).

Every money amount in a table cell or a prose claim becomes a `Fact` with the period it refers to
(a "2022年决算数" column in a 2023 report is 2022), its phase (approved 年初预算 | adjusted 调整/全年预算
| executed 决算/执行数), direction (expenditure | revenue | balance), budget type, line item as
printed, category, and provenance back to the table cell or the claim. Non-money quantities
(people, %, counts, scores) become `Indicator`s of the same shape with their unit.
"""

from __future__ import annotations

import hashlib
import re
from decimal import Decimal

from fiscaldocs.normalize.categories import CategoryMatch, line_items, map_label
from fiscaldocs.normalize.table_values import covering_text, table_values

from fiscaldocs.model import Document, Fact, ReportKind, Table

# Phase from a column header or a sentence; first match wins (调整预算 before 预算).
PHASE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"调整|全年预算|变动后预算"), "adjusted"),
    (re.compile(r"决算|执行数|执行|实际支出|实际完成|完成数|实际投资|支出数"), "executed"),
    (re.compile(r"年初预算|预算数|预算|批复|计划"), "approved"),
]
# Evaluations and final accounts report what was spent; budgets what was approved.
DEFAULT_PHASE = {ReportKind.BUDGET: "approved", ReportKind.FINAL_ACCOUNTS: "executed",
                 ReportKind.PERFORMANCE_SELF_EVALUATION: "executed", ReportKind.PROJECT_SELF_EVALUATION: "executed",
                 ReportKind.FISCAL_EVALUATION: "executed"}
# Budget-type names contain 预算 but say nothing of the phase.
_BUDGET_TYPE_WORDS = re.compile(r"一般公共预算|政府性基金预算|国有资本经营预算|社会保险基金预算|部门预算|预算单位|预算部门")

BUDGET_TYPE_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"社会保险基金|医疗保险基金|医疗（含生育）保险基金|医疗\(含生育\)保险基金|医保基金"), "social_insurance_fund"),
    (re.compile(r"政府性基金"), "government_fund"),
    (re.compile(r"国有资本经营"), "state_capital"),
    (re.compile(r"一般公共预算"), "general_public"),
]

# Direction by category code prefix (longest first), then by words in the label.
DIRECTION_BY_CODE: list[tuple[str, str]] = [
    ("si_fund.revenue", "revenue"), ("si_fund.expenditure", "expenditure"), ("si_fund.opening_balance", "balance"),
    ("si_fund.current_balance", "balance"), ("si_fund.closing_balance", "balance"),
    ("medical_insurance.employee.revenue", "revenue"), ("medical_insurance.resident.revenue", "revenue"),
    ("medical_insurance.employee.expenditure", "expenditure"),
    ("medical_insurance.resident.expenditure", "expenditure"),
    ("medical_insurance.employee.balance", "balance"), ("medical_insurance.resident.balance", "balance"),
    ("dept_revenue.carryover_in", "balance"), ("dept_expenditure.carryover_out", "balance"),
    ("dept_revenue", "revenue"), ("dept_expenditure", "expenditure"), ("funding", "revenue"),
    ("sangong", "expenditure"), ("expenditure", "expenditure"), ("admin_operating", "expenditure"),
]
DIRECTION_BY_SCHEME = {"functional": "expenditure", "economic": "expenditure", "revenue": "revenue"}
_DIRECTION_WORDS = [(re.compile(r"结余|余额|结转"), "balance"), (re.compile(r"收入"), "revenue"),
                    (re.compile(r"支出|费|经费"), "expenditure")]


def derive(doc: Document) -> tuple[list[Fact], list[Fact]]:
    """(facts in yuan, indicators in other units), deterministic in order and ids."""
    facts: list[Fact] = []
    indicators: list[Fact] = []
    year = doc.meta.fiscal_year
    for table in doc.tables:
        if table.parent is None:
            for fact in _table_facts(doc, table, year):
                (facts if fact.unit == "CNY" else indicators).append(fact)
    for i, claim in enumerate(doc.claims):
        if claim.change:  # a difference, not the amount of a line item: it stays a claim
            continue
        fact = _claim_fact(doc, i, claim)
        (facts if fact.unit == "CNY" else indicators).append(fact)
    return facts, indicators


def _table_facts(doc: Document, table: Table, year: int | None):
    cell_values = table_values(table)
    values = {(v.row, v.col): v for v in cell_values}
    headers = _header_paths(table, values)
    budget_type = _budget_type(table.title or "")
    table_direction = _table_direction(table.title or "")
    for item in line_items(table, year, cell_values):
        if item.is_total and item.match is None:
            category = None
        else:
            category = item.match
        for col in item.cols:
            v = values.get((item.row, col))
            if v is None or v.value_normalized is None:
                continue
            header = headers.get((item.row, col), "")
            yield Fact(
                fact_id=_id(doc.meta.sha256, "t", table.index, item.row, col),
                doc_id=doc.meta.sha256, fiscal_year=year,
                period_year=_period_year(header, year), phase=_phase(header, doc.meta.report_kind),
                direction=table_direction or _direction(category, item.label + "|" + header),
                budget_type=_category_budget_type(category) or budget_type or _budget_type(header),
                line_item=item.label, **_category_columns(category),
                amount=Decimal(v.value_normalized), unit=v.unit_normalized or "",
                source_kind="table", table_id=table.index, row_idx=item.row, col_idx=col, claim_idx=None,
                page=table.row_pages[item.row] if item.row < len(table.row_pages) else table.page,
                column_header=header or None, **_ocr(table, item.row, col),
            )


def _claim_fact(doc: Document, i: int, claim) -> Fact:
    subject = claim.subject or ""
    category = map_label(subject, claim.year) if subject else None
    return Fact(
        fact_id=_id(doc.meta.sha256, "c", i), doc_id=doc.meta.sha256, fiscal_year=doc.meta.fiscal_year,
        period_year=claim.year, phase=_phase(_clause_before(claim), doc.meta.report_kind),
        direction=_direction(category, subject), budget_type=_category_budget_type(category) or _budget_type(subject),
        line_item=subject, **_category_columns(category),
        amount=Decimal(claim.value_normalized), unit=claim.unit_normalized, source_kind="text",
        table_id=None, row_idx=None, col_idx=None, claim_idx=i, page=claim.page, column_header=None,
        ocr=claim.ocr, ocr_confidence=claim.ocr_confidence,
    )


def _ocr(table: Table, row: int, col: int) -> dict:
    """The OCR flag and confidence of the cell an amount was read from."""
    cell = next((c for c in table.cells if c.row == row and c.col == col), None)
    if cell is None or not cell.ocr:
        return {}
    return {"ocr": True, "ocr_confidence": cell.ocr_confidence}


def _clause_before(claim) -> str:
    """The clause of the sentence that leads to the number: "…，其中：年初预算1069.87万元" → "年初预算"."""
    block_text = claim.sentence
    head = block_text[: block_text.find(claim.text)] if claim.text in block_text else block_text
    return re.split(r"[，,；;：:。]", head)[-1]


def _id(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:24]


def _header_paths(table: Table, numeric: dict[tuple[int, int], object]) -> dict[tuple[int, int], str]:
    """Each amount's column header: the header rows right above its block of amount rows (the top
    header, or a heading row inside the table such as "经费控制情况(万元) | 2022年决算数 | …"), read
    through merged cells and joined top to bottom with "|"."""
    numeric_rows = {r for r, _ in numeric}
    grid = [[re.sub(r"\s+", "", text) for text in row] for row in covering_text(table)]
    paths: dict[tuple[int, int], str] = {}
    for row, col in numeric:
        r = row - 1
        while r >= 0 and r in numeric_rows:
            r -= 1
        parts: list[str] = []
        while r >= 0 and r not in numeric_rows:
            if grid[r][col] and (not parts or parts[0] != grid[r][col]):
                parts.insert(0, grid[r][col])
            r -= 1
        paths[(row, col)] = "|".join(parts)
    return paths


def _table_direction(title: str) -> str | None:
    """A 收入 table's amounts are revenue whatever functional rows they are broken down by."""
    if "收入" in title and "支出" not in title:
        return "revenue"
    if "支出" in title and "收入" not in title:
        return "expenditure"
    return None


def _phase(text: str, kind: ReportKind | None) -> str | None:
    text = _BUDGET_TYPE_WORDS.sub("", text)
    for rx, phase in PHASE_RULES:
        if rx.search(text):
            return phase
    return DEFAULT_PHASE.get(kind) if kind else None


def _period_year(header: str, fiscal_year: int | None) -> int | None:
    m = re.search(r"(20\d{2})\s*年", header)
    if m:
        return int(m.group(1))
    if fiscal_year and re.search(r"上年", header):
        return fiscal_year - 1
    return fiscal_year


def _budget_type(text: str) -> str | None:
    return next((bt for rx, bt in BUDGET_TYPE_RULES if rx.search(text)), None)


def _category_budget_type(category: CategoryMatch | None) -> str | None:
    if category and category.code.startswith("budget_type."):
        return category.code.split(".", 1)[1]
    return None


def _direction(category: CategoryMatch | None, words: str) -> str | None:
    if category:
        for prefix, direction in DIRECTION_BY_CODE:
            if category.code.startswith(prefix):
                return direction
        if category.scheme in DIRECTION_BY_SCHEME:
            return DIRECTION_BY_SCHEME[category.scheme]
    return next((d for rx, d in _DIRECTION_WORDS if rx.search(words)), None)


def _category_columns(category: CategoryMatch | None) -> dict:
    if category is None:
        return {"category_scheme": None, "category_code": None, "category_name": None, "economic_code": None}
    economic = category.code if category.scheme == "economic" else None
    return {"category_scheme": category.scheme, "category_code": category.code, "category_name": category.name,
            "economic_code": economic}
