"""OCR of scanned pages (issue 13): a scanned report ingests, its facts are in the warehouse marked
as OCR'd; good text layers are never OCR'd; without the extra, `needs_ocr` with the install hint.

The scanned report is tests/fixtures/ocr/yiyang_2023_scanned.pdf, made by sample_docs/tools/scan.py
from pages 3 (prose) and 12 (a ruled fund table) of the 益阳 2023 sample, rotated, blurred, on grey
paper, JPEG-compressed, with no text layer. Expected values are read from those two pages of the
source report (and its hand-transcribed ground truth), not from the code's output.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pdfplumber
import pytest
from conftest import SAMPLES
from fiscaldocs.extractors import extract, ocr, sha256_file
from fiscaldocs.extractors.text_layer import TextLayer, is_garbage, text_layer

from fiscaldocs.model import Status
from fiscaldocs.text_accuracy import canonical

pytestmark = pytest.mark.skipif(not ocr.available(), reason="the OCR extra (fiscaldocs[ocr]) is not installed")

SCAN = Path(__file__).parent / "fixtures" / "ocr" / "yiyang_2023_scanned.pdf"
TABLE = "2023年度益阳市职工医疗（含生育）保险基金预决算收支情况表"


def without_ocr_extra(monkeypatch):
    """As on a machine without `pip install fiscaldocs[ocr]`: importing rapidocr fails."""
    monkeypatch.setitem(sys.modules, "rapidocr", None)
    assert not ocr.available()


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    from fiscaldocs.warehouse.runs import write_run

    from fiscaldocs.staging import process_to_file

    work = tmp_path_factory.mktemp("ocr")
    sha = sha256_file(SCAN)
    items = [{"path": str(SCAN), "url": None, "sha256": sha, "staged": process_to_file(str(SCAN), sha, str(work))}]
    db = work / "w.duckdb"
    summary = write_run(db, items, [], "scanned", datetime.now(UTC).replace(tzinfo=None))
    assert [(o.action, o.status, o.tables) for o in summary.outcomes] == [("new", "ok", 1)]
    return db, sha, items[0]["staged"]


def q(db, sql, params=None):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql, params or []).fetchall()


def test_scanned_report_is_read_and_marked(loaded):
    db, sha, summary = loaded
    assert q(db, "SELECT status, ocr_pages FROM documents WHERE doc_id = ?", [sha]) == [("ok", [1, 2])]
    # every row read from the two scanned pages says so, with a confidence
    for table in ("text_blocks", "table_cells", "claims", "facts", "indicators"):
        rows = q(db, f"SELECT count(*), count(*) FILTER (ocr), min(ocr_confidence) FROM {table} WHERE doc_id = ?", [sha])
        total, flagged, lowest = rows[0]
        assert total > 0 and flagged == total, table
        assert lowest is None or 0 < lowest <= 1, table


def test_table_cells_from_the_scanned_table(loaded):
    """Page 12 of the source: the 职工医疗 fund table (万元), its ruled grid read from the image."""
    db, sha, _ = loaded
    tables = q(db, "SELECT table_id, title, unit, extractor, n_rows, n_cols FROM doc_tables WHERE doc_id = ?", [sha])
    # brackets: full- or half-width is not something a page image shows reliably
    assert [(canonical(t[1]), t[2], t[3], t[4], t[5]) for t in tables] == [
        (canonical(TABLE), "万元", "ocr-lattice", 20, 4)]
    facts = {(r[0], r[1]): r[2] for r in q(db, """
        SELECT line_item, column_header, amount_yuan FROM facts
        WHERE doc_id = ? AND source_kind = 'table' AND ocr""", [sha])}
    # 二、收入合计 2023年决算数 199910万元; 三、支出合计 2022年决算数 153998; 五、期末滚存结余 2023年预算数 294641;
    # 2. 利息收入 2023年预算数 521
    assert facts[("二、收入合计", "2023年决算数")] == Decimal("1999100000")
    assert facts[("三、支出合计", "2022年决算数")] == Decimal("1539980000")
    assert facts[("五、期末滚存结余", "2023年预算数")] == Decimal("2946410000")
    assert facts[("2.利息收入", "2023年预算数")] == Decimal("5210000")


def test_sentences_from_the_scanned_prose(loaded):
    """Page 3: "2023年，全市城职基本医疗保险基金总收入199910万元，…个人账户基金结余-1755万元" and
    "2023年全市城乡居民医保基金总收入343177万元，总支出319030万元"."""
    db, sha, _ = loaded
    amounts = {r[0] for r in q(db, "SELECT amount_yuan FROM facts WHERE doc_id = ? AND source_kind = 'text' AND ocr",
                               [sha])}
    assert {Decimal("1999100000"), Decimal("-17550000"), Decimal("3431770000"), Decimal("3190300000")} <= amounts
    people = q(db, "SELECT value FROM indicators WHERE doc_id = ? AND unit = 'person' AND ocr", [sha])
    assert (Decimal("423200"),) in people  # 参保人数42.32万人
    # the audit ran on the OCR'd table: its totals add up (收入合计 = 收入小计 + 上级补助 + 下级上解 …)
    checks = q(db, "SELECT status, count(*) FROM checks WHERE doc_id = ? AND rule IN ('table_total', "
                   "'balance_identity') GROUP BY ALL", [sha])
    assert dict(checks).get("pass", 0) >= 3 and dict(checks).get("fail", 0) == 0


def test_a_failed_sum_on_ocr_digits_is_called_a_likely_misread():
    from fiscaldocs.audit import audit_document

    from fiscaldocs.pipeline import process

    doc = process(SCAN)
    table = doc.tables[0]
    cell = next(c for c in table.cells if c.text == "154573")  # 1. 基本医疗保险费收入, 2022年决算数
    cell.text = "154578"  # a 3 misread as an 8
    failed = [c for c in audit_document(doc) if c.status == "fail"]
    assert failed and all("read by OCR" in c.message and "misread" in c.message for c in failed)


def test_good_text_layer_is_never_ocr_d(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("OCR run on a page with a text layer")

    monkeypatch.setattr(ocr, "read_page", refuse)
    doc = extract(SAMPLES / "yiyang_2023_performance_self_evaluation.pdf")
    assert doc.status is Status.OK and doc.meta.ocr_pages == []
    assert not any(b.ocr for b in doc.blocks) and not any(c.ocr for t in doc.tables for c in t.cells)


def test_text_layer_verdicts():
    with pdfplumber.open(SAMPLES / "ningxiang_2024_performance_self_evaluation.pdf") as pdf:
        page = pdf.pages[0]
        assert text_layer(page, page.chars).usable
    with pdfplumber.open(SCAN) as pdf:
        page = pdf.pages[0]
        layer = text_layer(page, page.chars)
        assert not layer.usable and layer.chars == 0 and layer.image_cover > 0.9
    assert TextLayer(chars=0, garbage=0, image_cover=0.0, drawn=False).usable  # blank: nothing to OCR
    assert not TextLayer(chars=0, garbage=0, image_cover=0.0, drawn=True).usable  # outlined glyphs
    assert not TextLayer(chars=12, garbage=0, image_cover=0.95).usable  # a scan with a stray page number
    assert TextLayer(chars=800, garbage=0, image_cover=0.95).usable  # a scan with a searchable text layer
    assert not TextLayer(chars=500, garbage=400, image_cover=0.0).usable
    assert is_garbage("\ue012") and is_garbage("(cid:17)") and is_garbage("\ufffd") and not is_garbage("预")


def test_without_the_extra_a_scan_needs_ocr_with_the_hint(monkeypatch):
    without_ocr_extra(monkeypatch)
    doc = extract(SCAN)
    assert doc.status is Status.NEEDS_OCR
    assert "yiyang_2023_scanned.pdf" in doc.error and "pip install 'fiscaldocs[ocr]'" in doc.error


def test_real_scanned_page_reads_as_typed(realdoc):
    """The real scanned book page (non-fiscal): page 1 typed in by hand (tests/fixtures/ocr/)."""
    from fiscaldocs.text_accuracy import char_accuracy, number_accuracy

    truth = (Path(__file__).parent / "fixtures" / "ocr" / "scan15_page1.truth.txt").read_text(encoding="utf-8")
    scanned = ocr.read_page(realdoc("15_mineru_scanned_chinese_book_page_NONFISCAL.pdf"), 0)
    read = "".join(c["text"] for c in scanned.chars)
    assert char_accuracy(read, truth) >= 0.95 and number_accuracy(read, truth) >= 0.8
    assert char_accuracy("", truth) == 0 and number_accuracy(read.replace("1696", "1698"), truth) < 1


def test_deskew_finds_the_scanners_rotation():
    page, _ = ocr.render(SAMPLES / "yiyang_2023_performance_self_evaluation.pdf", 11)
    for angle in (0.8, -0.5):
        assert abs(ocr.estimate_skew(ocr.rotate(page, angle)) + angle) <= 0.15


def test_ocr_refused_memory_is_the_memory_limit_not_an_internal_error():
    """When the worker's address-space cap refuses OCR an allocation, onnxruntime's C++ raises
    std::bad_alloc inside a RuntimeException, not Python's MemoryError. That is the document's
    memory limit, said as such (the file, the limit, how to raise it), never a bug of ours. The
    worker reads the scan once (every library and OCR's models loaded), then again with 64 MB of
    address space to spare: the page images fit, inference does not."""
    from hostile import jobs

    from fiscaldocs.workers import WorkerPool

    pool = WorkerPool(1)
    try:
        status, error = pool.run(jobs.extract_with_headroom, str(SCAN), 64)
    finally:
        pool.close()
    assert status == "error"
    assert error.startswith(f"{SCAN.name}: needs more memory than the limit of"), error
    assert "FISCALDOCS_MAX_MEMORY_MB" in error and "internal error" not in error


def test_what_one_document_leaves_in_a_worker_does_not_shrink_the_next_ones_limit(monkeypatch):
    """With the default cap, the unruled sample (camelot, hence pandas and Arrow) and then the scan,
    in one worker. Arrow's default allocator reserved ~1 GiB of address space and kept it, and the
    scan then failed its memory limit; read alone, it fits. The scan's two pages are OCR'd here as
    when read alone."""
    from hostile import jobs

    from fiscaldocs.workers import WorkerPool

    monkeypatch.delenv("FISCALDOCS_MAX_MEMORY_MB", raising=False)
    pool = WorkerPool(1)
    try:
        unruled = SAMPLES / "yiyang_2023_performance_self_evaluation_unruled.pdf"
        assert pool.run(jobs.extract_in_worker, str(unruled))[:2] == ("ok", None)
        assert pool.run(jobs.extract_in_worker, str(SCAN))[:2] == ("ok", None)
    finally:
        pool.close()
