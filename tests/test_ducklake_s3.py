"""DuckLake with its Parquet files on S3 (`data_path=s3://bucket/prefix/`), against a real S3 server
on this machine: moto's server mode on 127.0.0.1 and a free port, reached through DuckDB's httpfs
(loaded from the duckdb-extension-httpfs wheel) with the credentials and endpoint of the usual AWS
environment variables. Needs PostgreSQL for the catalog (FISCALDOCS_TEST_PG_DSN), like
tests/test_ducklake.py, and the `dev` extra's moto and boto3."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import duckdb
import pytest
from fiscaldocs.warehouse.backends import backend, read_only
from fiscaldocs.warehouse.maintenance import Policy, maintain
from fiscaldocs.warehouse.objectstore import ObjectStoreError, S3Settings, enable
from fiscaldocs.warehouse.runs import write_run
from lake import fresh_warehouse

NOW = datetime.now(UTC).replace(tzinfo=None)
BUCKET, PREFIX = "fiscal-lake", "warehouse/"
# Tables whose rows hold nothing of the run (no load time, no run id): the same on any backend.
CONTENT_TABLES = ("facts", "claims", "table_cells", "doc_tables", "text_blocks", "indicators", "checks")


@pytest.fixture
def s3(monkeypatch):
    """A bucket on a moto S3 server of this test's own, and the environment pointing at it."""
    boto3 = pytest.importorskip("boto3", reason="the S3 test needs the dev extra (boto3, moto[server])")
    server_mode = pytest.importorskip("moto.server", reason="the S3 test needs the dev extra (moto[server])")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request in the test's log
    server = server_mode.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        env = {"AWS_ACCESS_KEY_ID": "fiscaldocs-test", "AWS_SECRET_ACCESS_KEY": "fiscaldocs-test-secret",
               "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL": f"http://{host}:{port}"}
        for k, v in env.items():
            monkeypatch.setenv(k, v)
        for k in ("AWS_ENDPOINT_URL_S3", "AWS_SESSION_TOKEN", "FISCALDOCS_S3_URL_STYLE", "FISCALDOCS_S3_USE_SSL"):
            monkeypatch.delenv(k, raising=False)
        client = boto3.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"], region_name="us-east-1",
                              aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
                              aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
        client.create_bucket(Bucket=BUCKET)
        yield client
    finally:
        server.stop()


def _objects(client) -> dict[str, int]:
    pages = client.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=PREFIX)
    return {o["Key"]: o["Size"] for page in pages for o in page.get("Contents", [])}


def _content(db: str, tables=CONTENT_TABLES) -> dict[str, tuple[int, int]]:
    with read_only(db) as con:
        return {t: con.execute(f"SELECT count(*), coalesce(bit_xor(hash(x)), 0) FROM {t} x").fetchone() for t in tables}


def test_settings_from_the_environment():
    s = S3Settings.from_env({"AWS_ACCESS_KEY_ID": "k", "AWS_SECRET_ACCESS_KEY": "s'x",
                             "AWS_ENDPOINT_URL": "http://minio.local:9000/", "AWS_DEFAULT_REGION": "cn-north-1"})
    assert (s.endpoint, s.use_ssl, s.url_style, s.region) == ("minio.local:9000", False, "path", "cn-north-1")
    assert "SECRET 's''x'" in s.secret_sql() and "USE_SSL false" in s.secret_sql()
    aws = S3Settings.from_env({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"})
    assert (aws.endpoint, aws.use_ssl, aws.url_style, aws.region, aws.key_id) == (None, True, "vhost", "eu-west-1", None)
    assert "KEY_ID" not in aws.secret_sql()
    over = S3Settings.from_env({"AWS_ENDPOINT_URL_S3": "https://s3.example", "AWS_ENDPOINT_URL": "http://other",
                                "FISCALDOCS_S3_URL_STYLE": "vhost"})
    assert (over.endpoint, over.use_ssl, over.url_style) == ("s3.example", True, "vhost")


def test_other_object_stores_are_refused_with_a_message():
    with duckdb.connect() as con, pytest.raises(ObjectStoreError, match="only a local folder or S3"):
        enable(con, "az://container/lake/")


def test_ingest_into_a_lake_on_s3(tmp_path, staged_samples, s3):
    docs = [staged_samples[0], staged_samples[2]]  # two reports, Word: 丰南 2023 evaluation, 赫山 2021 决算
    lake = fresh_warehouse("ducklake", tmp_path, data_path=f"s3://{BUCKET}/{PREFIX}")
    reference = fresh_warehouse("duckdb", tmp_path)
    write_run(reference, docs, [], "reference", NOW)

    for i, doc in enumerate(docs):  # two nights, one document each
        summary = write_run(lake, [doc], [], f"s3 night {i}", NOW)
        assert summary.count("new") == 1 and summary.failed == 0
    assert _content(lake) == _content(reference)  # the facts (and all they come from) read back from S3
    with read_only(lake) as con:
        assert con.execute("SELECT count(*) FROM documents WHERE status = 'ok'").fetchone()[0] == 2
        listed = {r[0] for t in CONTENT_TABLES + ("documents",)
                  for r in con.execute(f"SELECT data_file FROM ducklake_list_files('lake', '{t}')").fetchall()}
    objects = _objects(s3)
    assert objects and all(k.endswith(".parquet") for k in objects)
    assert {f"s3://{BUCKET}/{k}" for k in objects} >= listed and any("/facts/" in k for k in objects)
    assert not (tmp_path / "lake-data").exists()  # nothing went to a local folder

    # A reader that does not name the data path: the catalog's s3:// path, httpfs loaded for it.
    bare = str(backend(lake)).split(" data_path=")[0]
    assert _content(bare) == _content(reference)

    # Rerun: nothing new, nothing rewritten, the bucket as it was.
    again = write_run(lake, docs, [], "s3 again", NOW)
    assert again.count("skipped") == 2 and again.count("new") == 0
    assert _content(lake) == _content(reference)
    assert set(_objects(s3)) == set(objects)

    # Maintenance on the bucket: each night's facts file merged into one, the merged-away objects
    # deleted from S3, nothing unreferenced left there; the rows the same.
    before = _content(lake, CONTENT_TABLES + ("documents", "ingest_runs"))
    report = maintain(lake, Policy(expire_older_than="0 seconds", delete_older_than="0 seconds"))
    assert _content(lake, CONTENT_TABLES + ("documents", "ingest_runs")) == before
    after = _objects(s3)
    facts_before, facts_after = ([k for k in keys if "/main/facts/" in k] for keys in (objects, after))
    assert len(facts_before) == 2 and len(facts_after) == 1 and not set(facts_before) & set(facts_after)
    with read_only(lake) as con:
        tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = 'lake'"
                                            ).fetchall()]
        referenced = {p for t in tables for r in con.execute(
            f"SELECT data_file, delete_file FROM ducklake_list_files('lake', '{t}')").fetchall() for p in r if p}
    assert {f"s3://{BUCKET}/{k}" for k in after} == referenced
    assert (report.before.stored_files, report.after.stored_files) == (len(objects), len(after))


def test_cli_query_reads_a_lake_on_s3(tmp_path, staged_samples, s3, capsys):
    """`fiscaldocs query` locks its connection down (no files, no URLs for people's SQL): the lake's
    own Parquet files on S3 must still be read."""
    from fiscaldocs.cli import main

    lake = fresh_warehouse("ducklake", tmp_path, data_path=f"s3://{BUCKET}/{PREFIX}")
    write_run(lake, staged_samples[:1], [], "one", NOW)
    capsys.readouterr()
    assert main(["query", "--warehouse", lake, "SELECT count(*) > 0 AS has_facts FROM facts"]) == 0
    assert "true" in capsys.readouterr().out.lower()
    assert main(["query", "--warehouse", lake, f"SELECT count(*) FROM read_parquet('s3://{BUCKET}/{PREFIX}**')"]) == 2
