"""OCR speed and accuracy (issue 13): pages/s on one core, character accuracy (1 − CER) and number
accuracy (share of numeric tokens read exactly) against typed-in truth.

- the real scanned book page (shared/realdocs/15_…NONFISCAL.pdf, page 1, prose and footnotes),
  typed in by hand: tests/fixtures/ocr/scan15_page1.truth.txt;
- the synthetic scan of the 益阳 2023 report (tests/fixtures/ocr/yiyang_2023_scanned.pdf, made by
  sample_docs/tools/scan.py): page 1 is the source's page 3 (prose), page 2 its page 12 (the
  职工医疗 fund table); truth is the hand-transcribed ground truth (sample_docs/ground_truth).

Also reads every page again with RapidOCR's angle classifier on, to show what it does to upright
scans (fiscaldocs runs with it off).

    taskset -c 0 .venv/bin/python benchmarks/ocr.py
"""

from __future__ import annotations

import json
import os
import platform
import resource
import time
from pathlib import Path

import pdfplumber
from fiscaldocs.extractors import ocr
from fiscaldocs.extractors.cjk import normalize_ws

from fiscaldocs.pipeline import process
from fiscaldocs.text_accuracy import canonical, char_accuracy, number_accuracy

ROOT = Path(__file__).resolve().parent.parent
REAL = ROOT.parent / "shared" / "realdocs" / "15_mineru_scanned_chinese_book_page_NONFISCAL.pdf"
REAL_TRUTH = ROOT / "tests" / "fixtures" / "ocr" / "scan15_page1.truth.txt"
SCAN = ROOT / "tests" / "fixtures" / "ocr" / "yiyang_2023_scanned.pdf"
SOURCE = ROOT / "sample_docs" / "yiyang_2023_performance_self_evaluation.pdf"
GROUND_TRUTH = ROOT / "sample_docs" / "ground_truth" / "yiyang_2023_performance_self_evaluation.json"
TABLE_TITLE = "2023年度益阳市职工医疗（含生育）保险基金预决算收支情况表"


def prose_truth() -> str:
    """The ground truth's headings and paragraphs printed on the source's page 3."""
    with pdfplumber.open(SOURCE) as pdf:  # without the running header and the page number
        page_text = canonical("".join(pdf.pages[2].extract_text().splitlines()[1:-1]))
    blocks = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))["blocks"]
    return "\n".join(b["text"] for b in blocks
                     if b["type"] in ("heading", "paragraph") and canonical(b["text"]) in page_text)


def table_truth() -> list[list[str]]:
    blocks = json.loads(GROUND_TRUTH.read_text(encoding="utf-8"))["blocks"]
    return next(b["rows"] for b in blocks if b["type"] == "table" and b["title"] == TABLE_TITLE)


def read_text(chars: list[dict]) -> str:
    return "".join(c["text"] for c in chars)


def cls_effect(path: Path, page_index: int) -> tuple[tuple[int, str], tuple[int, str]]:
    """(lines, text) without and with the angle classifier, all other settings as fiscaldocs's."""
    import numpy as np
    from rapidocr import RapidOCR

    without_engine = ocr._engine()
    params = {f"Global.{k}": without_engine.cfg.Global[k] for k in ("text_score", "max_side_len")}
    engine = RapidOCR(params={**params, "Global.log_level": "error", "Global.use_cls": True,
                              "EngineConfig.onnxruntime.intra_op_num_threads": 1,
                              "EngineConfig.onnxruntime.inter_op_num_threads": 1})
    image, _ = ocr.render(path, page_index)
    image = np.dstack([ocr.rotate(image, ocr.estimate_skew(image))] * 3)
    return tuple((len(r.txts or ()), "".join(r.txts or ())) for r in (without_engine(image), engine(image)))


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.machine()


def main() -> None:
    ocr._engine()  # load the models before timing
    rows = []
    timings = []
    cpu_start = time.process_time()

    truth = REAL_TRUTH.read_text(encoding="utf-8")
    start = time.perf_counter()
    real = ocr.read_page(REAL, 0)
    timings.append(time.perf_counter() - start)
    rows.append(("real scanned book page 1 (prose, footnotes)", len(canonical(truth)),
                 char_accuracy(read_text(real.chars), truth), number_accuracy(read_text(real.chars), truth)))

    start = time.perf_counter()
    doc = process(SCAN)  # the whole pipeline: OCR, layout, tables, claims
    whole = time.perf_counter() - start
    prose = prose_truth()
    read_prose = "\n".join(b.text for b in doc.blocks if b.page == 1)
    rows.append(("synthetic scan p.1 (益阳 p.3 prose), paragraphs", len(canonical(prose)),
                 char_accuracy(read_prose, prose), number_accuracy(read_prose, prose)))
    table = next(t for t in doc.tables if canonical(t.title or "") == canonical(TABLE_TITLE))
    want, got = table_truth(), table.rows()
    numeric = [(r, c) for r, row in enumerate(want) for c, v in enumerate(row) if v.strip().isdigit()]
    exact = sum(1 for r, c in numeric if r < len(got) and c < len(got[r])
                and normalize_ws(got[r][c]) == normalize_ws(want[r][c]))
    rows.append((f"synthetic scan p.2 (益阳 p.12 table, {len(want)}×{len(want[0])} cells)",
                 len(canonical("".join("".join(r) for r in want))),
                 char_accuracy("".join("".join(r) for r in got), "".join("".join(r) for r in want)),
                 exact / len(numeric)))

    for index in (0, 1):
        start = time.perf_counter()
        ocr.read_page(SCAN, index)
        timings.append(time.perf_counter() - start)
    cpu = time.process_time() - cpu_start

    print(f"machine: {cpu_model()}, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"Python {platform.python_version()}; OCR on one thread")
    print(f"OCR per page (render 200 dpi, deskew, recognise, rules): {len(timings)} pages in "
          f"{sum(timings):.1f} s wall = {len(timings) / sum(timings):.2f} pages/s")
    print(f"whole pipeline on the 2-page synthetic scan: {whole:.1f} s = {2 / whole:.2f} pages/s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
    print(f"CPU time of all of the above ({len(timings) + 2} pages read): {cpu:.1f} s = "
          f"{(len(timings) + 2) / cpu:.2f} pages per CPU-second")
    print("| text | characters | character accuracy | number accuracy |")
    print("| --- | --- | --- | --- |")
    for name, n, chars, numbers in rows:
        print(f"| {name} | {n} | {chars:.2%} | {numbers:.2%} |")

    print("\nangle classifier (use_cls) on upright scans: lines recognised without → with")
    for label, path, index, truth_text in (("real page 1", REAL, 0, truth), ("synthetic p.1", SCAN, 0, prose)):
        (n_without, text_without), (n_with, text_with) = cls_effect(path, index)
        print(f"  {label}: {n_without} → {n_with} lines; character accuracy of the raw lines "
              f"{char_accuracy(text_without, truth_text):.2%} → {char_accuracy(text_with, truth_text):.2%}")


if __name__ == "__main__":
    main()
