"""Each PDF table parser on its own, against the ground truth: the fallback parsers must be as
right as the default one on the tables they are asked to read."""

from __future__ import annotations

import pdfplumber
import pytest
from conftest import SAMPLES, extracted, ground_truth
from fiscaldocs.extractors.pdf_grid import fill_grid, tidy
from fiscaldocs.extractors.pdf_tables import camelot_lattice_grids, overlap, ruled_grids
from table_compare import canonical, gt_canonical

from fiscaldocs.model import Cell

DOC = "yiyang_2023_performance_self_evaluation"


def _rows(cells: list[Cell], n_rows: int, n_cols: int) -> list[list[str]]:
    grid = [[""] * n_cols for _ in range(n_rows)]
    for c in cells:
        grid[c.row][c.col] = c.text
    return canonical(grid, {(c.row, c.col) for c in cells})


@pytest.mark.parametrize("index", [0, 2])  # a form with merged cells, a plain numeric table
def test_camelot_lattice_agrees_with_ground_truth(index):
    path = SAMPLES / f"{DOC}.pdf"
    table = extracted(str(path)).tables[index]
    truth = [b for b in ground_truth(DOC)["blocks"] if b["type"] == "table"][index]
    with pdfplumber.open(path) as pdf:
        page = pdf.pages[table.page - 1].dedupe_chars(tolerance=1)
        chars, height = page.chars, float(page.height)
        plumber = [g for g in ruled_grids(page) if overlap(g.bbox, table.bbox) > 0.8]
    grids = [g for g in camelot_lattice_grids(path, table.page, height) if overlap(g.bbox, table.bbox) > 0.8]
    assert len(grids) == 1 and len(plumber) == 1
    for grid in (grids[0], plumber[0]):
        filled = fill_grid(grid, chars, table.page)
        assert filled.quality.coverage == 1.0
        cells, n_rows, n_cols = tidy(filled.cells, grid.n_rows, grid.n_cols)
        got = _rows(cells, n_rows, n_cols)
        want = gt_canonical(truth)
        if len(table.pages) > 1:  # only this page's part of a continued table
            want = want[: len(got)]
        assert got == want, grid.parser


def test_three_line_table():
    """A 三线表 — horizontal rules only, as LaTeX, reportlab and many Word templates print them: no
    grid for the ruling-line parser, so the column finder reads it, header row included."""
    from pathlib import Path

    from fiscaldocs.pipeline import process

    doc = process(Path(__file__).parent / "fixtures" / "three_line_table.pdf")
    truth = [b for b in ground_truth(DOC)["blocks"] if b["type"] == "table"][2]
    assert len(doc.tables) == 1
    table = doc.tables[0]
    assert (table.title, table.unit) == (truth["title"], "万元")
    assert canonical(table.rows(), {(c.row, c.col) for c in table.cells}) == gt_canonical(truth)
