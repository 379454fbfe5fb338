"""Render the hand-written ground truth (sample_docs/ground_truth/*.json) into the sample corpus.

For every ground-truth file this writes, next to this script:
  <slug>.docx          a Word report built with python-docx (ruled tables, real merged cells);
  <slug>.pdf           that docx exported by LibreOffice, the way most government PDFs are made;
and, for one slug, <slug>_unruled.pdf drawn by reportlab with tables that have no ruling lines.
manifest.json records which file came from which ground truth, by which producer.

Developer tool only: the outputs are committed, CI and tests never run it.
Usage: .venv/bin/python sample_docs/tools/generate.py [--only SLUG ...] [--no-pdf]
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import re
import shutil
import subprocess
import tempfile
import zipfile
from itertools import pairwise
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pdfplumber
import reportlab
from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_CELL_VERTICAL_ALIGNMENT, WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Cm, Length, Pt
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from reportlab.lib.enums import TA_CENTER, TA_JUSTIFY, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus import Paragraph as RLParagraph

SAMPLE_DIR = Path(__file__).resolve().parent.parent
GROUND_TRUTH_DIR = SAMPLE_DIR / "ground_truth"
UNRULED_SLUG = "yiyang_2023_performance_self_evaluation"

Block = dict[str, Any]
GroundTruth = dict[str, Any]

# Explicit East Asian fonts: LibreOffice then renders CJK with an installed, embeddable font.
SERIF_CJK = "Noto Serif CJK SC"
SANS_CJK = "Noto Sans CJK SC"
LATIN = "Times New Roman"
BODY_PT = 12.0
TABLE_PT = 10.5
WIDE_TABLE_PT = 9.0
WIDE_TABLE_COLS = 9
HEADING_PT = {1: 14.0, 2: 12.0, 3: 12.0}
MARGIN_TB, MARGIN_LR = Cm(2.54), Cm(3.18)  # Word's "普通" margins
LO_PROFILE = "file:///tmp/lo_profile_fiscaldocs"
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)  # fixed member timestamps keep the .docx byte-identical
WQY_TTC = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
RL_FONT = "WenQuanYiZenHei"
NUMBER_RE = re.compile(r"^[-+]?(\d{1,3}(,\d{3})+|\d*)(\.\d+)?%?$")

ALIGN = {
    "left": WD_ALIGN_PARAGRAPH.LEFT,
    "right": WD_ALIGN_PARAGRAPH.RIGHT,
    "center": WD_ALIGN_PARAGRAPH.CENTER,
}


# ---------------------------------------------------------------- ground truth


def load_ground_truth(path: Path) -> GroundTruth:
    gt: GroundTruth = json.loads(path.read_text(encoding="utf-8"))
    for index, block in enumerate(table_blocks(gt)):
        validate_table(block, f"{path.name} table {index}")
    return gt


def table_blocks(gt: GroundTruth) -> list[Block]:
    return [block for block in gt["blocks"] if block["type"] == "table"]


def covered_cells(merges: list[list[int]]) -> set[tuple[int, int]]:
    """Cells hidden by a merge (every cell of a region but its top-left one)."""
    return {
        (r, c)
        for r0, c0, r1, c1 in merges
        for r in range(r0, r1 + 1)
        for c in range(c0, c1 + 1)
        if (r, c) != (r0, c0)
    }


def validate_table(block: Block, where: str) -> None:
    rows = block["rows"]
    width = len(rows[0])
    if any(len(row) != width for row in rows):
        raise ValueError(f"{where}: rows differ in length")
    if len(block.get("col_widths") or [0] * width) != width:
        raise ValueError(f"{where}: col_widths does not match the {width} columns")
    for r, c in covered_cells(block.get("merges") or []):
        if r >= len(rows) or c >= width:
            raise ValueError(f"{where}: merge reaches outside the grid at ({r}, {c})")
        if rows[r][c]:
            raise ValueError(f"{where}: cell ({r}, {c}) is covered by a merge but holds {rows[r][c]!r}")


def numeric_columns(block: Block) -> list[bool]:
    """Columns whose body cells are all numbers (or empty): these are right-aligned."""
    body = block["rows"][block.get("header_rows", 1) :]
    columns = zip(*body, strict=True) if body else [()] * len(block["rows"][0])
    return [any(column) and all(NUMBER_RE.match(cell) for cell in column if cell) for column in columns]


def relative_widths(block: Block) -> list[float]:
    ncols = len(block["rows"][0])
    widths = block.get("col_widths") or [1] * ncols
    total = sum(widths)
    return [w / total for w in widths]


def is_landscape(block: Block) -> bool:
    return block["type"] == "table" and bool(block.get("landscape"))


def paginated(blocks: list[Block]) -> list[Block]:
    """Drop page breaks that would leave a blank page: one followed by another break, by the
    end, or by a change of orientation (the new section or page template starts a page anyway)."""
    kept: list[Block] = []
    for block, following in zip(blocks, [*blocks[1:], None], strict=True):
        if block["type"] == "page_break":
            orientation = bool(kept) and is_landscape(kept[-1])
            if (
                following is None
                or following["type"] == "page_break"
                or is_landscape(following) != orientation
            ):
                continue
        kept.append(block)
    return kept


def fixed_timestamp(meta: dict[str, Any]) -> dt.datetime:
    """Core-property date: the signature date, else 1 January after the fiscal year."""
    date = meta.get("published_date") or f"{meta['fiscal_year'] + 1}-01-01"
    return dt.datetime.fromisoformat(date).replace(tzinfo=dt.UTC)


# ---------------------------------------------------------------- docx


def set_run_font(run: Any, size: float, *, bold: bool = False, east_asia: str = SERIF_CJK) -> None:
    run.font.name = LATIN
    run.font.size = Pt(size)
    if bold:
        run.font.bold = True
    run._element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asia)


def write_paragraph(
    paragraph: Paragraph,
    text: str,
    size: float,
    *,
    bold: bool = False,
    east_asia: str = SERIF_CJK,
    align: Any = WD_ALIGN_PARAGRAPH.JUSTIFY,
    indent_chars: int = 0,
) -> Paragraph:
    """Fill a paragraph; "\n" in the text becomes a line break inside it (two-line titles)."""
    paragraph.alignment = align
    if indent_chars:
        paragraph.paragraph_format.first_line_indent = Pt(size * indent_chars)
        # Word itself writes the indent in characters as well; keep the file realistic.
        paragraph.paragraph_format.element.get_or_add_pPr().get_or_add_ind().set(
            qn("w:firstLineChars"), str(indent_chars * 100)
        )
    lines = text.split("\n")
    for i, line in enumerate(lines):
        run = paragraph.add_run(line)
        set_run_font(run, size, bold=bold, east_asia=east_asia)
        if i < len(lines) - 1:
            run.add_break()
    return paragraph


def configure_styles(doc: DocxDocument) -> None:
    # The template's theme fonts would win over style fonts in some readers: name fonts explicitly.
    rfonts = doc.styles.element.find(qn("w:docDefaults")).find(".//" + qn("w:rFonts"))
    for attr in list(rfonts.attrib):
        del rfonts.attrib[attr]
    for attr, font in (("ascii", LATIN), ("hAnsi", LATIN), ("eastAsia", SERIF_CJK), ("cs", LATIN)):
        rfonts.set(qn(f"w:{attr}"), font)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    normal.paragraph_format.space_before = Pt(0)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.line_spacing = 1.5
    for name in ("Header", "Footer"):
        doc.styles[name].font.size = Pt(9)
        doc.styles[name].paragraph_format.line_spacing = 1.0
    table_text = doc.styles.add_style("Table Text", 1)  # 1 = paragraph style
    table_text.base_style = normal
    table_text.font.size = Pt(TABLE_PT)
    table_text.paragraph_format.line_spacing = 1.0


def setup_page(section: Section, *, is_landscape: bool) -> None:
    short, long = Cm(21), Cm(29.7)
    section.orientation = WD_ORIENT.LANDSCAPE if is_landscape else WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = (long, short) if is_landscape else (short, long)
    section.top_margin = section.bottom_margin = MARGIN_TB
    section.left_margin = section.right_margin = MARGIN_LR
    section.header_distance = section.footer_distance = Cm(1.5)


def add_header_footer(section: Section, title: str) -> None:
    """Running title on top, "— n —" at the bottom: noise the extractor must learn to drop."""
    write_paragraph(section.header.paragraphs[0], title, 9, align=WD_ALIGN_PARAGRAPH.CENTER)
    footer = write_paragraph(section.footer.paragraphs[0], "— ", 10.5, align=WD_ALIGN_PARAGRAPH.CENTER)
    add_page_field(footer, 10.5)
    set_run_font(footer.add_run(" —"), 10.5)


def add_page_field(paragraph: Paragraph, size: float) -> None:
    """A complex PAGE field (begin, instruction, separate, cached "1", end), as Word writes it."""
    parts: list[tuple[str, str]] = [
        ("w:fldChar", "begin"), ("w:instrText", " PAGE "), ("w:fldChar", "separate"),
        ("w:t", "1"), ("w:fldChar", "end"),
    ]  # fmt: skip
    for tag, value in parts:
        run = paragraph.add_run()
        set_run_font(run, size)
        element = OxmlElement(tag)
        if tag == "w:fldChar":
            element.set(qn("w:fldCharType"), value)
        else:
            element.set(qn("xml:space"), "preserve")
            element.text = value
        run._element.append(element)


def text_width(section: Section) -> Length:
    return Length(section.page_width - section.left_margin - section.right_margin)


def add_table(doc: DocxDocument, block: Block) -> None:
    if block.get("title"):
        title = write_paragraph(
            doc.add_paragraph(), block["title"], 12, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER
        )
        title.paragraph_format.space_before = Pt(6)
        title.paragraph_format.keep_with_next = True
    if block.get("unit"):
        unit = write_paragraph(
            doc.add_paragraph(), f"单位：{block['unit']}", 10.5, align=WD_ALIGN_PARAGRAPH.RIGHT
        )
        unit.paragraph_format.keep_with_next = True
    table = build_table(doc, block)
    for r, row in enumerate(table.rows):
        tr_pr = row._tr.get_or_add_trPr()
        # A row split over two pages would cut a cell's text in two; keep each row whole.
        tr_pr.append(OxmlElement("w:cantSplit"))
        if r < block.get("header_rows", 1):
            # w:tblHeader: Word and LibreOffice repeat these rows on every page the table spans.
            tr_pr.append(OxmlElement("w:tblHeader"))
    for note in block.get("notes") or []:
        write_paragraph(doc.add_paragraph(), note, 9, align=WD_ALIGN_PARAGRAPH.LEFT)
    # A spacer paragraph after every table, as Word keeps; it also keeps adjacent tables apart.
    make_thin(doc.add_paragraph())


def make_thin(paragraph: Paragraph) -> None:
    """An empty paragraph 6pt high, so that it cannot push a blank page after a full-page table."""
    paragraph.paragraph_format.line_spacing = Pt(6)


def build_table(doc: DocxDocument, block: Block) -> DocxTable:
    rows: list[list[str]] = block["rows"]
    merges: list[list[int]] = block.get("merges") or []
    header_rows = block.get("header_rows", 1)
    size = WIDE_TABLE_PT if len(rows[0]) >= WIDE_TABLE_COLS else TABLE_PT
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    available = text_width(doc.sections[-1])
    for column, share in zip(table.columns, relative_widths(block), strict=True):
        column.width = Length(int(available * share))
        for cell in column.cells:
            cell.width = column.width
    in_merge = {(r0, c0) for r0, c0, _, _ in merges}
    numeric = numeric_columns(block)
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            cell = table.cell(r, c)
            cell.vertical_alignment = WD_CELL_VERTICAL_ALIGNMENT.CENTER
            paragraph = cell.paragraphs[0]
            paragraph.style = doc.styles["Table Text"]
            if r < header_rows or (r, c) in in_merge:
                align = WD_ALIGN_PARAGRAPH.CENTER
            else:
                align = WD_ALIGN_PARAGRAPH.RIGHT if numeric[c] else WD_ALIGN_PARAGRAPH.LEFT
            if text:
                write_paragraph(paragraph, text, size, bold=r < header_rows, align=align)
    # Merge after filling: covered cells are empty, so python-docx moves no text into the region.
    for r0, c0, r1, c1 in merges:
        table.cell(r0, c0).merge(table.cell(r1, c1))
    return table


def add_block(doc: DocxDocument, block: Block) -> None:
    kind = block["type"]
    if kind == "title":
        title = write_paragraph(
            doc.add_paragraph(), block["text"], 18, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER
        )
        title.paragraph_format.space_after = Pt(12)
    elif kind == "heading":
        level = block["level"]
        heading = write_paragraph(
            doc.add_paragraph(),
            block["text"],
            HEADING_PT[level],
            bold=True,
            east_asia=SANS_CJK if level == 1 else SERIF_CJK,
            align=WD_ALIGN_PARAGRAPH.LEFT,
            indent_chars=2,
        )
        heading.paragraph_format.space_before = Pt(6)
        heading.paragraph_format.keep_with_next = True
    elif kind == "paragraph":
        align = block.get("align")
        write_paragraph(
            doc.add_paragraph(),
            block["text"],
            BODY_PT,
            align=ALIGN[align] if align else WD_ALIGN_PARAGRAPH.JUSTIFY,
            indent_chars=0 if align in ("right", "center") else 2,
        )
    elif kind == "page_break":
        doc.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    elif kind == "table":
        add_table(doc, block)
    else:
        raise ValueError(f"unknown block type {kind!r}")


def start_section(doc: DocxDocument, *, is_landscape: bool) -> None:
    """Close the section in its last paragraph's mark, as Word does (python-docx's add_section adds
    a paragraph for it, which spills onto a blank page after a table that fills its page)."""
    carrier = doc.paragraphs[-1] if doc.paragraphs else doc.add_paragraph()
    sentinel = doc.element.body.get_or_add_sectPr()
    carrier._p.set_sectPr(sentinel.clone())
    for reference in sentinel.xpath("w:headerReference|w:footerReference"):
        sentinel.remove(reference)  # the new section inherits the running header and footer
    setup_page(doc.sections[-1], is_landscape=is_landscape)


def build_docx(gt: GroundTruth, path: Path) -> None:
    meta = gt["metadata"]
    doc = Document()
    configure_styles(doc)
    setup_page(doc.sections[0], is_landscape=False)
    add_header_footer(doc.sections[0], meta["title"])
    in_landscape = False
    for block in paginated(gt["blocks"]):
        if is_landscape(block) != in_landscape:
            in_landscape = is_landscape(block)
            start_section(doc, is_landscape=in_landscape)
        add_block(doc, block)
    set_core_properties(doc, meta)
    save_deterministic(doc, path)


def set_core_properties(doc: DocxDocument, meta: dict[str, Any]) -> None:
    props = doc.core_properties
    props.title = meta["title"]
    props.author = props.last_modified_by = meta["issuer"]
    props.subject = props.keywords = props.comments = props.category = ""
    props.created = props.modified = fixed_timestamp(meta)
    props.revision = 1


def save_deterministic(doc: DocxDocument, path: Path) -> None:
    """python-docx stamps zip members with the current time; rewrite them with a fixed one."""
    raw = io.BytesIO()
    doc.save(raw)
    with zipfile.ZipFile(raw) as src, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            dst.writestr(zipfile.ZipInfo(item.filename, ZIP_EPOCH), src.read(item), zipfile.ZIP_DEFLATED)


# ---------------------------------------------------------------- LibreOffice PDF


def libreoffice_version() -> str:
    out = subprocess.run(["soffice", "--version"], capture_output=True, text=True, check=True).stdout
    return out.split()[1]  # "LibreOffice 7.4.7.2 40(Build:2)"


def convert_with_libreoffice(docx_paths: list[Path], out_dir: Path) -> list[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["soffice", f"-env:UserInstallation={LO_PROFILE}", "--headless",
             "--convert-to", "pdf", "--outdir", tmp, *map(str, docx_paths)],
            check=True, capture_output=True, timeout=900,
        )  # fmt: skip
        pdfs = []
        for docx_path in docx_paths:
            produced = Path(tmp) / f"{docx_path.stem}.pdf"
            if not produced.exists():
                raise RuntimeError(f"LibreOffice did not convert {docx_path.name}")
            pdfs.append(Path(shutil.move(produced, out_dir / produced.name)))
    return pdfs


# ---------------------------------------------------------------- reportlab PDF (unruled tables)


def rl_styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("body", fontName=RL_FONT, fontSize=BODY_PT, leading=20, wordWrap="CJK")

    def style(name: str, **kw: Any) -> ParagraphStyle:
        return ParagraphStyle(name, parent=base, **kw)

    return {
        "title": style("title", fontSize=18, leading=28, alignment=TA_CENTER, spaceAfter=14),
        "h1": style("h1", fontSize=HEADING_PT[1], firstLineIndent=2 * HEADING_PT[1], spaceBefore=6),
        "h2": style("h2", fontSize=HEADING_PT[2], firstLineIndent=2 * HEADING_PT[2], spaceBefore=6),
        "h3": style("h3", fontSize=HEADING_PT[3], firstLineIndent=2 * HEADING_PT[3], spaceBefore=6),
        "body": style("body_j", firstLineIndent=2 * BODY_PT, alignment=TA_JUSTIFY),
        "left": style("body_l", alignment=TA_LEFT),
        "right": style("body_r", alignment=TA_RIGHT),
        "center": style("body_c", alignment=TA_CENTER),
        "table_title": style("table_title", alignment=TA_CENTER, spaceBefore=8, spaceAfter=2),
        "unit": style("unit", fontSize=TABLE_PT, leading=14, alignment=TA_RIGHT),
        "note": style("note", fontSize=9, leading=13, spaceBefore=2),
        "cell_l": style("cell_l", fontSize=TABLE_PT, leading=13, alignment=TA_LEFT),
        "cell_r": style("cell_r", fontSize=TABLE_PT, leading=13, alignment=TA_RIGHT),
        "cell_c": style("cell_c", fontSize=TABLE_PT, leading=13, alignment=TA_CENTER),
    }


def rl_text(text: str) -> str:
    return escape(text).replace("\n", "<br/>")


def unruled_table(block: Block, width: float, styles: dict[str, ParagraphStyle]) -> list[Flowable]:
    """Table without any line: columns are told apart only by their x positions."""
    header_rows = block.get("header_rows", 1)
    numeric = numeric_columns(block)
    data = [
        [
            RLParagraph(
                rl_text(cell),
                styles["cell_c" if r < header_rows else "cell_r" if numeric[c] else "cell_l"],
            )
            for c, cell in enumerate(row)
        ]
        for r, row in enumerate(block["rows"])
    ]
    table = Table(
        data,
        colWidths=[width * share for share in relative_widths(block)],
        repeatRows=header_rows,
        # FONTNAME: the default Helvetica would be referenced, unembedded, though cells are Paragraphs.
        style=TableStyle([("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("FONTNAME", (0, 0), (-1, -1), RL_FONT)]),
    )
    flowables: list[Flowable] = []
    if block.get("title"):
        flowables.append(RLParagraph(rl_text(block["title"]), styles["table_title"]))
    if block.get("unit"):
        flowables.append(RLParagraph(rl_text(f"单位：{block['unit']}"), styles["unit"]))
    flowables.append(table)
    flowables += [RLParagraph(rl_text(note), styles["note"]) for note in block.get("notes") or []]
    flowables.append(Spacer(1, 8))
    return flowables


def draw_page_number(canvas: Canvas, doc: BaseDocTemplate) -> None:
    canvas.saveState()
    canvas.setFont(RL_FONT, 10.5)
    canvas.drawCentredString(canvas._pagesize[0] / 2, 1.5 * cm, f"— {doc.page} —")
    canvas.restoreState()


def build_unruled_pdf(gt: GroundTruth, path: Path) -> list[int]:
    """Title, headings, paragraphs and the merge-free tables; returns those tables' indices."""
    if RL_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(RL_FONT, WQY_TTC, subfontIndex=0))
    styles = rl_styles()
    margin_tb, margin_lr = MARGIN_TB / 360000 * cm, MARGIN_LR / 360000 * cm  # EMU → points

    def template(name: str, size: tuple[float, float]) -> PageTemplate:
        frame = Frame(margin_lr, margin_tb, size[0] - 2 * margin_lr, size[1] - 2 * margin_tb, id=name)
        return PageTemplate(name, frames=[frame], onPage=draw_page_number, pagesize=size)

    meta = gt["metadata"]
    doc = BaseDocTemplate(
        str(path), pagesize=A4, title=meta["title"], author=meta["issuer"], invariant=1, initialFontName=RL_FONT,
        pageTemplates=[template("portrait", A4), template("landscape", landscape(A4))],
    )  # fmt: skip
    table_index = {id(block): i for i, block in enumerate(table_blocks(gt))}
    merge_free = [b for b in gt["blocks"] if b["type"] != "table" or not b.get("merges")]
    story: list[Flowable] = []
    kept: list[int] = []
    in_landscape = False
    for block in paginated(merge_free):
        if is_landscape(block) != in_landscape:
            in_landscape = is_landscape(block)
            story += [NextPageTemplate("landscape" if in_landscape else "portrait"), PageBreak()]
        kind = block["type"]
        if kind == "title":
            story.append(RLParagraph(rl_text(block["text"]), styles["title"]))
        elif kind == "heading":
            story.append(RLParagraph(rl_text(block["text"]), styles[f"h{block['level']}"]))
        elif kind == "paragraph":
            story.append(RLParagraph(rl_text(block["text"]), styles[block.get("align") or "body"]))
        elif kind == "page_break":
            story.append(PageBreak())
        elif kind == "table":
            kept.append(table_index[id(block)])
            page_width = (landscape(A4) if in_landscape else A4)[0]
            story += unruled_table(block, page_width - 2 * margin_lr, styles)
    doc.build(story)
    return kept


# ---------------------------------------------------------------- checks and manifest


def unembedded_fonts(pdf: Path) -> list[str]:
    lines = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout
    # Columns from the right: emb sub uni object-id generation.
    return [line.split()[0] for line in lines.splitlines()[2:] if line.split()[-5] != "yes"]


def repeated_headers(pdf: Path) -> list[tuple[int, list[str]]]:
    """Pages (1-based) that open with a table continued from the previous page, its header repeated."""
    found = []
    with pdfplumber.open(pdf) as doc:
        tables = [(page.height, page.find_tables()) for page in doc.pages]
        for number, ((height, before), (_, after)) in enumerate(pairwise(tables), start=2):
            if not before or not after:
                continue
            last, first = before[-1], after[0]
            if last.bbox[3] < 0.7 * height or first.bbox[1] > 0.3 * height:
                continue
            header = [cell or "" for cell in last.extract()[0]]
            if any(header) and header == [cell or "" for cell in first.extract()[0]]:
                found.append((number, header))
    return found


def manifest_entry(
    file: Path, slug: str, producer: str, *, ruled: bool, tables: str | list[int]
) -> dict[str, Any]:
    fmt = file.suffix.lstrip(".")
    return {
        "file": file.name,
        "ground_truth": slug,
        "format": fmt,
        "producer": producer,
        "ruled": ruled,
        "tables": tables,
    }


def write_manifest(out_dir: Path, entries: list[dict[str, Any]]) -> Path:
    """Replace the entries of regenerated files, keep the rest of an existing manifest."""
    path = out_dir / "manifest.json"
    fresh = {entry["file"] for entry in entries}
    old = json.loads(path.read_text(encoding="utf-8")) if path.exists() else []
    kept = [entry for entry in old if entry["file"] not in fresh and (out_dir / entry["file"]).exists()]
    merged = sorted(kept + entries, key=lambda entry: entry["file"])
    path.write_text(json.dumps(merged, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


# ---------------------------------------------------------------- main


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--only", nargs="+", metavar="SLUG", help="render only these ground truths")
    parser.add_argument("--no-pdf", action="store_true", help="write the .docx files only")
    parser.add_argument("--unruled", default=UNRULED_SLUG, metavar="SLUG", help="slug for the reportlab PDF")
    parser.add_argument("--source", type=Path, default=GROUND_TRUTH_DIR, help="ground-truth directory")
    parser.add_argument("--out", type=Path, default=SAMPLE_DIR, help="output directory")
    return parser.parse_args()


def select_sources(source: Path, only: list[str] | None) -> list[Path]:
    paths = sorted(source.glob("*.json"))
    if only:
        missing = set(only) - {path.stem for path in paths}
        if missing:
            raise SystemExit(f"no ground truth for: {', '.join(sorted(missing))}")
        paths = [path for path in paths if path.stem in only]
    return paths


def main() -> None:
    args = parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    entries: list[dict[str, Any]] = []
    docx_files: list[tuple[str, Path]] = []
    for source in select_sources(args.source, args.only):
        gt = load_ground_truth(source)
        slug = gt["slug"]
        docx_path = args.out / f"{slug}.docx"
        build_docx(gt, docx_path)
        print(f"wrote {docx_path}")
        entries.append(manifest_entry(docx_path, slug, "python-docx", ruled=True, tables="all"))
        docx_files.append((slug, docx_path))
        if slug == args.unruled and not args.no_pdf:
            pdf = args.out / f"{slug}_unruled.pdf"
            kept = build_unruled_pdf(gt, pdf)
            print(f"wrote {pdf} (tables {kept})")
            producer = f"reportlab {reportlab.Version}"
            entries.append(manifest_entry(pdf, slug, producer, ruled=False, tables=kept))
    if docx_files and not args.no_pdf:
        producer = f"LibreOffice {libreoffice_version()} from the docx"
        pdfs = convert_with_libreoffice([path for _, path in docx_files], args.out)
        for (slug, _), pdf in zip(docx_files, pdfs, strict=True):
            print(f"wrote {pdf}")
            entries.append(manifest_entry(pdf, slug, producer, ruled=True, tables="all"))
        report_pdf_checks([args.out / entry["file"] for entry in entries if entry["format"] == "pdf"])
    print(f"wrote {write_manifest(args.out, entries)}")


def report_pdf_checks(pdfs: list[Path]) -> None:
    """Fonts must be embedded; show where a ruled table's header is repeated after a page break."""
    for pdf in pdfs:
        if missing := unembedded_fonts(pdf):
            print(f"WARNING {pdf.name}: fonts not embedded: {', '.join(missing)}")
        for page, header in repeated_headers(pdf):
            print(f"{pdf.name}: table continues on page {page} with its header repeated: {header}")


if __name__ == "__main__":
    main()
