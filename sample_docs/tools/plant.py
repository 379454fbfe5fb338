"""Plant known mistakes in copies of the sample reports, to measure what the audit catches.

Each planted document is a ground-truth copy with one deliberate error, rendered like the corpus
(Word by python-docx, PDF by LibreOffice). `planted/planted.json` says what was planted where and
which rule should catch it. Developer tool (needs LibreOffice for the PDFs); outputs are committed.

    .venv/bin/python sample_docs/tools/plant.py [NAME ...]   # all, or only the plants named
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from generate import build_docx, convert_with_libreoffice, load_ground_truth  # noqa: E402

HERE = Path(__file__).resolve().parent.parent  # sample_docs/
OUT = HERE.parent / "tests" / "planted"  # test fixtures: the main job ingests sample_docs/ and must not load them

# (name, ground truth, what, rule that should catch it, old text, new text, where: paragraph|table_title|cell)
PLANTS = [
    ("wrong_total", "yiyang_2023_performance_self_evaluation", "a wrong total: 收入合计 199910 → 199990",
     "table_total", "199910", "199990", "cell"),
    ("swapped_ratio", "yiyang_2023_performance_self_evaluation", "a swapped share: 24.66% → 66.24%",
     "stated_ratio", "占基本支出的24.66%", "占基本支出的66.24%", "paragraph"),
    ("wrong_unit", "yiyang_2023_performance_self_evaluation", "a wrong unit: 项目支出346万元 → 346元",
     "unit_sanity", "项目支出346万元。", "项目支出346元。", "paragraph"),
    ("wrong_comparative", "heshan_2021_final_accounts", "a wrong comparative word: 决算数大于 → 决算数小于",
     "comparative_word", "决算数大于年初预算数", "决算数小于年初预算数", "paragraph"),
    ("stale_year", "yiyang_2023_performance_self_evaluation", "a stale year in a table title: 2023年度 → 2022年度",
     "dates_and_years", "2023年度部门整体支出绩效评价基础数据表", "2022年度部门整体支出绩效评价基础数据表", "table_title"),
    ("placeholder", "fengnan_2023_fiscal_evaluation", "a template placeholder left: 区医疗保障局 → XX局",
     "dates_and_years", "我股室对区医疗保障局", "我股室对XX局", "paragraph"),
    ("wrong_rate", "heshan_2021_final_accounts", "a wrong completion rate: 完成预算的5.8% → 58%",
     "stated_ratio", "完成预算的5.8%", "完成预算的58%", "paragraph"),
    # issue 10: the rules added for an audit a reviewer trusts
    ("wrong_text_total", "yiyang_2023_performance_self_evaluation",
     "a text total of 0: 基金总收入199910万元 → 0万元 (the fund table says 收入合计 199910)",
     "text_total", "基金总收入199910万元", "基金总收入0万元", "paragraph"),
    ("stale_as_of", "ningxiang_2024_performance_self_evaluation",
     "last year's 截至 date in a report on 2024: 截止2024年12月 → 截止2023年12月",
     "as_of_date", "截止2024年12月", "截止2023年12月", "paragraph"),
    ("stale_heading", "heshan_2021_final_accounts",
     "a stale year in a section heading: 关于2021年度预算绩效情况 → 关于2020年度",
     "stale_heading", "十四、关于2021年度预算绩效情况的说明", "十四、关于2020年度预算绩效情况的说明", "paragraph"),
    ("wrong_control_rate", "yiyang_2023_performance_self_evaluation",
     "a wrong 预算控制率 (全年预算 ÷ 年初预算): 161.07% → 116.07%",
     "stated_ratio", "预算控制率为161.07%", "预算控制率为116.07%", "paragraph"),
]


def plant(gt: dict, old: str, new: str, where: str) -> dict:
    out = copy.deepcopy(gt)
    for block in out["blocks"]:
        if where == "paragraph" and block["type"] in ("paragraph", "heading") and old in block["text"]:
            block["text"] = block["text"].replace(old, new, 1)
            return out
        if block["type"] == "table":
            if where == "table_title" and block.get("title") == old:
                block["title"] = new
                return out
            if where == "cell":
                for row in block["rows"]:
                    if old in row:
                        row[row.index(old)] = new
                        return out
    raise ValueError(f"{old!r} not found")


def main(only: list[str]) -> None:
    """Render every planted document, or only those named (the others' files stay as committed)."""
    OUT.mkdir(exist_ok=True)
    entries, docx_files = [], []
    for name, slug, what, rule, old, new, where in PLANTS:
        entries += [{"file": f"{name}.{ext}", "base": slug, "mistake": what, "rule": rule, "planted": new}
                    for ext in ("docx", "pdf")]
        if only and name not in only:
            continue
        gt = plant(load_ground_truth(HERE / "ground_truth" / f"{slug}.json"), old, new, where)
        path = OUT / f"{name}.docx"
        build_docx(gt, path)
        docx_files.append(path)
    convert_with_libreoffice(docx_files, OUT)
    (OUT / "planted.json").write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(docx_files)} planted documents (Word and PDF) to {OUT}; {len(entries)} in planted.json")


if __name__ == "__main__":
    main(sys.argv[1:])
