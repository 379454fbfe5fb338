"""Which statement and fund scope a table or a sentence is about, and what makes two amounts the
same quantity. Vocabularies are data: first match wins.

A 部门收支总表 counts all funds; a 财政拨款收支总表 the fiscal appropriation; an 一般公共预算…表
the general public budget only. A sentence that names a scope ("一般公共预算财政拨款支出…") is
checked against the tables of that scope, never against the all-funds statement.

Facts carry their own `fund_scope` and `statement` (normalize/statements.py); `fact_scope` prefers
the fact's own field and reads a table's title only for a fact without one.
"""

from __future__ import annotations

import re

# Title or sentence words → fund scope ('all' when none is named).
SCOPE_WORDS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"社会保险基金|医疗保险基金|医保基金|医疗（含生育）保险基金"), "social_insurance_fund"),
    (re.compile(r"政府性基金"), "government_fund"),
    (re.compile(r"国有资本经营"), "state_capital"),
    (re.compile(r"一般公共预算"), "general_public_budget"),
    (re.compile(r"财政拨款"), "fiscal_appropriation"),
]

# What makes an amount in one report the same quantity as one in another: the same department
# (of the same region: "区医疗保障局" is one per district), period, category, phase, direction, fund
# scope, fund (employee / resident) and breakdown (total / basic / project …) — the canonical
# layer's meaning; the statement that prints it is not part of it. Extend here and nowhere else:
# `across_documents` groups by exactly these.
COMPARABLE_KEY = ("region_code", "department", "period_year", "category_code", "phase", "direction", "fund_scope",
                  "fund", "breakdown")


def scope_of(text: str | None) -> str:
    """The fund scope a title or a clause names; 'all' when it names none."""
    return next((scope for rx, scope in SCOPE_WORDS if rx.search(text or "")), "all")


def fact_scope(fact, table_title: str | None) -> str:
    """A fact's scope: its own `fund_scope` when normalization set one, else its table's title."""
    return getattr(fact, "fund_scope", None) or scope_of(table_title)
