"""Checks (the Check and Side records live in fiscaldocs.model): rounding-aware tolerance and comparison."""

from __future__ import annotations

from decimal import Decimal

from fiscaldocs.model import Check, Side


def half_unit(printed: str) -> Decimal:
    """Half a unit of the last printed digit: "1377.2" → 0.05, "15.00" → 0.005, "265750" → 0.5."""
    text = printed.replace(",", "").strip().lstrip("-+")
    decimals = len(text.split(".")[1]) if "." in text else 0
    return Decimal(5) / (Decimal(10) ** (decimals + 1))


def compare(rule: str, expected: Decimal, actual: Decimal, tolerance: Decimal, sides: list[Side],
            what: str, unit: str = "", truncated: Decimal | None = None) -> Check:
    """pass when |expected − actual| ≤ tolerance (rounding), or, with `truncated` (one unit of the
    last printed digit, plus what the inputs' rounding propagates), when the printed figure is
    the recomputed one cut off: 0 ≤ expected − actual < truncated; else fail, in plain words."""
    ok = abs(expected - actual) <= tolerance or (truncated is not None and 0 <= expected - actual < truncated)
    message = (f"{what}: printed {actual}{unit}, recomputed {_fmt(expected)}{unit}"
               + ("" if ok else f" (off by {_fmt(abs(expected - actual))}{unit}, tolerance {_fmt(tolerance)})"))
    return Check(rule, "pass" if ok else "fail", message, expected, actual, tolerance, sides)


def _fmt(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.0001')).normalize():f}"
