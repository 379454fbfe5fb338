"""Which statement (报表) a table is, which fund a column covers and what part of an amount it holds.

The vocabulary is data (`normalize/data/statements.toml`): a table is the first statement whose
title pattern matches its caption, else the first whose content patterns all match its first rows,
else `other`. Knows nothing of DuckDB.
"""

from __future__ import annotations

import functools
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from fiscaldocs.model import Table

VOCABULARY = Path(__file__).parent / "data" / "statements.toml"
FUND_SCOPES = ("all", "fiscal_appropriation", "general_public_budget", "government_fund", "state_capital",
               "social_insurance_fund")
_HEAD_ROWS = 6  # content patterns look at the table's first rows (its header and first lines)


@dataclass(frozen=True, slots=True)
class Statement:
    id: str
    name: str
    fund_scope: str
    priority: int
    title: tuple[re.Pattern[str], ...]
    content: tuple[re.Pattern[str], ...]


OTHER = Statement("other", "其他表", "all", 90, (), ())
TEXT = Statement("text", "正文", "all", 99, (), ())  # a number stated in the prose


@dataclass(frozen=True, slots=True)
class Vocabulary:
    statements: tuple[Statement, ...]
    column_scope: tuple[tuple[re.Pattern[str], str], ...]
    breakdown: tuple[tuple[re.Pattern[str], str], ...]
    fund: tuple[tuple[re.Pattern[str], str], ...]
    column_category: tuple[tuple[re.Pattern[str], str], ...]
    transposed: frozenset[str]
    prose_category: tuple[tuple[re.Pattern[str], str], ...]
    prose_generic_clause: re.Pattern[str]
    prose_blocking: re.Pattern[str]


def squash(text: str) -> str:
    """Matching form: no whitespace, half-width brackets and quotes."""
    return re.sub(r"\s+", "", text or "").translate(str.maketrans("（）“”‘’：", "()\"\"'':"))


@functools.cache
def vocabulary(path: Path = VOCABULARY) -> Vocabulary:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        statements = tuple(
            Statement(s["id"], s["name"], s["fund_scope"], int(s["priority"]),
                      tuple(re.compile(p) for p in s.get("title", [])), tuple(re.compile(p) for p in s.get("content", [])))
            for s in data["statement"])
        pairs = {k: tuple((re.compile(e["pattern"]), e[v]) for e in data.get(k, []))
                 for k, v in (("column_scope", "fund_scope"), ("breakdown", "breakdown"), ("fund", "fund"),
                              ("column_category", "category"), ("prose_category", "category"))}
        transposed = frozenset(data.get("transposed", []))
        generic, blocking = re.compile(data["prose_generic_clause"]), re.compile(data["prose_blocking"])
    except (KeyError, ValueError, re.error, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"{path}: not a statement vocabulary ({exc})") from exc
    for s in statements:
        if s.fund_scope not in FUND_SCOPES:
            raise ValueError(f"{path}: statement {s.id}: unknown fund_scope {s.fund_scope!r}")
    return Vocabulary(statements, pairs["column_scope"], pairs["breakdown"], pairs["fund"], pairs["column_category"],
                      transposed, pairs["prose_category"], generic, blocking)


def classify(table: Table) -> Statement:
    """The statement a table is, from its caption, else from the text of its first rows."""
    statements = vocabulary().statements
    title = squash(table.title or "")
    if title:
        found = next((s for s in statements if any(p.search(title) for p in s.title)), None)
        if found:
            return found
    head = squash(" ".join(text for row in table.rows()[:_HEAD_ROWS] for text in row))
    return next((s for s in statements if s.content and all(p.search(head) for p in s.content)), OTHER)


def by_id(statement_id: str) -> Statement:
    return next((s for s in vocabulary().statements if s.id == statement_id),
                TEXT if statement_id == "text" else OTHER)


def column_scope(header: str, default: str) -> str:
    """The fund a column covers when its header names one, else the statement's."""
    text = squash(header)
    return next((scope for rx, scope in vocabulary().column_scope if rx.search(text)), default)


# Words of a header that say the period or phase, not the part of the amount.
_PERIOD_PHASE = re.compile(r"(?:20\d{2}年度?|上年|本年|年初|全年|调整后?|变动后|预算数|决算数|执行数|预算|决算|执行|数)")


def breakdown(header: str) -> str:
    """What part of an amount a column holds (total | basic | project | personnel | public | …),
    from the last part of its header path that is not only period and phase words."""
    parts = [squash(p) for p in (header or "").split("|")]
    leaf = next((p for p in reversed(parts) if _PERIOD_PHASE.sub("", p)), "")
    leaf = re.sub(r"[(（][^)）]*[)）]", "", leaf)  # "(万元)" and such
    stripped = _PERIOD_PHASE.sub("", leaf)
    for rx, name in vocabulary().breakdown:
        if rx.search(stripped) or rx.search(leaf):
            return name
    return f"col:{stripped}"


def fund(title: str) -> str | None:
    """employee | resident for a social-insurance fund table, from its title."""
    text = squash(title)
    return next((name for rx, name in vocabulary().fund if rx.search(text)), None)


def column_category(statement: Statement, header: str) -> str | None:
    """The category a column names in a table printed across (三公经费 | 因公出国(境)费 | …), for the
    statements that print so; None elsewhere."""
    v = vocabulary()
    if statement.id not in v.transposed or not header:
        return None
    path = "|".join(squash(p) for p in header.split("|"))
    return next((code for rx, code in v.column_category if rx.search(path)), None)


def prose_category(head: str) -> str | None:
    """The 三公 part or 机关运行经费 an amount in prose is, from its sentence up to the amount
    (`head`): the nearest name in its own clause, else — when its own clause only says the phase —
    in the clauses before it; None when a blocking word stands between the name and the amount."""
    v = vocabulary()
    clauses = re.split(r"[，,；;。]", squash(head))
    own = re.split(r"[:]", clauses[-1])
    for clause in reversed([*clauses[:-1], *own]):
        found = _last_name(clause, v)
        if found:
            end, code = found
            return None if v.prose_blocking.search(clause[end:]) else code
        if not v.prose_generic_clause.match(_AMOUNT.sub("", clause)):
            return None  # a clause about something else stands between
    return None


_AMOUNT = re.compile(r"[-+]?\d[\d,]*(?:\.\d+)?(?:万元|元|亿元|%)?")


def _last_name(clause: str, v: Vocabulary) -> tuple[int, str] | None:
    """(end of the rightmost name in the clause, its category); at one place the first pattern wins."""
    best: tuple[int, int, str] | None = None
    for order, (rx, code) in enumerate(v.prose_category):
        for m in rx.finditer(clause):
            key = (m.start(), -order)
            if best is None or key > (best[0], -best[1]):
                best = (m.start(), order, code)
                best_end = m.end()
    return (best_end, best[2]) if best else None
