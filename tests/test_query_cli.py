"""`fiscaldocs query` and `fiscaldocs schema` for people: formats, files, one-line errors,
only SELECT, and no way out of the warehouse (no COPY TO, ATTACH, reading files, or unlocking)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fiscaldocs.warehouse.publish import staged
from fiscaldocs.warehouse.runs import write_run

from fiscaldocs.cli import main


@pytest.fixture(scope="module")
def db(tmp_path_factory):
    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    write_run(path, [], [], "test", datetime.now(UTC).replace(tzinfo=None))
    with staged(path) as con:  # two regions with exact amounts and a wide Chinese value
        con.execute("INSERT INTO regions VALUES ('430902', '湖南省', '益阳市', '资阳区'), "
                    "('310107', '上海市', NULL, '普陀区')")
        con.execute("INSERT INTO facts (fact_id, doc_id, region_code, period_year, phase, line_item, amount_yuan) "
                    "VALUES ('f1', 'd', '430902', 2023, 'executed', '一般公共服务支出' || repeat('很长', 60), "
                    "12345678.9012)")
    return path


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_formats(db, capsys):
    sql = "SELECT region_code, county FROM regions ORDER BY region_code"
    code, out, _ = _run(capsys, "query", sql, "--db", str(db), "--format", "csv")
    assert code == 0
    assert list(csv.reader(io.StringIO(out))) == [["region_code", "county"], ["310107", "普陀区"],
                                                  ["430902", "资阳区"]]
    code, out, _ = _run(capsys, "query", sql, "--db", str(db), "--format", "json")
    assert json.loads(out) == [{"region_code": "310107", "county": "普陀区"},
                               {"region_code": "430902", "county": "资阳区"}]
    code, out, _ = _run(capsys, "query", sql, "--db", str(db), "--format", "markdown")
    assert out.splitlines()[:3] == ["| region_code | county |", "|---|---|", "| 310107 | 普陀区 |"]


def test_money_exact_and_wide_values_whole(db, capsys):
    code, out, _ = _run(capsys, "query", "SELECT line_item, amount_yuan FROM facts", "--db", str(db),
                        "--format", "json")
    row = json.loads(out)[0]
    assert Decimal(row["amount_yuan"]) == Decimal("12345678.9012") and isinstance(row["amount_yuan"], str)
    code, out, _ = _run(capsys, "query", "SELECT line_item, amount_yuan FROM facts", "--db", str(db))
    assert "一般公共服务支出" + "很长" * 60 in out and "12345678.9012" in out and "(1 row)" in out


def test_output_file(db, capsys, tmp_path):
    target = tmp_path / "out.csv"
    code, out, err = _run(capsys, "query", "SELECT county FROM regions ORDER BY 1", "--db", str(db),
                          "--format", "csv", "--output", str(target))
    assert code == 0 and out == "" and str(target) in err
    assert target.read_text(encoding="utf-8") == "county\n普陀区\n资阳区\n"


def test_errors_are_one_line(db, capsys):
    code, out, err = _run(capsys, "query", "SELEC * FROM regions", "--db", str(db))
    assert code == 2 and out == "" and len(err.strip().splitlines()) == 1 and "syntax error" in err
    code, _, err = _run(capsys, "query", "SELECT * FROM no_such_table", "--db", str(db))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "no_such_table" in err
    code, _, err = _run(capsys, "query", "SELECT 1", "--db", str(db.with_name("missing.duckdb")))
    assert code == 2 and "no warehouse yet" in err and not db.with_name("missing.duckdb").exists()


@pytest.mark.parametrize("sql", [
    "DELETE FROM regions", "DROP TABLE regions", "INSERT INTO regions VALUES ('1', '', '', '')",
    "CREATE TABLE x AS SELECT 1", "SELECT 1; DELETE FROM regions",
])
def test_non_select_refused(db, capsys, sql):
    before = db.stat().st_size
    code, out, err = _run(capsys, "query", sql, "--db", str(db))
    assert code == 2 and out == ""
    assert ("only SELECT" in err or "one statement" in err) and len(err.strip().splitlines()) == 1
    assert db.stat().st_size == before


@pytest.mark.parametrize("sql", [
    "COPY (SELECT * FROM regions) TO '{tmp}/leak.csv'",
    "ATTACH '{tmp}/other.duckdb' AS other",
    "SELECT * FROM read_text('/etc/hostname')",
    "SELECT * FROM read_csv('/etc/passwd')",
    "SET enable_external_access = true",
    "SELECT * FROM duckdb_settings() WHERE name = 'enable_external_access' AND (SELECT 1 FROM read_text('{tmp}'))",
])
def test_no_way_out_of_the_warehouse(db, capsys, tmp_path, sql):
    code, out, err = _run(capsys, "query", sql.format(tmp=tmp_path), "--db", str(db))
    assert code == 2 and out == "", out
    assert len(err.strip().splitlines()) == 1
    assert any(word in err for word in ("only SELECT", "disabled", "external access")), err
    assert list(tmp_path.iterdir()) == []


def test_schema_lists_tables_views_and_comments(db, capsys):
    code, out, _ = _run(capsys, "schema", "--db", str(db), "--format", "json")
    rows = {r["name"]: r for r in json.loads(out)}
    assert rows["facts"]["kind"] == "table" and "money amount" in rows["facts"]["comment"]
    assert rows["v_sangong"]["kind"] == "view" and "三公经费" in rows["v_sangong"]["comment"]
    code, out, _ = _run(capsys, "schema", "facts", "--db", str(db), "--format", "json")
    cols = {r["column"]: r for r in json.loads(out)}
    assert cols["amount_yuan"]["type"] == "DECIMAL(38,4)" and "exact" in cols["amount_yuan"]["comment"]
    code, _, err = _run(capsys, "schema", "nope", "--db", str(db))
    assert code == 2 and "no table or view 'nope'" in err
