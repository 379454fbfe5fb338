"""Regions for any place in China, renamed units, issuer vs subject department, body years and
signature dates."""

from __future__ import annotations

import pytest
from fiscaldocs.normalize import normalize
from fiscaldocs.normalize.regions import resolve

from fiscaldocs.model import BlockKind, Document, DocumentMeta, TextBlock


@pytest.mark.parametrize(("names", "code", "county"), [
    (["宁乡县医疗保障局"], "430182", "宁乡市"),  # 宁乡县 became 宁乡市 (2017)
    (["广州市天河区财政局"], "440106", "天河区"),
    (["乌鲁木齐市水磨沟区卫生健康委员会"], "650105", "水磨沟区"),
    (["拉萨市城关区医疗保障局"], "540102", "城关区"),
    (["普陀区财政局", "上海市普陀区财政局2024年度部门决算"], "310107", "普陀区"),  # the explicit one wins
    (["普陀区财政局", "舟山市普陀区财政局"], "330903", "普陀区"),
    (["益阳市医疗保障局"], "430900", None),
])
def test_resolve(names, code, county):
    region = resolve(names)
    assert (region.code, region.county) == (code, county)


def test_unknown_place_has_no_region():
    assert resolve(["某某局"]).code is None


def doc_of(*texts: str, title: str | None = None) -> Document:
    blocks = [TextBlock(title, 1, BlockKind.TITLE)] if title else []
    blocks += [TextBlock(t, 1, BlockKind.PARAGRAPH) for t in texts]
    return normalize(Document(meta=DocumentMeta(sha256="x", file_name="x.pdf", file_type="pdf"), blocks=blocks))


def test_issuer_and_subject_department_kept_apart():
    doc = doc_of("按照方案要求，开展评价。", "唐山市丰南区财政局", "2024年6月3日",
                 title="唐山市丰南区财政局对区医疗保障局2023年部门整体支出重点评价报告")
    m = doc.meta
    assert (m.issuer, m.department) == ("唐山市丰南区财政局", "唐山市丰南区医疗保障局")
    assert (m.region.code, m.region.county, m.fiscal_year, m.report_kind) == ("130207", "丰南区", 2023, "fiscal_evaluation")
    assert m.published_date == "2024-06-03"


def test_year_from_body_when_title_has_none():
    doc = doc_of("截止2024年12月，在职在编人数40人。", "2024年度预算执行率为98%。", "2023年度清算完成。",
                 title="宁乡县医疗保障局部门整体支出绩效自评报告")
    assert doc.meta.fiscal_year == 2024
    assert doc.meta.region.code == "430182"


def test_signature_date_in_chinese_numerals():
    doc = doc_of("正文。", "某市财政局", "二〇二四年五月十日", title="2023年度某市财政局部门决算")
    assert doc.meta.published_date == "2024-05-10"
    assert doc.meta.report_kind == "final_accounts"
