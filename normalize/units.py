"""Units as printed → a normalized unit and an exact factor. Data, not branches."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class Unit:
    printed: str
    normalized: str  # CNY | percent | percentage_point | person | person_time | count | score | …
    factor: Decimal


def _u(printed: str, normalized: str, factor: int | str = 1) -> Unit:
    return Unit(printed, normalized, Decimal(factor))


UNITS: list[Unit] = [
    _u("万亿元", "CNY", 10**12), _u("亿元", "CNY", 10**8), _u("千万元", "CNY", 10**7),
    _u("百万元", "CNY", 10**6), _u("万元", "CNY", 10**4), _u("千元", "CNY", 1000), _u("元", "CNY"),
    _u("万人次", "person_time", 10**4), _u("人次", "person_time"),
    _u("万人", "person", 10**4), _u("人", "person"), _u("名", "count"),
    _u("个百分点", "percentage_point"), _u("%", "percent"), _u("‰", "permille"),
    _u("个工作日", "day"), _u("工作日", "day"), _u("天", "day"), _u("个月", "month"),
    _u("万例", "count", 10**4), _u("例", "count"), _u("万户", "household", 10**4), _u("户", "household"),
    _u("万件", "count", 10**4), _u("件", "count"), _u("万次", "count", 10**4),
    _u("批次", "count"), _u("个", "count"), _u("家", "count"), _u("项", "count"), _u("种", "count"),
    _u("次", "count"), _u("所", "count"), _u("台", "count"), _u("辆", "count"), _u("份", "count"),
    _u("起", "count"), _u("轮", "count"), _u("张", "count"), _u("条", "count"), _u("篇", "count"),
    _u("场", "count"), _u("期", "count"), _u("批", "count"),
    _u("分", "score"), _u("岁", "age"), _u("倍", "times"),
    _u("平方米", "m2"), _u("m²", "m2"), _u("㎡", "m2"), _u("m2", "m2"),
    _u("万", "CNY", 10**4), _u("亿", "CNY", 10**8),  # bare magnitudes: see `bare_magnitude_unit`
]
BY_PRINTED = {u.printed: u for u in UNITS}

# Units a declared table unit (单位：万元) may carry.
TABLE_UNITS = {u.printed: u for u in UNITS if u.normalized in ("CNY", "person", "person_time", "percent")}


def lookup(printed: str) -> Unit | None:
    return BY_PRINTED.get(printed)


# A bare 万/亿 is a magnitude, not a unit: "参保人数达85.92万，" counts people, "全年预算1723.2万，"
# money. What is counted comes from the subject, first match wins (人次 before 人数); a subject
# naming nothing countable is money, as the reports drop 元 far more often than 人.
BARE_MAGNITUDES = ("万", "亿")
SUBJECT_UNITS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"人次|诊次|就诊|门诊量|住院量|结算量|服务量"), "person_time"),
    (re.compile(r"户数|家庭|农户|住户|户$"), "household"),
    (re.compile(r"人数|人口|人员|参保|职工|居民|群众|患者|学生|老人|老年人|儿童|对象|人群|人$"), "person"),
]


def bare_magnitude_unit(printed: str, subject: str | None) -> Unit:
    """The unit of a bare 万/亿 from what the subject counts: 85.92万 参保人数 → 859,200 person."""
    magnitude = BY_PRINTED[printed].factor
    normalized = next((u for rx, u in SUBJECT_UNITS if subject and rx.search(subject)), "CNY")
    return Unit(printed, normalized, magnitude)
