"""Unruled tables: cell-adjacency F1 of fiscaldocs and of camelot's flavors, side by side.

The measure is the ICDAR 2013 table competition's: every non-empty cell with its nearest
non-empty neighbour to the right and below is one relation (texts compared without whitespace);
precision = relations found that are true / relations found, recall = true relations found / true
relations, summed over all documents (micro). Every table a system returns on the page counts, so
prose read as a table costs precision.

Corpus: benchmarks/unruled/corpus (made by make_corpus.py, truth by construction), in a tuning
split and a held-out split that the extractor was never tuned on; both are reported.

    .venv/bin/python benchmarks/unruled_tables.py [--split tune|heldout|all] [--systems fiscaldocs,network,...]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import warnings
from collections import Counter, defaultdict
from pathlib import Path

CORPUS = Path(__file__).parent / "unruled" / "corpus"
SYSTEMS = ["fiscaldocs", "network", "stream", "hybrid", "lattice"]


def _norm(text: str) -> str:
    return re.sub(r"[\s\u3000]+", "", text or "")


def relations(grid: list[list[str]]) -> Counter:
    """(direction, text, neighbour's text) for every non-empty cell's right and lower neighbour."""
    cells = [[_norm(c) for c in row] for row in grid]
    out: Counter = Counter()
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            if not text:
                continue
            right = next((t for t in row[c + 1:] if t), None)
            if right is not None:
                out[("R", text, right)] += 1
            below = next((cells[k][c] for k in range(r + 1, len(cells)) if c < len(cells[k]) and cells[k][c]), None)
            if below is not None:
                out[("D", text, below)] += 1
    return out


def fiscaldocs_tables(path: Path) -> list[list[list[str]]]:
    from fiscaldocs.extractors import extract

    return [t.rows() for t in extract(path).tables]


def camelot_tables(path: Path, flavor: str) -> list[list[list[str]]]:
    import camelot

    kwargs = {"backend": "pdfium"} if flavor == "lattice" else {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tables = camelot.read_pdf(str(path), pages="all", flavor=flavor, suppress_stdout=True, **kwargs)
        except Exception as exc:  # a benchmark reports a parser's failure as no tables
            print(f"  camelot {flavor} failed on {path.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return []
    return [t.df.values.tolist() for t in tables]


def run(systems: list[str], split: str, producers: set[str] | None = None) -> dict:
    totals: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])  # (system, group) → tp, pred, true
    missing: Counter = Counter()
    names = sorted(p.stem for p in (CORPUS / "truth").glob("*.json"))
    for name in names:
        truth = json.loads((CORPUS / "truth" / f"{name}.json").read_text(encoding="utf-8"))
        if (split != "all" and truth["split"] != split) or (producers and truth["producer"] not in producers):
            continue
        true = sum((relations(t["rows"]) for t in truth["tables"]), Counter())
        pdf = CORPUS / f"{name}.pdf"
        for system in systems:
            grids = fiscaldocs_tables(pdf) if system == "fiscaldocs" else camelot_tables(pdf, system)
            found = sum((relations(g) for g in grids), Counter())
            tp = sum((found & true).values())
            if not grids:
                missing[(system, truth["split"])] += 1
            for group in (truth["split"], f"{truth['split']}/{truth['producer']}"):
                acc = totals[(system, group)]
                acc[0] += tp
                acc[1] += sum(found.values())
                acc[2] += sum(true.values())
    return {"totals": totals, "missing": missing}


def _prf(tp: int, pred: int, true: int) -> tuple[float, float, float]:
    p = tp / pred if pred else 0.0
    r = tp / true if true else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--split", default="all", choices=["tune", "heldout", "all"])
    ap.add_argument("--systems", default=",".join(SYSTEMS))
    ap.add_argument("--producers", default="", help="only these producers (comma-separated)")
    args = ap.parse_args()
    systems = args.systems.split(",")
    result = run(systems, args.split, set(filter(None, args.producers.split(","))))
    totals, missing = result["totals"], result["missing"]
    groups = sorted({g for _, g in totals}, key=lambda g: ("/" in g, g))
    print(f"{'group':28s} " + " ".join(f"{s:>22s}" for s in systems))
    print(f"{'':28s} " + " ".join(f"{'P    R    F1':>22s}" for _ in systems))
    for g in groups:
        cells = []
        for s in systems:
            p, r, f = _prf(*totals[(s, g)])
            cells.append(f"{p:.3f} {r:.3f} {f:.3f}".rjust(22))
        print(f"{g:28s} " + " ".join(cells))
    for (s, sp), n in sorted(missing.items()):
        print(f"no table found: {s} on {n} {sp} documents")


if __name__ == "__main__":
    main()
