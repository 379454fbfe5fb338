"""A DuckLake's Parquet files on an object store (`data_path=s3://bucket/prefix/`).

DuckDB reads and writes S3 through its httpfs extension, loaded here from the file the PyPI wheel
`duckdb-extension-httpfs` (extra `s3`) ships for duckdb's exact version: never downloaded at run
time. Credentials and the endpoint come from the environment variables the AWS tools read, turned
into one temporary DuckDB SECRET per connection (kept in memory, never written to disk):

| variable | what |
| --- | --- |
| `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | the credentials |
| `AWS_REGION` (else `AWS_DEFAULT_REGION`) | the bucket's region |
| `AWS_ENDPOINT_URL_S3` (else `AWS_ENDPOINT_URL`) | an S3-compatible server (MinIO, Ceph, moto …): `http://host:port` or `https://…`; the scheme sets `use_ssl` |
| `FISCALDOCS_S3_URL_STYLE` | `path` or `vhost` (default: `path` with an endpoint, else `vhost`, as AWS) |
| `FISCALDOCS_S3_USE_SSL` | `true`/`false`, to override what the endpoint's scheme says |
"""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import duckdb

SECRET = "fiscaldocs_s3"
# The URLs the S3 secret below serves (httpfs reads gs:// and r2:// too, with secrets of their own
# types, and az:// needs another extension: none of them is set up or tested here).
S3_SCHEMES = ("s3://", "s3a://", "s3n://")


class ObjectStoreError(RuntimeError):
    pass


def is_remote(data_path: str | None) -> bool:
    """Whether a DuckLake data path is a URL (an object store), not a local folder."""
    return bool(data_path) and "://" in data_path and not data_path.startswith("file://")


@dataclass(frozen=True)
class S3Settings:
    key_id: str | None = None
    secret: str | None = None
    session_token: str | None = None
    region: str | None = None
    endpoint: str | None = None  # host[:port], no scheme (DuckDB's form)
    use_ssl: bool = True
    url_style: str = "vhost"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> S3Settings:
        endpoint_url = env.get("AWS_ENDPOINT_URL_S3") or env.get("AWS_ENDPOINT_URL") or None
        endpoint, use_ssl = None, True
        if endpoint_url:
            scheme, sep, rest = endpoint_url.partition("://")
            if not sep:
                scheme, rest = "https", endpoint_url
            if scheme not in ("http", "https"):
                raise ObjectStoreError(f"AWS_ENDPOINT_URL{'_S3' if env.get('AWS_ENDPOINT_URL_S3') else ''}="
                                       f"{endpoint_url!r}: expected http://host:port or https://host")
            endpoint, use_ssl = rest.rstrip("/"), scheme == "https"
        if env.get("FISCALDOCS_S3_USE_SSL"):
            flag = env["FISCALDOCS_S3_USE_SSL"].strip().lower()
            if flag not in ("true", "false", "1", "0"):
                raise ObjectStoreError(f"FISCALDOCS_S3_USE_SSL={flag!r}: expected true or false")
            use_ssl = flag in ("true", "1")
        url_style = (env.get("FISCALDOCS_S3_URL_STYLE") or ("path" if endpoint else "vhost")).strip().lower()
        if url_style not in ("path", "vhost"):
            raise ObjectStoreError(f"FISCALDOCS_S3_URL_STYLE={url_style!r}: expected path or vhost")
        return cls(key_id=env.get("AWS_ACCESS_KEY_ID") or None, secret=env.get("AWS_SECRET_ACCESS_KEY") or None,
                   session_token=env.get("AWS_SESSION_TOKEN") or None,
                   region=env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or None,
                   endpoint=endpoint, use_ssl=use_ssl, url_style=url_style)

    def secret_sql(self) -> str:
        """CREATE SECRET for these settings (temporary: it lives in the connection only)."""
        options = {"TYPE": "s3", "KEY_ID": self.key_id, "SECRET": self.secret, "SESSION_TOKEN": self.session_token,
                   "REGION": self.region, "ENDPOINT": self.endpoint, "URL_STYLE": self.url_style}
        body = [f"{k} {v}" if k == "TYPE" else f"{k} {_text(v)}" for k, v in options.items() if v]
        body.append(f"USE_SSL {'true' if self.use_ssl else 'false'}")
        return f"CREATE OR REPLACE TEMPORARY SECRET {SECRET} ({', '.join(body)})"


def enable(con: duckdb.DuckDBPyConnection, data_path: str, env: Mapping[str, str] = os.environ) -> None:
    """Make `data_path` (a URL) readable and writable on `con`: httpfs loaded, the S3 secret made."""
    if not data_path.startswith(S3_SCHEMES):
        raise ObjectStoreError(f"data_path={data_path}: only a local folder or S3 (s3://…, S3-compatible servers "
                               "through AWS_ENDPOINT_URL) is supported")
    con.execute(f"LOAD '{_sql(httpfs_file())}'")
    con.execute(S3Settings.from_env(env).secret_sql())


@functools.cache
def httpfs_file() -> str:
    """The httpfs extension from the duckdb-extension-httpfs wheel of duckdb's exact version."""
    try:
        import duckdb_extension_httpfs
    except ImportError:
        raise ObjectStoreError("a data_path on an object store needs DuckDB's httpfs extension: "
                               f"pip install 'fiscaldocs[s3]' (duckdb-extension-httpfs=={duckdb.__version__})") from None
    path = (Path(duckdb_extension_httpfs.__file__).parent / "extensions" / f"v{duckdb.__version__}"
            / "httpfs.duckdb_extension")
    if not path.exists():
        raise ObjectStoreError(f"{path}: missing; install duckdb-extension-httpfs=={duckdb.__version__} "
                               "(the wheel matching duckdb)")
    return str(path)


def _sql(text: str) -> str:
    return text.replace("'", "''")


def _text(text: str) -> str:
    return "'" + _sql(text) + "'"
