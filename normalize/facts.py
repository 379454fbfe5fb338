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

from fiscaldocs.normalize import statements
from fiscaldocs.normalize.categories import CategoryMatch, by_code, clean_label, line_items, map_label
from fiscaldocs.normalize.indicators import table_indicators
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
    ("sangong", "expenditure"), ("expenditure", "expenditure"), ("agency_operation", "expenditure"),
]
DIRECTION_BY_SCHEME = {"functional": "expenditure", "economic": "expenditure", "revenue": "revenue"}
_DIRECTION_WORDS = [(re.compile(r"结余|余额|结转"), "balance"), (re.compile(r"收入"), "revenue"),
                    (re.compile(r"支出|费|经费"), "expenditure")]


def derive(doc: Document) -> tuple[list[Fact], list[Fact]]:
    """(facts in yuan, indicators in other units), deterministic in order and ids."""
    facts: list[Fact] = []
    indicators: list[Fact] = []
    year = doc.meta.fiscal_year
    department = department_name(doc)
    for table in doc.tables:
        if table.parent is None:
            found = list(_table_facts(doc, table, year, department))
            for fact in found:
                (facts if fact.unit == "CNY" else indicators).append(fact)
            indicators += table_indicators(doc, table, found)  # counts and rates of any table, labelled
    for i, claim in enumerate(doc.claims):
        if claim.change:  # a difference, not the amount of a line item: it stays a claim
            continue
        fact = _claim_fact(doc, i, claim, department)
        (facts if fact.unit == "CNY" else indicators).append(fact)
    return facts, indicators


def department_name(doc: Document) -> str | None:
    """The reporting department or unit (a 部门决算 of a 部门 covers its units), from the metadata:
    whitespace and a trailing （本级）/（汇总） removed."""
    name = doc.meta.department or doc.meta.issuer
    if not name:
        return None
    return re.sub(r"[（(](?:本级|汇总|部门汇总|单位汇总)[)）]$", "", re.sub(r"\s+", "", name)) or None


# Row roles: a 合计/总计 row is a total, a 小计 row a subtotal, a 其中 row a part of the row above.
_ROW_TOTAL = re.compile(r"(?:合计|总计|共计)$")
_ROW_SUBTOTAL = re.compile(r"小计$")
_ROW_PART = re.compile(r"^\s*其中")


ROW_ROLES = ("total", "subtotal", "line", "part")  # canonical preference: a total before its own parts


def row_role_rank(role: str) -> int:
    return ROW_ROLES.index(role) if role in ROW_ROLES else len(ROW_ROLES)


def row_role(label: str) -> str:
    if _ROW_PART.match(label or ""):
        return "part"
    text = clean_label(label or "")
    if _ROW_TOTAL.search(text):
        return "total"
    if _ROW_SUBTOTAL.search(text):
        return "subtotal"
    return "line"


def _table_facts(doc: Document, table: Table, year: int | None, department: str | None):
    cell_values = table_values(table)
    values = {(v.row, v.col): v for v in cell_values}
    headers = _header_paths(table, values)
    budget_type = _budget_type(table.title or "")
    table_direction = _table_direction(table.title or "")
    statement = statements.classify(table)
    fund = statements.fund(table.title or "") if statement.fund_scope == "social_insurance_fund" else None
    cells = [(item.row, col, item.label, item.match) for item in line_items(table, year, cell_values)
             for col in item.cols]
    if statement.id in statements.vocabulary().transposed:
        # a table printed across: amounts in rows without a label are line items of their column
        seen = {(r, c) for r, c, _, _ in cells}
        cells += [(r, c, "", None) for (r, c) in sorted(values) if (r, c) not in seen]
    for row, col, label, match in cells:
        v = values.get((row, col))
        if v is None or v.value_normalized is None:
            continue
        header = headers.get((row, col), "")
        category = match
        by_column = None
        if not _is_transposed_category(match):
            code = statements.column_category(statement, header)
            by_column = by_code(code, year) if code else None
            category = by_column or match
        if category is None and not label:
            continue
        yield Fact(
            fact_id=_id(doc.meta.sha256, "t", table.index, row, col),
            doc_id=doc.meta.sha256, fiscal_year=year,
            period_year=_period_year(header, year), phase=_phase(header, doc.meta.report_kind),
            direction=table_direction or _direction(category, label + "|" + header),
            budget_type=_category_budget_type(category) or budget_type or _budget_type(header),
            line_item=label or (category.name if category else ""), **_category_columns(category),
            amount=Decimal(v.value_normalized), unit=v.unit_normalized or "",
            source_kind="table", table_id=table.index, row_idx=row, col_idx=col, claim_idx=None,
            page=table.row_pages[row] if row < len(table.row_pages) else table.page,
            column_header=header or None, department=department, statement=statement.id,
            fund_scope=_category_scope(category) or statements.column_scope(header, statement.fund_scope), fund=fund,
            breakdown="total" if by_column else statements.breakdown(header),
            level=category.level if category else None, row_role=row_role(label),
            category_known=category.known if category else True, **_ocr(table, row, col),
        )


def _is_transposed_category(match: CategoryMatch | None) -> bool:
    """A row that itself names a 三公 part or 机关运行经费 (the table printed down, not across)."""
    return bool(match and (match.code.startswith("sangong") or match.code == "agency_operation"))


def _claim_fact(doc: Document, i: int, claim, department: str | None) -> Fact:
    subject = claim.subject or ""
    category = map_label(subject, claim.year) if subject else None
    head = _sentence_head(doc, claim)
    if (category is None or _is_transposed_category(category)) and claim.unit_normalized == "CNY":
        code = statements.prose_category(head)  # 三公 parts and 机关运行经费 named earlier in the sentence
        category = (by_code(code, claim.year) if code else None) or category
    return Fact(
        fact_id=_id(doc.meta.sha256, "c", i), doc_id=doc.meta.sha256, fiscal_year=doc.meta.fiscal_year,
        period_year=claim.year, phase=_phase(re.split(r"[，,；;：:。]", head)[-1], doc.meta.report_kind),
        direction=_direction(category, subject), budget_type=_category_budget_type(category) or _budget_type(subject),
        line_item=subject, **_category_columns(category),
        amount=Decimal(claim.value_normalized), unit=claim.unit_normalized, source_kind="text",
        table_id=None, row_idx=None, col_idx=None, claim_idx=i, page=claim.page, column_header=None,
        department=department, statement="text", fund_scope=_text_scope(subject, category),
        breakdown="total", level=category.level if category else None, row_role="line",
        category_known=category.known if category else True,
        ocr=claim.ocr, ocr_confidence=claim.ocr_confidence,
    )


def _text_scope(subject: str, category: CategoryMatch | None) -> str:
    """A sentence's fund scope: the fund it names (一般公共预算财政拨款支出 …)."""
    return _category_scope(category) or statements.column_scope(subject, "all")


def _category_scope(category: CategoryMatch | None) -> str | None:
    """三公经费 and 机关运行经费 are 财政拨款 amounts by definition (部门决算 公开07表, 中央八项规定), whichever
    table or sentence states them: one scope, so a table and a sentence name the same amount."""
    if category and (category.code.startswith("sangong") or category.code == "agency_operation"):
        return "fiscal_appropriation"
    return None


def _sentence_head(doc: Document, claim) -> str:
    """The claim's sentence up to the number, read at the claim's own offset in its block (the same
    amount may be printed twice in a sentence: "调整预算数为0.9万元，支出决算为0.9万元")."""
    if 0 <= claim.block < len(doc.blocks):
        text = doc.blocks[claim.block].text[: claim.start]
        return re.split(r"[。！？!?]", text)[-1]
    sentence = claim.sentence
    return sentence[: sentence.find(claim.text)] if claim.text in sentence else sentence


def _ocr(table: Table, row: int, col: int) -> dict:
    """The OCR flag and confidence of the cell an amount was read from."""
    cell = next((c for c in table.cells if c.row == row and c.col == col), None)
    if cell is None or not cell.ocr:
        return {}
    return {"ocr": True, "ocr_confidence": cell.ocr_confidence}


def _id(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:24]


def _header_paths(table: Table, numeric: dict[tuple[int, int], object]) -> dict[tuple[int, int], str]:
    """Each amount's column header: the header rows above its block of amount rows (the top header,
    or a heading row inside the table such as "经费控制情况(万元) | 2022年决算数 | …"), read through
    merged cells and joined top to bottom with "|". Rows blank in the column (a line printed without
    amounts, "其中：公车购置"; the other side of a 收支总表; a blank row inside a header) are skipped."""
    numeric_rows = {r for r, _ in numeric}
    grid = [[re.sub(r"\s+", "", text) for text in row] for row in covering_text(table)]
    paths: dict[tuple[int, int], str] = {}
    for row, col in numeric:
        r = row - 1
        while r >= 0 and (r in numeric_rows or _blank(grid[r][col])):
            r -= 1
        parts: list[str] = []
        while r >= 0 and r not in numeric_rows:
            if not _blank(grid[r][col]) and (not parts or parts[0] != grid[r][col]):
                parts.insert(0, grid[r][col])
            r -= 1
        paths[(row, col)] = "|".join(parts)
    return paths


def _blank(text: str) -> bool:
    """Empty, or a placeholder printed for "none" (—, ---, /, 无)."""
    return not text or bool(re.fullmatch(r"[-—–/.…·]+|无", text))


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
