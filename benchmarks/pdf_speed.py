"""PDF reading speed side by side in one run, one core, on the same pages (issue 14 item 1):

- pypdfium2 raw text (a text page per page, its whole text): the floor of any pdfium reader;
- pdfplumber characters (`page.chars`: pdfminer's parse) and with `dedupe_chars(tolerance=1)`;
- our pdfium page reader (`pdf_glyphs.read_page`: characters, de-duplicated, and drawn objects);
- camelot lattice on every page (`--camelot`; slow);
- end to end (extract + normalize + audit: `pipeline.finish(extract(f))`) with the pdfplumber
  reader (FISCALDOCS_PDF_GLYPHS=pdfplumber, the code before the switch) and with pdfium.

Each measure runs `--repeat` times and keeps the fastest (a shared machine: the least disturbed
run). Ratios are to the pdfplumber end to end measured in the same run.

    .venv/bin/python benchmarks/pdf_speed.py [--camelot] [--repeat N] [--cpu] [files...]
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from pathlib import Path

import pdfplumber
import pypdfium2 as pdfium
from fiscaldocs.extractors import extract
from fiscaldocs.extractors.pdf_glyphs import document_descents, read_page
from fiscaldocs.extractors.pdf_tables import camelot_lattice_grids

from fiscaldocs.pipeline import finish

ROOT = Path(__file__).resolve().parent.parent
CLOCK = time.perf_counter


def default_files() -> list[Path]:
    files = sorted((ROOT / "sample_docs").glob("*.pdf"))
    real = ROOT.parent / "shared" / "realdocs"
    files += sorted(p for p in real.glob("*.pdf") if "NONFISCAL" not in p.name)
    return files


def pdfium_text(path: Path) -> None:
    pdf = pdfium.PdfDocument(path)
    for page in pdf:
        tp = page.get_textpage()
        tp.get_text_range()
        tp.close()
        page.close()
    pdf.close()


def plumber_chars(path: Path) -> None:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            _ = page.chars
            page.flush_cache()


def plumber_deduped(path: Path) -> None:
    with pdfplumber.open(path) as pdf:
        for page in pdf.pages:
            _ = page.dedupe_chars(tolerance=1).chars
            page.flush_cache()


def glyph_pages(path: Path) -> None:
    descents = document_descents(path)
    pdf = pdfium.PdfDocument(path)
    for i, page in enumerate(pdf):
        _ = read_page(page, i + 1, descents).edges
        page.close()
    pdf.close()


def camelot_every_page(path: Path) -> None:
    pdf = pdfium.PdfDocument(path)
    heights = [pdf[i].get_height() for i in range(len(pdf))]
    pdf.close()
    for n, height in enumerate(heights, 1):
        camelot_lattice_grids(path, n, height)


def end_to_end(reader: str):
    def run(path: Path) -> None:
        os.environ["FISCALDOCS_PDF_GLYPHS"] = reader
        finish(extract(path))
    return run


def best(fn, files: list[Path], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = CLOCK()
        for f in files:
            fn(f)
        times.append(CLOCK() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--camelot", action="store_true", help="also camelot lattice on every page (slow)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--cpu", action="store_true", help="this process's CPU time instead of wall time")
    args = parser.parse_args()
    if args.cpu:
        global CLOCK
        CLOCK = time.process_time
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    files = args.files or default_files()
    pages = sum(len(pdfium.PdfDocument(f)) for f in files)
    end_to_end("pdfium")(files[0])  # warm imports
    end_to_end("pdfplumber")(files[0])
    measures = [
        ("pypdfium2 raw text", pdfium_text),
        ("pdfplumber chars (pdfminer parse)", plumber_chars),
        ("pdfplumber chars + dedupe_chars", plumber_deduped),
        ("pdfium glyph pages (pdf_glyphs: chars, dedupe, rules)", glyph_pages),
        ("end to end, pdfplumber reader (before)", end_to_end("pdfplumber")),
        ("end to end, pdfium reader (after)", end_to_end("pdfium")),
    ]
    if args.camelot:
        measures.insert(4, ("camelot lattice on every page", camelot_every_page))
    results = {name: best(fn, files, 1 if "camelot" in name else args.repeat) for name, fn in measures}
    os.environ.pop("FISCALDOCS_PDF_GLYPHS", None)
    base = results["end to end, pdfplumber reader (before)"]
    print(f"{len(files)} files, {pages} pages, one core, {'CPU' if args.cpu else 'wall'} time, best of {args.repeat}")
    print(f"| {'measure':55} | pages/s | × end to end before |")
    print(f"| {'-' * 55} | ------- | ------------------- |")
    for name, seconds in results.items():
        print(f"| {name:55} | {pages / seconds:7.1f} | {base / seconds:19.2f} |")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
