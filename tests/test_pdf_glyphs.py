"""pdfium's glyphs and rules (extractors/pdf_glyphs.py) against pdfplumber's reading of the same
pages, and the backend's output with either reader."""

from __future__ import annotations

import pdfplumber
import pypdfium2 as pdfium
import pytest
from conftest import REALDOCS, SAMPLES
from fiscaldocs.extractors import extract
from fiscaldocs.extractors.pdf_glyphs import dedupe, document_descents, join_surrogates, read_page

canvas = pytest.importorskip("reportlab.pdfgen.canvas")


def _edges(page) -> list[tuple]:
    edges = [(e["orientation"], e["x0"], e["top"], e["x1"], e["bottom"]) for e in page.edges if e["orientation"]]
    return sorted(edges, key=lambda e: (e[0], *(round(v) for v in e[1:])))


def _glyphs(chars: list[dict]) -> list[tuple]:
    glyphs = [(c["text"], c["top"], c["x0"], c["x1"], c["bottom"], c["size"]) for c in chars if c["text"].strip()]
    return sorted(glyphs, key=lambda g: (g[0], round(g[1]), round(g[2])))


def _same_page(path, index: int) -> None:
    """The inked characters (text, box, size) and the ruling edges agree with pdfplumber's."""
    with pdfplumber.open(path) as pdf:
        plumber = pdf.pages[index].dedupe_chars(tolerance=1)
        theirs = _glyphs(plumber.chars)
        their_edges, their_images, their_box = _edges(plumber), len(plumber.images), plumber.bbox
    page = read_page(pdfium.PdfDocument(path)[index], index + 1, document_descents(path))
    ours = _glyphs(page.chars)
    assert [g[0] for g in ours] == [g[0] for g in theirs]
    # pdfium keeps coordinates as 32-bit floats, and places a glyph after the previous one by its
    # own advance where pdfminer adds the /Widths entry: along a long line of reportlab's subset
    # fonts the two drift apart by up to ~0.15 pt
    for a, b in zip(ours, theirs, strict=True):
        assert a[1:] == pytest.approx(b[1:], abs=0.25), a[0]
    ours_edges = _edges(page)
    assert [e[0] for e in ours_edges] == [e[0] for e in their_edges]
    for a, b in zip(ours_edges, their_edges, strict=True):
        assert a[1:] == pytest.approx(b[1:], abs=0.1)
    assert len(page.images) == their_images
    assert [round(v, 2) for v in page.bbox] == [round(float(v), 2) for v in their_box]


@pytest.mark.parametrize("name, index", [
    ("yiyang_2023_performance_self_evaluation.pdf", 4),  # a ruled table (LibreOffice, no descents)
    ("heshan_2021_final_accounts.pdf", 20),  # a landscape page of a wide ruled table
    ("yiyang_2023_performance_self_evaluation_unruled.pdf", 3),  # a table printed without rules
])
def test_sample_pages_read_as_pdfplumber_reads_them(name, index):
    _same_page(SAMPLES / name, index)


@pytest.mark.parametrize("name, index", [("06_putuo_sifaju_2026_bumen_yusuan.pdf", 10),
                                         ("01_putuo_caizhengju_2024_bumen_juesuan.pdf", 13)])
def test_real_pages_read_as_pdfplumber_reads_them(name, index):
    if not (REALDOCS / name).exists():
        pytest.skip(f"{REALDOCS / name} is absent")
    _same_page(REALDOCS / name, index)


def _shifted_mediabox(tmp_path):
    """A page whose MediaBox does not start at the origin (same byte length: the xref holds)."""
    f = tmp_path / "offset.pdf"
    c = canvas.Canvas(str(f), pagesize=(595, 842))
    c.setFont("Helvetica", 12)
    c.drawString(72, 700, "Revenue 1,234.50")
    c.rect(60, 600, 200, 40)
    c.line(60, 580, 400, 580)
    c.save()
    data = f.read_bytes()
    assert data.count(b"/MediaBox [ 0 0 595 842 ]") == 1
    f.write_bytes(data.replace(b"/MediaBox [ 0 0 595 842 ]", b"/MediaBox [ 9 7 595 842 ]"))
    return f


def test_mediabox_offset_gives_pdfplumbers_coordinates(tmp_path):
    _same_page(_shifted_mediabox(tmp_path), 0)


def test_overprinted_glyphs_are_kept_once(tmp_path):
    """Fake bold (the same text drawn again 0.4 pt to the right) is one glyph each, as pdfplumber's
    dedupe_chars(tolerance=1) keeps it; the same text 5 pt away is not a duplicate."""
    f = tmp_path / "bold.pdf"
    c = canvas.Canvas(str(f), pagesize=(595, 842))
    c.setFont("Helvetica", 12)
    c.drawString(72, 700, "Total")
    c.drawString(72.4, 700, "Total")
    c.drawString(72, 690, "Total")
    c.save()
    page = read_page(pdfium.PdfDocument(f)[0], 1, document_descents(f))
    assert "".join(ch["text"] for ch in page.chars) == "TotalTotal"
    assert [round(ch["x0"], 1) for ch in page.chars[:5]] == [72.0, 79.3, 86.0, 89.3, 96.0]  # T 611, o 556, t 278 /1000 em
    _same_page(f, 0)


def test_dedupe_is_pdfplumbers_dedupe_chars():
    """Crowded random glyphs (few texts, positions a tolerance apart or chained): the same glyphs
    kept, in the same order, as pdfplumber's own dedupe_chars."""
    import random

    from pdfplumber.utils import dedupe_chars

    rng = random.Random(14)
    for _ in range(200):
        chars = [{"text": rng.choice("ab"), "upright": True, "fontname": rng.choice("FG"), "size": 10.0,
                  "doctop": rng.choice([0.0, 0.5, 0.9, 1.4, 2.6, 3.0]) + rng.random() * 0.2,
                  "x0": rng.choice([0.0, 0.7, 1.5, 2.2, 5.0]) + rng.random() * 0.2} for _ in range(rng.randint(1, 30))]
        assert [id(c) for c in dedupe(chars)] == [id(c) for c in dedupe_chars(chars, tolerance=1)]


def test_characters_beyond_the_bmp_are_one_character():
    """𠀀 (U+20000, CJK Extension B) is the pair D840 DC00 in UTF-16, as pdfium counts characters."""
    assert chr(join_surrogates(0xD840, 0xDC00)) == "\U00020000"
    assert join_surrogates(0xD840, 0x4E00) == 0xFFFD  # a high surrogate alone
    assert join_surrogates(0xDC00, 0xDC00) == 0xFFFD  # a low one alone


def test_dedupe_keeps_reading_order():
    a = {"text": "a", "upright": True, "fontname": "F", "size": 10.0, "doctop": 0.0, "x0": 20.0}
    b = {"text": "b", "upright": True, "fontname": "F", "size": 10.0, "doctop": 0.0, "x0": 10.0}
    a2 = dict(a, x0=20.5)
    assert dedupe([a, b, a2]) == [a, b]
    assert dedupe([a2, b, a]) == [b, a]  # of duplicates, the one further left and up is kept


@pytest.mark.parametrize("make", ["pdf_stream_bomb", "pdf_form_bomb"])
def test_stream_bombs_are_refused_before_pdfium_reads_them(tmp_path, monkeypatch, make):
    """pdfium inflates in C without a cap: the page's content and the forms it draws are inflated
    under FISCALDOCS_MAX_INFLATED_MB first (here 1 MB, the bombs 64 MiB)."""
    from hostile import generate

    monkeypatch.setenv("FISCALDOCS_MAX_INFLATED_MB", "1")
    path = getattr(generate, make)(tmp_path / f"{make}.pdf", inflated=64 * 2**20)
    doc = extract(path)
    assert doc.error == (f"{path.name}: a compressed PDF stream inflates to more than the limit of 1 MB "
                         "(raise it with FISCALDOCS_MAX_INFLATED_MB)")


def _document(path, monkeypatch, reader: str):
    monkeypatch.setenv("FISCALDOCS_PDF_GLYPHS", reader)
    doc = extract(path)
    blocks = [(b.page, b.text) for b in doc.blocks]
    tables = [(t.page, t.n_rows, t.n_cols, [(c.row, c.col, c.text) for c in t.cells]) for t in doc.tables]
    return doc.status, blocks, tables


def test_rotated_page_is_read_by_pdfplumber(tmp_path, monkeypatch):
    """A page with /Rotate: pdfplumber's coordinates turn with the page; that page is pdfplumber's."""
    f = tmp_path / "rotated.pdf"
    c = canvas.Canvas(str(f), pagesize=(595, 842))
    c.setFont("Helvetica", 12)
    c.drawString(72, 760, "Department budget 2023")
    c.drawString(72, 740, "The budget covers the general public budget and the government funds.")
    c.setPageRotation(90)
    c.showPage()
    c.save()
    assert pdfium.PdfDocument(f)[0].get_rotation() == 90
    ours = _document(f, monkeypatch, "pdfium")
    assert ours == _document(f, monkeypatch, "pdfplumber")
    assert ours[1]  # the text was read


def test_sample_document_is_the_same_with_either_reader(monkeypatch):
    path = SAMPLES / "yiyang_2023_performance_self_evaluation.pdf"
    assert _document(path, monkeypatch, "pdfium") == _document(path, monkeypatch, "pdfplumber")
