"""The dashboard's SQL adapts to the views it finds: a `department` column, when a view has one,
is filtered on and keeps execution rates within one department."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from fiscaldocs.warehouse.publish import staged
from fiscaldocs.warehouse.reader import Reader
from fiscaldocs.warehouse.runs import write_run

from fiscaldocs.dashboard.queries import Filters, Queries


def test_department_column_used_when_the_view_has_it(tmp_path):
    db = tmp_path / "w.duckdb"
    write_run(db, [], [], "t", datetime.now(UTC).replace(tzinfo=None))
    reader = Reader(db)
    q = Queries(reader)
    assert "department" in q.columns("v_spending")  # every view names the department (issue 10)
    with staged(db) as con:  # a v_spending of the next schema: with department
        con.execute("""CREATE OR REPLACE VIEW v_spending AS SELECT * FROM (VALUES
            ('310107', '上海市', NULL, '普陀区', '财政局', 2024, '201', '一般公共服务支出', 3, 'approved', 2000.00::DECIMAL(38,4), 'all', 'total'),
            ('310107', '上海市', NULL, '普陀区', '财政局', 2024, '201', '一般公共服务支出', 3, 'approved', 1800.00::DECIMAL(38,4), 'general_public_budget', 'total'),
            ('310107', '上海市', NULL, '普陀区', '财政局', 2024, '201', '一般公共服务支出', 3, 'executed', 1500.00::DECIMAL(38,4), 'all', 'total'),
            ('310107', '上海市', NULL, '普陀区', '财政局', 2024, '201', '一般公共服务支出', 3, 'executed', 1000.00::DECIMAL(38,4), 'all', 'basic'),
            ('310107', '上海市', NULL, '普陀区', '司法局', 2024, '201', '一般公共服务支出', 3, 'approved', 9000.00::DECIMAL(38,4), 'all', 'total')
        ) t(region_code, province, city, county, department, period_year, category_code, category_name,
            code_digits, phase, amount_yuan, fund_scope, breakdown)""")
    rows = q.spending_drill(Filters(departments=["财政局"]), None)  # the reader sees the new view
    assert rows[["department", "approved", "executed", "execution_rate"]].values.tolist() == [
        ["财政局", Decimal("2000.0000"), Decimal("1500.0000"), Decimal("75.00")]]
    both = q.spending_drill(Filters(), None)
    assert sorted(both["department"]) == ["司法局", "财政局"]  # one rate per department, never mixed
    reader.close()
