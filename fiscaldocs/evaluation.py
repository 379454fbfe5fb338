"""Scoring extraction against the hand-written ground truth (sample_docs/ground_truth): used by
the tests and by `benchmarks/accuracy.py`, which prints the figures the README reports."""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field

from fiscaldocs.extractors.cjk import normalize_ws
from fiscaldocs.model import Document


@dataclass
class ClaimScores:
    true_pos: int = 0
    false_pos: int = 0
    false_neg: int = 0
    attributes: Counter = field(default_factory=Counter)  # (attribute, agrees) → count
    misses: list[str] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.true_pos / max(1, self.true_pos + self.false_neg)

    @property
    def precision(self) -> float:
        return self.true_pos / max(1, self.true_pos + self.false_pos)

    def agreement(self, attribute: str) -> float:
        agree, disagree = self.attributes[(attribute, True)], self.attributes[(attribute, False)]
        return agree / max(1, agree + disagree)

    def __iadd__(self, other: ClaimScores) -> ClaimScores:
        self.true_pos += other.true_pos
        self.false_pos += other.false_pos
        self.false_neg += other.false_neg
        self.attributes += other.attributes
        self.misses += other.misses
        self.extras += other.extras
        return self


def score_claims(doc: Document, truth: dict) -> ClaimScores:
    """A claim is found when the block holding it (same text, whitespace ignored) yields a claim
    with the same normalized value and unit. Qualifier, year and change are scored on the found
    ones; the subject agrees when one contains the other."""
    blocks = truth["blocks"]
    # The ground truth lists claims of the prose only; lines printed under a table (说明, 注) are
    # neither required nor counted against us.
    notes = {normalize_ws(n) for b in blocks if b["type"] == "table" for n in b.get("notes", [])}
    wanted: dict[str, list[dict]] = defaultdict(list)
    for claim in truth["claims"]:
        wanted[normalize_ws(blocks[claim["block"]]["text"])].append(claim)
    scores = ClaimScores()
    for claim in doc.claims:
        key = normalize_ws(doc.blocks[claim.block].text)
        if key in notes and key not in wanted:
            continue
        pool = wanted.get(key, [])
        match = next((w for w in pool if (w["value_normalized"], w["unit_normalized"])
                      == (claim.value_normalized, claim.unit_normalized)), None)
        if match is None:
            scores.false_pos += 1
            scores.extras.append(f"{claim.text} in {claim.sentence[:60]}")
            continue
        pool.remove(match)
        scores.true_pos += 1
        for attr in ("qualifier", "year", "change"):
            scores.attributes[(attr, getattr(claim, attr) == match[attr])] += 1
        subject = claim.subject or ""
        scores.attributes[("subject", bool(subject) and (subject in match["subject"] or match["subject"] in subject))] += 1
    for key, pool in wanted.items():
        scores.false_neg += len(pool)
        scores.misses += [f"{w['text']} in {key[:60]}" for w in pool]
    return scores


def score_devset(claims_by_file: dict[str, list], truth: dict) -> tuple[int, int, int]:
    """(found, missed, extra) on hand-labelled real documents: per page, the multiset of
    (normalized value, unit) of the prose claims (tests/devset/: a development set, tuned on)."""
    found = missed = extra = 0
    for file, pages in truth["pages_labelled"].items():
        want = Counter((c["page"], c["value_normalized"], c["unit_normalized"])
                       for c in truth["claims"] if c["file"] == file)
        have = Counter((c.page, c.value_normalized, c.unit_normalized)
                       for c in claims_by_file.get(file, []) if c.page in pages)
        found += sum((want & have).values())
        missed += sum((want - have).values())
        extra += sum((have - want).values())
    return found, missed, extra


def points_at(side, doc: Document, at: dict) -> bool:
    """Does one side of a check (audit.model.Side) point where `at` says (tests/planted/planted.json)?
    `at`: a table (index among the document's tables) with its row and column, or a sentence, which the
    side's block must print and the side's text be part of; `page` when the copy has pages (the PDF)."""
    if "page" in at and side.page != at["page"]:
        return False
    if "sentence" in at:
        sentence = normalize_ws(at["sentence"])
        return (side.kind == "text" and side.block is not None and bool(side.text)
                and sentence in normalize_ws(doc.blocks[side.block].text) and normalize_ws(side.text) in sentence)
    return side.kind == "table" and all(getattr(side, k) == at[k] for k in ("table", "row", "col") if k in at)
