"""statement_agreement: an amount printed by several statements of one document is one amount.

A 部门决算 prints the same 类 total in 收入支出决算总表, 支出决算表, 财政拨款收入支出决算总表 and
一般公共预算财政拨款支出决算表. The canonical layer (warehouse view `v_canonical_facts`) keeps one of
them per (category, direction, phase, period, fund scope, fund, breakdown); this rule checks that
the others agree with it, within the rounding of both printed numbers — never adds them up.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from fiscaldocs.audit.model import Check, Side, compare, half_unit
from fiscaldocs.normalize.facts import row_role_rank
from fiscaldocs.normalize.statements import by_id
from fiscaldocs.normalize.table_values import table_values
from fiscaldocs.normalize.units import lookup

from fiscaldocs.model import Document, Fact

RULE = "statement_agreement"


def meaning(f: Fact) -> tuple:
    """What an amount means, whichever statement prints it (the canonical layer's key)."""
    return (f.category_code, f.direction, f.phase, f.period_year, f.fund_scope, f.fund, f.breakdown)


def canonical_order(f: Fact) -> tuple:
    """Which printing of an amount is canonical: the statement of lowest priority number, then a total row
    before a subtotal, a line and a 其中 part, then the first printed."""
    return (by_id(f.statement).priority, row_role_rank(f.row_role), f.table_id, f.row_idx, f.col_idx)


def statement_agreement(doc: Document, facts: list[Fact]) -> list[Check]:
    groups: dict[tuple, dict[str, Fact]] = defaultdict(dict)
    for f in sorted((f for f in facts if f.source_kind == "table" and f.category_code), key=canonical_order):
        groups[meaning(f)].setdefault(f.statement, f)  # each statement's own first printing
    tolerances = _Tolerances(doc)
    checks = []
    for key, by_statement in groups.items():
        if len(by_statement) < 2:
            continue
        canonical, *others = by_statement.values()
        for other in others:
            tol = tolerances.of(canonical) + tolerances.of(other)
            check = compare(
                RULE, canonical.amount, other.amount, tol, [_side(canonical), _side(other)],
                f"{canonical.category_code} {canonical.category_name or ''} ({key[2]} {key[3]}, {key[4]}, {key[6]}) "
                f"in {by_id(canonical.statement).name} (table {canonical.table_id}) vs "
                f"{by_id(other.statement).name} (table {other.table_id})", " yuan")
            check.doc_id = doc.meta.sha256
            checks.append(check)
    return checks


class _Tolerances:
    """Half a unit of the last printed digit of a cell, in yuan (its unit: cell, row, column or table's)."""

    def __init__(self, doc: Document):
        self.doc = doc
        self.values: dict[int, dict] = {}

    def of(self, f: Fact) -> Decimal:
        if f.table_id not in self.values:
            self.values[f.table_id] = {(v.row, v.col): v for v in table_values(self.doc.tables[f.table_id])}
        v = self.values[f.table_id].get((f.row_idx, f.col_idx))
        spec = lookup(v.unit) if v and v.unit else None
        return half_unit(v.value) * spec.factor if spec else Decimal(0)


def _side(f: Fact) -> Side:
    return Side("table", page=f.page, table=f.table_id, row=f.row_idx, col=f.col_idx)
