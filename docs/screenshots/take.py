"""Take the README's dashboard screenshots: `python docs/screenshots/take.py URL FACT_ID` with a
dashboard running at URL (`fiscaldocs dashboard`); FACT_ID is the fact shown on the trace page.
Uses the test suite's DevTools driver (tests/cdp.py) and Debian's chromium."""

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "tests"))
from cdp import Browser, find_chromium  # noqa: E402

CHART_TEXT = "Array.from(document.querySelectorAll('.js-plotly-plot text')).map(t => t.textContent).join('\\n')"
OUT = Path(__file__).parent


def main(url: str, fact_id: str) -> None:
    b = Browser(find_chromium(), width=1400, height=1100)

    def tab(name: str, shot: str) -> None:
        b.evaluate(f"Array.from(document.querySelectorAll('[role=tab]')).find(e => e.innerText.trim() === "
                   f"'{name}').click()")
        time.sleep(4)
        b.screenshot(OUT / shot, full_page=False)

    try:
        b.goto(url)
        b.wait_for(f"({CHART_TEXT}).includes('部门支出（全部资金')", 120)
        time.sleep(4)
        b.screenshot(OUT / "spending.png", full_page=False)
        tab("三公与机关运行经费", "sangong.png")
        tab("医保基金", "medical-fund.png")
        tab("审核", "audits.png")
        b.goto(f"{url}/?fact={fact_id}")
        b.wait_for("document.body.innerText.includes('高亮位置') && document.images.length", 120)
        time.sleep(3)
        b.screenshot(OUT / "trace.png", full_page=False)
        assert b.outside_requests() == [], b.outside_requests()
    finally:
        b.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
