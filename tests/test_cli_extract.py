"""`fiscaldocs extract FILE --json`: the documented shape, and the same output on every run."""

from __future__ import annotations

import json

from conftest import SAMPLES

from fiscaldocs.cli import main


def run_json(capsys, path) -> dict:
    code = main(["extract", str(path), "--json"])
    out = capsys.readouterr().out
    return code, json.loads(out)


def test_json_shape(capsys):
    code, data = run_json(capsys, SAMPLES / "yiyang_2023_performance_self_evaluation.pdf")
    assert code == 0
    doc = data["document"]
    for key in ("sha256", "file_name", "file_type", "title", "issuer", "department", "region", "fiscal_year",
                "report_kind", "published_date", "page_count", "status", "error"):
        assert key in doc
    assert set(doc["region"]) == {"code", "province", "city", "county"}
    assert (doc["status"], doc["file_type"], doc["fiscal_year"]) == ("ok", "pdf", 2023)
    assert len(doc["sha256"]) == 64
    first = data["claims"][0]
    assert set(first) >= {"page", "text", "subject", "value", "unit", "value_normalized", "unit_normalized",
                          "qualifier", "year"}
    assert isinstance(first["value_normalized"], str)  # an exact decimal, never a float
    assert doc["issuer"] == "益阳市医疗保障局" and doc["region"]["code"] == "430900"
    assert doc["published_date"] == "2024-05-10"
    fund = data["tables"][2]
    assert set(fund) >= {"page", "index", "title", "unit", "rows"}
    assert fund["unit"] == "万元" and fund["rows"][1] == ["一、期初余额", "265750", "289740", "289740"]


def test_error_exit_code_and_message(capsys, tmp_path):
    bad = tmp_path / "fake.pdf"
    bad.write_text("<html>not found</html>")
    code, data = run_json(capsys, bad)
    assert code == 1
    assert data["document"]["status"] == "error" and "fake.pdf" in data["document"]["error"]


def test_deterministic(capsys):
    path = SAMPLES / "heshan_2021_final_accounts.pdf"
    assert run_json(capsys, path) == run_json(capsys, path)
