"""Document metadata readable from the body alone: title, fiscal year, report kind.

Issuer, region and published date need the normalization stage and are left to it.
"""

from __future__ import annotations

import re

from fiscaldocs.model import BlockKind, Document, ReportKind

# Checked in order: the more specific kinds first (a 专项资金绩效自评 is also a 绩效自评).
KIND_RULES: list[tuple[ReportKind, re.Pattern[str]]] = [
    (ReportKind.FISCAL_EVALUATION, re.compile(r"重点评价|财政评价|绩效评价报告(?!.*自评)")),
    (ReportKind.PROJECT_SELF_EVALUATION, re.compile(r"(?:专项资金|项目支出|项目资金|专项).*自评")),
    (ReportKind.PERFORMANCE_SELF_EVALUATION, re.compile(r"整体支出.*自评|绩效自评")),
    (ReportKind.FINAL_ACCOUNTS, re.compile(r"决算")),
    (ReportKind.BUDGET, re.compile(r"预算")),
]
_FIELD = re.compile(r"^[\u4e00-\u9fff]{2,8}[:：]")
YEAR = re.compile(r"(20\d{2})\s*年")


def fill_basic_metadata(doc: Document) -> None:
    title = _title(doc)
    doc.meta.title = title
    if title:
        kind = next((k for k, rx in KIND_RULES if rx.search(title)), ReportKind.OTHER)
        doc.meta.report_kind = kind
        m = YEAR.search(title)
        if m:
            doc.meta.fiscal_year = int(m.group(1))


def _title(doc: Document) -> str | None:
    """The first title block; a title set over consecutive title blocks of one page is joined.
    A field line on the cover ("预算主管部门：…") and the table of contents ("目录") end it."""
    parts: list[str] = []
    page = None
    for block in doc.blocks[:8]:
        ends = _FIELD.match(block.text) or re.fullmatch(r"目\s*录", block.text) or (parts and block.page != page)
        if block.kind is BlockKind.TITLE and not ends:
            parts.append(block.text)
            page = block.page
        elif parts:
            break
    if not parts and doc.blocks:
        first = doc.blocks[0]
        if first.kind is not BlockKind.PARAGRAPH or len(first.text) <= 50:
            parts = [first.text]
    title = re.sub(r"\s+", "", "".join(parts))
    return title or None
