"""Rules on the prose: stated ratios recomputed from stated parts, comparative words against
numbers, unit sanity, dates and years, template placeholders."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from fiscaldocs.audit.model import Check, Side, compare, half_unit
from fiscaldocs.audit.rates import definitions, role
from fiscaldocs.normalize.claims import Claim, _sentence_bounds

from fiscaldocs.model import BlockKind, Document, ReportKind

_SHARE = re.compile(r"占(?P<base>[^，,。；;：:]*?)(?:的)?(?:比(?:重|例|率)?)?(?:为|是)?\s*$")
# A base that names no particular line ("占6.38%", "占总支出的"): the total being broken down.
_GENERIC_BASE = re.compile(r"(?:本年|全年)?总?(?:支出|收入|经费|资金)?(?:总额|合计|总计|总数)?")
_RATE = re.compile(r"(?P<kind>执行率|完成率|控制率|调整率|到位率|支付率|完成(?:年初|全年)?预算的)(?:为|是|达到?)?\s*$")
_GROWTH = re.compile(r"(?:增长|下降|增幅|降幅|上升|减少)(?:了)?\s*$")
_BUDGET_WORDS = re.compile(r"预算|批复|安排|计划|年初|收入|到位|下达")
_ACTUAL_WORDS = re.compile(r"决算|支出|执行|实际|完成|使用")
_COMPARATIVE = re.compile(r"(?P<a>决算数?|支出数?|执行数?)(?P<op>大于|小于|等于|超过|低于|持平)(?:年初)?(?P<b>预算数?)")
_PER_UNIT = re.compile(r"每|人均|次均|户均|标准|/|／|均")
_PLACEHOLDER = re.compile(r"(?:XX|ＸＸ|xx|××|XXX|＊＊|\*\*|某某)(?:局|单位|部门|年|月|日|市|县|区|项目|同志)?")


def audit_text(doc: Document) -> list[Check]:
    checks: list[Check] = []
    by_block: dict[int, list[Claim]] = {}
    for claim in doc.claims:
        by_block.setdefault(claim.block, []).append(claim)
    for block_idx, claims in by_block.items():
        text = doc.blocks[block_idx].text
        for i, claim in enumerate(claims):
            if claim.unit_normalized != "percent":
                continue
            stem = _clause_before(text, claim)
            if _SHARE.search(stem) and not claim.change:
                checks.append(_share(claim, claims[:i], text, doc))
            elif _RATE.search(stem):
                checks.append(_rate(claim, claims[:i], stem, text))
            elif claim.change and _GROWTH.search(stem):
                checks.append(_growth(claim, claims[:i]))
        checks += _comparatives(doc, block_idx, claims, by_block.get(block_idx - 1, []))
        checks += _stated_parts(text, claims)
    checks += _unit_sanity(doc)
    checks += _years(doc)
    for c in checks:
        c.doc_id = doc.meta.sha256
    return [c for c in checks if c is not None]


def _clause_before(text: str, claim: Claim) -> str:
    head = text[: claim.start]
    cut = max(head.rfind(ch) for ch in "，,。；;")
    return head[cut + 1:]


def _side(c: Claim) -> Side:
    return Side("text", page=c.page, block=c.block, text=c.text)


def _same_sentence(claims: list[Claim], sentence: str) -> list[Claim]:
    return [c for c in claims if c.sentence == sentence]


def _ratio_check(rule: str, claim: Claim, num: Claim, den: Claim, what: str) -> Check:
    a, b = Decimal(num.value_normalized), Decimal(den.value_normalized)
    if b == 0:
        return Check(rule, "skipped", f"{what}: the base is zero", sides=[_side(claim), _side(num), _side(den)])
    ratio = a / b * 100
    ha = half_unit(num.value) * Decimal(num.value_normalized) / Decimal(num.value) if Decimal(num.value) else Decimal(0)
    hb = half_unit(den.value) * b / Decimal(den.value) if Decimal(den.value) else Decimal(0)
    propagated = 100 * (ha / b + a * hb / (b * b))
    tolerance = half_unit(claim.value) + propagated
    # 99.86% printed for 99.868%: reports truncate as well as round
    return compare(rule, ratio, Decimal(claim.value_normalized), tolerance, [_side(claim), _side(num), _side(den)],
                   what, "%", truncated=2 * half_unit(claim.value) + propagated)


def _money(claims: list[Claim]) -> list[Claim]:
    return [c for c in claims if c.unit_normalized in ("CNY", "person", "person_time", "count") and not c.change]


def _share(claim: Claim, before: list[Claim], text: str, doc: Document) -> Check:
    """占…的 X%: the part is the amount just before; the base is the amount the sentence names
    after 占 (found in the document), else the total an enumeration breaks down ("…400.55万元，
    其中…"), else the largest amount stated before the part in its sentence."""
    base = _SHARE.search(_clause_before(text, claim)).group("base").strip()
    candidates = _money(before)
    if not candidates:
        return Check("stated_ratio", "skipped", f"share {claim.text}: no amount before it to be the part",
                     sides=[_side(claim)])
    part = candidates[-1]
    unit = part.unit_normalized
    named = [c for c in _money(doc.claims) if base and c.unit_normalized == unit and c is not part
             and c.block <= claim.block and _names(doc.blocks[c.block].text, c, base)]
    whole = _nearest(named, claim)
    if whole is None and _GENERIC_BASE.fullmatch(base):
        whole = _enumeration_total(part, candidates[:-1], text)
    if whole is None:
        return Check("stated_ratio", "skipped", f"share {claim.text} of {base or 'a total'}: the base is not stated nearby",
                     sides=[_side(claim), _side(part)])
    return _ratio_check("stated_ratio", claim, part, whole,
                        f"share of {part.subject or part.text} in {base or whole.subject or whole.text}")


def _names(text: str, c: Claim, base: str) -> bool:
    """The amount is of `base`: the words right before the number name it ("总支出1242.67万元",
    "本年支出合计为7919.57万元")."""
    lead = re.sub(r"(?:为|是|共计|达到?|约|：|:|\s)+$", "", _clause_before(text, c))
    return lead.endswith(base)


def _nearest(claims: list[Claim], anchor: Claim) -> Claim | None:
    same = [c for c in claims if c.block == anchor.block and c.start < anchor.start]
    if same:
        return same[-1]
    earlier = [c for c in claims if c.block < anchor.block]
    return earlier[-1] if earlier else None


def _enumeration_total(part: Claim, before: list[Claim], text: str) -> Claim | None:
    """The amount followed by 其中 that opens the breakdown the part belongs to."""
    for c in reversed(before):
        if c.unit_normalized == part.unit_normalized and re.match(r"\s*[，,。：:]?\s*其中", text[c.end:c.end + 4]) \
                and Decimal(c.value_normalized) >= Decimal(part.value_normalized):
            return c
    same = [c for c in before if c.sentence == part.sentence and c.unit_normalized == part.unit_normalized
            and Decimal(c.value_normalized) >= Decimal(part.value_normalized)]
    return same[0] if same else None


def _rate(claim: Claim, before: list[Claim], stem: str, text: str) -> Check:
    """A named rate against each standard definition of its name (`audit/rates.py`): passes when
    one of them gives the printed figure, rounded or truncated; amounts from the sentence."""
    amounts = [c for c in _same_sentence(_money(before), claim.sentence)
               if c.unit_normalized == "CNY" and not (c.subject and "结余" in c.subject)]
    defs = definitions(stem)
    if len(amounts) < 2 or not defs:
        return Check("stated_ratio", "skipped", f"rate {claim.text}: the budget and the actual are not both stated",
                     sides=[_side(claim)])
    by_role: dict[str, list[Claim]] = {}
    for c in amounts:
        if (r := role(_clause_before(text, c))) is not None:  # the words before it, 全年 included
            by_role.setdefault(r, []).append(c)
    tried = []
    for d in defs:
        nums, dens = by_role.get(d.numerator), by_role.get(d.denominator)
        if nums and dens and nums[-1] is not dens[0] and not (d.fallback and tried):
            tried.append((d.name, nums[-1], dens[0] if d.denominator == "initial" else dens[-1]))
    if not tried:  # no amount named by its role: the first stated is the budget, the last the actual
        tried = [("actual/budget", amounts[-1], amounts[0])]
    checks = [_ratio_check("stated_ratio", claim, num, den, f"rate {claim.subject or ''} as {name}".strip())
              for name, num, den in tried]
    passed = next((c for c in checks if c.status == "pass"), None)
    if passed:
        return passed
    failed = [c for c in checks if c.status == "fail"]
    if not failed:
        return checks[0]
    closest = min(failed, key=lambda c: abs(c.expected - c.actual))
    closest.message += f" — no standard definition of the rate gives it (tried {', '.join(n for n, _, _ in tried)})"
    return closest


def _growth(claim: Claim, before: list[Claim]) -> Check:
    """下降 X% after 减少 A from a level C: X = A ÷ (C ± A)."""
    same = _same_sentence(before, claim.sentence)
    change = next((c for c in reversed(same) if c.change == claim.change and c.unit_normalized == "CNY"), None)
    level = next((c for c in same if not c.change and c.unit_normalized == "CNY"), None)
    if change is None or level is None:
        return Check("stated_ratio", "skipped", f"change {claim.text}: the amount and its change are not both stated",
                     sides=[_side(claim)])
    sign = -1 if claim.change == "increase" else 1
    prior = Decimal(level.value_normalized) + sign * Decimal(change.value_normalized)
    fake = Claim(level.block, level.page, level.start, level.end, level.text, level.sentence, level.subject,
                 level.value, level.unit, str(prior), level.unit_normalized, None, level.year, None)
    return _ratio_check("stated_ratio", claim, change, fake, f"{'growth' if sign < 0 else 'decline'} against the prior year")


# A stated whole and the parts that make it up, named in the words right before each amount.
DECOMPOSITIONS: list[tuple[str, re.Pattern[str], list[re.Pattern[str]]]] = [
    ("全年预算 = 年初预算 + 调整", re.compile(r"全年预算数?$|调整后预算数?$"),
     [re.compile(r"年初预算数?$"), re.compile(r"调整[^，。；]{0,4}预算数?$|追加[^，。；]{0,4}预算数?$")]),
    ("基本支出 = 人员经费 + 公用经费", re.compile(r"基本支出$"),
     [re.compile(r"人员(?:经费|支出)$"), re.compile(r"(?:日常)?公用(?:经费|支出)$")]),
    ("支出 = 基本支出 + 项目支出", re.compile(r"(?:本年)?(?:总支出|支出合计|支出总计|财政拨款支出)$"),
     [re.compile(r"基本支出$"), re.compile(r"项目支出$")]),
]


def _stated_parts(text: str, claims: list[Claim]) -> list[Check]:
    """A whole stated with its parts in one paragraph ("全年预算数1723.2万元，其中：年初预算1069.87万元，
    年中调整追加预算653.33万元"): the parts add up to the whole."""
    money = [c for c in claims if c.unit_normalized == "CNY" and not c.change]
    leads = {id(c): re.sub(r"(?:为|是|共计|达到?|约|：|:|\s)+$", "", _clause_before(text, c)) for c in money}
    checks = []
    for what, whole_rx, part_rxs in DECOMPOSITIONS:
        for i, whole in enumerate(money):
            if not whole_rx.search(leads[id(whole)]):
                continue
            after = money[i + 1:i + 1 + len(part_rxs)]  # the parts follow the whole, and nothing else
            parts = [next((c for c in after if rx.search(leads[id(c)])), None) for rx in part_rxs]
            if None in parts or len({id(p) for p in parts}) < len(parts):
                continue
            following = money[i + 1 + len(part_rxs):i + 2 + len(part_rxs)]
            if following and "。" not in text[max(p.end for p in parts):following[0].start]:
                continue  # the enumeration goes on: these are not all the parts
            expected = sum((Decimal(p.value_normalized) for p in parts), Decimal(0))
            factor = Decimal(whole.value_normalized) / Decimal(whole.value) if Decimal(whole.value) else Decimal(1)
            tolerance = sum((half_unit(c.value) * Decimal(c.value_normalized) / Decimal(c.value)
                             for c in parts if Decimal(c.value)), Decimal(0)) + half_unit(whole.value) * factor
            checks.append(compare("stated_parts", expected, Decimal(whole.value_normalized), tolerance,
                                  [_side(whole)] + [_side(p) for p in parts], what, " yuan"))
    return checks


def _comparatives(doc: Document, block_idx: int, claims: list[Claim], previous: list[Claim]) -> list[Check]:
    """"决算数大于年初预算数": the budget and the actual stated just before (in the paragraph, or
    the paragraph before when this one opens with the comparison) must agree with the word."""
    text = doc.blocks[block_idx].text
    checks = []
    for m in _COMPARATIVE.finditer(text):
        before = [c for c in claims if c.end <= m.start() and c.unit_normalized == "CNY"]
        if not before:
            before = [c for c in previous if c.unit_normalized == "CNY"]
        budget = next((c for c in reversed(before) if c.subject and _BUDGET_WORDS.search(c.subject)), None)
        actual = next((c for c in reversed(before) if c.subject and _ACTUAL_WORDS.search(c.subject) and c is not budget),
                      None)
        if budget is None or actual is None:
            continue
        a, b = Decimal(actual.value_normalized), Decimal(budget.value_normalized)
        op = m.group("op")
        holds = {"大于": a > b, "超过": a > b, "小于": a < b, "低于": a < b, "等于": a == b, "持平": a == b}[op]
        checks.append(Check("comparative_word", "pass" if holds else "fail",
                            f"“{m.group(0)}”: 决算 {actual.text} vs 预算 {budget.text}" +
                            ("" if holds else f" — the numbers say the opposite of “{op}”"),
                            expected=b, actual=a, sides=[Side("text", page=doc.blocks[block_idx].page, block=block_idx,
                                                             text=m.group(0)), _side(actual), _side(budget)]))
    return checks


def _unit_sanity(doc: Document) -> list[Check]:
    """An amount in 元 among amounts in 万元 for budget lines, with no per-unit wording: likely
    a unit slip (268.07 元 where every other figure is in 万元)."""
    money = [c for c in doc.claims if c.unit_normalized == "CNY"]
    wan = [c for c in money if c.unit.startswith("万")]
    if len(money) < 5 or len(wan) < 0.8 * len(money):
        return []
    checks = []
    for c in money:
        if c.unit == "元" and not _PER_UNIT.search(c.sentence[: c.sentence.find(c.text)] if c.text in c.sentence else c.sentence):
            checks.append(Check("unit_sanity", "warn",
                                f"{c.text} ({c.subject or 'amount'}) is in 元 while {len(wan)} of {len(money)} amounts "
                                "in this report are in 万元: a unit slip?", actual=Decimal(c.value_normalized),
                                sides=[_side(c), Side("text", page=c.page, block=c.block, text=c.sentence)]))
    return checks


def _years(doc: Document) -> list[Check]:
    checks = []
    year = doc.meta.fiscal_year
    for i, block in enumerate(doc.blocks):
        m = _PLACEHOLDER.search(block.text)
        if m:
            s0, s1 = _sentence_bounds(block.text, m.start(), m.end())
            checks.append(Check("dates_and_years", "fail", f"template placeholder “{m.group(0)}” left in the report",
                                sides=[Side("text", page=block.page, block=i, text=block.text[s0:s1])]))
    if year is None:
        return checks
    after = ReportKind.FINAL_ACCOUNTS, ReportKind.PERFORMANCE_SELF_EVALUATION, ReportKind.PROJECT_SELF_EVALUATION, \
        ReportKind.FISCAL_EVALUATION
    if doc.meta.published_date and doc.meta.report_kind in after:
        published = date.fromisoformat(doc.meta.published_date)
        if published <= date(year, 12, 31):
            checks.append(Check("dates_and_years", "fail",
                                f"signed {published.isoformat()}, before the end of the fiscal year {year} it reports on",
                                sides=[Side("text", text=doc.meta.published_date)]))
    for i, block in enumerate(doc.blocks):  # headings: `stale_heading` (audit/dates.py), a fail
        if block.kind is BlockKind.TITLE:
            _stale(checks, block.text, year, Side("text", page=block.page, block=i, text=block.text[:80]))
    for table in doc.tables:
        if table.title:
            _stale(checks, table.title, year, Side("table", page=table.page, table=table.index, text=table.title))
    if doc.meta.report_kind in after:
        for c in doc.claims:
            if c.year and c.year > year:
                checks.append(Check("dates_and_years", "warn",
                                    f"{c.text} is dated {c.year} in a report on {year}: a stale or mistyped year?",
                                    sides=[_side(c), Side("text", page=c.page, block=c.block, text=c.sentence)]))
    return checks


def _stale(checks: list[Check], text: str, year: int, side: Side) -> None:
    """A heading or table title naming another year (2022年度… in a 2023 report): copied from
    last year's report?"""
    for m in re.finditer(r"(20\d{2})\s*年度", text):
        if int(m.group(1)) != year:
            checks.append(Check("dates_and_years", "warn",
                                f"“{text[:40]}” names {m.group(1)}年度 in a report on {year}: a stale year?",
                                sides=[side]))
