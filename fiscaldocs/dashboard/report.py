"""`fiscaldocs report OUT.html`: the dashboard's main views as one self-contained HTML file —
plotly.js inlined once, every chart and table in the file, nothing loaded from anywhere else."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from fiscaldocs.dashboard import charts
from fiscaldocs.dashboard.queries import PHASES, REPORT_KINDS, Filters, Queries
from fiscaldocs.warehouse.reader import Reader

STYLE = f"""
body {{ font-family: {charts.CJK_FONT}; margin: 2em auto; max-width: 1200px; color: #222; }}
table {{ border-collapse: collapse; font-size: 13px; margin: 1em 0; }}
th, td {{ border: 1px solid #ccc; padding: 3px 6px; text-align: left; }}
td.num {{ text-align: right; font-variant-numeric: tabular-nums; }}
h2 {{ border-bottom: 2px solid #444; padding-bottom: 4px; margin-top: 2em; }}
"""
NUMERIC = {"amount_yuan", "approved", "adjusted", "executed", "execution_rate", "expected", "actual"}


def _table(df: pd.DataFrame, headers: dict[str, str]) -> str:
    cols = [c for c in headers if c in df.columns]
    head = "".join(f"<th>{html.escape(headers[c])}</th>" for c in cols)
    body = []
    for _, row in df.iterrows():
        cells = []
        for c in cols:
            v = row[c]
            if isinstance(v, float) and not pd.isna(v) and v.is_integer():
                v = int(v)  # an integer column with NULLs comes back as floats
            text = "" if v is None or (isinstance(v, float) and pd.isna(v)) else (
                format(v, "f") if c in NUMERIC and not isinstance(v, float) else str(v))
            if c == "phase":
                text = PHASES.get(text, text)
            if c == "report_kind":
                text = REPORT_KINDS.get(text, text)
            cells.append(f'<td class="num">{html.escape(text)}</td>' if c in NUMERIC
                         else f"<td>{html.escape(text)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def build_report(q: Queries, title: str = "财政报告数据") -> str:
    f = Filters()
    parts: list[str] = []
    first = [True]

    def figure(fig) -> None:
        parts.append(fig.to_html(full_html=False, include_plotlyjs=first[0], config={"displaylogo": False}))
        first[0] = False

    parts.append("<h2>支出</h2>")
    figure(charts.spending_by_region_year(q.spending_by_region_year(f)))
    drill = q.spending_drill(f, None)
    figure(charts.spending_drill(drill, "类"))
    parts.append(_table(drill, {"region": "地区", "department": "部门", "period_year": "年度", "category_code": "科目编码", "category_name": "科目", "approved": "年初预算（元）",
                                "adjusted": "调整预算（元）", "executed": "决算（元）", "execution_rate": "执行率（%）"}))
    parts.append("<h2>“三公”经费与机关运行经费</h2>")
    sangong = q.sangong(f)
    figure(charts.sangong(sangong))
    parts.append(_table(sangong, {"region": "地区", "period_year": "年度", "category_name": "项目", "phase": "阶段",
                                  "amount_yuan": "金额（元）"}))
    figure(charts.admin_operating(q.admin_operating(f)))
    parts.append("<h2>医疗保险基金</h2>")
    fund = q.medical_fund(f)
    figure(charts.medical_fund(fund))
    parts.append(_table(fund, {"region": "地区", "period_year": "年度", "fund": "基金", "category_name": "项目",
                               "phase": "阶段", "amount_yuan": "金额（元）"}))
    parts.append("<h2>审核</h2>")
    failures = q.check_failures(f)
    figure(charts.check_failures(failures))
    parts.append(_table(failures, {"file_name": "文件", "rule": "规则", "status": "结果", "message": "说明",
                                   "expected": "应为", "actual": "实为"}))
    parts.append("<h2>文件</h2>")
    parts.append(_table(q.documents(f), {"file_name": "文件", "title": "标题", "department": "部门", "region": "地区",
                                         "fiscal_year": "年度", "report_kind": "类型", "status": "状态",
                                         "page_count": "页数"}))
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{html.escape(title)}</title>'
            f"<style>{STYLE}</style></head><body><h1>{html.escape(title)}</h1>"
            f"<p>生成于 {stamp}，数据来自 {html.escape(str(q.reader.db))}。金额图表为万元，表格为元（精确值）。</p>"
            + "\n".join(parts) + "</body></html>\n")


def write_report(db: Path, out: Path) -> None:
    reader = Reader(db)
    try:
        text = build_report(Queries(reader))
    finally:
        reader.close()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
