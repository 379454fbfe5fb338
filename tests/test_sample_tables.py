"""Every table of every sample document, row by row, against the hand-written ground truth."""

from __future__ import annotations

import re

import pytest
from conftest import SAMPLES, extracted, ground_truth, manifest
from table_compare import diff, extracted_canonical, gt_canonical

from fiscaldocs.model import Status

ENTRIES = manifest()


def expected_tables(entry: dict) -> list[dict]:
    tables = [b for b in ground_truth(entry["ground_truth"])["blocks"] if b["type"] == "table"]
    wanted = entry["tables"]
    return tables if wanted == "all" else [tables[i] for i in wanted]


def top_level(entry: dict):
    doc = extracted(str(SAMPLES / entry["file"]))
    assert doc.status is Status.OK, doc.error
    return [t for t in doc.tables if t.parent is None]


@pytest.mark.parametrize("entry", ENTRIES, ids=[e["file"] for e in ENTRIES])
def test_table_count(entry):
    assert len(top_level(entry)) == len(expected_tables(entry))


def _pairs():
    for entry in ENTRIES:
        for i, _ in enumerate(expected_tables(entry)):
            yield pytest.param(entry, i, id=f"{entry['file']}#{i}")


@pytest.mark.parametrize(("entry", "i"), list(_pairs()))
def test_table_rows(entry, i):
    got = top_level(entry)
    assert i < len(got), f"table {i} not found ({len(got)} tables extracted)"
    want = gt_canonical(expected_tables(entry)[i])
    have = extracted_canonical(got[i])
    assert have == want, diff(have, want)


@pytest.mark.parametrize(("entry", "i"), list(_pairs()))
def test_table_caption(entry, i):
    got = top_level(entry)
    assert i < len(got)
    truth = expected_tables(entry)[i]
    ws = lambda s: re.sub(r"\s+", "", s or "")  # noqa: E731
    assert (ws(got[i].title), got[i].unit) == (ws(truth["title"]), truth["unit"])


@pytest.mark.parametrize("entry", [e for e in ENTRIES if e["format"] == "pdf"], ids=lambda e: e["file"])
def test_pdf_rows_remember_their_page(entry):
    for table in top_level(entry):
        assert len(table.row_pages) == table.n_rows
        assert all(p is not None and p >= table.page for p in table.row_pages)
