"""Fresh warehouses of each backend for the tests: a DuckDB file, or a DuckLake whose catalog is a
new database on the PostgreSQL server FISCALDOCS_TEST_PG_DSN names (.ci/run starts one and sets it).
Without a reachable server the DuckLake cases skip, saying why."""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import pytest

PG_DSN_ENV = "FISCALDOCS_TEST_PG_DSN"
BACKENDS = ("duckdb", "ducklake")


def fresh_warehouse(kind: str, folder: Path, data_path: str | None = None) -> str:
    """The `--db` value of an empty warehouse of `kind` whose files go under `folder` (a DuckLake's
    Parquet files under `data_path` when given, e.g. an s3:// URL)."""
    if kind == "duckdb":
        return str(folder / "w.duckdb")
    dsn = os.environ.get(PG_DSN_ENV)
    if not dsn:
        pytest.skip(f"DuckLake tests need PostgreSQL: set {PG_DSN_ENV} to libpq settings of a server where "
                    "databases may be created (.ci/run starts one and sets it)")
    try:
        import psycopg
        from psycopg.conninfo import make_conninfo

        name = f"fiscaldocs_test_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(dsn, autocommit=True, connect_timeout=5) as con:
            con.execute(f"CREATE DATABASE {name}")
    except ImportError as exc:
        pytest.skip(f"DuckLake tests need psycopg: {exc}")
    except psycopg.Error as exc:
        pytest.skip(f"DuckLake tests: PostgreSQL at {PG_DSN_ENV}={dsn!r} not usable: {exc}")
    if data_path is None:
        data = folder / "lake-data"
        data.mkdir(parents=True, exist_ok=True)
        data_path = f"{data}/"
    return f"ducklake:postgres:{make_conninfo(dsn, dbname=name)} data_path={data_path}"
