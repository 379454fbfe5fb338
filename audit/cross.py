"""Numbers stated twice: a sentence and a table of the same document, or two documents of the
same region and year."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from fiscaldocs.audit.model import Check, Side, half_unit
from fiscaldocs.audit.scope import COMPARABLE_KEY, fact_scope, scope_of
from fiscaldocs.normalize.facts import Fact, derive
from fiscaldocs.normalize.units import BY_PRINTED

from fiscaldocs.model import Document

# A fund table's lines are named for the fund by the table's title; sentences name the fund.
FUND_BY_TITLE = [("城乡居民", "medical_insurance.resident"), ("职工", "medical_insurance.employee")]
FUND_LINES = {"si_fund.revenue": "revenue", "si_fund.expenditure": "expenditure", "si_fund.current_balance": "balance"}


def _table_category(doc: Document, fact: Fact) -> str:
    if fact.category_code in FUND_LINES:
        title = doc.tables[fact.table_id].title or ""
        fund = next((code for word, code in FUND_BY_TITLE if word in title), None)
        if fund:
            return f"{fund}.{FUND_LINES[fact.category_code]}"
    return fact.category_code


def claims_against_tables(doc: Document, facts: list[Fact] | None = None) -> list[Check]:
    """A sentence's amount for a line item agrees with a table of the same document that gives
    the same category, period, phase and direction. `facts`: `derive(doc)`'s, when the caller has them."""
    if facts is None:
        facts, _ = derive(doc)
    tables: dict[tuple, list[Fact]] = defaultdict(list)
    for f in facts:
        if f.source_kind == "table" and f.category_code:
            tables[(_table_category(doc, f), f.period_year, f.phase, f.direction)].append(f)
    checks = []
    for f in facts:
        if f.source_kind != "text" or not f.category_code:
            continue
        rivals = tables.get((f.category_code, f.period_year, f.phase, f.direction))
        claim = doc.claims[f.claim_idx]
        named = scope_of(claim.sentence[: claim.sentence.find(claim.text)] if claim.text in claim.sentence else "")
        if rivals and named != "all":  # "一般公共预算…支出X万元" against the statement of that scope only
            rivals = [r for r in rivals if fact_scope(r, doc.tables[r.table_id].title) == named]
        if not rivals:
            continue
        tol = half_unit(claim.value) * BY_PRINTED[claim.unit].factor
        close = [r for r in rivals if abs(r.amount - f.amount) <= tol + _table_tolerance(doc, r)]
        best = close[0] if close else min(rivals, key=lambda r: abs(r.amount - f.amount))
        sides = [Side("text", page=claim.page, block=claim.block, text=claim.text),
                 Side("table", page=best.page, table=best.table_id, row=best.row_idx, col=best.col_idx)]
        status = "pass" if close else "fail"
        message = (f"{claim.subject or f.line_item} {claim.text} in the text vs {best.amount} yuan in table "
                   f"{best.table_id} ({best.line_item}, {f.period_year} {f.phase})")
        checks.append(Check("claim_vs_table", status, message, expected=best.amount, actual=f.amount,
                            tolerance=tol, sides=sides, doc_id=doc.meta.sha256))
    return checks


def _table_tolerance(doc: Document, fact: Fact) -> Decimal:
    table = doc.tables[fact.table_id]
    text = table.rows()[fact.row_idx][fact.col_idx]
    factor = BY_PRINTED[table.unit].factor if table.unit in BY_PRINTED else Decimal(1)
    return half_unit(text) * factor


ACROSS_SQL = """
SELECT f.doc_id, d.title, d.region_code, f.department, f.period_year, f.category_code, f.phase, f.direction,
       f.fund_scope, f.fund, f.breakdown, f.amount_yuan, f.page, f.table_id, f.row_idx, f.col_idx
FROM v_canonical_facts f JOIN documents d USING (doc_id)
WHERE f.source_kind = 'table' AND f.department IS NOT NULL AND f.period_year IS NOT NULL
"""


def across_documents(con) -> list[Check]:
    """The same quantity (`scope.COMPARABLE_KEY`: region and department, period, category, phase, direction,
    fund scope, fund, breakdown) in two reports agrees. Reads the canonical layer of the warehouse (one
    document per report, one amount per meaning) and compares every pair of reports once."""
    groups: dict[tuple, dict[str, list[tuple]]] = defaultdict(lambda: defaultdict(list))
    for row in con.execute(ACROSS_SQL).fetchall():
        doc_id, title, region, department, year, code, phase, direction, scope, fund, breakdown, amount, page, \
            table, r, c = row
        values = {"region_code": region, "department": department, "period_year": year, "category_code": code,
                  "phase": phase, "direction": direction, "fund_scope": scope, "fund": fund, "breakdown": breakdown}
        groups[tuple(values[k] for k in COMPARABLE_KEY)][doc_id].append((title, amount, page, table, r, c))
    checks = []
    for key, docs in groups.items():
        if len(docs) < 2:
            continue
        values = dict(zip(COMPARABLE_KEY, key, strict=True))
        items = sorted(docs.items())
        d1, first = items[0]
        for d2, second in items[1:]:
            shared = {a for _, a, *_ in first} & {a for _, a, *_ in second}
            (t1, a1, p1, tb1, r1, c1) = next((x for x in first if x[1] in shared), first[0])
            (t2, a2, p2, tb2, r2, c2) = next((x for x in second if x[1] in shared), second[0])
            checks.append(Check(
                "across_documents", "pass" if shared else "fail",
                f"{values['category_code']} {values['period_year']} {values['phase']} ({values['fund_scope']}) of "
                f"{values['department']}: {a1} yuan in “{t1}” vs {a2} yuan in “{t2}”",
                expected=a1, actual=a2, tolerance=Decimal(0), doc_id=d2,
                sides=[Side("table", page=p1, table=tb1, row=r1, col=c1, doc_id=d1),
                       Side("table", page=p2, table=tb2, row=r2, col=c2, doc_id=d2)]))
    return checks
