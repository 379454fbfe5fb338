"""The dashboard in a real headless browser (Debian's chromium over the DevTools protocol): the
main charts render with Chinese labels and the sample reports' values, the page view of a fact
highlights the cell it was read from, and the page requests nothing from outside 127.0.0.1.

Values asserted were read by hand from the seed reports (/work/shared/seeds/000…, the 益阳市医疗
保障局 2023 self-evaluation): its 基础数据表 row "三公经费 12.06 | 18.29 | 8.52" (万元; 2022 决算,
2023 预算, 2023 决算) and its fund tables' 期末滚存结余 for 2023 决算: 职工 326637, 城乡居民 185905
(万元).
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import httpx
import pytest
from cdp import Browser, find_chromium  # tests/ is on sys.path, as for conftest
from conftest import stop_process_group

pytest.importorskip("streamlit", reason="the dashboard extra is not installed (pip install '.[dashboard]')")

CHROMIUM = find_chromium()
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on this machine: the browser test needs Debian's chromium "
                             "(apt-get install chromium fonts-noto-cjk; .ci/run installs it)")
SHOTS = os.environ.get("FISCALDOCS_SCREENSHOTS")  # a folder: save the pages there too


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory, staged_samples):
    from fiscaldocs.audit import across_documents
    from fiscaldocs.warehouse.runs import write_run

    db = tmp_path_factory.mktemp("dash") / "warehouse.duckdb"
    write_run(db, staged_samples, [], "samples", datetime.now(UTC).replace(tzinfo=None), cross_audit=across_documents)
    return db


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def dashboard(warehouse, tmp_path_factory):
    from fiscaldocs.dashboard.launch import command

    port = _free_port()
    args, env = command(warehouse, port, "127.0.0.1")
    log = tmp_path_factory.mktemp("streamlit") / "streamlit.log"
    with log.open("wb") as fh:
        proc = subprocess.Popen(args, env=env, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, log.read_text()
            try:
                if httpx.get(f"{url}/_stcore/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, f"streamlit did not answer in 120 s: {log.read_text()}"
            time.sleep(0.5)
        yield url
    finally:
        stop_process_group(proc)


@pytest.fixture
def browser():
    b = Browser(CHROMIUM)
    yield b
    b.close()


# Every SVG text of every chart, one a line (titles, axis labels, legends, bar labels).
CHART_TEXT = "Array.from(document.querySelectorAll('.js-plotly-plot text')).map(t => t.textContent).join('\\n')"


def _click_tab(b: Browser, name: str) -> None:
    assert b.evaluate(f"""(() => {{ const t = Array.from(document.querySelectorAll('[role=tab]'))
        .find(e => e.innerText.trim() === {name!r}); if (t) t.click(); return !!t; }})()"""), f"no tab {name}"


def _shot(b: Browser, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        b.screenshot(Path(SHOTS) / name, full_page=False)


def test_main_charts_render_with_chinese_labels_and_real_values(dashboard, browser):
    if shutil.which("fc-list") and not subprocess.run(["fc-list", ":lang=zh"], capture_output=True,
                                                      text=True).stdout.strip():
        pytest.skip("no CJK font on this machine (apt-get install fonts-noto-cjk): Chinese would render as boxes")
    browser.goto(dashboard)
    text = browser.wait_for(f"(() => {{ const t = {CHART_TEXT}; return t.includes('部门支出（全部资金') ? t : null; }})()",
                            what="the spending charts")
    assert "功能分类支出（类）" in text
    _shot(browser, "dashboard-spending.png")

    _click_tab(browser, "三公与机关运行经费")
    text = browser.wait_for(f"(() => {{ const t = {CHART_TEXT}; return t.includes('三公') ? t : null; }})()",
                            what="the 三公 chart")
    labels = set(text.splitlines())
    assert {"18.29", "8.52", "12.06"} <= labels, labels  # 万元, from the seed report's 基础数据表
    assert "“三公”经费" in text and "年初预算" in text and "决算/执行" in text
    _shot(browser, "dashboard-sangong.png")

    _click_tab(browser, "医保基金")
    text = browser.wait_for(f"(() => {{ const t = {CHART_TEXT}; return t.includes('医疗保险基金') ? t : null; }})()",
                            what="the medical-insurance fund chart")
    assert {"326637", "185905"} <= set(text.splitlines())  # 期末滚存结余, 2023 决算, 万元
    assert "职工医保" in text and "城乡居民医保" in text and "期末滚存结余" in text
    _shot(browser, "dashboard-fund.png")

    _click_tab(browser, "审核")
    text = browser.wait_for("(() => { const t = document.body.innerText; "
                            "return t.includes('stated_ratio') ? t : null; })()", what="the audit failures")
    assert "dates_and_years" in text  # 赫山区 2021 is signed before its year ended (README, audits)
    assert browser.outside_requests() == []


def test_page_view_of_a_fact_highlights_its_cell(dashboard, browser, warehouse):
    import pdfplumber
    from fiscaldocs.warehouse.reader import Reader
    from PIL import Image

    # The 2023 决算 三公经费 of the 益阳 PDF: chosen by meaning; its value is checked against the seed.
    reader = Reader(warehouse)
    fact = reader.query("""
        SELECT fa.fact_id, d.source_path, fa.page FROM facts fa JOIN documents d USING (doc_id)
        WHERE fa.category_code = 'sangong.total' AND fa.period_year = 2023 AND fa.phase = 'executed'
          AND fa.source_kind = 'table' AND d.file_name = 'yiyang_2023_performance_self_evaluation.pdf'""")
    reader.close()
    assert len(fact) == 1
    fact_id, pdf_path, page = fact.iloc[0]
    browser.goto(f"{dashboard}/?fact={fact_id}")
    text = browser.wait_for("(() => { const t = document.body.innerText; "
                            "return t.includes('高亮位置') && document.images.length ? t : null; })()",
                            what="the page view")
    assert "85200.0000 元" in text and "印作 8.52" in text and "三公经费" in text
    _shot(browser, "dashboard-trace.png")

    # The highlighted box holds the printed 8.52 on that page of the PDF (read independently) …
    box = [float(v) for v in re.search(r"高亮位置（cell bbox）：\[([^\]]+)\]", text).group(1).split(",")]
    with pdfplumber.open(pdf_path) as pdf:
        pg = pdf.pages[int(page) - 1]
        assert pg.crop(box).extract_text().strip() == "8.52"
        width_pt = float(pg.width)
    # … and the image shown is that page with the box drawn in the highlight colour.
    src = browser.evaluate("document.images[0].src")
    assert src.startswith(dashboard)
    image = Image.open(BytesIO(httpx.get(src, timeout=10).content)).convert("RGB")
    scale = image.width / width_pt
    x_mid, y_edge = (box[0] + box[2]) / 2 * scale, box[1] * scale - 1
    r, g, b = image.getpixel((int(x_mid), int(y_edge)))
    assert r > 200 and g < 150 and b < 120, (r, g, b)
    r, g, b = image.getpixel((int(x_mid), int((box[1] - 20) * scale)))  # outside: the page as printed
    assert not (r > 200 and g < 150 and b < 120)
    assert browser.outside_requests() == []


def test_static_report_renders_offline(warehouse, browser, tmp_path):
    from fiscaldocs.dashboard.report import write_report

    out = tmp_path / "report.html"
    write_report(warehouse, out)
    browser.goto(out.as_uri())
    text = browser.wait_for(f"(() => {{ const t = {CHART_TEXT}; return t.includes('医疗保险基金') ? t : null; }})()",
                            what="the report's charts")
    lines = set(text.splitlines())
    assert {"18.29", "8.52", "12.06", "326637", "185905"} <= lines and "“三公”经费" in text
    assert [u for u in browser.outside_requests() if not u.startswith("file://")] == []
