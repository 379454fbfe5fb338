"""Prefect on Dask (flows/cluster.py): an ingest whose documents are processed in batches on a
Dask LocalCluster of two worker processes gives the same warehouse rows as a local ingest, and a
Dask worker killed while it holds a batch costs nothing: Dask resubmits the batch, every row
arrives; a batch Dask gives up on is split and its documents retried alone; an unreachable
scheduler is one clear line."""

from __future__ import annotations

import os
import shutil
import signal
import threading
import time

import duckdb
import pytest
from conftest import SAMPLES

distributed = pytest.importorskip("distributed", reason="the cluster extra (prefect-dask, distributed) is not installed")

# Four Word reports of four regions and genres (决算, 绩效自评, 财政评价, 项目自评).
FILES = ("heshan_2021_final_accounts.docx", "yiyang_2023_performance_self_evaluation.docx",
         "fengnan_2023_fiscal_evaluation.docx", "huaihua_2022_project_self_evaluation.docx")

# The rows a run writes, without what differs by run (the load time).
TABLES = {"documents": "SELECT * EXCLUDE (ingested_at) FROM documents ORDER BY ALL",
          "facts": "SELECT * FROM facts ORDER BY ALL",
          "checks": "SELECT * FROM checks ORDER BY ALL"}


def _rows(db) -> dict[str, list]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {name: con.execute(sql).fetchall() for name, sql in TABLES.items()}


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    docs = tmp_path_factory.mktemp("cluster") / "docs"
    docs.mkdir()
    for name in FILES:
        shutil.copyfile(SAMPLES / name, docs / name)
    return docs


@pytest.fixture(scope="module")
def cluster(prefect_harness):
    import dask

    # Non-daemonic workers may start processes: each document runs in a pool process of its worker.
    with dask.config.set({"distributed.worker.daemon": False}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                      memory_limit="2GiB") as c:
            yield c


@pytest.fixture(scope="module")
def local_rows(prefect_harness, corpus):
    from fiscaldocs.flows.ingest import ingest_flow

    root = corpus.parent
    result = ingest_flow(inputs=[str(corpus)], db=str(root / "local.duckdb"), workdir=str(root / "work-local"))
    assert [o["status"] for o in result["outcomes"]] == ["ok"] * len(FILES)
    rows = _rows(root / "local.duckdb")
    # the comparison is worth something only if there is something to compare
    assert len(rows["documents"]) == len(FILES) and rows["facts"] and rows["checks"]
    return rows


def test_cluster_ingest_writes_the_same_rows_as_a_local_one(cluster, corpus, local_rows):
    from fiscaldocs.flows.ingest import ingest_flow

    root = corpus.parent
    db, work = root / "dask.duckdb", root / "work-dask"
    result = ingest_flow(inputs=[str(corpus)], db=str(db), workdir=str(work), cluster=cluster.scheduler_address,
                         batch_size=2)
    assert sorted((o["file"], o["action"], o["status"]) for o in result["outcomes"]) == \
        sorted((name, "new", "ok") for name in FILES)
    assert _rows(db) == local_rows
    # the workers staged every document, and its warehouse rows, where the writer reads them
    from fiscaldocs.staging import rows_path

    staged = [p for p in (work / "processed").glob("*.json") if ".rows." not in p.name]
    assert len(staged) == len(FILES) and all(rows_path(p).exists() for p in staged)
    # an unchanged rerun on the cluster skips everything, and the rows stay as they were
    again = ingest_flow(inputs=[str(corpus)], db=str(db), workdir=str(work), cluster=cluster.scheduler_address)
    assert [o["action"] for o in again["outcomes"]] == ["skipped"] * len(FILES)
    assert _rows(db) == local_rows


def _ingest_killing_one_worker(address: str, corpus, db, work) -> tuple[dict, int]:
    """Ingest on the cluster in batches of two; as soon as a worker holds a batch, SIGKILL its
    process (no goodbye to the scheduler). The run's summary and the killed process id."""
    from fiscaldocs.flows.ingest import ingest_flow

    result: dict = {}

    def run():
        result.update(ingest_flow(inputs=[str(corpus)], db=str(db), workdir=str(work), cluster=address, batch_size=2))

    with distributed.Client(address) as client:
        before = set(client.run(os.getpid).values())
        flow = threading.Thread(target=run)
        flow.start()
        killed = None
        deadline = time.monotonic() + 120
        while killed is None and flow.is_alive() and time.monotonic() < deadline:
            busy = [w for w, keys in client.processing().items() if keys]
            if busy:
                killed = client.run(os.getpid, workers=busy[:1])[busy[0]]
                os.kill(killed, signal.SIGKILL)
            time.sleep(0.02)
        flow.join(300)
        assert killed is not None, "no batch was seen running on a worker"
        assert not flow.is_alive()
        client.wait_for_workers(2, timeout=60)  # the nanny replaced the killed worker process
        after = set(client.run(os.getpid).values())
    assert killed in before and killed not in after
    return result, killed


@pytest.fixture
def pairs(monkeypatch):
    """Batches of exactly two documents (not fewer to spread four documents over the workers), so
    that the killed worker holds more than one document."""
    from fiscaldocs.flows import cluster

    monkeypatch.setattr(cluster, "effective_batch_size", lambda n, batch_size, threads: batch_size)


def test_a_worker_killed_mid_batch_has_its_batch_retried(cluster, corpus, local_rows, pairs):
    root = corpus.parent
    db = root / "killed.duckdb"
    result, _ = _ingest_killing_one_worker(cluster.scheduler_address, corpus, db, root / "work-killed")
    assert sorted((o["file"], o["status"]) for o in result["outcomes"]) == sorted((n, "ok") for n in FILES)
    assert _rows(db) == local_rows


def test_a_batch_dask_gives_up_on_is_split_and_its_documents_retried_alone(prefect_harness, corpus, local_rows,
                                                                           pairs, capsys):
    import dask

    root = corpus.parent
    db = root / "split.duckdb"
    # A scheduler that gives a task up the first time its worker dies (KilledWorker at once), and
    # daemonic workers (Dask's default: no child processes), which run each document in their own
    # thread.
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=":0",
                                      memory_limit="2GiB") as c:
            result, _ = _ingest_killing_one_worker(c.scheduler_address, corpus, db, root / "work-split")
    assert sorted((o["file"], o["status"]) for o in result["outcomes"]) == sorted((n, "ok") for n in FILES)
    assert _rows(db) == local_rows
    # the lost batch of two was resubmitted as two batches of one
    assert capsys.readouterr().out.count("resubmitted one by one") == 1


def test_the_cluster_address_comes_from_the_option_then_the_sources_file_then_the_environment(tmp_path, monkeypatch):
    from fiscaldocs.flows.cluster import cluster_address

    from fiscaldocs.sources import SourceError, read_sources_file

    sources = tmp_path / "sources.toml"
    sources.write_text('cluster = "tcp://scheduler:8786"\n[[source]]\npaths = ["docs"]\n', encoding="utf-8")
    configured = read_sources_file(sources).cluster
    assert configured == "tcp://scheduler:8786"
    monkeypatch.setenv("FISCALDOCS_CLUSTER", "tcp://from-env:8786")
    assert cluster_address("tcp://given:8786", configured) == "tcp://given:8786"
    assert cluster_address(None, configured) == "tcp://scheduler:8786"
    assert cluster_address(None, None) == "tcp://from-env:8786"
    monkeypatch.delenv("FISCALDOCS_CLUSTER")
    assert cluster_address(None, None) is None
    sources.write_text('cluster = 8786\n', encoding="utf-8")
    with pytest.raises(SourceError, match="`cluster` must be a string"):
        read_sources_file(sources)


def test_batches_are_capped_and_spread_over_the_worker_threads():
    from fiscaldocs.flows.batches import effective_batch_size

    assert effective_batch_size(1000, 8, 4) == 8  # capped by --batch-size
    assert effective_batch_size(10, 8, 2) == 3  # 10 documents, 2 threads: ~2 batches each
    assert effective_batch_size(1, 8, 16) == 1


def test_an_unreachable_scheduler_is_one_clear_line_and_nothing_is_written(prefect_harness, corpus, tmp_path, capsys,
                                                                          monkeypatch):
    import dask

    from fiscaldocs.cli import main

    monkeypatch.chdir(tmp_path)  # the default staging folder

    db = tmp_path / "w.duckdb"
    with dask.config.set({"distributed.comm.timeouts.connect": "2s"}):
        code = main(["ingest", str(corpus), "--db", str(db), "--cluster", "tcp://127.0.0.1:9"])
    assert code == 2
    err = capsys.readouterr().err
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err and "untouched" in err
    assert not db.exists()
