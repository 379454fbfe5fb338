"""Real published PDFs (../shared/realdocs): status, the tables counted by eye on their pages
(each report's table of contents lists them too), and rows read off the rendered pages by eye."""

from __future__ import annotations

import functools

import pytest
from conftest import REALDOCS

from fiscaldocs.model import Status
from fiscaldocs.pipeline import process


@functools.cache
def real(name: str):
    path = REALDOCS / name
    if not path.exists():
        pytest.skip(f"{path} not available")
    return process(path)


CAIZHENGJU = "01_putuo_caizhengju_2024_bumen_juesuan.pdf"
SIFAJU = "06_putuo_sifaju_2026_bumen_yusuan.pdf"
WANLI = "08_putuo_wanli_jiedao_2023_bumen_yusuan.pdf"


def test_caizhengju_final_accounts():
    doc = real(CAIZHENGJU)
    assert doc.status is Status.OK and doc.meta.page_count == 25
    assert (doc.meta.title, doc.meta.fiscal_year, doc.meta.report_kind) == (
        "上海市普陀区财政局2024年度部门决算", 2024, "final_accounts")
    titles = [t.title for t in doc.tables]
    # p5 单位构成 (no caption), then the nine 决算表 of the table of contents, in order.
    assert titles == [None, "收入支出决算总表", "收入决算表", "支出决算表", "财政拨款收入支出决算总表",
                      "一般公共预算财政拨款支出决算表", "一般公共预算财政拨款基本支出决算表",
                      "财政拨款“三公”经费支出决算表", "政府性基金预算财政拨款收入支出决算表",
                      "国有资本经营预算财政拨款收入支出决算表"]
    assert all(t.unit == "万元" for t in doc.tables[1:])
    total = doc.tables[4]  # 财政拨款收入支出决算总表, continued from p12 to p13 without a header
    assert total.pages == [12, 13]
    rows = total.rows()
    assert rows[2] == ["一、一般公共预算财政拨款", "2,940.05", "一、一般公共服务支出", "2,106.66", "2,106.66", "", ""]
    assert rows[-1] == ["总计", "2,961.68", "总计", "2,961.68", "2,961.68", "", ""]
    sangong = doc.tables[7].rows()
    assert sangong[-1] == ["0.95"] + [""] * 9 + ["0.95", ""]
    assert sangong[-2] == ["预算数", "决算数"] * 6


def test_sifaju_budget():
    doc = real(SIFAJU)
    assert doc.status is Status.OK and doc.meta.page_count == 23
    assert (doc.meta.fiscal_year, doc.meta.report_kind) == (2026, "budget")
    assert len(doc.tables) == 9  # the nine 预算表 of the table of contents
    assert [t.unit for t in doc.tables] == ["元"] * 8 + ["万元"]
    income = doc.tables[1]
    assert income.title == "2026年部门收入预算总表" and income.pages == [11]
    rows = income.rows()
    assert rows[3] == ["204", "", "", "公共安全支出", "87267272.44", "87267272.44", "0.00", "0.00", "0.00"]
    assert rows[-1] == ["合计", "", "", "", "96282213.44", "96282213.44", "0.00", "0.00", "0.00"]
    assert doc.tables[0].extractor == "pdfplumber"


def test_wanli_budget_tables_over_several_pages():
    doc = real(WANLI)
    assert doc.status is Status.OK and doc.meta.page_count == 35
    # nine 预算表 and five 项目支出绩效目标填报表 (p31, p32, p33, p34, p35: one form a page)
    assert len(doc.tables) == 14
    income = doc.tables[1]
    assert income.title == "2023年部门收入预算总表" and income.pages == [11, 12, 13, 14]
    assert ["208", "05", "05", "机关事业单位基本养老保险缴费支出", "4,412,547", "4,412,547", "", "", ""] in income.rows()
    assert [t.pages for t in doc.tables[9:]] == [[31], [32], [33], [34], [35]]


@pytest.mark.parametrize(("name", "issuer", "year", "kind"), [
    (CAIZHENGJU, "上海市普陀区财政局", 2024, "final_accounts"),
    (SIFAJU, "上海市普陀区司法局", 2026, "budget"),
    (WANLI, "上海市普陀区人民政府万里街道办事处", 2023, "budget"),
])
def test_real_metadata(name, issuer, year, kind):
    m = real(name).meta
    assert (m.issuer, m.department, m.fiscal_year, m.report_kind) == (issuer, issuer, year, kind)
    assert (m.region.code, m.region.province, m.region.city, m.region.county) == ("310107", "上海市", "上海市", "普陀区")


def test_claims_on_hand_labelled_real_prose():
    """Development set (tuned on): claims in the prose of two real PDFs, labelled by hand without
    looking at the extractor (tests/devset/realdocs_prose_claims.json), but the extractor was changed
    afterwards with these pages in view, so this is regression, not a held-out measure."""
    import json
    from pathlib import Path

    from fiscaldocs.evaluation import score_devset

    truth = json.loads((Path(__file__).parent / "devset" / "realdocs_prose_claims.json").read_text(encoding="utf-8"))
    claims = {name: real(name).claims for name in truth["pages_labelled"]}
    assert len(truth["claims"]) == 210
    assert score_devset(claims, truth) == (210, 0, 0)  # (found, missed, extra): tuned on, so regression
