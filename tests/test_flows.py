"""The Prefect ingestion flow end to end: every sample document ingested through tasks, a run
summary artifact, an unchanged rerun that skips everything, a bad file that fails alone."""

from __future__ import annotations

import shutil

import duckdb
import pytest
from conftest import SAMPLES


@pytest.fixture(scope="module")
def flow_run(prefect_harness, tmp_path_factory):
    from fiscaldocs.flows.ingest import ingest_flow

    root = tmp_path_factory.mktemp("flow")
    docs = root / "docs"
    docs.mkdir()
    for name in ("yiyang_2023_performance_self_evaluation.pdf", "heshan_2021_final_accounts.docx",
                 "fengnan_2023_fiscal_evaluation.pdf"):
        shutil.copyfile(SAMPLES / name, docs / name)
    (docs / "not_a_report.pdf").write_text("<html>404</html>")
    db, work = root / "w.duckdb", root / "work"
    first = ingest_flow(inputs=[str(docs)], db=str(db), workdir=str(work))
    second = ingest_flow(inputs=[str(docs)], db=str(db), workdir=str(work))
    return db, first, second


def test_first_run_loads_every_good_document_and_reports_the_bad_one(flow_run):
    db, first, _ = flow_run
    actions = {o["file"]: (o["action"], o["status"]) for o in first["outcomes"]}
    assert actions["not_a_report.pdf"] == ("failed", "error")
    assert sum(1 for a, s in actions.values() if a == "new" and s == "ok") == 3
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents WHERE status = 'ok'").fetchone()[0] == 3
        # 附件3-1 of 益阳 2023 (seed 000): 19 lines (一、期初余额 … 五、期末滚存结余) × 3 amount columns
        assert con.execute("""SELECT count(*) FROM facts f JOIN doc_tables t USING (doc_id, table_id)
                              JOIN documents d USING (doc_id)
                              WHERE d.file_name = 'yiyang_2023_performance_self_evaluation.pdf'
                                AND t.title = '2023年度益阳市职工医疗（含生育）保险基金预决算收支情况表'""").fetchone()[0] == 57


def test_unchanged_rerun_skips_every_good_document(flow_run):
    db, first, second = flow_run
    actions = [o["action"] for o in second["outcomes"] if o["status"] == "ok"]
    assert actions == ["skipped"] * 3
    with duckdb.connect(str(db), read_only=True) as con:
        runs = con.execute("SELECT new, skipped, failed FROM ingest_runs ORDER BY started_at").fetchall()
    assert runs == [(3, 0, 1), (0, 3, 1)]


def test_run_summary_artifact(flow_run):
    import asyncio

    from prefect import get_client

    async def latest():
        async with get_client() as client:
            # the raw filter endpoint: prefect 3.8.8's read_artifacts sends null or over-strict run filters
            response = await client.request("POST", "/artifacts/filter", json={
                "artifacts": {"key": {"any_": ["ingest-summary"]}}, "sort": "CREATED_DESC", "limit": 50})
            return response.json()

    # the session's Prefect API is shared: keep this module's two runs
    ours = [a for a in asyncio.run(latest()) if "not_a_report.pdf" in a["data"]]
    assert len(ours) == 2 and all(a["type"] == "table" for a in ours)
    assert "skipped" in ours[0]["data"] and "new" in ours[1]["data"]


def test_processing_task_is_cached_on_content_stage_versions_and_hints(monkeypatch):
    import fiscaldocs.normalize
    from fiscaldocs.flows.ingest import _processing_key

    from fiscaldocs.versions import current

    def key(sha="abc", path="/x/a.pdf", hints=None):
        return _processing_key(None, {"sha256": sha, "path": path, "workdir": "/w", "hints": hints or {}})

    first = key()
    assert first.startswith(f"process-abc-{current().key()}-none-")
    assert first == key(path="/y/b.pdf")  # same content wherever it lies
    assert first != key(sha="abd")
    assert first != key(hints={"region": "上海市普陀区"})
    monkeypatch.setattr(fiscaldocs.normalize, "NORMALIZER_VERSION", "other")
    assert first != key()


def test_cli_ingest_exits_non_zero_on_a_failed_document_and_loads_the_rest(prefect_harness, tmp_path, capsys):
    from fiscaldocs.cli import main

    (tmp_path / "docs").mkdir()
    shutil.copyfile(SAMPLES / "ningxiang_2024_performance_self_evaluation.docx", tmp_path / "docs" / "a.docx")
    (tmp_path / "docs" / "b.pdf").write_bytes(b"")
    sources = tmp_path / "sources.toml"
    sources.write_text('[[source]]\nname = "t"\npaths = ["docs", "missing_folder"]\n', encoding="utf-8")
    code = main(["ingest", "--sources", str(sources), "--db", str(tmp_path / "w.duckdb")])
    out = capsys.readouterr().out
    assert code == 1
    assert "b.pdf: empty file" in out and "missing_folder: no such file or folder" in out
    assert "new 1" in out
    with duckdb.connect(str(tmp_path / "w.duckdb"), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents WHERE status = 'ok'").fetchone()[0] == 1
