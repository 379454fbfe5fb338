"""Table captions: the title printed above a table and its declared unit ("单位：万元").

Shared by the PDF and Word backends: both hand over the few text lines right above a table,
nearest first, and get back what belongs to the table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

UNIT = re.compile(r"(?:金额|计量|货币)?单位\s*[:：]\s*(亿元|万元|千元|元|万人次|人次|万人|人|%|个|户|平方米|㎡)")
ANNEX_LABEL = re.compile(r"^(?:附件|附表)\s*[\d一二三四五六七八九十]*(?:[-—－]\d+)?\s*[:：]?$")
_TITLE_END = re.compile(r"(?:表|表[（(]续[）)]|续表|情况|明细|清单|一览)\s*$")
_SENTENCE_END = re.compile(r"[。；;：:，,]\s*$")


@dataclass(slots=True)
class CaptionLine:
    text: str
    centered: bool = False


@dataclass(slots=True)
class Caption:
    title: str | None
    unit: str | None
    consumed: int  # how many of the given lines (nearest first) belong to the table


def find_caption(lines_above: list[CaptionLine], max_lines: int = 4) -> Caption:
    title: str | None = None
    unit: str | None = None
    consumed = 0
    for i, line in enumerate(lines_above[:max_lines]):
        text = line.text.strip()
        m = UNIT.search(text)
        if m and unit is None and title is None:
            unit = m.group(1)
            consumed = i + 1
            rest = UNIT.sub("", text).strip()
            if rest and _looks_like_title(CaptionLine(rest, line.centered)) and not _is_field(rest):
                title = rest
            continue
        if title is None and _looks_like_title(line):
            title = text
            consumed = i + 1
            continue
        if ANNEX_LABEL.match(text) and (title is not None or unit is not None):
            consumed = i + 1
        break
    return Caption(title=title, unit=unit, consumed=consumed)


def _is_field(text: str) -> bool:
    """"编制部门：XX局" and similar form fields printed beside the unit are not titles."""
    return bool(re.match(r"^(?:编制|填报|预算|主管)?(?:部门|单位)(?:名称)?\s*[:：]", text))


def _looks_like_title(line: CaptionLine) -> bool:
    text = line.text.strip()
    if not text or len(text) > 60 or _SENTENCE_END.search(text) or _is_field(text):
        return False
    return bool(_TITLE_END.search(text)) or line.centered
