"""Numbers as printed → exact Decimals.

Full-width digits and signs, thousands separators (ASCII or full-width comma), and Chinese
numerals ("两千三百", via cn2an) all come out as `Decimal`, never float.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import cn2an

# One-to-one character mapping, so spans found in the ASCII copy are spans of the original text.
_ASCII = str.maketrans("０１２３４５６７８９．，－−％＋", "0123456789.,--%+")


def asciify(text: str) -> str:
    """Full-width digits and number punctuation to ASCII, same length as the input."""
    return text.translate(_ASCII)


def parse_number(printed: str) -> Decimal:
    """"1,234.50" → Decimal("1234.50"); "－12" → Decimal("-12"); "两千三百" → Decimal("2300").

    Raises ValueError for text that is not a number.
    """
    text = asciify(printed).strip().replace(",", "").replace(" ", "")
    if not text:
        raise ValueError(f"not a number: {printed!r}")
    try:
        return Decimal(text)
    except InvalidOperation:
        pass
    try:
        value = cn2an.cn2an(text, "normal")
    except (ValueError, KeyError) as exc:  # what cn2an raises for text it cannot read as a number
        raise ValueError(f"not a number: {printed!r}") from exc
    return Decimal(str(value))


def plain(value: Decimal) -> str:
    """Exact decimal string without exponent or trailing zeros: 13772000, 18.46, -0.5."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
