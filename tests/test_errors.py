"""Errors are not swallowed: a file the parsers cannot read is the file's problem (a clear message),
a bug of ours is reported as an internal error with its traceback logged at ERROR, and the
narrowed `except`s let our own errors through."""

from __future__ import annotations

import logging

import pytest
from fiscaldocs.extractors import extract, pdf_backend, pdf_tables
from fiscaldocs.extractors.errors import is_file_fault

from fiscaldocs.model import Status

PAGE_HEIGHT = 842.0


@pytest.fixture
def ruled_pdf(tmp_path):
    """A one-page PDF with a small ruled table (three rows, three columns) and a title."""
    canvas = pytest.importorskip("reportlab.pdfgen.canvas")
    f = tmp_path / "ruled.pdf"
    c = canvas.Canvas(str(f), pagesize=(595, PAGE_HEIGHT))
    c.drawString(72, 780, "Budget 2023 summary table")
    xs, ys = [72, 222, 372, 522], [750, 720, 690, 660]
    for x in xs:
        c.line(x, ys[0], x, ys[-1])
    for y in ys:
        c.line(xs[0], y, xs[-1], y)
    rows = [["item", "2022", "2023"], ["revenue", "1,234.50", "1,300.00"], ["spending", "980.00", "1,010.25"]]
    for r, row in enumerate(rows):
        for k, text in enumerate(row):
            c.drawString(xs[k] + 5, ys[r] - 20, text)
    c.save()
    return f


def internal_error_records(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.levelno == logging.ERROR and "internal error" in r.getMessage()]


def assert_internal(doc, caplog, name: str, exc_type: type[BaseException], text: str | None = None) -> None:
    assert doc.status is Status.ERROR
    assert name in doc.error and "internal error" in doc.error and exc_type.__name__ in doc.error
    assert "bug" in doc.error and "corrupt" not in doc.error
    if text is not None:
        assert text in doc.error
    [record] = internal_error_records(caplog)
    assert record.exc_info is not None and issubclass(record.exc_info[0], exc_type)
    assert record.exc_info[2] is not None  # the traceback is there for the log to print


def test_the_sample_pdf_is_fine(ruled_pdf):
    doc = extract(ruled_pdf)
    assert doc.status is Status.OK and len(doc.tables) == 1


# Our bugs: status error, "internal error", the traceback logged at ERROR -------------------------

def test_bug_in_the_pdf_backend_is_an_internal_error(ruled_pdf, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise TypeError("unsupported operand type(s) for +: 'int' and 'NoneType'")

    monkeypatch.setattr(pdf_backend, "chars_to_lines", broken)
    with caplog.at_level(logging.ERROR):
        doc = extract(ruled_pdf)
    assert_internal(doc, caplog, "ruled.pdf", TypeError, "'int' and 'NoneType'")


def test_real_type_error_in_our_frame_is_an_internal_error(ruled_pdf, monkeypatch, caplog):
    # not a stub raising: our own comparison `coverage < RETRY_BELOW` fails in pdf_backend's frame
    monkeypatch.setattr(pdf_backend, "RETRY_BELOW", None)
    with caplog.at_level(logging.ERROR):
        doc = extract(ruled_pdf)
    assert_internal(doc, caplog, "ruled.pdf", TypeError, "'<' not supported")


@pytest.mark.parametrize("exc", [KeyError("cells"), AttributeError("no attribute 'x0'"), IndexError("list index")])
def test_bug_in_our_grid_code_is_an_internal_error(ruled_pdf, monkeypatch, caplog, exc):
    def broken(*args, **kwargs):
        raise exc

    monkeypatch.setattr(pdf_tables, "grid_from_cell_boxes", broken)
    with caplog.at_level(logging.ERROR):
        doc = extract(ruled_pdf)
    assert_internal(doc, caplog, "ruled.pdf", type(exc))


def test_bug_in_the_docx_backend_is_an_internal_error(tmp_path, monkeypatch, caplog):
    from fiscaldocs.extractors import docx_backend

    docx = pytest.importorskip("docx")
    f = tmp_path / "report.docx"
    d = docx.Document()
    d.add_paragraph("2023年部门预算")
    d.save(str(f))
    assert extract(f).status is Status.OK

    monkeypatch.setattr(docx_backend, "_int", lambda el, default: el.missing_attribute)
    table = d.add_table(rows=2, cols=2)
    table.cell(0, 0).text = "项目"
    d.save(str(f))
    with caplog.at_level(logging.ERROR):
        doc = extract(f)
    assert_internal(doc, caplog, "report.docx", AttributeError)


# The file's fault: the parsers' errors, and bare errors raised inside a parser -------------------

@pytest.mark.parametrize("exc", [KeyError("/Root"), TypeError("'int' object is not iterable"),
                                 RecursionError("maximum recursion depth exceeded")])
def test_bare_error_raised_inside_a_parser_is_the_files(ruled_pdf, monkeypatch, caplog, exc):
    """pdfplumber's table finder (called by our ruled_grids) raising: a parser choking on the file."""
    import pdfplumber.page

    def choke(*args, **kwargs):
        raise exc

    monkeypatch.setattr(pdfplumber.page, "TableFinder", choke)
    with caplog.at_level(logging.DEBUG):
        doc = extract(ruled_pdf)
    assert doc.status is Status.ERROR
    assert doc.error.startswith("ruled.pdf: corrupt or unreadable PDF (" + type(exc).__name__)
    assert not internal_error_records(caplog)


def test_running_out_of_memory_is_the_memory_limit(ruled_pdf, monkeypatch, caplog):
    """A MemoryError (the worker's address-space limit reached) names the limit and how to raise it."""
    import pdfplumber.page

    def choke(*args, **kwargs):
        raise MemoryError()

    monkeypatch.setattr(pdfplumber.page, "TableFinder", choke)
    doc = extract(ruled_pdf)
    assert doc.status is Status.ERROR
    assert doc.error.startswith("ruled.pdf: needs more memory than the limit of 2048 MB")
    assert "FISCALDOCS_MAX_MEMORY_MB" in doc.error and not internal_error_records(caplog)


def test_truncated_pdf_is_corrupt_not_internal(tmp_path, ruled_pdf, caplog):
    f = tmp_path / "truncated.pdf"
    data = ruled_pdf.read_bytes()
    f.write_bytes(data[: len(data) // 2])
    with caplog.at_level(logging.DEBUG):
        doc = extract(f)
    assert doc.status is Status.ERROR
    assert doc.error.startswith("truncated.pdf: corrupt or unreadable PDF (")
    assert not internal_error_records(caplog)


def test_corrupt_docx_is_corrupt_not_internal(tmp_path, caplog):
    import zipfile

    f = tmp_path / "bad.docx"
    with zipfile.ZipFile(f, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("word/document.xml", "<w:document><not-closed>")
    g = tmp_path / "garbled.docx"
    with zipfile.ZipFile(g, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="x"><Default Extension=')
        zf.writestr("word/document.xml", "<w:document/>")
    with caplog.at_level(logging.DEBUG):
        bad, garbled = extract(f), extract(g)
    assert bad.error.startswith("bad.docx: corrupt or unreadable Word file (")
    assert garbled.error.startswith("garbled.docx: corrupt or unreadable Word file (XMLSyntaxError")
    assert not internal_error_records(caplog)


def test_classification_rule():
    import io
    import zipfile

    from fiscaldocs.extractors.legacy_doc import ConversionError
    from lxml import etree

    def raised(fn):
        try:
            fn()
        except Exception as exc:
            return exc
        raise AssertionError("did not raise")

    # the parsers' own types: the file's, wherever raised
    assert is_file_fault(raised(lambda: etree.fromstring(b"<a><b>")))  # XMLSyntaxError is a SyntaxError too
    assert is_file_fault(ConversionError("LibreOffice could not convert"))
    assert is_file_fault(zipfile.BadZipFile("File is not a zip file"))
    # a bare error raised in our frame, or nowhere identifiable: ours
    assert not is_file_fault(raised(lambda: pdf_tables.overlap(None, (0, 0, 1, 1))))
    assert not is_file_fault(raised(lambda: {}["k"]))
    # a bare error raised inside a parser (here the zip reader: no such member): the file's
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("word/document.xml", "<w:document/>")
    assert is_file_fault(raised(lambda: zipfile.ZipFile(buf).read("word/styles.xml")))


def test_import_error_inside_a_parser_is_not_blamed_on_the_file(ruled_pdf, monkeypatch, caplog):
    import pdfplumber.page

    def missing(*args, **kwargs):
        raise ImportError("libGL.so.1: cannot open shared object file")

    monkeypatch.setattr(pdfplumber.page, "TableFinder", missing)
    with caplog.at_level(logging.ERROR):
        doc = extract(ruled_pdf)
    assert_internal(doc, caplog, "ruled.pdf", ImportError, "libGL")


# The camelot stage: its reactions to odd pages are misses, our errors propagate -------------------

@pytest.mark.parametrize("make", [
    lambda: IndexError("list index out of range"),
    lambda: ZeroDivisionError("float division by zero"),
    lambda: ValueError("min() arg is an empty sequence"),
    lambda: __import__("pypdfium2").PdfiumError("Failed to load page."),
    lambda: __import__("playa.exceptions").exceptions.PDFSyntaxError("bad content stream"),
])
def test_camelot_failure_on_an_odd_page_is_a_logged_miss(ruled_pdf, monkeypatch, caplog, make):
    import camelot.handlers

    def choke(self, *args, **kwargs):  # inside camelot, as its parsers fail on an odd page
        raise make()

    monkeypatch.setattr(camelot.handlers.PDFHandler, "_parse_page", choke)
    with caplog.at_level(logging.WARNING):
        grids = pdf_tables.camelot_lattice_grids(ruled_pdf, 1, PAGE_HEIGHT)
    assert grids == []
    [record] = [r for r in caplog.records if r.name == pdf_tables.log.name]
    assert record.levelno == logging.WARNING
    assert "camelot lattice failed on ruled.pdf page 1" in record.getMessage()
    assert type(make()).__name__ in record.getMessage()


def test_camelot_miss_keeps_the_document(ruled_pdf, monkeypatch):
    import camelot.handlers

    def choke(self, *args, **kwargs):
        raise IndexError("list index out of range")

    monkeypatch.setattr(camelot.handlers.PDFHandler, "_parse_page", choke)
    monkeypatch.setattr(pdf_backend, "RETRY_BELOW", 1.01)  # make the page go to camelot lattice
    doc = extract(ruled_pdf)
    assert doc.status is Status.OK and len(doc.tables) == 1  # pdfplumber's grid stands


def test_error_not_raised_inside_camelot_propagates(ruled_pdf, monkeypatch):
    import camelot

    def read_pdf(*args, **kwargs):
        raise ValueError("a ValueError of ours, not camelot's")

    monkeypatch.setattr(camelot, "read_pdf", read_pdf)
    with pytest.raises(ValueError, match="of ours"):
        pdf_tables.camelot_lattice_grids(ruled_pdf, 1, PAGE_HEIGHT)


def test_type_error_in_our_grid_code_propagates_out_of_the_table_stage(ruled_pdf, monkeypatch, caplog):
    def broken(rows):
        raise TypeError("'NoneType' object is not subscriptable")

    monkeypatch.setattr(pdf_tables, "_merged_regions", broken)
    with pytest.raises(TypeError, match="not subscriptable"):
        pdf_tables.camelot_lattice_grids(ruled_pdf, 1, PAGE_HEIGHT)

    monkeypatch.setattr(pdf_backend, "RETRY_BELOW", 1.01)  # the page goes to camelot lattice
    with caplog.at_level(logging.ERROR):
        doc = extract(ruled_pdf)
    assert_internal(doc, caplog, "ruled.pdf", TypeError, "not subscriptable")


# Sources and numbers ------------------------------------------------------------------------------

def test_dead_link_is_a_fetch_error_a_bug_is_not(tmp_path, monkeypatch):
    from fiscaldocs.crawl import fetcher

    from fiscaldocs import sources

    monkeypatch.setattr(fetcher.Fetcher, "robots_allow", lambda self, url: True)
    resolved = sources.resolve(["http://127.0.0.1:9/report.pdf"], tmp_path / "raw")
    assert resolved.files == [] and resolved.problems == []
    [fetch] = resolved.fetches
    assert fetch["url"] == "http://127.0.0.1:9/report.pdf" and fetch["status"] == "error"
    assert fetch["error"].startswith("download failed: connection failed")

    def unwritable(self, body, name):
        raise PermissionError(13, "Permission denied", str(tmp_path / "raw"))

    def pdf(self, url, headers=None):
        import httpx

        return httpx.Response(200, content=b"%PDF-1.4 body"), url, b"%PDF-1.4 body"

    monkeypatch.setattr(fetcher.Fetcher, "get", pdf)
    monkeypatch.setattr(fetcher.RawStore, "put", unwritable)
    [fetch] = sources.resolve(["https://example.org/r.pdf"], tmp_path / "raw").fetches
    assert fetch["status"] == "error" and "Permission denied" in fetch["error"]

    def buggy(self, body, name):
        raise KeyError("content-type")

    monkeypatch.setattr(fetcher.RawStore, "put", buggy)
    with pytest.raises(KeyError):
        sources.resolve(["https://example.org/r.pdf"], tmp_path / "raw")


def test_parse_number_errors():
    from fiscaldocs.normalize import numbers

    for text in ("一十零", "百", "abc"):  # cn2an raises KeyError for the first, ValueError for the others
        with pytest.raises(ValueError, match="not a number"):
            numbers.parse_number(text)


def test_parse_number_does_not_hide_a_type_error(monkeypatch):
    import cn2an
    from fiscaldocs.normalize import numbers

    def broken(text, mode):
        raise TypeError("a bug")

    monkeypatch.setattr(cn2an, "cn2an", broken)
    with pytest.raises(TypeError, match="a bug"):
        numbers.parse_number("两千三百")
