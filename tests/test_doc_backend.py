"""Legacy Word 97–2003 .doc read in pure Python (no LibreOffice): the .doc of a report gives the
same blocks, tables and claims as its .docx; compressed and UTF-16 text pieces, fields, breaks,
merges and nested tables; broken files fail fast with a reason.

Fixtures (tests/fixtures/doc, see make_fixtures.py): three sample reports and the document of
test_docx_backend.py saved as .doc by LibreOffice, a file written by Word (from the olefile
package's test data) and a file written by tests/doc_writer.py.
"""

from __future__ import annotations

import struct
import time
from pathlib import Path

import pytest
from conftest import SAMPLES, extracted, ground_truth, manifest
from doc_writer import (
    CENTER,
    IN_TABLE,
    Para,
    Spec,
    build_streams,
    cell,
    compound_file,
    itap,
    row_end,
    sprm,
    tdef_table,
    text_of,
)
from fiscaldocs.extractors import extract
from fiscaldocs.extractors.doc_backend import DocFormatError, WordBinary
from fiscaldocs.normalize import normalize

from fiscaldocs.model import BlockKind, Status

FIXTURES = Path(__file__).parent / "fixtures" / "doc"
REPORTS = ["fengnan_2023_fiscal_evaluation", "heshan_2021_final_accounts",
           "yiyang_2023_performance_self_evaluation"]


def _doc(slug: str):
    return extracted(str(FIXTURES / f"{slug}.doc"))


def _docx(slug: str):
    return extracted(str(SAMPLES / f"{slug}.docx"))


def _shape(table):
    return (table.n_rows, table.n_cols, table.title, table.unit, table.parent,
            [(c.row, c.col, c.row_span, c.col_span, c.text) for c in table.cells])


# --- the sample reports: .doc == .docx == ground truth -----------------------------------------


@pytest.mark.parametrize("slug", REPORTS)
def test_report_blocks_match_the_docx(slug):
    doc, docx = _doc(slug), _docx(slug)
    assert doc.status is Status.OK, doc.error
    assert doc.meta.file_type == "doc"
    assert [(b.kind, b.text) for b in doc.blocks] == [(b.kind, b.text) for b in docx.blocks]
    assert [b.order for b in doc.blocks] == [b.order for b in docx.blocks]


@pytest.mark.parametrize("slug", REPORTS)
def test_report_tables_match_the_docx_and_the_ground_truth(slug):
    from table_compare import diff, extracted_canonical, gt_canonical

    doc, docx = _doc(slug), _docx(slug)
    assert [_shape(t) for t in doc.tables] == [_shape(t) for t in docx.tables]
    assert all(t.extractor == "doc-binary" for t in doc.tables)
    entry = next(e for e in manifest() if e["file"] == f"{slug}.docx")
    truth = [b for b in ground_truth(entry["ground_truth"])["blocks"] if b["type"] == "table"]
    if entry["tables"] != "all":
        truth = [truth[i] for i in entry["tables"]]
    top = [t for t in doc.tables if t.parent is None]
    assert len(top) == len(truth)
    for got, want in zip(top, truth, strict=True):
        have, expect = extracted_canonical(got), gt_canonical(want)
        assert have == expect, diff(have, expect)
        assert got.unit == want["unit"]


@pytest.mark.parametrize("slug", REPORTS)
def test_report_claims_and_metadata_match_the_docx(slug):
    doc, docx = _doc(slug), _docx(slug)
    assert doc.claims, "no claims found"
    assert [c.as_dict() for c in doc.claims] == [c.as_dict() for c in docx.claims]
    for field in ("title", "issuer", "department", "region", "fiscal_year", "report_kind", "published_date"):
        assert getattr(doc.meta, field) == getattr(docx.meta, field), field


def test_report_tables_with_merges_and_huge_paragraph_properties():
    """yiyang's tables have horizontal and vertical merges, and LibreOffice stored the properties
    of its widest rows in the Data stream (sprmPHugePapx)."""
    tables = _doc("yiyang_2023_performance_self_evaluation").tables
    assert any(c.col_span > 1 for t in tables for c in t.cells)
    assert any(c.row_span > 1 for t in tables for c in t.cells)


def test_nested_table_and_merges_like_the_docx(tmp_path):
    """The document of test_docx_backend.py, as .doc: spans, a nested table, caption, order."""
    from test_docx_backend import _make

    _make(tmp_path / "report.docx")
    doc = extract(FIXTURES / "nested_merged_table.doc")
    docx = extract(tmp_path / "report.docx")
    assert doc.status is Status.OK, doc.error
    assert [(b.kind, b.text, b.order) for b in doc.blocks] == [(b.kind, b.text, b.order) for b in docx.blocks]
    assert [_shape(t) for t in doc.tables] == [_shape(t) for t in docx.tables]
    nested = [t for t in doc.tables if t.parent is not None]
    assert len(nested) == 1 and nested[0].parent == (0, 2, 3) and nested[0].rows() == [["内", "表"]]
    assert (doc.tables[0].title, doc.tables[0].unit) == ("2023年度部门整体支出绩效自评表", "万元")


# --- piece kinds, fields, special characters -----------------------------------------------------


def _reader(path: Path) -> WordBinary:
    import olefile

    with olefile.OleFileIO(str(path)) as ole:
        data = ole.openstream("Data").read() if ole.exists("Data") else b""
        return WordBinary(ole.openstream("WordDocument").read(), ole.openstream("1Table").read(), data)


def test_written_by_word_compressed_text():
    """A file Word itself saved (olefile's test file): one compressed cp1252 piece."""
    path = FIXTURES / "olefile_test-ole-file.doc"
    assert [p.compressed for p in _reader(path).pieces] == [True]
    doc = extract(path)
    assert doc.status is Status.OK, doc.error
    assert [b.text for b in doc.blocks] == ["Test OLE file, saved as Word 97-2003 Document."]
    assert (doc.meta.page_count, doc.meta.producer) == (1, "Microsoft Office Word")


def test_libreoffice_writes_utf16_pieces():
    assert {p.compressed for p in _reader(FIXTURES / "heshan_2021_final_accounts.doc").pieces} == {False}


def test_compressed_and_utf16_pieces_fields_and_special_characters():
    path = FIXTURES / "english_compressed.doc"
    assert [p.compressed for p in _reader(path).pieces] == [True, False, True, False]
    doc = extract(path)
    assert doc.status is Status.OK, doc.error
    assert [(b.kind.value, b.text) for b in doc.blocks] == [
        ("title", "Annual Budget Report 2023"),  # centred, 16 pt
        ("heading", "1. Overview"),  # style "heading 1"
        ("paragraph", "Total spending was 1,723.2 thousand yuan, up 4.5% on 2022."),  # field result only
        ("paragraph", "Line one line two after a tab after a page break"),  # \x0b, \t, \x0c in a paragraph
        ("paragraph", "Café“quoted”– naïve\xa0text, co-operate, optional"),  # cp1252 bytes 0x93 0x94 0x96
        ("paragraph", "Figure 1 is an embedded object."),  # the \x01 anchor dropped
        ("paragraph", "This sentence keeps its words."),  # a tracked deletion dropped
        ("paragraph", "Section one ends here."),  # a section mark ends the paragraph
        ("paragraph", "Table 1"),
        ("paragraph", "End of the English part."),
        ("heading", "二、中文段落：2023年支出1723.2万元，同比增长4.5%。"),
        ("paragraph", "English and中文in one paragraph."),  # one paragraph over two pieces
    ]
    (table,) = doc.tables
    assert table.rows() == [["Item", "2022", "2023"], ["Staff", "12.5", "13.0"], ["", "Travel", "1.5"],
                            ["Total (merged)", "", "14.5"]]
    spans = {(c.row, c.col): (c.row_span, c.col_span) for c in table.cells}
    assert spans[(1, 0)] == (2, 1) and (2, 0) not in spans  # vertical merge from the TC80 flags
    assert spans[(3, 0)] == (1, 2)  # a wider cell spans the grid columns it covers
    claims = [(str(c.value), c.unit) for c in normalize(doc).claims]
    assert ("1723.2", "万元") in claims and ("4.5", "%") in claims


def _read(spec: Spec) -> list:
    word, table = build_streams(spec)
    return WordBinary(word, table).items()


def test_fields_nested_unfinished_and_stray_marks():
    items = _read(Spec([
        Para("A\x13 IF \x13 PAGE \x14 1\x15 = 1 \x14yes\x15B"),  # a field inside a field's code
        Para("C\x13 TOC \\o \x15D"),  # a field without a result
        Para("E\x15F\x14G"),  # stray field marks
    ]))
    assert [b.text for b in items] == ["AyesB", "CD", "EFG"]


def test_built_in_heading_styles_whatever_their_name():
    """Chinese Word names its heading styles "标题 1": the style identifier says heading."""
    styles = ["Normal", "标题 1"] + [f"s{i}" for i in range(2, 10)] + ["正文"]
    items = _read(Spec([Para("概述", istd=1), Para("概述", istd=10), Para("概述")], styles=styles))
    assert [b.kind for b in items] == [BlockKind.HEADING, BlockKind.PARAGRAPH, BlockKind.PARAGRAPH]


def test_old_style_horizontal_merges_and_sprm_tmerge():
    """Word 97's fFirstMerged/fMerged cells and sprmTMerge: one cell spanning the merged ones."""
    widths = [1000, 1000, 1000]
    merge_first_two = tdef_table(widths) + sprm(0x5624, b"\x00\x02")
    (table,) = _read(Spec([
        cell("a"), cell("b"), cell("c"), row_end(widths),
        cell("wide"), cell(""), cell("c2"), row_end(widths, [1, 2, 0]),
        cell("x"), cell("y"), cell("z"), Para("", "\x07", IN_TABLE + sprm(0x2417, b"\x01") + merge_first_two),
    ]))
    assert table.rows() == [["a", "b", "c"], ["wide", "", "c2"], ["x y", "", "z"]]
    assert [(c.row, c.col, c.col_span) for c in table.cells if c.col_span > 1] == [(1, 0, 2), (2, 0, 2)]


def test_rows_with_a_cell_before_the_grid_start():
    """A row that starts further right (gridBefore) starts in a later column."""
    (table,) = _read(Spec([
        cell("a"), cell("b"), row_end([1000, 1000]),
        cell("b2"), Para("", "\x07", IN_TABLE + sprm(0x2417, b"\x01") + tdef_table([1000], left=1000)),
    ]))
    assert table.rows() == [["a", "b"], ["", "b2"]]


def test_piece_property_modifier_and_paragraph_over_three_pieces():
    """A fast-saved file's text is in many pieces, whose prm may point at property modifiers
    (Prc) in the CLX: here one centres the paragraph of the middle piece."""
    spec = Spec([Para("Intro text."), Para("Mid中文End"), Para("After.")],
                prcs=[CENTER], prms=None)
    text = text_of(spec)
    a, b = text.index("中"), text.index("End")
    spec.pieces = [(a, True), (b - a, False), (len(text) - b, True)]
    spec.prms = [0, 0, 1]  # fComplex, igrpprl 0: applies to paragraph marks in the third piece
    items = _read(spec)
    assert [(i.kind, i.text) for i in items] == [(BlockKind.PARAGRAPH, "Intro text."),
                                                 (BlockKind.HEADING, "Mid中文End"),
                                                 (BlockKind.HEADING, "After.")]


def test_nested_tables_three_deep():
    """Nesting as Word 2000+ writes it: depth in sprmPItap; inner cells and rows end with a
    paragraph mark flagged fInnerTableCell / fInnerTtp; outer cells end with \\x07."""
    inner_cell = sprm(0x244B, b"\x01")
    inner_ttp = sprm(0x244C, b"\x01")

    def at(depth: int, text: str, *extra: bytes) -> Para:
        return Para(text, "\r", IN_TABLE + itap(depth) + b"".join(extra))

    items = _read(Spec([
        Para("before"),
        at(1, "outer"),  # outer cell 0 starts with a paragraph, then holds a table
        at(2, "mid", inner_cell),  # middle table, cell 0
        at(3, "deep", inner_cell), at(3, "", inner_cell, inner_ttp, tdef_table([500])),  # in middle cell 1
        at(2, "", inner_cell),  # end of middle cell 1
        at(2, "", inner_cell, inner_ttp, tdef_table([500, 500])),
        Para("", "\x07", IN_TABLE),  # end of outer cell 0
        cell("x"), row_end([1000, 1000]),
        Para("after"),
    ]))
    assert [type(i).__name__ for i in items] == ["TextBlock", "Table", "Table", "Table", "TextBlock"]
    outer, mid, deep = items[1:4]
    assert outer.parent is None and outer.rows() == [["outer", "x"]]
    assert mid.parent == (0, 0, 0) and mid.rows() == [["mid", ""]]
    assert deep.parent == (1, 0, 1) and deep.rows() == [["deep"]]
    assert [t.index for t in (outer, mid, deep)] == [0, 1, 2]


# --- broken and hostile files --------------------------------------------------------------------


def _write(tmp_path: Path, name: str, word: bytes, table: bytes) -> Path:
    f = tmp_path / name
    f.write_bytes(compound_file({"WordDocument": word, "1Table": table}))
    return f


def _small() -> tuple[bytearray, bytearray]:
    word, table = build_streams(Spec([Para("一、概况"), Para("明细如下。"), cell("a"), cell("1"), row_end([1000, 1000]),
                                      Para("收入100万元。")]))
    return bytearray(word), bytearray(table)


FCLCB = 154  # where the FIB's fc/lcb pairs start in these files (csw 14, cslw 22)


def _fclcb(word: bytes, i: int) -> tuple[int, int]:
    return struct.unpack_from("<II", word, FCLCB + 8 * i)


def _assert_fails(path: Path, *needles: str) -> None:
    start = time.monotonic()
    doc = extract(path)
    assert time.monotonic() - start < 5
    assert doc.status is Status.ERROR, "a broken file was read as fine"
    assert path.name in doc.error
    for needle in needles:
        assert needle in doc.error, doc.error


def test_the_hand_written_file_is_sound(tmp_path):
    word, table = _small()
    doc = extract(_write(tmp_path, "ok.doc", bytes(word), bytes(table)))
    assert doc.status is Status.OK, doc.error
    assert [b.text for b in doc.blocks] == ["一、概况", "明细如下。", "收入100万元。"] and doc.tables[0].rows() == [["a", "1"]]


@pytest.mark.parametrize("keep", [600, 3000, 0.5])
def test_truncated_doc(tmp_path, keep):
    data = (FIXTURES / "heshan_2021_final_accounts.doc").read_bytes()
    f = tmp_path / "truncated.doc"
    f.write_bytes(data[:int(len(data) * keep) if isinstance(keep, float) else keep])
    _assert_fails(f, ".doc")


def test_piece_pointing_outside_the_stream(tmp_path):
    word, table = _small()
    fc, lcb = _fclcb(word, 33)
    n = (lcb - 5 - 4) // 12
    struct.pack_into("<I", table, fc + 5 + 4 * (n + 1) + 2, 0x3FFFFFF0)  # first piece's fc
    _assert_fails(_write(tmp_path, "piece.doc", bytes(word), bytes(table)), "piece 0", "outside the WordDocument")


def test_piece_table_outside_the_table_stream(tmp_path):
    word, table = _small()
    fc, _ = _fclcb(word, 33)
    struct.pack_into("<II", word, FCLCB + 8 * 33, fc, 0xFFFFFF00)
    _assert_fails(_write(tmp_path, "clx.doc", bytes(word), bytes(table)), "piece table (CLX)", "outside the table stream")


def test_absurd_piece_count(tmp_path):
    word, table = _small()
    fc, _ = _fclcb(word, 33)
    struct.pack_into("<I", table, fc + 1, 0x7FFFFFF0)  # Pcdt lcb
    _assert_fails(_write(tmp_path, "count.doc", bytes(word), bytes(table)), "piece descriptor table")


def test_absurd_text_length_is_clamped_to_the_pieces(tmp_path):
    word, table = _small()
    struct.pack_into("<i", word, 32 + 2 + 28 + 2 + 12, 0x7FFFFFFF)  # ccpText
    doc = extract(_write(tmp_path, "ccp.doc", bytes(word), bytes(table)))
    assert doc.status is Status.OK and [b.text for b in doc.blocks] == ["一、概况", "明细如下。", "收入100万元。"]


def test_property_page_outside_the_stream(tmp_path):
    word, table = _small()
    fc, lcb = _fclcb(word, 13)  # PlcBtePapx: one FC pair and one page number
    struct.pack_into("<I", table, fc + 8, 0x3FFFFF)
    _assert_fails(_write(tmp_path, "pn.doc", bytes(word), bytes(table)), "paragraph property page")


def test_absurd_table_depth(tmp_path):
    word, table = build_streams(Spec([Para("x", "\r", IN_TABLE + itap(1 << 30))]))
    _assert_fails(_write(tmp_path, "depth.doc", word, table), "nesting depth")


def test_encrypted_doc(tmp_path):
    word, table = _small()
    struct.pack_into("<H", word, 0x0A, struct.unpack_from("<H", word, 0x0A)[0] | 0x0100)
    _assert_fails(_write(tmp_path, "locked.doc", bytes(word), bytes(table)), "encrypted", "password")


def test_word95_without_libreoffice(tmp_path, monkeypatch):
    import fiscaldocs.extractors as extractors

    monkeypatch.setattr(extractors, "soffice", lambda: None)
    word, table = _small()
    struct.pack_into("<H", word, 2, 104)  # nFib of Word 95
    _assert_fails(_write(tmp_path, "old95.doc", bytes(word), bytes(table)), "Word 6.0/95")


def test_word95_goes_to_libreoffice_when_installed(tmp_path, monkeypatch):
    """LibreOffice stays as a fallback for the formats this reader does not parse."""
    import shutil

    import fiscaldocs.extractors as extractors
    from test_docx_backend import _make

    docx = tmp_path / "converted.docx"
    _make(docx)
    seen = []
    monkeypatch.setattr(extractors, "soffice", lambda: "/usr/bin/soffice")
    monkeypatch.setattr(extractors, "convert_doc_to_docx", lambda path, workdir: seen.append(path) or
                        shutil.copyfile(docx, workdir / "out.docx"))
    word, table = _small()
    struct.pack_into("<H", word, 2, 104)
    doc = extract(_write(tmp_path, "old95.doc", bytes(word), bytes(table)))
    assert doc.status is Status.OK and seen and doc.tables[0].extractor == "python-docx"


def test_compound_file_without_a_word_stream(tmp_path):
    f = tmp_path / "sheet.doc"
    f.write_bytes(compound_file({"Workbook": b"\x09\x08" + b"\x00" * 100}))
    _assert_fails(f, "no WordDocument stream")


def test_not_a_compound_file(tmp_path):
    from fiscaldocs.extractors.sniff import OLE_MAGIC

    f = tmp_path / "old.doc"
    f.write_bytes(OLE_MAGIC + b"\x00" * 1024)
    _assert_fails(f, "OLE compound file")


def test_reader_errors_are_format_errors():
    with pytest.raises(DocFormatError, match="FIB"):
        WordBinary(b"\xec\xa5" + b"\x00" * 20, b"")


# --- LibreOffice, where installed, as a second opinion on every sample -------------------------


def test_every_sample_as_doc_when_libreoffice_is_installed(tmp_path):
    """Skipped without LibreOffice (CI): save each sample .docx as .doc and read it back."""
    import shutil
    import subprocess

    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.skip("LibreOffice not installed")
    sources = sorted(SAMPLES.glob("*.docx"))
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo", "--headless", "--convert-to", "doc",
                    "--outdir", str(tmp_path), *map(str, sources)], check=True, capture_output=True, timeout=300)
    for src in sources:
        doc, docx = extract(tmp_path / f"{src.stem}.doc"), _docx(src.stem)
        assert doc.status is Status.OK, doc.error
        assert [(b.kind, b.text) for b in doc.blocks] == [(b.kind, b.text) for b in docx.blocks], src.name
        assert [_shape(t) for t in doc.tables] == [_shape(t) for t in docx.tables], src.name
