"""Category mapping coverage: the share of table line items (rows with money amounts, totals
aside) mapped to a code, on the sample documents and the real ones, and the list of the unmapped
labels; and taxonomy coverage: of the distinct codes printed in code columns, how many the
taxonomy (normalize/data) knows — an unknown printed code is kept as printed, flagged unknown.

    .venv/bin/python benchmarks/category_coverage.py [files...]
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from fiscaldocs.normalize.categories import line_items

from fiscaldocs.pipeline import process

ROOT = Path(__file__).resolve().parent.parent


def default_files() -> list[Path]:
    files = sorted((ROOT / "sample_docs").glob("*.pdf"))
    real = ROOT.parent / "shared" / "realdocs"
    return files + sorted(p for p in real.glob("*.pdf") if "NONFISCAL" not in p.name)


def main() -> None:
    files = [Path(a) for a in sys.argv[1:]] or default_files()
    total = mapped = 0
    methods: Counter[str] = Counter()
    unmapped: Counter[str] = Counter()
    printed: dict[str, str] = {}
    for path in files:
        doc = process(path)
        items = [i for t in doc.tables if t.parent is None for i in line_items(t, doc.meta.fiscal_year)
                 if i.has_money and not i.is_total]
        hit = [i for i in items if i.match]
        total += len(items)
        mapped += len(hit)
        methods.update(i.match.method for i in hit)
        unmapped.update(i.label for i in items if not i.match)
        printed.update({i.code: f"{i.match.name if i.match else i.label}{'' if i.match and i.match.known else ' (unknown)'}"
                        for i in items if i.code})
        print(f"{path.name[:60]:60} {len(hit):4d}/{len(items):4d} mapped")
    print(f"\nTOTAL {mapped}/{total} line items mapped ({mapped / max(1, total):.1%}); by method: {dict(methods)}")
    unknown = sorted(c for c, name in printed.items() if name.endswith("(unknown)"))
    print(f"\nprinted codes: {len(printed) - len(unknown)}/{len(printed)} distinct codes in the taxonomy; "
          f"unknown, kept as printed: {[(c, printed[c]) for c in unknown]}")
    print(f"\n{len(unmapped)} distinct unmapped labels (count):")
    for label, n in unmapped.most_common():
        print(f"  {n:3d}  {label}")


if __name__ == "__main__":
    main()
