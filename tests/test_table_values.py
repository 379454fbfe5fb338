"""Units applied to table cells: the declared table unit, unless a column header, a row label
(merged or not) or the cell itself says otherwise; code columns carry no value."""

from __future__ import annotations

import pytest
from conftest import REALDOCS, SAMPLES, extracted
from fiscaldocs.normalize.table_values import table_values


def values(doc_file, index):
    doc = extracted(str(SAMPLES / doc_file))
    return {(v.row, v.col): v for v in table_values(doc.tables[index])}


def test_declared_unit_applies():
    v = values("yiyang_2023_performance_self_evaluation.pdf", 2)[(1, 1)]  # 一、期初余额, 2022年决算数
    assert (v.text, v.unit, v.unit_source, v.value_normalized, v.unit_normalized) == (
        "265750", "万元", "table", "2657500000", "CNY")


def test_row_label_and_cell_units_override():
    vals = values("yiyang_2023_performance_self_evaluation.pdf", 0)  # 基础数据表, no declared unit
    people = vals[(1, 1)]  # 财政供养人员情况(人) | 编制数 60
    assert (people.value, people.unit, people.unit_source, people.unit_normalized) == ("60", "人", "row", "person")
    rate = next(v for v in vals.values() if v.text == "101.67%")
    assert (rate.unit, rate.unit_source, rate.value_normalized) == ("%", "cell", "101.67")
    money = next(v for v in vals.values() if v.text == "12.06")  # 三公经费 under 经费控制情况(万元)
    assert (money.unit, money.value_normalized) == ("万元", "120600")


def test_merged_row_label_declares_unit():
    vals = values("huaihua_2022_project_self_evaluation.docx", 1)  # 项目资金（万元） merged down
    budget = [v for v in vals.values() if v.text == "15.00"]
    assert budget and all(v.unit == "万元" and v.value_normalized == "150000" for v in budget)


def test_code_columns_are_not_amounts():
    path = REALDOCS / "06_putuo_sifaju_2026_bumen_yusuan.pdf"
    if not path.exists():
        pytest.skip("realdocs not available")
    doc = extracted(str(path))
    vals = {(v.row, v.col): v for v in table_values(doc.tables[1])}
    assert (3, 0) not in vals  # "204" in the 类 column
    assert vals[(3, 4)].value_normalized == "87267272.44" and vals[(3, 4)].unit == "元"
