"""Extraction speed on sample_docs and realdocs, one core: pages/second for text, ruled tables,
and the whole extractor; optionally camelot lattice on every page, for comparison.

    .venv/bin/python benchmarks/extraction.py [--camelot] [--cpu] [files...]
"""

from __future__ import annotations

import argparse
import resource
import time
from pathlib import Path

import pdfplumber
from fiscaldocs.extractors import extract
from fiscaldocs.extractors.pdf_grid import fill_grid
from fiscaldocs.extractors.pdf_layout import chars_to_lines
from fiscaldocs.extractors.pdf_tables import camelot_lattice_grids, ruled_grids

ROOT = Path(__file__).resolve().parent.parent


def default_files() -> list[Path]:
    files = sorted((ROOT / "sample_docs").glob("*.pdf"))
    real = ROOT.parent / "shared" / "realdocs"
    files += sorted(p for p in real.glob("*.pdf") if "NONFISCAL" not in p.name)
    return files


CLOCK = time.perf_counter


def timed(fn, *args) -> float:
    start = CLOCK()
    fn(*args)
    return CLOCK() - start


def text_only(path: Path) -> None:
    with pdfplumber.open(path) as pdf:
        for n, page in enumerate(pdf.pages, 1):
            chars_to_lines(page.dedupe_chars(tolerance=1).chars, n, page.width, page.height)


def tables_only(path: Path) -> None:
    with pdfplumber.open(path) as pdf:
        for n, page in enumerate(pdf.pages, 1):
            page = page.dedupe_chars(tolerance=1)
            for grid in ruled_grids(page):
                fill_grid(grid, page.chars, n)


def camelot_every_page(path: Path, pages: int, height: float) -> None:
    for n in range(1, pages + 1):
        camelot_lattice_grids(path, n, height)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--camelot", action="store_true", help="also time camelot lattice on every page")
    parser.add_argument("--cpu", action="store_true",
                        help="time by this process's CPU time, not wall time (a shared, busy machine)")
    args = parser.parse_args()
    if args.cpu:
        global CLOCK
        CLOCK = time.process_time
    files = args.files or default_files()
    extract(files[0])  # warm imports so the first file does not pay for them
    totals = {"pages": 0, "text": 0.0, "tables": 0.0, "extract": 0.0, "camelot": 0.0}
    print(f"{'file':58} {'pages':>5} {'text p/s':>9} {'tables p/s':>10} {'extract p/s':>11}")
    for path in files:
        with pdfplumber.open(path) as pdf:
            pages, height = len(pdf.pages), float(pdf.pages[0].height)
        t_text, t_tables, t_all = timed(text_only, path), timed(tables_only, path), timed(extract, path)
        totals["pages"] += pages
        totals["text"] += t_text
        totals["tables"] += t_tables
        totals["extract"] += t_all
        if args.camelot:
            totals["camelot"] += timed(camelot_every_page, path, pages, height)
        print(f"{path.name[:58]:58} {pages:5d} {pages / t_text:9.1f} {pages / t_tables:10.1f} {pages / t_all:11.1f}")
    p = totals["pages"]
    print(f"{'TOTAL':58} {p:5d} {p / totals['text']:9.1f} {p / totals['tables']:10.1f} {p / totals['extract']:11.1f}")
    if args.camelot:
        print(f"camelot lattice on every page: {p / totals['camelot']:.1f} pages/s")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {peak:.0f} MiB")


if __name__ == "__main__":
    main()
