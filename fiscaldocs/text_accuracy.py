"""How close recognised text is to a typed-in truth: the OCR figures of `benchmarks/ocr.py` and
the OCR tests.

Both sides are compared after NFKC (full-width forms → ASCII: "，" and "," are one character) and
without whitespace, which layout decides, not the printed text.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

NUMBER = re.compile(r"-?\d+(?:[.,]\d+)*%?")


def canonical(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions), O(len(a)·len(b))."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, start=1):
        current = [i]
        for j, cb in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def char_accuracy(read: str, truth: str) -> float:
    """1 − character error rate: 1 − edit distance / characters of the truth (floored at 0)."""
    read, truth = canonical(read), canonical(truth)
    return max(0.0, 1.0 - edit_distance(read, truth) / max(1, len(truth)))


def number_accuracy(read: str, truth: str) -> float:
    """Share of the truth's numeric tokens ("199910", "18.46%", "-1755") that the read text has,
    exactly, as many times."""
    want = Counter(NUMBER.findall(canonical(truth)))
    have = Counter(NUMBER.findall(canonical(read)))
    total = sum(want.values())
    return sum(min(n, have[t]) for t, n in want.items()) / total if total else 1.0
