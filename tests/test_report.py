"""`fiscaldocs report OUT.html` is one self-contained file with the main views, and the page view
finds a sentence's number on its page. Values asserted are the seed report's (益阳 2023, seed 000:
三公经费 18.29 万元 budgeted, 8.52 万元 spent; "实际支出数为 8.52 万元" in its prose)."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

pytest.importorskip("plotly", reason="the dashboard extra is not installed (pip install '.[dashboard]')")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, staged_samples):
    from fiscaldocs.audit import across_documents
    from fiscaldocs.warehouse.runs import write_run

    db = tmp_path_factory.mktemp("report") / "warehouse.duckdb"
    write_run(db, staged_samples, [], "samples", datetime.now(UTC).replace(tzinfo=None), cross_audit=across_documents)
    return db


def test_report_is_one_self_contained_file(warehouse, tmp_path, capsys):
    from fiscaldocs.cli import main

    out = tmp_path / "out" / "report.html"
    assert main(["report", str(out), "--db", str(warehouse)]) == 0
    html = out.read_text(encoding="utf-8")
    # nothing fetched: no external script, stylesheet, image or font
    assert not re.search(r"<(script|link|img|iframe)[^>]+(src|href)=[\"']?(https?:)?//", html)
    assert html.count("<script") >= 6 and "plotly.js v" in html  # plotly.js inlined, once
    assert html.count("plotly.js v") == 1
    for title in ("“三公”经费", "机关运行经费", "医疗保险基金：收入、支出、结余", "审核未通过的检查（按规则）"):
        assert title in html
    # the 三公 table beside its chart, exact yuan: 18.29 and 8.52 万元
    assert "<td>“三公”经费</td><td>年初预算</td><td class=\"num\">182900.0000</td>" in html
    assert "<td>“三公”经费</td><td>决算/执行</td><td class=\"num\">85200.0000</td>" in html
    assert "heshan_2021_final_accounts.pdf" in html and "stated_ratio" in html  # the audit failures table


def test_report_on_a_missing_warehouse_is_one_line(tmp_path, capsys):
    from fiscaldocs.cli import main

    assert main(["report", str(tmp_path / "r.html"), "--db", str(tmp_path / "none.duckdb")]) == 2
    assert "no warehouse yet" in capsys.readouterr().err and not (tmp_path / "r.html").exists()


def test_claim_view_finds_the_number_in_its_sentence(warehouse):
    import pdfplumber
    from fiscaldocs.warehouse.reader import Reader

    from fiscaldocs.dashboard.pageview import claim_view
    from fiscaldocs.dashboard.queries import Queries

    reader = Reader(warehouse)
    rows = reader.query("""
        SELECT c.doc_id, c.claim_idx, d.source_path FROM claims c JOIN documents d USING (doc_id)
        WHERE d.file_name = 'yiyang_2023_performance_self_evaluation.pdf' AND c.sentence LIKE '%实际支出数为%'
          AND c.value = '8.52'""")
    assert len(rows) == 1
    claim = Queries(reader).claim(rows.doc_id[0], int(rows.claim_idx[0]))
    reader.close()
    view = claim_view(rows.source_path[0], int(claim["page"]), claim["text"], claim["value"], claim["block_bbox"])
    assert view.how == "text found on page"
    with pdfplumber.open(rows.source_path[0]) as pdf:
        printed = pdf.pages[int(claim["page"]) - 1].crop(view.box).extract_text().replace(" ", "")
    assert printed == "8.52万元"
