"""Numeric claims: each pattern family, what is not a claim, and the parser's properties."""

from __future__ import annotations

from decimal import Decimal

import pytest
from fiscaldocs.normalize.claims import find_claims
from fiscaldocs.normalize.numbers import parse_number, plain
from hypothesis import given
from hypothesis import strategies as st


def one(text: str, **kw):
    claims = find_claims(text, fiscal_year=kw.pop("fiscal_year", 2023))
    assert len(claims) == 1, [c.text for c in claims]
    return claims[0]


@pytest.mark.parametrize(("text", "printed", "value", "unit"), [
    ("基本支出 1377.2万元", "1377.2万元", "13772000", "CNY"),
    ("收入2,940.05万元", "2,940.05万元", "29400500", "CNY"),
    ("支出 1723.2 万元", "1723.2 万元", "17232000", "CNY"),  # spaces a PDF left in
    ("预算 96282213.44元", "96282213.44元", "96282213.44", "CNY"),
    ("减负2亿元以上", "2亿元", "200000000", "CNY"),
    ("补助300千元", "300千元", "300000", "CNY"),
    ("追加两千三百万元", "两千三百万元", "23000000", "CNY"),
    ("占基本支出的24.66%", "24.66%", "24.66", "percent"),
    ("增长1.5个百分点", "1.5个百分点", "1.5", "percentage_point"),
    ("参保人数42.32万人", "42.32万人", "423200", "person"),
    ("在职61人", "61人", "61", "person"),
    ("接待72人次", "72人次", "72", "person_time"),
    ("用药11.52万余人次", "11.52万余人次", "115200", "person_time"),
    ("内设科室5个", "5个", "5", "count"),
    ("开通92家医保服务站", "92家", "92", "count"),
    ("自评得分100分", "100分", "100", "score"),
    ("结余-1755万元", "-1755万元", "-17550000", "CNY"),
    ("结余－１７５５万元", "－１７５５万元", "-17550000", "CNY"),
    ("时效至2.23个工作日", "2.23个工作日", "2.23", "day"),
])
def test_pattern_families(text, printed, value, unit):
    c = one(text)
    assert (c.text, c.value_normalized, c.unit_normalized) == (printed, value, unit)


def test_sentence_with_several_claims_keeps_subjects_apart():
    claims = find_claims("2023年一般公共预算财政拨款支出1723.2万元，其中：基本支出1377.2万元，项目支出346万元。")
    assert [(c.subject, c.value_normalized) for c in claims] == [
        ("一般公共预算财政拨款支出", "17232000"), ("基本支出", "13772000"), ("项目支出", "3460000")]
    assert all(c.year == 2023 for c in claims)


@pytest.mark.parametrize(("text", "change"), [
    ("比上年增加0.51万人", "increase"),
    ("同比增长1.22%", "increase"),
    ("较2020年减少33704.37万元", "decrease"),
    ("下降 82.2%", "decrease"),
    ("平均降幅86%", "decrease"),
    ("报销比例提高到79.53%", None),  # a level reached, not a change
    ("增至7家", None),
])
def test_direction_of_change(text, change):
    assert one(text).change == change


def test_direction_carries_over_a_coordination():
    claims = find_claims("报销比例分别提高3.8%和5.9%，次均费用下降2900元和1300元。")
    assert [c.change for c in claims] == ["increase", "increase", "decrease", "decrease"]


@pytest.mark.parametrize(("text", "qualifier"), [
    ("可为群众减负2亿元以上", "以上"), ("累计超过480个", "超过"), ("降幅超50%", "超"), ("约4.7万人", "约"),
    ("开展了近600种药品", "近"), ("好评率达100%", "达到"), ("罚款209.27万余元", "以上"), ("≥95%", "≥"),
    ("支出8.52万元", None),
])
def test_qualifiers(text, qualifier):
    assert one(text).qualifier == qualifier


def test_year_of_a_claim():
    assert one("2021年度收入总计7940.39万元", fiscal_year=2021).year == 2021
    assert one("与2020年度收入相比，收入减少36680.54万元", fiscal_year=2021).year == 2021  # baseline year
    assert one("2022年1月到2023年10月按DIP付费的病例数为141.99万例").year is None  # a period
    assert one("参保人数85.92万人", fiscal_year=2023).year == 2023


@pytest.mark.parametrize("text", [
    "于2023年5月6日至5月9日开展自评",
    "湘财预〔2022〕0226号",
    "国务院令735号",
    "联系电话：15898426095",
    "填报日期：2024.5.15",
    "（一）部门职能职责 1、拟订政策 (2) 落实",
    "2101501 行政运行 科目编码 208 05 05",
    "提前完成十四五规划",
    "第3名",
    "公共安全支出（204类）司法（06款）行政运行（01项）",
    "2023年度",
])
def test_not_claims(text):
    assert find_claims(text) == []


@given(st.text(max_size=40))
def test_number_parser_never_crashes(text):
    try:
        parse_number(text)
    except ValueError:
        pass


@given(st.decimals(min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=2, allow_nan=False,
                   allow_infinity=False))
def test_formatted_numbers_round_trip(value):
    with_separators = f"{value:,.2f}"
    full_width = with_separators.translate(str.maketrans("0123456789.,-", "０１２３４５６７８９．，－"))
    assert parse_number(with_separators) == value
    assert parse_number(full_width) == value
    assert Decimal(plain(value)) == value


@given(st.decimals(min_value=Decimal("0.01"), max_value=Decimal("1e9"), places=2, allow_nan=False,
                   allow_infinity=False))
def test_claim_value_is_exact(value):
    c = one(f"支出{value}万元")
    assert Decimal(c.value_normalized) == value * 10000
