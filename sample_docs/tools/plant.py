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

# (name, ground truth, what, rule that should catch it, old text, new text, where: paragraph|table_title|cell,
#  at: where the mistake lands, read by hand — the table (index among the document's tables), row and column
#  (header row 0) in the ground truth, or the sentence of the planted paragraph — and pdf_page: the page of the
#  LibreOffice PDF that prints it (looked up in the PDF), also: other rules that read the planted number and so
#  must flag it too)
PLANTS = [
    ("wrong_total", "yiyang_2023_performance_self_evaluation", "a wrong total: 收入合计 199910 → 199990",
     "table_total", "199910", "199990", "cell",
     {"table": 2, "row": 2, "col": 3, "pdf_page": 12, "also": ["balance_identity", "text_total"]}),
    ("swapped_ratio", "yiyang_2023_performance_self_evaluation", "a swapped share: 24.66% → 66.24%",
     "stated_ratio", "占基本支出的24.66%", "占基本支出的66.24%", "paragraph",
     {"sentence": "本年一般公共预算支出中基本支出1377.2万元，其中：日常公用经费339.62万元，占基本支出的66.24%。",
      "pdf_page": 2}),
    ("wrong_unit", "yiyang_2023_performance_self_evaluation", "a wrong unit: 项目支出346万元 → 346元",
     "unit_sanity", "项目支出346万元。", "项目支出346元。", "paragraph",
     {"sentence": "2023年一般公共预算财政拨款支出1723.2万元，其中：基本支出1377.2万元，项目支出346元。",
      "pdf_page": 2, "also": ["stated_parts"]}),
    ("wrong_comparative", "heshan_2021_final_accounts", "a wrong comparative word: 决算数大于 → 决算数小于",
     "comparative_word", "决算数大于年初预算数", "决算数小于年初预算数", "paragraph",
     {"sentence": "决算数小于年初预算数的主要原因是：调整预算增加了4620.8万元。", "pdf_page": 6}),
    ("stale_year", "yiyang_2023_performance_self_evaluation", "a stale year in a table title: 2023年度 → 2022年度",
     "dates_and_years", "2023年度部门整体支出绩效评价基础数据表", "2022年度部门整体支出绩效评价基础数据表", "table_title",
     {"table": 0, "pdf_page": 9}),
    ("placeholder", "fengnan_2023_fiscal_evaluation", "a template placeholder left: 区医疗保障局 → XX局",
     "dates_and_years", "我股室对区医疗保障局", "我股室对XX局", "paragraph",
     {"sentence": "我股室对XX局2023年部门整体支出绩效情况开展财政重点评价，具体情况如下：", "pdf_page": 1}),
    ("wrong_rate", "heshan_2021_final_accounts", "a wrong completion rate: 完成预算的5.8% → 58%",
     "stated_ratio", "完成预算的5.8%", "完成预算的58%", "paragraph",
     {"sentence": "2021年度“三公”经费财政拨款支出预算为15.5万元，调整预算数为0.9万元，支出决算为0.9万元，完成预算的58%，其中：",
      "pdf_page": 8}),
    # issue 10: the rules added for an audit a reviewer trusts
    ("wrong_text_total", "yiyang_2023_performance_self_evaluation",
     "a text total of 0: 基金总收入199910万元 → 0万元 (the fund table says 收入合计 199910)",
     "text_total", "基金总收入199910万元", "基金总收入0万元", "paragraph",
     {"sentence": "2023年，全市城职基本医疗保险基金总收入0万元，其中：个人账户基金收入58588万元；"
                   "全市城职基本基金支出163013万元，其中：个人账户基金支出60343万元。", "pdf_page": 3}),
    ("stale_as_of", "ningxiang_2024_performance_self_evaluation",
     "last year's 截至 date in a report on 2024: 截止2024年12月 → 截止2023年12月",
     "as_of_date", "截止2024年12月", "截止2023年12月", "paragraph",
     {"sentence": "本部门编制数48人，截止2023年12月，在职在编人数40人，其中：局机关9人，二级机构31人；临聘人员1人。",
      "pdf_page": 1}),
    ("stale_heading", "heshan_2021_final_accounts",
     "a stale year in a section heading: 关于2021年度预算绩效情况 → 关于2020年度",
     "stale_heading", "十四、关于2021年度预算绩效情况的说明", "十四、关于2020年度预算绩效情况的说明", "paragraph",
     {"sentence": "十四、关于2020年度预算绩效情况的说明", "pdf_page": 9}),
    ("wrong_control_rate", "yiyang_2023_performance_self_evaluation",
     "a wrong 预算控制率 (全年预算 ÷ 年初预算): 161.07% → 116.07%",
     "stated_ratio", "预算控制率为161.07%", "预算控制率为116.07%", "paragraph",
     {"sentence": "预算控制率略微偏高：2023年年初一般公共预算1069.87万元，调整追加预算653.33万元，全年一般公共预算收入"
                   "1723.2万元，预算控制率为116.07%，调整原因主要为：1.年中追加增人增资、年终绩效考核奖励、补发事业单位"
                   "基础绩效奖励等多项资金共计127.33万元；2.年中省医保局拨付医疗保障服务能力提升专项工作经费346万元；"
                   "3.追加基金征缴奖励130万元；4.追加拨付因搬迁导致办公楼维修费用50万元。", "pdf_page": 7}),
]


def plant(gt: dict, old: str, new: str, where: str, at: dict) -> dict:
    """A copy of `gt` with the first `old` (in a paragraph, a table title or a cell) replaced by `new`;
    raises unless it landed where `at` says."""
    out = copy.deepcopy(gt)
    tables = [b for b in out["blocks"] if b["type"] == "table"]
    for block in out["blocks"]:
        if where == "paragraph" and block["type"] in ("paragraph", "heading") and old in block["text"]:
            block["text"] = block["text"].replace(old, new, 1)
            if at["sentence"] not in block["text"] or new not in at["sentence"]:
                raise ValueError(f"{new!r} is not in the sentence {at['sentence']!r}")
            return out
        if block["type"] == "table":
            if where == "table_title" and block.get("title") == old:
                block["title"] = new
                if tables.index(block) != at["table"]:
                    raise ValueError(f"{old!r} is the title of table {tables.index(block)}, not {at['table']}")
                return out
            if where == "cell":
                for r, row in enumerate(block["rows"]):
                    if old in row:
                        row[row.index(old)] = new
                        if (tables.index(block), r, row.index(new)) != (at["table"], at["row"], at["col"]):
                            raise ValueError(f"{old!r} found elsewhere than {at}")
                        return out
    raise ValueError(f"{old!r} not found")


def located(at: dict, ext: str) -> dict:
    """planted.json's `at` for one copy: the page only for the PDF."""
    out = {k: v for k, v in at.items() if k not in ("pdf_page", "also")}
    return out | ({"page": at["pdf_page"]} if ext == "pdf" else {})


def main(only: list[str]) -> None:
    """Render every planted document, or only those named (the others' files stay as committed)."""
    OUT.mkdir(exist_ok=True)
    entries, docx_files = [], []
    for name, slug, what, rule, old, new, where, at in PLANTS:
        entries += [{"file": f"{name}.{ext}", "base": slug, "mistake": what, "rule": rule, "planted": new,
                     "at": located(at, ext), "also_flagged": at.get("also", [])}
                    for ext in ("docx", "pdf")]
        if only and name not in only:
            continue
        gt = plant(load_ground_truth(HERE / "ground_truth" / f"{slug}.json"), old, new, where, at)
        path = OUT / f"{name}.docx"
        build_docx(gt, path)
        docx_files.append(path)
    convert_with_libreoffice(docx_files, OUT)
    (OUT / "planted.json").write_text(json.dumps(entries, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(docx_files)} planted documents (Word and PDF) to {OUT}; {len(entries)} in planted.json")


if __name__ == "__main__":
    main(sys.argv[1:])
