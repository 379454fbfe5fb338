"""Word extraction: body order, merged cells as spans, nested tables, captions."""

from __future__ import annotations

import docx
from docx.enum.text import WD_ALIGN_PARAGRAPH

from fiscaldocs.model import BlockKind, Status
from fiscaldocs.pipeline import process


def _make(path):
    d = docx.Document()
    d.add_paragraph("2023年度某某局部门整体支出绩效自评报告").alignment = WD_ALIGN_PARAGRAPH.CENTER
    d.add_paragraph("一、部门基本情况")
    d.add_paragraph("2023年一般公共预算财政拨款支出 1723.2 万元。")
    d.add_paragraph("2023年度部门整体支出绩效自评表").alignment = WD_ALIGN_PARAGRAPH.CENTER
    d.add_paragraph("单位：万元").alignment = WD_ALIGN_PARAGRAPH.RIGHT
    t = d.add_table(rows=4, cols=4)
    t.style = "Table Grid"
    cells = [["一级指标", "二级指标", "三级指标", "得分"],
             ["产出指标", "数量指标", "参保率", "8"],
             ["", "", "覆盖率", "8"],
             ["总分", "", "", "16"]]
    for r, row in enumerate(cells):
        for c, text in enumerate(row):
            if text:
                t.cell(r, c).text = text
    t.cell(1, 0).merge(t.cell(2, 0))  # vertical merge: 产出指标
    t.cell(1, 1).merge(t.cell(2, 1))  # vertical merge: 数量指标
    t.cell(3, 0).merge(t.cell(3, 2))  # horizontal merge: 总分
    inner = t.cell(2, 3).add_table(rows=1, cols=2)
    inner.cell(0, 0).text = "内"
    inner.cell(0, 1).text = "表"
    d.add_paragraph("二、结论")
    d.save(path)


def test_body_order_spans_and_nesting(tmp_path):
    f = tmp_path / "report.docx"
    _make(f)
    doc = process(f)
    assert doc.status is Status.OK, doc.error
    top = [t for t in doc.tables if t.parent is None]
    assert len(top) == 1
    table = top[0]
    assert (table.n_rows, table.n_cols) == (4, 4)
    by_pos = {(c.row, c.col): c for c in table.cells}
    assert (by_pos[(1, 0)].text, by_pos[(1, 0)].row_span, by_pos[(1, 0)].col_span) == ("产出指标", 2, 1)
    assert by_pos[(1, 1)].row_span == 2
    assert (by_pos[(3, 0)].text, by_pos[(3, 0)].col_span) == ("总分", 3)
    assert (2, 0) not in by_pos and (3, 1) not in by_pos  # covered slots are not cells
    assert table.rows()[2] == ["", "", "覆盖率", "8"]  # merged text is not repeated
    assert (table.title, table.unit) == ("2023年度部门整体支出绩效自评表", "万元")

    nested = [t for t in doc.tables if t.parent is not None]
    assert len(nested) == 1 and nested[0].parent == (table.index, 2, 3)
    assert nested[0].rows() == [["内", "表"]]

    # Reading order: text, the table, then the text after it; captions left the text flow.
    texts = [b.text for b in doc.blocks]
    assert "单位：万元" not in texts
    assert texts[-1] == "二、结论" and doc.blocks[-1].order > table.order > doc.blocks[2].order
    assert doc.blocks[2].text == "2023年一般公共预算财政拨款支出1723.2万元。"
    assert doc.blocks[1].kind is BlockKind.HEADING
    assert doc.meta.fiscal_year == 2023


def test_realdoc_docx_with_many_tables(realdoc):
    doc = process(realdoc("16_mineru_docx_demo_with_tables_NONFISCAL.docx"))
    assert doc.status is Status.OK
    # 11 w:tbl elements in word/document.xml, in document order: rows = its w:tr, columns = its w:gridCol.
    # Three are nested: 2 and 3 in table 1's row 2 (cells 0 and 1), 7 in table 6's first cell.
    assert [(t.n_rows, t.n_cols) for t in doc.tables] == [(4, 2), (3, 2), (2, 3), (2, 3), (3, 2), (2, 2), (1, 1),
                                                          (3, 3), (4, 3), (39, 25), (4, 7)]
    assert {t.index: t.parent for t in doc.tables if t.parent} == {2: (1, 2, 0), 3: (1, 2, 1), 7: (6, 0, 0)}


def test_legacy_doc_end_to_end():
    """The .doc path end to end, without LibreOffice (the pure-Python reader; more in
    test_doc_backend.py): a sample report saved as Word 97-2003."""
    from pathlib import Path

    doc = process(Path(__file__).parent / "fixtures" / "doc" / "yiyang_2023_performance_self_evaluation.doc")
    assert doc.status is Status.OK and doc.meta.file_type == "doc"
    assert len(doc.tables) == 4 and doc.meta.fiscal_year == 2023
