"""Chinese layout clean-up shared by every backend.

PDF producers (Word's autospace, WPS, justified lines) leave spaces that are not in the text:
"2023 年度", "1723.2 万元", "医 疗 保 障". Chinese has no inter-word spaces, so any run of
whitespace touching a CJK character or full-width punctuation is layout, not content. Spaces
between two Latin words or two numbers are content and stay.
"""

from __future__ import annotations

import re

# CJK ideographs, CJK punctuation, full-width forms (，：（）％ and full-width digits) and the
# general punctuation quotes Chinese text uses (“”‘’…—).
_CJK = r"\u2018-\u201d\u2026\u2014\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
_CJK_CHAR = re.compile(f"[{_CJK}]")
_SPACE_AROUND_CJK = re.compile(f"(?<=[{_CJK}])[ \\t\\u00a0\\u3000]+|[ \\t\\u00a0\\u3000]+(?=[{_CJK}])")
_MULTI_SPACE = re.compile(r"[ \t\u00a0]{2,}")


def is_cjk(ch: str) -> bool:
    return bool(ch) and _CJK_CHAR.match(ch) is not None


def clean_line(text: str) -> str:
    """Drop layout spaces around CJK text, fold other runs of spaces, trim."""
    text = _SPACE_AROUND_CJK.sub("", text)
    return _MULTI_SPACE.sub(" ", text).strip()


def join_wrapped(left: str, right: str) -> str:
    """Join two pieces of one logical line that the layout wrapped.

    No space where either side is CJK ("医保信息系统维护12.00" + "万元"), nor inside a number split
    at the line end ("1,234." + "5"); one space between two Latin words.
    """
    left, right = left.rstrip(), right.lstrip()
    if not left or not right:
        return left + right
    a, b = left[-1], right[0]
    if is_cjk(a) or is_cjk(b) or a in "-/(（[" or b in ".,;:%)）]":
        return left + right
    if (a.isdigit() or a in ".,") and b.isdigit():
        return left + right
    return f"{left} {right}"


def join_lines(lines: list[str]) -> str:
    text = ""
    for line in lines:
        text = join_wrapped(text, line) if text else line.strip()
    return clean_line(text)


def normalize_ws(text: str) -> str:
    """The comparison form used by tests and matching: no whitespace at all."""
    return re.sub(r"\s+", "", text)
