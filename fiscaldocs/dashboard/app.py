"""The Streamlit dashboard (`fiscaldocs dashboard`). Run by launch.py; the warehouse path comes in
FISCALDOCS_DB. Every query goes through one `Reader`, which sees each published run without a
restart and never holds a lock an ingest waits on."""

from __future__ import annotations

import os
from pathlib import Path

import pandas as pd
import streamlit as st

from fiscaldocs.dashboard import charts
from fiscaldocs.dashboard.queries import PHASES, REPORT_KINDS, Filters, Queries
from fiscaldocs.warehouse.reader import NoWarehouse, Reader

DB = Path(os.environ.get("FISCALDOCS_DB", "warehouse.duckdb"))

st.set_page_config(page_title="fiscaldocs 财政报告数据", layout="wide")


@st.cache_resource
def _reader(db: str) -> Reader:
    return Reader(db)


def _amounts(df: pd.DataFrame) -> pd.DataFrame:
    """Exact amounts as printed decimals (Arrow shows Decimals, but not with a unit)."""
    out = df.copy()
    for col in out.columns:
        if col in ("amount_yuan", "approved", "adjusted", "executed", "expected", "actual"):
            out[col] = [None if v is None or (isinstance(v, float) and pd.isna(v)) else format(v, "f")
                        for v in out[col]]
    return out


def sidebar(q: Queries) -> Filters:
    st.sidebar.header("筛选")
    regions = q.regions()
    f = Filters()
    provinces = sorted(regions["province"].dropna().unique())
    f.province = st.sidebar.selectbox("省", ["（全部）", *provinces], key="province")
    f.province = None if f.province == "（全部）" else f.province
    if f.province:
        cities = sorted(regions[regions["province"] == f.province]["city"].dropna().unique())
        f.city = st.sidebar.selectbox("市", ["（全部）", *cities], key="city")
        f.city = None if f.city == "（全部）" else f.city
    if f.city:
        counties = sorted(regions[regions["city"] == f.city]["county"].dropna().unique())
        f.county = st.sidebar.selectbox("区县", ["（全部）", *counties], key="county")
        f.county = None if f.county == "（全部）" else f.county
    f.departments = st.sidebar.multiselect("部门", q.departments(), key="departments", placeholder="（全部）")
    f.years = st.sidebar.multiselect("年度", q.years(), key="years", placeholder="（全部）")
    kinds = q.report_kinds()
    f.report_kinds = st.sidebar.multiselect("报告类型", kinds, format_func=lambda k: REPORT_KINDS.get(k, k),
                                            key="kinds", placeholder="（全部）")
    if f.departments and "department" not in q.columns("v_spending"):
        st.sidebar.caption("该数据库的视图还没有部门列：部门筛选只作用于文件、机关运行经费和数据溯源。")
    st.sidebar.caption(f"数据库：{DB}")
    return f


def trace(q: Queries, fact_id: str) -> None:
    """The page a fact was read from, its source highlighted, and the table row."""
    from fiscaldocs.dashboard.pageview import cell_view, claim_view

    fact = q.fact(fact_id)
    if fact is None:
        st.warning(f"没有这个数：{fact_id}")
        return
    st.subheader(f"溯源：{fact['line_item']} = {format(fact['amount_yuan'], 'f')} 元")
    st.write(f"{fact['file_name']} · 第 {fact['page']} 页 · {fact['category_name'] or ''} · "
             f"{fact['period_year']} 年 · {PHASES.get(fact['phase'], fact['phase'])}")
    pdf = Path(fact["source_path"] or "")
    left, right = st.columns([3, 2])
    if fact["source_kind"] == "table":
        table_id, row_idx, col_idx = int(fact["table_id"]), int(fact["row_idx"]), int(fact["col_idx"])
        cell = q.source_cell(fact["doc_id"], table_id, row_idx, col_idx) or {}
        info = q.table_info(fact["doc_id"], table_id) or {}
        with right:
            st.markdown(f"**表格**：{info.get('title') or '（无标题）'}（单位：{info.get('unit') or '—'}）")
            st.markdown(f"**单元格**：第 {row_idx} 行 第 {col_idx} 列，印作 `{cell.get('text', '')}`")
            row = q.table_row(fact["doc_id"], table_id, row_idx)
            grid = row.pivot(index="row_idx", columns="col_idx", values="text").fillna("")
            st.dataframe(grid, key="trace_row", hide_index=True)
        if fact["file_type"] == "pdf" and pdf.is_file() and fact["page"] is not None:
            view = cell_view(pdf, int(fact["page"]), cell.get("bbox"))
            with left:
                st.image(view.image, caption=_box_caption(view), width="stretch")
        else:
            left.info("源文件不是 PDF 或已不在原处：见右侧的表格行。")
    else:
        claim = q.claim(fact["doc_id"], int(fact["claim_idx"])) or {}
        with right:
            st.markdown(f"**句子**：{claim.get('sentence', '')}")
            st.markdown(f"**印作**：`{claim.get('text', '')}`")
        if fact["file_type"] == "pdf" and pdf.is_file() and claim.get("page") is not None:
            view = claim_view(pdf, int(claim["page"]), claim.get("text") or "", claim.get("value"),
                              claim.get("block_bbox"))
            with left:
                st.image(view.image, caption=_box_caption(view), width="stretch")


def _choices(df: pd.DataFrame) -> list[str]:
    """Distinct "code name" of a drill level, in code order."""
    return list(dict.fromkeys(f"{c} {n}" for c, n in zip(df.category_code, df.category_name, strict=True)))


def _box_caption(view) -> str:
    box = "无" if view.box is None else "[" + ", ".join(f"{v:.2f}" for v in view.box) + "]"
    return f"高亮位置（{view.how}）：{box}"


def main() -> None:
    try:
        reader = _reader(str(DB))
        reader.connection()
    except NoWarehouse as exc:
        st.error(f"{exc}")
        st.stop()
    q = Queries(reader)
    st.title("财政报告数据")
    f = sidebar(q)
    fact_id = st.query_params.get("fact")
    if fact_id:
        trace(q, fact_id)
        st.divider()
    tabs = st.tabs(["支出", "三公与机关运行经费", "医保基金", "审核", "文件", "数据溯源"])
    with tabs[0]:
        st.plotly_chart(charts.spending_by_region_year(q.spending_by_region_year(f)), key="by_region")
        st.subheader("按功能分类下钻：类 → 款 → 项")
        lei = q.spending_drill(f, None)
        pick = st.selectbox("类", ["（全部类）", *_choices(lei)], key="lei")
        level, df = "类", lei
        if pick != "（全部类）":
            kuan = q.spending_drill(f, pick.split()[0])
            level, df = "款", kuan
            pick2 = st.selectbox("款", ["（全部款）", *_choices(kuan)], key="kuan")
            if pick2 != "（全部款）":
                level, df = "项", q.spending_drill(f, pick2.split()[0])
        st.plotly_chart(charts.spending_drill(df, level), key="drill")
        st.caption("执行率 = 决算 ÷ 年初预算（%）；金额为元，精确值。")
        st.dataframe(_amounts(df), key="drill_table")
    with tabs[1]:
        st.plotly_chart(charts.sangong(q.sangong(f)), key="sangong")
        st.plotly_chart(charts.admin_operating(q.admin_operating(f)), key="admin")
    with tabs[2]:
        fund = q.medical_fund(f)
        st.plotly_chart(charts.medical_fund(fund), key="fund")
        st.dataframe(_amounts(fund), key="fund_table")
    with tabs[3]:
        failures = q.check_failures(f)
        st.plotly_chart(charts.check_failures(failures), key="checks")
        st.dataframe(_amounts(failures.drop(columns=["provenance"])), key="checks_table")
    with tabs[4]:
        docs = q.documents(f)
        st.dataframe(docs, key="docs")
    with tabs[5]:
        st.caption("选中一行，查看它所在的页面（高亮单元格或句子）和所在的表格行。")
        facts = q.facts(f)
        event = st.dataframe(_amounts(facts), key="facts", on_select="rerun", selection_mode="single-row")
        rows = event.selection.rows if event else []
        if rows and st.query_params.get("fact") != facts.iloc[rows[0]]["fact_id"]:
            st.query_params["fact"] = facts.iloc[rows[0]]["fact_id"]
            st.rerun()


main()
