"""Nightly ingestion: a Prefect deployment served on a cron schedule.

Prefect cannot schedule on its ephemeral server, so with no PREFECT_API_URL set this starts a
local Prefect server on 127.0.0.1, waits for it to answer, and restarts it if it dies; with
PREFECT_API_URL set it uses that server. Teams with a Prefect server and a work pool use
prefect.yaml instead.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import httpx

LOCAL_HOST, LOCAL_PORT = "127.0.0.1", int(os.environ.get("FISCALDOCS_PREFECT_PORT", "4200"))


def _start_server(log_path: str) -> subprocess.Popen:
    """The local Prefect server, its output appended to `log_path` (kept across restarts)."""
    with open(log_path, "ab") as log:  # the child keeps its own handle
        return subprocess.Popen(
            [sys.executable, "-m", "prefect", "server", "start", "--host", LOCAL_HOST, "--port", str(LOCAL_PORT)],
            env={**os.environ, "PREFECT_SERVER_ANALYTICS_ENABLED": "false"},
            stdout=log, stderr=subprocess.STDOUT,
        )


def _wait_healthy(url: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"local Prefect server did not answer at {url} within {timeout:.0f}s")


def _supervise(state: dict, url: str) -> None:
    while not state["stop"]:
        if state["server"].poll() is not None:  # died: start it again
            print(f"fiscaldocs serve: local Prefect server exited (see {state['log']}); restarting", file=sys.stderr)
            state["server"] = _start_server(state["log"])
            _wait_healthy(url)
        time.sleep(2)


def absolute_inputs(inputs: list[str]) -> list[str]:
    """The deployment runs later, from wherever the worker is: local paths are stored absolute."""
    return [i if "://" in i else os.path.abspath(i) for i in inputs]


def serve_nightly(cron: str, timezone: str, inputs: list[str], sources_file: str | None, db: str,
                  log_file: str = "prefect-server.log") -> int:
    state = {"server": None, "stop": False, "log": os.path.abspath(log_file)}
    if not os.environ.get("PREFECT_API_URL"):
        url = f"http://{LOCAL_HOST}:{LOCAL_PORT}/api"
        print(f"fiscaldocs serve: starting a local Prefect server, its log in {state['log']}")
        state["server"] = _start_server(state["log"])
        _wait_healthy(url)
        os.environ["PREFECT_API_URL"] = url
        threading.Thread(target=_supervise, args=(state, url), daemon=True).start()
        print(f"fiscaldocs serve: local Prefect server at {url} (UI at http://{LOCAL_HOST}:{LOCAL_PORT})")
    from fiscaldocs.flows.ingest import ingest_flow
    from prefect.schedules import Cron

    try:
        ingest_flow.serve(
            name="nightly",
            schedules=[Cron(cron, timezone=timezone)],
            parameters={"inputs": absolute_inputs(inputs),
                        "sources_file": os.path.abspath(sources_file) if sources_file else None,
                        "db": os.path.abspath(db), "workdir": os.path.abspath(".fiscaldocs")},
        )
    finally:
        state["stop"] = True
        if state["server"] is not None:
            state["server"].terminate()
            state["server"].wait(timeout=30)
    return 0
