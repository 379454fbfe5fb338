"""Makes the unruled-table corpus of benchmarks/unruled_tables.py, ground truth by construction.

Every document is one page (a landscape one sometimes) with a paragraph, an unruled table, a
note under it and more prose. Tables come from two content families — Chinese department budget
tables (indented 类/款/项 labels, amounts in 元 with thousands separators, two-line headers, a
header spanning two columns) and English government statistics tables (years across, numbers
with commas, negatives in parentheses, wrapped row labels) — and five producers:

- rl_plain: reportlab, no rules at all;
- rl_3line: reportlab, 三线表 (rules above and below the header and under the table);
- lo_borderless: python-docx borderless table → LibreOffice PDF;
- lo_tabs: python-docx paragraphs with right/decimal tab stops → LibreOffice PDF;
- calc: openpyxl spreadsheet → LibreOffice Calc PDF (gridlines not printed);
- lo_html (held out only: a producer never seen while tuning): an HTML table without borders
  (colspan/rowspan header) → LibreOffice Writer PDF.

Seeds 0–5 are the tuning set; seeds 100–105 are held out (never looked at while tuning).
truth/<name>.json: {"tables": [{"page": 1, "rows": [[...], ...]}]} — a spanning header cell's text
in its first slot, "" in the slots it covers.

Run from the repo root (needs LibreOffice and CJK fonts): .venv/bin/python benchmarks/unruled/make_corpus.py
"""

from __future__ import annotations

import json
import random
import subprocess
import tempfile
from pathlib import Path

OUT = Path(__file__).parent / "corpus"
TUNE_SEEDS = range(0, 6)
HELDOUT_SEEDS = range(100, 106)
PRODUCERS = ["rl_plain", "rl_3line", "lo_borderless", "lo_tabs", "calc"]

CN_ITEMS = [
    ("一、一般公共服务支出", 0), ("人大事务", 1), ("行政运行", 2), ("一般行政管理事务", 2), ("政协事务", 1),
    ("行政运行", 2), ("二、教育支出", 0), ("普通教育", 1), ("小学", 2), ("初中", 2), ("三、社会保障和就业支出", 0),
    ("行政事业单位养老支出", 1), ("机关事业单位基本养老保险缴费支出", 2), ("四、卫生健康支出", 0),
    ("行政事业单位医疗", 1), ("行政单位医疗", 2), ("事业单位医疗", 2), ("五、住房保障支出", 0), ("住房改革支出", 1),
    ("住房公积金", 2), ("提租补贴", 2), ("购房补贴", 2), ("六、城乡社区支出", 0), ("城乡社区管理事务", 1),
    ("城管执法", 2), ("七、节能环保支出", 0), ("污染防治", 1), ("大气", 2),
]
EN_ITEMS = [
    "Individual income taxes", "Corporation income taxes", "Social insurance and retirement receipts",
    "Excise taxes", "Estate and gift taxes", "Customs duties", "Miscellaneous receipts",
    "Federal Reserve deposits of earnings", "Fees for permits and regulatory and judicial services",
    "Defense", "International affairs", "General science, space, and technology", "Energy",
    "Natural resources and environment", "Agriculture", "Commerce and housing credit", "Transportation",
    "Community and regional development", "Education, training, employment, and social services",
]


def cn_table(rnd: random.Random) -> tuple[str, list[list[str]], str]:
    n = rnd.randint(10, 22)
    start = rnd.randint(0, len(CN_ITEMS) - n)
    cols = rnd.choice([["合计", "基本支出", "项目支出"], ["上年预算数", "本年预算数", "增减额"],
                       ["合计", "财政拨款", "事业收入", "其他收入"]])
    spanning = len(cols) == 4
    head = [["项目"] + cols] if not spanning else [["项目", "合计", "本年收入", "", ""],
                                                  ["", "", "财政拨款", "事业收入", "其他收入"]]
    rows = []
    for label, level in CN_ITEMS[start:start + n]:
        amounts = [rnd.randint(1000, 90_000_000) * (1 if rnd.random() > 0.05 else 0) for _ in cols]
        text = ["" if a == 0 else f"{a:,}" if rnd.random() < 0.5 else f"{a / 100:,.2f}" for a in amounts]
        rows.append(["　" * level + label if level else label] + text)
    title = rnd.choice(["部门支出预算表", "一般公共预算支出表", "部门收入预算总表"])
    return f"{2020 + rnd.randint(0, 6)}年{title}", head + rows, "金额单位：元"


def en_table(rnd: random.Random) -> tuple[str, list[list[str]], str]:
    n = rnd.randint(8, 16)
    items = rnd.sample(EN_ITEMS, n)
    y0 = rnd.randint(2012, 2019)
    years = [str(y0 + i) for i in range(rnd.randint(3, 5))]
    head = [["Source"] + years]
    rows = []
    for it in items:
        vals = []
        for _ in years:
            v = rnd.randint(-5000, 2_500_000)
            vals.append(f"({-v:,})" if v < 0 else f"{v:,}" if rnd.random() < 0.9 else "—")
        rows.append([it] + vals)
    rows.append(["Total"] + [f"{rnd.randint(3_000_000, 9_000_000):,}" for _ in years])
    return f"Table {rnd.randint(1, 30)}. Receipts and outlays by source ({years[0]}–{years[-1]})", head + rows, \
        "In millions of dollars. Source: Office of Management and Budget."


PROSE_CN = ("本部门严格执行预算管理制度，按照厉行节约的要求编制预算，各项支出均控制在预算范围以内，"
            "下表列示了本年度预算安排的主要情况，具体说明如下。")
PROSE_EN = ("The table below summarizes receipts and outlays for the period. Amounts are shown in current "
            "dollars and may not add to totals due to rounding; see the notes for definitions and sources.")


def _cn(text: str) -> bool:
    return any("\u4e00" <= ch <= "\u9fff" for ch in text)


def reportlab_pdf(path: Path, title: str, rows: list[list[str]], note: str, rules: bool, wide: bool) -> None:
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    font = "STSong-Light"
    body = ParagraphStyle("b", fontName=font, fontSize=10, leading=15, wordWrap="CJK")
    cap = ParagraphStyle("c", fontName=font, fontSize=12, leading=18, alignment=1)
    n_head = 2 if rows[1][0] == "" else 1
    label_w = 190 if _cn(rows[-1][0]) else 170
    tab = Table([[Paragraph(r[0], body) if len(r[0]) > 22 else r[0]] + r[1:] for r in rows],
                colWidths=[label_w] + [None] * (len(rows[0]) - 1))
    style = [("FONTNAME", (0, 0), (-1, -1), font), ("FONTSIZE", (0, 0), (-1, -1), 9),
             ("ALIGN", (1, n_head), (-1, -1), "RIGHT"), ("ALIGN", (1, 0), (-1, n_head - 1), "CENTER"),
             ("VALIGN", (0, 0), (-1, -1), "TOP")]
    if n_head == 2:
        style += [("SPAN", (2, 0), (4, 0)), ("SPAN", (0, 0), (0, 1)), ("SPAN", (1, 0), (1, 1))]
    if rules:
        style += [("LINEABOVE", (0, 0), (-1, 0), 1.2, "black"), ("LINEBELOW", (0, n_head - 1), (-1, n_head - 1), 0.6,
                                                                 "black"), ("LINEBELOW", (0, -1), (-1, -1), 1.2, "black")]
    tab.setStyle(TableStyle(style))
    prose = PROSE_CN if _cn(title) else PROSE_EN
    doc = SimpleDocTemplate(str(path), pagesize=landscape(A4) if wide else A4)
    doc.build([Paragraph(prose, body), Spacer(1, 8), Paragraph(title, cap), tab, Spacer(1, 6),
               Paragraph(note, body), Spacer(1, 8), Paragraph(prose, body)])


def _lo_convert(src: Path, dest: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["soffice", "--headless", "--convert-to", "pdf", "--outdir", tmp, str(src)],
                       check=True, capture_output=True)
        dest.write_bytes((Path(tmp) / (src.stem + ".pdf")).read_bytes())


def _docx_base(wide: bool):
    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.oxml.ns import qn
    from docx.shared import Pt

    doc = Document()
    style = doc.styles["Normal"]
    style.font.size = Pt(9)
    style.font.name = "Liberation Sans"
    style.element.rPr.rFonts.set(qn("w:eastAsia"), "Noto Sans CJK SC")
    if wide:
        sec = doc.sections[0]
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = sec.page_height, sec.page_width
    return doc


def lo_borderless(path: Path, title: str, rows: list[list[str]], note: str, wide: bool) -> None:
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm

    doc = _docx_base(wide)
    prose = PROSE_CN if _cn(title) else PROSE_EN
    doc.add_paragraph(prose)
    doc.add_paragraph(title).alignment = WD_ALIGN_PARAGRAPH.CENTER
    n_head = 2 if rows[1][0] == "" else 1
    table = doc.add_table(rows=len(rows), cols=len(rows[0]))  # default style: no borders
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            cell = table.cell(i, j)
            cell.text = text
            if j:
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT if i >= n_head else WD_ALIGN_PARAGRAPH.CENTER
    for r in table.rows:
        r.cells[0].width = Cm(6)
    if n_head == 2:
        table.cell(0, 2).merge(table.cell(0, 4)).text = rows[0][2]
        table.cell(0, 0).merge(table.cell(1, 0)).text = rows[0][0]
        table.cell(0, 1).merge(table.cell(1, 1)).text = rows[0][1]
        table.cell(0, 2).paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph(note)
    doc.add_paragraph(prose)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / (path.stem + ".docx")
        doc.save(src)
        _lo_convert(src, path)


def lo_tabs(path: Path, title: str, rows: list[list[str]], note: str, wide: bool) -> None:
    """Columns made with tab stops: right-aligned for the header, decimal for the amounts."""
    from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_TAB_ALIGNMENT
    from docx.shared import Pt

    n = len(rows[0]) - 1
    # the label column as wide as its longest label (9 pt: ~0.6 em a Latin letter, 1 em a CJK one),
    # 70 pt an amount column; landscape when that does not fit
    label = max(sum(9 if _cn(ch) else 5.5 for ch in r[0]) for r in rows) + 12
    wide = wide or label + 70 * n > 460
    width = 640 if wide else 460  # the last stop stays inside the text area (no wrap)
    stops = [label + (width - label) * (k + 1) / n for k in range(n)]
    doc = _docx_base(wide)
    prose = PROSE_CN if _cn(title) else PROSE_EN
    doc.add_paragraph(prose)
    doc.add_paragraph(title).alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, row in enumerate(rows):
        if rows[1][0] == "" and i < 2:  # tab-stop layouts keep one header line
            if i == 1:
                continue
            row = [row[0]] + [b or a for a, b in zip(row[1:], rows[1][1:], strict=True)]
        p = doc.add_paragraph()
        p.paragraph_format.space_after = Pt(2)
        for x in stops:
            p.paragraph_format.tab_stops.add_tab_stop(
                Pt(x), WD_TAB_ALIGNMENT.DECIMAL if i and any(ch.isdigit() for ch in "".join(row[1:]))
                else WD_TAB_ALIGNMENT.RIGHT)
        p.add_run("\t".join(row))
    doc.add_paragraph(note)
    doc.add_paragraph(prose)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / (path.stem + ".docx")
        doc.save(src)
        _lo_convert(src, path)


def calc(path: Path, title: str, rows: list[list[str]], note: str, wide: bool) -> None:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    wb = Workbook()
    ws = wb.active
    ws.page_setup.orientation = "landscape" if wide else "portrait"
    ws.page_setup.fitToWidth = 1
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToHeight = 0
    ws.print_options.gridLines = False
    ws.append([title])
    ws.append([])
    for row in rows:
        ws.append(row)
    ws.append([])
    ws.append([note])
    ws.column_dimensions["A"].width = 42
    for col in "BCDEF":
        ws.column_dimensions[col].width = 15
    for r in ws.iter_rows(min_row=3, max_row=2 + len(rows)):
        for c in r[1:]:
            c.alignment = Alignment(horizontal="right")
    ws["A1"].font = Font(bold=True, size=12)
    if rows[1][0] == "":
        ws.merge_cells(start_row=3, start_column=3, end_row=3, end_column=5)
        ws.cell(3, 3).alignment = Alignment(horizontal="center")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / (path.stem + ".xlsx")
        wb.save(src)
        _lo_convert(src, path)


def lo_html(path: Path, title: str, rows: list[list[str]], note: str, wide: bool) -> None:
    from html import escape

    n_head = 2 if rows[1][0] == "" else 1
    out = ['<html><head><meta charset="utf-8"></head><body>',
           f"<p>{escape(PROSE_CN if _cn(title) else PROSE_EN)}</p>", f"<h3>{escape(title)}</h3>",
           '<table cellpadding="3" cellspacing="0">']
    for i, row in enumerate(rows):
        cells = []
        for j, text in enumerate(row):
            if n_head == 2 and i == 0 and j in (3, 4):
                continue
            if n_head == 2 and i == 1 and j in (0, 1):
                continue
            attrs = ""
            if n_head == 2 and i == 0:
                attrs = ' rowspan="2"' if j < 2 else ' colspan="3" align="center"'
            elif j and i >= n_head:
                attrs = ' align="right"'
            tag = "th" if i < n_head else "td"
            cells.append(f"<{tag}{attrs}>{escape(text)}</{tag}>")
        out.append("<tr>" + "".join(cells) + "</tr>")
    out += ["</table>", f"<p>{escape(note)}</p>", f"<p>{escape(PROSE_CN if _cn(title) else PROSE_EN)}</p>",
            "</body></html>"]
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / (path.stem + ".html")
        src.write_text("\n".join(out), encoding="utf-8")
        subprocess.run(["soffice", "--headless", "--infilter=HTML (StarWriter)", "--convert-to",
                        "pdf:writer_pdf_Export", "--outdir", tmp, str(src)], check=True, capture_output=True)
        path.write_bytes((Path(tmp) / (path.stem + ".pdf")).read_bytes())


def truth_rows(producer: str, rows: list[list[str]]) -> list[list[str]]:
    rows = [[c.replace("　", "") for c in r] for r in rows]
    if producer == "lo_tabs" and rows[1][0] == "":
        rows = [[rows[0][0]] + [b or a for a, b in zip(rows[0][1:], rows[1][1:], strict=True)]] + rows[2:]
    return rows


def main() -> None:
    import sys

    only = set(sys.argv[1:])  # producers to (re)make; all when none is named
    (OUT / "truth").mkdir(parents=True, exist_ok=True)
    for split, seeds in (("tune", TUNE_SEEDS), ("heldout", HELDOUT_SEEDS)):
        for seed in seeds:
            for k, producer in enumerate(PRODUCERS + (["lo_html"] if split == "heldout" else [])):
                rnd = random.Random(seed * 31 + k)
                title, rows, note = (cn_table if (seed + k) % 2 == 0 else en_table)(rnd)
                wide = rnd.random() < 0.25
                if only and producer not in only:
                    continue
                name = f"{split}_{seed:03d}_{producer}"
                path = OUT / f"{name}.pdf"
                if producer == "rl_plain":
                    reportlab_pdf(path, title, rows, note, rules=False, wide=wide)
                elif producer == "rl_3line":
                    reportlab_pdf(path, title, rows, note, rules=True, wide=wide)
                elif producer == "lo_borderless":
                    lo_borderless(path, title, rows, note, wide)
                elif producer == "lo_tabs":
                    lo_tabs(path, title, rows, note, wide)
                elif producer == "calc":
                    calc(path, title, rows, note, wide)
                else:
                    lo_html(path, title, rows, note, wide)
                truth = {"split": split, "producer": producer, "title": title,
                         "tables": [{"page": 1, "rows": truth_rows(producer, rows)}]}
                (OUT / "truth" / f"{name}.json").write_text(json.dumps(truth, ensure_ascii=False, indent=1),
                                                            encoding="utf-8")
                print(name)


if __name__ == "__main__":
    main()
