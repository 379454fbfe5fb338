"""Checks: what a rule found, with rounding-aware tolerance and provenance for every side."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class Side:
    """Where one number of a check was printed."""

    kind: str  # table | text
    page: int | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None
    block: int | None = None
    text: str | None = None  # the number as printed, or the sentence
    doc_id: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Check:
    rule: str
    status: str  # pass | fail | warn | skipped
    message: str
    expected: Decimal | None = None
    actual: Decimal | None = None
    tolerance: Decimal | None = None
    sides: list[Side] = field(default_factory=list)
    doc_id: str | None = None

    @property
    def check_id(self) -> str:
        key = json.dumps([self.doc_id, self.rule, [s.as_dict() for s in self.sides], self.message[:40]],
                         ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    def provenance(self) -> str:
        return json.dumps([s.as_dict() for s in self.sides], ensure_ascii=False)

    def as_dict(self) -> dict:
        return {"rule": self.rule, "status": self.status, "message": self.message,
                "expected": str(self.expected) if self.expected is not None else None,
                "actual": str(self.actual) if self.actual is not None else None,
                "tolerance": str(self.tolerance) if self.tolerance is not None else None,
                "provenance": [s.as_dict() for s in self.sides]}


def half_unit(printed: str) -> Decimal:
    """Half a unit of the last printed digit: "1377.2" → 0.05, "15.00" → 0.005, "265750" → 0.5."""
    text = printed.replace(",", "").strip().lstrip("-+")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return Decimal(5) / (Decimal(10) ** (decimals + 1))


def compare(rule: str, expected: Decimal, actual: Decimal, tolerance: Decimal, sides: list[Side],
            what: str, unit: str = "") -> Check:
    """pass when |expected − actual| ≤ tolerance, else fail, with the message in plain words."""
    ok = abs(expected - actual) <= tolerance
    message = (f"{what}: printed {actual}{unit}, recomputed {_fmt(expected)}{unit}"
               + ("" if ok else f" (off by {_fmt(abs(expected - actual))}{unit}, tolerance {_fmt(tolerance)})"))
    return Check(rule, "pass" if ok else "fail", message, expected, actual, tolerance, sides)


def _fmt(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.0001')).normalize():f}"
