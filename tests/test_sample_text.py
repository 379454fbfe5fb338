"""Text of every sample document against the ground truth's prose: paragraphs rebuilt from
wrapped lines, no spurious spaces, running headers and page numbers gone."""

from __future__ import annotations

import re

import pytest
from conftest import SAMPLES, extracted, ground_truth, manifest
from fiscaldocs.extractors.captions import ANNEX_LABEL

ENTRIES = manifest()


def ws(text: str) -> str:
    return re.sub(r"\s+", "", text)


def prose(slug: str) -> list[str]:
    """The ground truth's prose blocks; an "附件N" label right above a table belongs to the
    table's caption, not to the text."""
    blocks = ground_truth(slug)["blocks"]
    out = []
    for i, b in enumerate(blocks):
        if b["type"] not in ("title", "heading", "paragraph"):
            continue
        nxt = blocks[i + 1]["type"] if i + 1 < len(blocks) else None
        if ANNEX_LABEL.match(b["text"].strip()) and nxt == "table":
            continue
        out.append(ws(b["text"]))
    return out


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_every_paragraph_is_one_block(entry):
    have = {ws(b.text) for b in extracted(str(SAMPLES / entry["file"])).blocks}
    missing = [p for p in prose(entry["ground_truth"]) if p not in have]
    assert not missing, f"{len(missing)} paragraphs not rebuilt, e.g. {missing[:3]}"


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_no_foreign_blocks(entry):
    """Every block is prose or table notes of the ground truth — one note, or consecutive notes of one
    table that a PDF prints close together and so reads as one paragraph ("填报日期:…联系电话:…单位负责人签字:…")
    — no page numbers, no running headers, no table cells leaking into the text."""
    truth = ground_truth(entry["ground_truth"])
    allowed = set(prose(entry["ground_truth"]))
    for b in truth["blocks"]:
        notes = [ws(n) for n in b.get("notes", [])] if b["type"] == "table" else []
        allowed |= {"".join(notes[i:j]) for i in range(len(notes)) for j in range(i + 1, len(notes) + 1)}
    blocks = extracted(str(SAMPLES / entry["file"])).blocks
    foreign = [b.text for b in blocks if ws(b.text) not in allowed]
    assert foreign == []
    assert not any(re.fullmatch(r"[-—–\s]*\d+[-—–\s]*", b.text) for b in blocks), "page number left in text"


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["format"] == "pdf"], ids=lambda e: e["file"])
def test_blocks_know_their_page_and_order(entry):
    doc = extracted(str(SAMPLES / entry["file"]))
    pages = [b.page for b in doc.blocks]
    assert all(p is not None and 1 <= p <= doc.meta.page_count for p in pages)
    assert pages == sorted(pages)
    orders = sorted([b.order for b in doc.blocks] + [t.order for t in doc.tables])
    assert orders == list(range(len(orders)))


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_title_year_and_kind(entry):
    truth = ground_truth(entry["ground_truth"])["metadata"]
    meta = extracted(str(SAMPLES / entry["file"])).meta
    assert ws(meta.title or "") == ws(truth["title"])
    assert meta.report_kind == truth["report_kind"]
    if re.search(r"20\d\d", truth["title"]):  # a year in the body is the normalization stage's job
        assert meta.fiscal_year == truth["fiscal_year"]
