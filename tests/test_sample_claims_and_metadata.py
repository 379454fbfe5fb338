"""Claims and metadata of every sample document against the hand-written ground truth."""

from __future__ import annotations

from dataclasses import asdict

import pytest
from conftest import SAMPLES, extracted, ground_truth, manifest

from fiscaldocs.evaluation import ClaimScores, score_claims

ENTRIES = manifest()


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_metadata_exact(entry):
    truth = ground_truth(entry["ground_truth"])["metadata"]
    meta = asdict(extracted(str(SAMPLES / entry["file"])).meta)
    assert {k: meta[k] for k in truth} == truth


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_claims_recall_and_precision(entry):
    truth = ground_truth(entry["ground_truth"])
    scores = score_claims(extracted(str(SAMPLES / entry["file"])), truth)
    # every claim the ground truth lists, and nothing else (found, missed, extra)
    assert (scores.true_pos, scores.false_neg, scores.false_pos) == (len(truth["claims"]), 0, 0), (
        scores.misses[:10], scores.extras[:10])


def test_claim_attributes_over_the_corpus():
    total = ClaimScores()
    for entry in ENTRIES:
        total += score_claims(extracted(str(SAMPLES / entry["file"])), ground_truth(entry["ground_truth"]))
    assert total.recall >= 0.99 and total.precision >= 0.99
    assert total.agreement("qualifier") >= 0.98
    assert total.agreement("change") >= 0.97
    assert total.agreement("year") >= 0.95


def test_claims_carry_page_and_span():
    doc = extracted(str(SAMPLES / "yiyang_2023_performance_self_evaluation.pdf"))
    for claim in doc.claims:
        block = doc.blocks[claim.block]
        assert block.text[claim.start:claim.end] == claim.text
        assert claim.page == block.page and claim.page is not None
        assert claim.text in claim.sentence
