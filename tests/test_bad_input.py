"""Bad input never raises out of the extractor: a Document with status error/needs_ocr and a
message naming the file and the reason."""

from __future__ import annotations

import sys
import zipfile

import pytest
from fiscaldocs.extractors import extract

from fiscaldocs.model import Status


def test_empty_file(tmp_path):
    f = tmp_path / "empty.pdf"
    f.write_bytes(b"")
    doc = extract(f)
    assert doc.status is Status.ERROR
    assert "empty.pdf" in doc.error and "empty" in doc.error


def test_missing_file(tmp_path):
    doc = extract(tmp_path / "nope.pdf")
    assert doc.status is Status.ERROR and "nope.pdf" in doc.error and "cannot read" in doc.error


def test_html_error_page_named_pdf(tmp_path):
    f = tmp_path / "report.pdf"
    f.write_text("<!DOCTYPE html><html><body>404 文件不存在</body></html>", encoding="utf-8")
    doc = extract(f)
    assert doc.status is Status.ERROR
    assert "report.pdf" in doc.error and "HTML" in doc.error


def test_garbage_named_docx(tmp_path):
    f = tmp_path / "report.docx"
    f.write_bytes(b"\x00\x01 this is not a word file" * 20)
    doc = extract(f)
    assert doc.status is Status.ERROR and "report.docx" in doc.error


def test_corrupt_pdf(tmp_path):
    f = tmp_path / "broken.pdf"
    f.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer garbage\n%%EOF")
    doc = extract(f)
    assert doc.status is Status.ERROR
    assert "broken.pdf" in doc.error and "PDF" in doc.error


def test_truncated_pdf(tmp_path):
    from conftest import SAMPLES

    pdfs = sorted(SAMPLES.glob("*.pdf"))
    f = tmp_path / "truncated.pdf"
    f.write_bytes(pdfs[0].read_bytes()[:1500])
    doc = extract(f)
    assert doc.status is Status.ERROR and "truncated.pdf" in doc.error


def test_encrypted_pdf(tmp_path):
    canvas = pytest.importorskip("reportlab.pdfgen.canvas")
    f = tmp_path / "locked.pdf"
    c = canvas.Canvas(str(f), encrypt="s3cret")
    c.drawString(72, 720, "budget 2023")
    c.save()
    doc = extract(f)
    assert doc.status is Status.ERROR
    assert "locked.pdf" in doc.error and "password" in doc.error


def test_corrupt_docx(tmp_path):
    f = tmp_path / "bad.docx"
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document><not-closed>")
    doc = extract(f)
    assert doc.status is Status.ERROR and "bad.docx" in doc.error and "Word" in doc.error


def test_legacy_doc_without_libreoffice(tmp_path, monkeypatch):
    """A Word 97-2003 .doc is read in pure Python: no LibreOffice needed, and a broken one says
    what is wrong with it (not what to install)."""
    import shutil
    from pathlib import Path

    import fiscaldocs.extractors as extractors
    import fiscaldocs.extractors.legacy_doc as legacy

    monkeypatch.setattr(legacy, "soffice", lambda: None)
    monkeypatch.setattr(extractors, "soffice", lambda: None)
    good = tmp_path / "report.doc"
    shutil.copyfile(Path(__file__).parent / "fixtures" / "doc" / "nested_merged_table.doc", good)
    doc = extract(good)
    assert doc.status is Status.OK and doc.tables and doc.blocks
    f = tmp_path / "old.doc"
    f.write_bytes(legacy_ole_header() + b"\x00" * 1024)
    doc = extract(f)
    assert doc.status is Status.ERROR
    assert "old.doc" in doc.error and ".doc" in doc.error and "LibreOffice" not in doc.error


def legacy_ole_header() -> bytes:
    from fiscaldocs.extractors.sniff import OLE_MAGIC

    return OLE_MAGIC


def test_scanned_pdf_needs_ocr_without_the_ocr_extra(realdoc, monkeypatch):
    monkeypatch.setitem(sys.modules, "rapidocr", None)  # as where `fiscaldocs[ocr]` is not installed
    doc = extract(realdoc("15_mineru_scanned_chinese_book_page_NONFISCAL.pdf"))
    assert doc.status is Status.NEEDS_OCR
    assert "OCR" in doc.error and "pip install 'fiscaldocs[ocr]'" in doc.error and doc.meta.page_count == 2
