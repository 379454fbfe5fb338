"""`text_total`: a total stated in the prose equals the total row of the statement it summarizes.

"上海市普陀区财政局2024年度收入支出总计2995.39万元" is the 总计 of the 收入支出决算总表;
"财政拨款收入支出总计…" the 总计 of the 财政拨款收入支出决算总表 (the scope the sentence names, never
the all-funds table); "城职基本医疗保险基金总收入199910万元" the 收入合计 of the 职工 fund's table.
A "0万元" total where the table prints 2,961.68 is a fail like any other. Same year and phase
only; tolerance: half a unit of the last printed digit on each side.
"""

from __future__ import annotations

import re
from decimal import Decimal

from fiscaldocs.audit.model import Check, Side, half_unit
from fiscaldocs.audit.scope import scope_of
from fiscaldocs.normalize.categories import clean_label
from fiscaldocs.normalize.units import BY_PRINTED

from fiscaldocs.model import Document, Fact

# Which statement a sentence's total is read from: words of the sentence → words of the table
# title, first match wins; the last line is the default (the 收支总表 of the scope it names).
STATEMENTS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (re.compile(r"城乡居民"), re.compile(r"城乡居民.*基金")),
    (re.compile(r"城职|职工"), re.compile(r"职工.*基金")),
    (re.compile(r""), re.compile(r"收入支出(?:决算|预算)?总表|收支(?:决算|预算)?总表")),
]
# The total a sentence names (the words right before the amount) → the table rows that print it.
TOTALS: list[tuple[re.Pattern[str], re.Pattern[str]]] = [
    (re.compile(r"(?:收入支出|收支)总计$"), re.compile(r"^总计$")),
    (re.compile(r"本年收入合计$"), re.compile(r"^本年收入合计$")),
    (re.compile(r"本年支出合计$"), re.compile(r"^本年支出合计$")),
    (re.compile(r"(?:收入总计|总收入|收入合计)$"), re.compile(r"^(?:总计|收入总计|收入合计)$")),
    (re.compile(r"(?:支出总计|总支出|支出合计)$"), re.compile(r"^(?:总计|支出总计|支出合计)$")),
]
_FILLER = re.compile(r"(?:为|是|共计|达到?|约|：|:|\s)+$")


def text_totals(doc: Document, facts: list[Fact]) -> list[Check]:
    table_facts = [f for f in facts if f.source_kind == "table"]
    checks = []
    for f in facts:
        if f.source_kind != "text" or f.claim_idx is None:
            continue
        claim = doc.claims[f.claim_idx]
        if claim.unit_normalized != "CNY" or claim.change:
            continue
        head = doc.blocks[claim.block].text[: claim.start]
        lead = _FILLER.sub("", re.split(r"[，,。；;]", head)[-1])
        rows = next((rx for words, rx in TOTALS if words.search(lead)), None)
        if rows is None:
            continue
        sentence = head[max(head.rfind(ch) for ch in "。；;") + 1:]
        title_rx = next(title for words, title in STATEMENTS if words.search(sentence))
        scope = scope_of(lead)
        tables = {t.index for t in doc.tables if t.title and title_rx.search(t.title)
                  and (scope_of(t.title) == scope or title_rx is not STATEMENTS[-1][1])}
        rivals = [r for r in table_facts if r.table_id in tables and rows.search(clean_label(r.line_item))
                  and r.period_year == f.period_year and r.phase == f.phase]
        if not rivals:
            continue
        tol = half_unit(claim.value) * BY_PRINTED[claim.unit].factor
        close = [r for r in rivals if abs(r.amount - f.amount) <= tol + _cell_tolerance(doc, r)]
        best = close[0] if close else rivals[0]
        checks.append(Check(
            "text_total", "pass" if close else "fail",
            f"{lead}{claim.text} in the text vs {best.amount} yuan, {clean_label(best.line_item)} of table "
            f"{best.table_id} “{doc.tables[best.table_id].title}”",
            expected=best.amount, actual=f.amount, tolerance=tol, doc_id=doc.meta.sha256,
            sides=[Side("text", page=claim.page, block=claim.block, text=claim.text),
                   Side("table", page=best.page, table=best.table_id, row=best.row_idx, col=best.col_idx)]))
    return checks


def _cell_tolerance(doc: Document, fact: Fact) -> Decimal:
    table = doc.tables[fact.table_id]
    unit = BY_PRINTED.get(table.unit or "")
    return half_unit(table.rows()[fact.row_idx][fact.col_idx]) * (unit.factor if unit else Decimal(1))
