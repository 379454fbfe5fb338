"""Document metadata: title, issuer, department, region, fiscal year, report kind, published date.

Read from the places the genre puts them: the title ("2023年度益阳市医疗保障局整体支出绩效自评报告",
"唐山市丰南区财政局对区医疗保障局2023年…评价报告"), cover fields ("预算主管部门：上海市普陀区司法局"),
the signature at the end ("益阳市医疗保障局 / 2024年5月10日") and, for a title without a year, the
body.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import date

import cn2an
from fiscaldocs.normalize.regions import resolve

from fiscaldocs.model import BlockKind, Document, ReportKind

# Checked in order: the more specific kinds first (a 专项资金绩效自评 is also a 绩效自评).
KIND_RULES: list[tuple[ReportKind, re.Pattern[str]]] = [
    (ReportKind.FISCAL_EVALUATION, re.compile(r"重点评价|财政评价|绩效评价报告(?!.*自评)")),
    (ReportKind.PROJECT_SELF_EVALUATION, re.compile(r"(?:专项资金|项目支出|项目资金|专项).*自评")),
    (ReportKind.PERFORMANCE_SELF_EVALUATION, re.compile(r"整体支出.*自评|绩效自评")),
    (ReportKind.FINAL_ACCOUNTS, re.compile(r"决算")),
    (ReportKind.BUDGET, re.compile(r"预算")),
]
YEAR = re.compile(r"(20\d{2})\s*年")
_FIELD = re.compile(r"^[\u4e00-\u9fff]{2,8}[:：]")
# Organisation names end in one of these (局, 中心, 办事处 …); the shortest match that ends in one.
_ORG_END = r"(?:局|中心|委员会|办公室|办事处|人民政府|政府|厅|院|委|会|站|所|处|队|馆|社|部|署|室)"
_ORG = re.compile(rf"[\u4e00-\u9fff（）()]{{2,40}}?{_ORG_END}")
_TITLE_ORG = re.compile(
    rf"^(?:20\d{{2}}\s*年度?)?(?P<org>[\u4e00-\u9fff（）()]{{2,40}}?{_ORG_END})(?=20\d{{2}}|对|关于|部门|单位|整体|专项|项目|财政|预算|决算|绩效|年度)"
)
_SUBJECT_DEPT = re.compile(rf"对(?P<dept>[\u4e00-\u9fff（）()]{{2,30}}?{_ORG_END})")
_COVER_FIELD = re.compile(
    rf"(?:预算主管部门|主管部门|编制单位|编制部门|填报单位|单位名称|部门名称|预算单位|评价对象)\s*[:：]\s*"
    rf"(?P<org>[\u4e00-\u9fff（）()]{{2,40}}{_ORG_END})"  # greedy: the whole field, 人民政府万里街道办事处
)
_DATE = re.compile(r"(20\d{2}|[二〇零一三四五六七八九]{4})\s*年\s*([\d一二三四五六七八九十]{1,3})\s*月\s*"
                   r"([\d一二三四五六七八九十]{1,3})\s*日")


def fill_metadata(doc: Document) -> None:
    meta = doc.meta
    meta.title = title_of(doc)
    title = meta.title or ""
    meta.report_kind = _kind(title) or _kind(" ".join(b.text for b in doc.blocks[:5])) or ReportKind.OTHER
    m = YEAR.search(title)
    meta.fiscal_year = int(m.group(1)) if m else _year_from_body(doc)
    meta.issuer, meta.department = _issuer_and_department(doc, title)
    meta.region = resolve([meta.department or "", meta.issuer or "", title])
    meta.published_date = _signature_date(doc)


def title_of(doc: Document) -> str | None:
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


def _kind(text: str) -> ReportKind | None:
    return next((k for k, rx in KIND_RULES if rx.search(text)), None)


def _year_from_body(doc: Document) -> int | None:
    """A title without a year: the year the body speaks of most as a whole year ("2024年度",
    "2024年部门…"), not counting dates, which also name the year the report was written."""
    counts: Counter[int] = Counter()
    for block in doc.blocks:
        for m in re.finditer(r"(20\d{2})\s*年(?!\s*\d{1,2}\s*月)", block.text):
            counts[int(m.group(1))] += 2 if block.text[m.end():m.end() + 1] == "度" else 1
    return counts.most_common(1)[0][0] if counts else None


def _issuer_and_department(doc: Document, title: str) -> tuple[str | None, str | None]:
    cover = next((m.group("org") for b in doc.blocks[:12] if (m := _COVER_FIELD.search(b.text))), None)
    m = _TITLE_ORG.search(title)
    title_org = m.group("org") if m else None
    signer = _signer(doc)
    issuer = title_org or cover or signer
    sub = _SUBJECT_DEPT.search(title)
    if sub and issuer:
        # "丰南区财政局对区医疗保障局…": the subject is named relative to the issuer's place.
        department = _qualify(sub.group("dept"), issuer)
    else:
        department = cover or issuer
    if issuer and not any(ch in issuer for ch in "省市县区州盟旗") and department and department != issuer:
        issuer = _qualify(issuer, department)
    return issuer, department


def _qualify(name: str, reference: str) -> str:
    """"区医疗保障局" in a report by "唐山市丰南区财政局" is "唐山市丰南区医疗保障局"."""
    m = re.match(r"^(?:本)?(?P<level>省|市|区|县|州)(?P<rest>.+)$", name)
    if not m:
        return name
    level = m.group("level")
    prefix = re.match(rf"^(.*?{level})", reference)
    return f"{prefix.group(1)}{m.group('rest')}" if prefix else name


def _signer(doc: Document) -> str | None:
    """The unit that signs at the end: an organisation name alone on a line just before a date."""
    blocks = doc.blocks
    for i in range(len(blocks) - 1, max(-1, len(blocks) - 40), -1):
        if _DATE.fullmatch(blocks[i].text.strip()) and i > 0:
            prev = blocks[i - 1].text.strip()
            if _ORG.fullmatch(prev):
                return prev
    return None


def _signature_date(doc: Document) -> str | None:
    """The date alone on a line at the end of the report body (before annexes)."""
    for block in reversed(doc.blocks):
        text = block.text.strip()
        m = _DATE.fullmatch(text) or (_DATE.search(text) if len(text) <= 40 and _ORG.match(text) else None)
        if m:
            try:
                year, month, day = (int(v) if v.isdigit() else int(cn2an.cn2an(v, "smart"))
                                    for v in (_cn_year(m.group(1)), m.group(2), m.group(3)))
                return date(year, month, day).isoformat()
            except ValueError:
                continue
    return None


def _cn_year(text: str) -> str:
    """"二〇二四" → "2024" (a year is read digit by digit, not as a number)."""
    if text.isdigit():
        return text
    return "".join(str("〇一二三四五六七八九".index(ch)) if ch in "〇一二三四五六七八九" else "0" for ch in text)
