"""Named rates and their standard definitions: a stated rate passes when any definition the genre
uses for that name gives the printed figure, rounded or truncated.

Reports define the same name differently (益阳 2023: 预算控制率 = 全年预算 ÷ 年初预算 = 161.07%;
elsewhere 控制率 = 实际支出 ÷ 预算安排), and a reviewer accepts each standard one. Roles come from
the words right before each amount in the sentence; definitions are data, first name match wins.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# The role of an amount, from the words before it (first match wins).
ROLES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"调整后|全年[^，。；]{0,8}预算|变动后"), "final"),
    (re.compile(r"调整|追加|调增|调减"), "adjustment"),
    (re.compile(r"年初|预算安排|预算数?$|批复|安排数?$|计划"), "initial"),
    (re.compile(r"决算|执行|实际|完成|使用|到位|支付|支出(?:共计|合计|数)?$"), "actual"),
]


@dataclass(frozen=True, slots=True)
class Definition:
    name: str  # as a reviewer writes it
    numerator: str
    denominator: str
    fallback: bool = False  # used only when the sentence states no amount for the standard ones


def _d(text: str) -> Definition:
    num, den = text.rstrip("?").split("/")
    return Definition(text.rstrip("?"), num, den, fallback=text.endswith("?"))


# Rate name (the words before the percentage) → its standard definitions; "?" marks a fallback:
# 执行率 is 执行 ÷ 全年预算, and ÷ 年初预算 only where the report states no 全年预算 (or names
# 年初: 完成年初预算的 X%).
RATES: list[tuple[re.Pattern[str], list[Definition]]] = [
    (re.compile(r"预算控制率"), [_d("final/initial"), _d("actual/initial"), _d("actual/final")]),
    (re.compile(r"预算调整率|调整率"), [_d("adjustment/initial"), _d("adjustment/final?")]),
    (re.compile(r"完成年初预算的"), [_d("actual/initial")]),
    (re.compile(r"执行率|支付率|完成率|完成(?:全年)?预算的|到位率"), [_d("actual/final"), _d("actual/initial?")]),
    (re.compile(r"控制率"), [_d("actual/initial"), _d("actual/final?")]),
]


def definitions(stem: str) -> list[Definition]:
    return next((defs for rx, defs in RATES if rx.search(stem)), [])


def role(lead: str) -> str | None:
    """The role of an amount from the words right before it ("全年一般公共预算收入" → final)."""
    return next((r for rx, r in ROLES if rx.search(lead)), None)
