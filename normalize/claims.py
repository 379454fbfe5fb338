"""Numeric claims in prose: "基本支出1377.2万元，占79.92%" → two claims with subject, value,
unit, normalized value and unit, qualifier, year and direction of change.

Regex, no ML. A claim is a number with a unit (or a percent). What only looks numeric — dates,
document numbers, phone numbers, list and section numbers, codes — has no unit after it and so
never matches; ordinals ("第3名") are excluded explicitly.
"""

from __future__ import annotations

import re

from fiscaldocs.normalize.numbers import asciify, parse_number, plain
from fiscaldocs.normalize.units import BARE_MAGNITUDES, BY_PRINTED, bare_magnitude_unit, lookup

from fiscaldocs.model import Claim

_CJK = "\u4e00-\u9fff"

# Unit alternation, longest first; some units need a guard against the word they start
# ("3分钟" is a duration, "5项目" a noun, "次年" a year).
_GUARDS = {
    "分": r"(?!钟|之|析|别|类|配|布|管|行|期|解|局|社|所|项|值|数)",
    "项": r"(?!目)",
    "家": r"(?!庭|属)",
    "所": r"(?!有|属|得|在|以)",
    "台": r"(?!账|湾|阶)",
    "次": r"(?!年|月|日|均|要)",
    "人": r"(?!民|均|口)",
    "起": r"(?!草|到|来|止|诉)",
    "期": r"(?!间|末|初|限|内)",
    "场": r"(?!所|景|地)",
    "条": r"(?!例|件|款)",
    "元": r"(?!素|旦)",
    "万": rf"(?![{_CJK}A-Za-z])",  # bare 万 only at a clause end: "1723.2万，"
    "亿": rf"(?![{_CJK}A-Za-z])",
    "天": r"(?!然|津)",
    "张": r"(?!贴)",
    "批": r"(?!复|准)",
}
_UNIT_ALT = "|".join(re.escape(u) + _GUARDS.get(u, "") for u in sorted(BY_PRINTED, key=len, reverse=True))
_NUMBER = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
_CN_NUMBER = "[零〇一二两三四五六七八九十百千万亿]{2,}?"
_CN_UNITS = "亿元|万元|千元|元|万人次|人次|万人|人"

CLAIM = re.compile(
    rf"(?<![\dA-Za-z.%第])(?P<sign>-)?(?P<num>{_NUMBER})"
    rf"[ \u00a0]?(?:(?P<yu1>余)?(?P<unit>{_UNIT_ALT})|(?P<wan>万)余(?P<rest>元|人次|人|户|次))"
    rf"|(?<![第\d])(?P<cn>{_CN_NUMBER})(?P<cnunit>{_CN_UNITS})"
)
_YEAR = re.compile(r"((?:19|20)\d{2})\s*年")
# A year after 较/比/与 is the baseline of a comparison ("较2020年减少…"), not the claim's year;
# two years joined by 到/至 make a period ("2022年1月到2023年10月"), which no single year names.
_BASELINE = re.compile(r"(?:较|比|与|同|对比)\s*$")
_PERIOD = re.compile(r"(?:19|20)\d{2}\s*年[^，。；]{0,8}?(?:到|至|—|-|~)\s*(?:19|20)\d{2}\s*年")
_SENTENCE_END = "。！？；;!?\n"
_CLAUSE_DELIMS = "，,。；;：:、（()）！？!?\n"

_PREFIX_QUALIFIERS = [("超过", "超过"), ("达到", "达到"), ("不足", "不足"), ("不到", "不足"), ("接近", "近"),
                      ("约", "约"), ("近", "近"), ("超", "超"), ("逾", "超过"), ("达", "达到"), ("≥", "≥"),
                      ("≤", "≤"), (">", ">"), ("<", "<"), ("＞", ">"), ("＜", "<"), ("高于", ">"), ("低于", "<")]
_SUFFIX_QUALIFIERS = [("以上", "以上"), ("以下", "以下"), ("以内", "以下"), ("左右", "左右"), ("多", "以上")]
_INCREASE = re.compile(r"(?:增加|增长|提高|上升|新增|增幅|涨幅|增|多|上涨|提升)(?:了)?(?:分别)?$")
_DECREASE = re.compile(r"(?:减少|下降|降低|压减|压缩|缩减|降幅|减负|节约|节省|减|少|下调)(?:了)?(?:分别)?$")
_COORDINATION = re.compile(r"^\s*(?:和|与|及|、|,|，|或)\s*$")
_SUBJECT_TRIM_HEAD = re.compile(
    r"^(?:(?:19|20)\d{2}\s*年(?:度|末|初|底)?|截至|截止|其中|全年|本年度?|当年|全市|全区|全县|全省|我局|我单位|本单位|共有|共|合计|总计)+"
)
_SUBJECT_TRIM_TAIL = re.compile(
    r"(?:为|是|共|共计|合计|总计|累计|计|约|达到|达|有|占比|的|分别|比上年度?|较上年|同比|比|较|"
    r"增加了?|增长了?|提高了?|下降了?|减少了?|降低了?|增至|降至|提高到|下降到|超过|超|近|不足|约为|共有)+$"
)


def find_claims(text: str, block: int = 0, page: int | None = None, fiscal_year: int | None = None) -> list[Claim]:
    ascii_text = asciify(text)
    claims: list[Claim] = []
    prev_end = -1
    for m in CLAIM.finditer(ascii_text):
        claim = _claim(text, ascii_text, m, block, page, fiscal_year)
        if claim is None:
            continue
        if claims and prev_end >= 0 and _COORDINATION.match(text[prev_end:claim.start]):
            claim.change = claim.change or claims[-1].change  # "提高3.8%和5.9%": both increases
        claims.append(claim)
        prev_end = claim.end
    return claims


def _claim(text: str, ascii_text: str, m: re.Match, block: int, page: int | None,
           fiscal_year: int | None) -> Claim | None:
    if m.group("cn"):
        printed_value, unit_printed = m.group("cn"), m.group("cnunit")
        qualifier_inside = False
    elif m.group("wan"):
        printed_value, unit_printed = m.group("num"), "万" + m.group("rest")
        qualifier_inside = True
    else:
        printed_value, unit_printed = m.group("num"), m.group("unit")
        qualifier_inside = bool(m.group("yu1"))
    unit = lookup(unit_printed)
    if unit is None or _is_code_notation(text, m.start(), m.end(), unit_printed):
        return None
    try:
        number = parse_number(printed_value)
    except ValueError:
        return None
    sign = m.group("sign") if not m.group("cn") else None
    if sign:
        number = -number
    start, end = m.start(), m.end()
    before = text[:start]
    qualifier = _prefix_qualifier(before)
    if qualifier_inside:
        qualifier = "以上"
    else:
        after = text[end:end + 2]
        qualifier = next((q for word, q in _SUFFIX_QUALIFIERS if after.startswith(word)), qualifier)
    s0, s1 = _sentence_bounds(text, start, end)
    subject = _subject(text, s0, start)
    if unit_printed in BARE_MAGNITUDES:  # "参保人数达85.92万，": people, not yuan
        unit = bare_magnitude_unit(unit_printed, subject)
    stem = _strip_qualifier(text[s0:start].rstrip())
    change = "increase" if _INCREASE.search(stem) else "decrease" if _DECREASE.search(stem) else None
    value_text = (sign or "") + asciify(printed_value).replace(",", "") if not m.group("cn") else printed_value
    return Claim(
        block=block, page=page, start=start, end=end, text=text[start:end], sentence=text[s0:s1].strip(),
        subject=subject, value=value_text, unit=unit_printed,
        value_normalized=plain(number * unit.factor), unit_normalized=unit.normalized,
        qualifier=qualifier, year=_year(ascii_text[s0:start], fiscal_year), change=change,
    )


def _is_code_notation(text: str, start: int, end: int, unit: str) -> bool:
    """"公共安全支出（204类）司法（06款）行政运行（01项）": a classification code, not 1 item."""
    return unit == "项" and text[start - 1:start] in ("（", "(") and text[end:end + 1] in ("）", ")")


def _prefix_qualifier(before: str) -> str | None:
    tail = before[-3:]
    return next((q for word, q in _PREFIX_QUALIFIERS if tail.endswith(word)), None)


def _strip_qualifier(stem: str) -> str:
    for word, _ in _PREFIX_QUALIFIERS:
        if stem.endswith(word):
            return stem[: -len(word)]
    return stem


def _sentence_bounds(text: str, start: int, end: int) -> tuple[int, int]:
    s0 = max(text.rfind(ch, 0, start) for ch in _SENTENCE_END) + 1
    ends = [i for i in (text.find(ch, end) for ch in _SENTENCE_END) if i >= 0]
    return s0, (min(ends) + 1 if ends else len(text))


def _year(before: str, fiscal_year: int | None) -> int | None:
    """The year a claim refers to: the last year named before it in its sentence, unless that is a
    comparison's baseline; none for a period; else the report's fiscal year."""
    if _PERIOD.search(before):
        return None
    for m in reversed(list(_YEAR.finditer(before))):
        if not _BASELINE.search(before[: m.start()]):
            return int(m.group(1))
    return fiscal_year


def _subject(text: str, s0: int, start: int) -> str | None:
    """The noun phrase the number measures: the clause before it, trimmed of dates, verbs and
    fillers; when that leaves nothing ("其中：1377.2万元"), the clause before that."""
    pos = start
    while pos > s0:
        c0 = max(text.rfind(ch, s0, pos) for ch in _CLAUSE_DELIMS) + 1
        c0 = max(c0, s0)
        clause = _strip_qualifier(text[c0:pos]).strip()
        clause = _SUBJECT_TRIM_TAIL.sub("", _SUBJECT_TRIM_HEAD.sub("", clause)).strip()
        clause = re.sub(r"[\d.,%]+(?:万元|元|万人|人|个|家)?$", "", clause).strip()
        if len(clause) >= 2 and not re.fullmatch(r"[\d.,%\s-]+", clause):
            return clause[-30:]
        pos = c0 - 1
    return None
