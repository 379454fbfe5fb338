"""Every table of every sample document, row by row, against the hand-written ground truth."""

from __future__ import annotations

import re

import pytest
from conftest import SAMPLES, extracted, ground_truth, manifest
from table_compare import diff, extracted_canonical, gt_canonical

from fiscaldocs.model import Status

ENTRIES = manifest()

# Gaps we know of, each a real limitation (strict xfail: the test fails loudly once it is fixed).
KNOWN_GAPS = {
    ("huaihua_2022_project_self_evaluation.pdf", 2):
        "a vertically merged cell cut by a page break: LibreOffice prints its text in the part on the "
        "next page, so the label lands one row lower than in the Word file",
}


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


def _pairs(gaps: dict | None = None):
    for entry in ENTRIES:
        for i, _ in enumerate(expected_tables(entry)):
            reason = (gaps or {}).get((entry["file"], i))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(entry, i, id=f"{entry['file']}#{i}", marks=marks)


@pytest.mark.parametrize(("entry", "i"), list(_pairs(KNOWN_GAPS)))
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


def test_unruled_tables_come_from_a_text_alignment_parser():
    """The unruled sample has no rules at all: its tables can only have been found by camelot's
    network/stream parsers, never by a ruling-line parser."""
    unruled = [e for e in ENTRIES if e["format"] == "pdf" and not e["ruled"]]
    assert [e["file"] for e in unruled] == ["yiyang_2023_performance_self_evaluation_unruled.pdf"]
    tables = top_level(unruled[0])
    assert len(tables) == len(unruled[0]["tables"]) == 2  # the two fund tables (manifest)
    assert all(t.extractor in ("camelot-network", "camelot-stream") for t in tables)


def test_a_table_continues_across_pages_with_its_header_repeated():
    """The corpus has tables printed over a page break with the header row repeated; each is one
    logical table whose rows remember their pages, and the repeated header is not a data row."""
    multi = {(e["file"], t.index): t for e in ENTRIES if e["format"] == "pdf" for t in top_level(e) if len(t.pages) > 1}
    # Read off the PDFs (a ruled table on each of these pages, the next table's caption on its first page)
    assert {k: t.pages for k, t in multi.items()} == {
        ("heshan_2021_final_accounts.pdf", 0): [21, 22, 23, 24, 25],
        ("huaihua_2022_project_self_evaluation.pdf", 0): [11, 12, 13],
        ("huaihua_2022_project_self_evaluation.pdf", 1): [14, 15, 16],
        ("huaihua_2022_project_self_evaluation.pdf", 2): [17, 18, 19, 20],
        ("huaihua_2022_project_self_evaluation.pdf", 3): [21, 22, 23],
        ("huaihua_2022_project_self_evaluation.pdf", 4): [24, 25, 26],
        ("huaihua_2022_project_self_evaluation.pdf", 5): [27, 28, 29],
        ("huaihua_2022_project_self_evaluation.pdf", 6): [30, 31],
        ("yiyang_2023_performance_self_evaluation.pdf", 1): [10, 11],
    }
    for table in multi.values():
        header = table.rows()[0]
        assert sum(1 for row in table.rows() if row == header and any(header)) == 1
