"""Dates against the year a report is about.

- `as_of_date`: a 截至/截止 date must be one the report can speak of. A final account or an
  evaluation of year Y reports the position at the end of Y or later ("截至2024年12月31日" in a
  report on 2024); "截至2023年12月31日" there is last year's text left in. A budget for Y is
  written during Y−1: its 截至 dates fall in Y−1 or Y ("截至2023年8月31日" in the 2024 budget).
  A sentence that also gives a 截至 date in the expected years is a comparison and passes.
- `stale_heading`: a section heading naming another 年度 ("三、2022年度部门整体支出绩效情况" in a
  report on 2023) was copied from last year's report: a fail.
"""

from __future__ import annotations

import re

from fiscaldocs.audit.model import Check, Side

from fiscaldocs.model import BlockKind, Document, ReportKind

_AS_OF = re.compile(r"(?:截至|截止)(?:到|至)?\s*(?P<year>(?:19|20)\d{2})\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?|底|末)?")
# Report kind → the years (relative to the fiscal year) a 截至 date may fall in.
AS_OF_YEARS: dict[ReportKind, tuple[int, int | None]] = {
    ReportKind.BUDGET: (-1, 0),
    ReportKind.FINAL_ACCOUNTS: (0, None),
    ReportKind.PERFORMANCE_SELF_EVALUATION: (0, None),
    ReportKind.PROJECT_SELF_EVALUATION: (0, None),
    ReportKind.FISCAL_EVALUATION: (0, None),
}
_HEADING_YEAR = re.compile(r"(20\d{2})\s*年度")


def audit_dates(doc: Document) -> list[Check]:
    checks = _as_of(doc) + _stale_headings(doc)
    for c in checks:
        c.doc_id = doc.meta.sha256
    return checks


def _as_of(doc: Document) -> list[Check]:
    year, kind = doc.meta.fiscal_year, doc.meta.report_kind
    if year is None or kind not in AS_OF_YEARS:
        return []
    low, high = AS_OF_YEARS[kind]
    first, last = year + low, None if high is None else year + high

    def fits(y: int) -> bool:
        return y >= first and (last is None or y <= last)

    span = f"{first} or later" if last is None else f"{first}–{last}" if last != first else f"{first}"
    checks = []
    for i, block in enumerate(doc.blocks):
        for sentence in re.split(r"(?<=[。；;！？])", block.text):
            found = list(_AS_OF.finditer(sentence))
            if not found:
                continue
            comparison = any(fits(int(m.group("year"))) for m in found)
            for m in found:
                ok = fits(int(m.group("year"))) or comparison
                checks.append(Check(
                    "as_of_date", "pass" if ok else "fail",
                    f"“{m.group(0)}” in a {kind} report on {year}" +
                    ("" if ok else f": expected a date in {span} — last year's text left in?"),
                    sides=[Side("text", page=block.page, block=i, text=m.group(0))]))
    return checks


def _stale_headings(doc: Document) -> list[Check]:
    year = doc.meta.fiscal_year
    if year is None:
        return []
    checks = []
    for i, block in enumerate(doc.blocks):
        if block.kind is not BlockKind.HEADING:
            continue
        for m in _HEADING_YEAR.finditer(block.text):
            if int(m.group(1)) != year:
                checks.append(Check("stale_heading", "fail",
                                    f"heading “{block.text[:40]}” names {m.group(1)}年度 in a report on {year}: "
                                    "copied from another year's report?",
                                    sides=[Side("text", page=block.page, block=i, text=block.text[:80])]))
    return checks
