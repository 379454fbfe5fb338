"""How many planted mistakes the audit catches, and how many false alarms it raises on the whole
corpus (sample documents and real PDFs), whose real mistakes are listed by hand below.

    .venv/bin/python benchmarks/audit_planted.py
"""

from __future__ import annotations

import json
from pathlib import Path

from fiscaldocs.audit import audit_document

from fiscaldocs.evaluation import points_at
from fiscaldocs.pipeline import process

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_docs"
REALDOCS = ROOT.parent / "shared" / "realdocs"
PLANTED = ROOT / "tests" / "planted"

# Real mistakes, read in the reports and confirmed by hand (README "Audits"): (file stem, message start).
KNOWN = {
    ("heshan_2021_final_accounts", "share of 基本支出 in 总支出: printed 1.36%"),
    ("heshan_2021_final_accounts", "signed 2021-07-23"),
    ("yiyang_2023_performance_self_evaluation", "97.2% is dated 2024"),
    ("yiyang_2023_performance_self_evaluation", "95% is dated 2024"),
    ("yiyang_2023_performance_self_evaluation_unruled", "97.2% is dated 2024"),
    ("yiyang_2023_performance_self_evaluation_unruled", "95% is dated 2024"),
    ("ningxiang_2024_performance_self_evaluation", "268.07元"),
    ("01_putuo_caizhengju_2024_bumen_juesuan", "share of 一般公共服务支出"),
    ("01_putuo_caizhengju_2024_bumen_juesuan", "上海市普陀区财政局2024年度财政拨款收入支出总计0.3万元"),
}


def flagged(doc) -> dict[tuple, object]:
    return {(c.rule, c.status, c.message, c.provenance()): c for c in audit_document(doc) if c.status in ("fail", "warn")}


def main() -> None:
    planted = json.loads((PLANTED / "planted.json").read_text(encoding="utf-8"))
    caught = 0
    for entry in planted:
        path = PLANTED / entry["file"]
        original = SAMPLES / f"{entry['base']}{path.suffix}"
        doc = process(path)
        after, before = flagged(doc), flagged(process(original))
        new = [after[k] for k in after.keys() - before.keys()]
        # caught: a new flag of the planted rule whose first side is the planted cell or sentence
        hit = [c.message for c in new if c.rule == entry["rule"] and c.sides and points_at(c.sides[0], doc, entry["at"])]
        others = sorted(c.rule for c in new if c.rule != entry["rule"])
        caught += bool(hit)
        print(f"{'CAUGHT' if hit else 'missed':7} {entry['file']:28} {entry['mistake']}"
              + (f" (also flagged by {', '.join(others)})" if others else ""))
        for m in hit[:2]:
            print(f"        {m}")
    print(f"\nplanted mistakes caught: {caught} of {len(planted)}")
    corpus = sorted(SAMPLES.glob("*.pdf")) + sorted(SAMPLES.glob("*.docx"))
    corpus += sorted(p for p in REALDOCS.glob("*.pdf") if "NONFISCAL" not in p.name)
    real = false = checked = 0
    for path in corpus:
        doc = process(path)
        checks = audit_document(doc)
        checked += len(checks)
        for c in checks:
            if c.status not in ("fail", "warn"):
                continue
            if any(path.stem == stem and c.message.startswith(start) for stem, start in KNOWN):
                real += 1
            else:
                false += 1
                print(f"FALSE ALARM {path.name}: {c.rule}: {c.message}")
    print(f"corpus: {len(corpus)} files, {checked} checks, {real} flags on real mistakes, {false} false alarms")


if __name__ == "__main__":
    main()
