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


def test_a_staged_result_is_reused_for_the_same_content_stage_versions_and_hints_only(monkeypatch, tmp_path):
    """The staging folder is the only cache of processed documents (no Prefect task cache): what
    the per-document task cache keyed on — content, stage versions, hints, row code — keys it."""
    import fiscaldocs.normalize

    from fiscaldocs.staging import processed_path, rows_path
    from fiscaldocs.versions import current

    def key(sha="abc", hints=None):
        return processed_path(tmp_path, sha, current(), hints)

    first = key()
    assert first.name == f"abc.{current().key()}.none.json"  # where the file lies does not matter
    assert first != key(sha="abd")
    assert first != key(hints={"region": "上海市普陀区"})
    rows = rows_path(first)
    monkeypatch.setattr(fiscaldocs.normalize, "NORMALIZER_VERSION", "other")
    assert first != key()
    import fiscaldocs.versions

    monkeypatch.setattr(fiscaldocs.versions, "rows_digest", lambda: "other-row-code")
    assert rows_path(first) != rows


def test_a_run_of_more_documents_than_a_batch_loads_what_a_document_by_document_load_does(
        prefect_harness, staged_samples, tmp_path, monkeypatch):
    """Five documents in batches of at most two, in a worker process: three Prefect task runs, not
    five, and the warehouse rows of the same documents staged one by one and loaded by the writer."""
    import asyncio
    from datetime import UTC, datetime

    from fiscaldocs.flows import ingest
    from prefect import get_client
    from test_stream import _rows

    monkeypatch.setenv("FISCALDOCS_WORKERS", "1")
    items = [i for i in staged_samples if i["path"].endswith(".docx")]
    assert len(items) == 5
    ref = tmp_path / "one_by_one.duckdb"
    now = datetime.now(UTC).replace(tzinfo=None)
    assert "error" not in ingest.load_and_publish(str(ref), items, [], "samples", now, [])

    db = tmp_path / "batched.duckdb"
    state = ingest.ingest_flow(inputs=[i["path"] for i in items], db=str(db), workdir=str(tmp_path / "work"),
                               batch_size=2, return_state=True)
    summary = state.result()
    assert [o["status"] for o in summary["outcomes"]] == ["ok"] * 5
    assert _rows(str(db)) == _rows(str(ref))

    async def task_runs():
        async with get_client() as client:
            response = await client.request("POST", "/task_runs/filter", json={
                "flow_runs": {"id": {"any_": [str(state.state_details.flow_run_id)]}}})
            return sorted(r["name"] for r in response.json())

    assert asyncio.run(task_runs()) == ["process batch of 1", "process batch of 2", "process batch of 2"]


def test_a_document_that_raises_fails_alone_and_its_batch_goes_on(prefect_harness, tmp_path, monkeypatch):
    from fiscaldocs.flows import ingest

    docs = tmp_path / "docs"
    docs.mkdir()
    names = ["fengnan_2023_fiscal_evaluation.docx", "heshan_2021_final_accounts.docx",
             "ningxiang_2024_performance_self_evaluation.docx"]
    for name in names:
        shutil.copyfile(SAMPLES / name, docs / name)
    monkeypatch.setenv("FISCALDOCS_WORKERS", "0")
    monkeypatch.setattr(ingest, "RETRY_DELAYS", (0.0, 0.0))
    tries = []

    def job(path, *args):
        if path.endswith("heshan_2021_final_accounts.docx"):
            tries.append(path)
            raise OSError("disk on fire")
        return ingest.stage_job(path, *args)

    monkeypatch.setattr(ingest, "STAGE_JOB", job)
    summary = ingest.ingest_flow(inputs=[str(docs)], db=str(tmp_path / "w.duckdb"), workdir=str(tmp_path / "work"),
                                 batch_size=3)
    status = {o["file"]: (o["status"], o["error"]) for o in summary["outcomes"]}
    assert status["heshan_2021_final_accounts.docx"] == ("error", "heshan_2021_final_accounts.docx: OSError: disk on fire")
    assert len(tries) == 3  # tried twice again
    assert {status[n][0] for n in names if n != "heshan_2021_final_accounts.docx"} == {"ok"}


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
