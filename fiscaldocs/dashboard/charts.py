"""Plotly figures of the main views, shared by the dashboard and the static report. Amounts are
shown in 万元 (the unit the reports print); the exact yuan stay in the tables beside them.

Chinese labels: the figures name a CJK font family first (Noto Sans CJK SC, Debian's
fonts-noto-cjk; then the usual Windows/macOS families); plotly draws text as SVG in the browser,
so whichever of those the viewer's machine has is used.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from fiscaldocs.dashboard.queries import PHASES

CJK_FONT = "Noto Sans CJK SC, Source Han Sans SC, Microsoft YaHei, PingFang SC, WenQuanYi Micro Hei, sans-serif"
WAN = Decimal("10000")


def wan(value) -> float | None:
    """Yuan → 万元 for plotting (a display value; the exact Decimal stays in the data tables)."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    return float((Decimal(value) / WAN).quantize(Decimal("0.01")))


def _style(fig: go.Figure, title: str) -> go.Figure:
    if any(getattr(t, "x", None) is not None and len(t.x) and isinstance(t.x[0], str) and t.x[0].isdigit()
           for t in fig.data):
        fig.update_xaxes(type="category")  # years are labels: no 2025 between 2024 and 2026
    fig.update_layout(title=title, font_family=CJK_FONT, legend_title_text="", margin={"t": 60, "l": 10, "r": 10},
                      separators=".,")
    return fig


def _with_wan(df: pd.DataFrame, col: str = "amount_yuan") -> pd.DataFrame:
    out = df.copy()
    out["万元"] = [wan(v) for v in out[col]]
    if "phase" in out:
        out["阶段"] = [PHASES.get(p, p) for p in out["phase"]]
    return out


def empty(title: str, note: str = "所选范围内没有数据") -> go.Figure:
    fig = go.Figure()
    fig.add_annotation(text=note, showarrow=False, font={"size": 16})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return _style(fig, title)


def spending_by_region_year(df: pd.DataFrame) -> go.Figure:
    title = "部门支出（全部资金，按功能分类 类 合计）：地区 × 年度"
    if df.empty:
        return empty(title)
    d = _with_wan(df)
    d["年度"] = d["period_year"].astype(str)
    fig = px.bar(d, x="年度", y="万元", color="阶段", facet_col="region", barmode="group", text="万元",
                 labels={"region": "地区"})
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    return _style(fig, title)


def spending_drill(df: pd.DataFrame, level_name: str) -> go.Figure:
    title = f"功能分类支出（{level_name}）：年初预算与决算"
    if df.empty:
        return empty(title)
    rows = []
    for _, r in df.iterrows():
        where = " ".join(str(x) for x in (r["region"], r["department"], r["period_year"]) if x is not None
                         and not pd.isna(x))
        label = f"{r['category_code']} {r['category_name']}（{where}）"
        for phase in ("approved", "adjusted", "executed"):
            if r[phase] is not None and not pd.isna(r[phase]):
                rows.append({"科目": label, "阶段": PHASES[phase], "万元": wan(r[phase])})
    if not rows:
        return empty(title)
    fig = px.bar(pd.DataFrame(rows), y="科目", x="万元", color="阶段", barmode="group", orientation="h", text="万元")
    fig.update_yaxes(autorange="reversed")
    return _style(fig, title)


def sangong(df: pd.DataFrame) -> go.Figure:
    title = "“三公”经费"
    if df.empty:
        return empty(title)
    d = _with_wan(df)
    d["年度"] = d["period_year"].astype(str)
    d["项目"] = d["category_name"] + "（" + d["阶段"] + "）"
    fig = px.bar(d, x="年度", y="万元", color="项目", barmode="group", facet_col="region", text="万元")
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    return _style(fig, title)


def admin_operating(df: pd.DataFrame) -> go.Figure:
    title = "机关运行经费"
    if df.empty:
        return empty(title)
    d = _with_wan(df)
    d["年度"] = d["period_year"].astype(str)
    fig = px.line(d, x="年度", y="万元", color="region", line_dash="阶段", markers=True, text="万元",
                  labels={"region": "地区"})
    fig.update_traces(textposition="top center")
    return _style(fig, title)


def medical_fund(df: pd.DataFrame) -> go.Figure:
    title = "医疗保险基金：收入、支出、结余"
    if df.empty:
        return empty(title)
    d = _with_wan(df)
    d["年度"] = d["period_year"].astype(str)
    fund_names = {"employee": "职工医保", "resident": "城乡居民医保"}
    d["基金"] = [fund_names.get(x, x) for x in d["fund"]]
    d["项目"] = d["category_name"] + "（" + d["阶段"] + "）"
    fig = px.bar(d, x="年度", y="万元", color="项目", barmode="group", facet_col="基金", facet_row="region",
                 text="万元")
    fig.for_each_annotation(lambda a: a.update(text=a.text.split("=")[-1]))
    return _style(fig, title)


def check_failures(df: pd.DataFrame) -> go.Figure:
    title = "审核未通过的检查（按规则）"
    if df.empty:
        return empty(title, "没有未通过的检查")
    counts = df.groupby(["rule", "status"]).size().reset_index(name="次数")
    counts["结果"] = counts["status"].map({"fail": "未通过", "warn": "存疑"})
    fig = px.bar(counts, x="次数", y="rule", color="结果", orientation="h", text="次数", labels={"rule": "规则"})
    return _style(fig, title)
