"""Accuracy against the hand-written ground truth, per sample file: tables, paragraphs, claims
(recall, precision, attribute agreement) and metadata. Prints the figures the README reports.

    .venv/bin/python benchmarks/accuracy.py
"""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from fiscaldocs.evaluation import ClaimScores, score_claims, score_devset
from fiscaldocs.pipeline import process

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_docs"
DEVSET = ROOT / "tests" / "devset" / "realdocs_prose_claims.json"  # development set (tuned on)
REALDOCS = ROOT.parent / "shared" / "realdocs"


def main() -> None:
    manifest = json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))
    total = ClaimScores()
    meta_ok = 0
    print(f"{'file':55} {'claims':>6} {'recall':>7} {'precision':>9} {'metadata':>8}")
    for entry in manifest:
        truth = json.loads((SAMPLES / "ground_truth" / f"{entry['ground_truth']}.json").read_text(encoding="utf-8"))
        doc = process(SAMPLES / entry["file"])
        scores = score_claims(doc, truth)
        total += scores
        meta = asdict(doc.meta)
        exact = all(meta[k] == v for k, v in truth["metadata"].items())
        meta_ok += exact
        print(f"{entry['file'][:55]:55} {len(truth['claims']):6d} {scores.recall:7.2%} {scores.precision:9.2%} "
              f"{'exact' if exact else 'DIFF':>8}")
        for miss in scores.misses[:3]:
            print(f"    missed: {miss}")
        for extra in scores.extras[:3]:
            print(f"    extra:  {extra}")
    print(f"\nclaims: recall {total.recall:.2%}, precision {total.precision:.2%} "
          f"({total.true_pos} found, {total.false_neg} missed, {total.false_pos} extra)")
    print("attribute agreement on found claims: " + ", ".join(
        f"{a} {total.agreement(a):.1%}" for a in ("qualifier", "change", "year", "subject")))
    print(f"metadata exact: {meta_ok}/{len(manifest)} files")
    if DEVSET.exists() and REALDOCS.exists():
        truth = json.loads(DEVSET.read_text(encoding="utf-8"))
        claims = {name: process(REALDOCS / name).claims for name in truth["pages_labelled"]}
        found, missed, extra = score_devset(claims, truth)
        print(f"development set (tuned on), real prose ({len(truth['claims'])} hand-labelled claims): recall "
              f"{found / (found + missed):.2%}, precision {found / max(1, found + extra):.2%} "
              f"({missed} missed, {extra} extra)")


if __name__ == "__main__":
    main()
