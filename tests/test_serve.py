"""`fiscaldocs serve` on the embedded default: it starts a local Prefect server on 127.0.0.1 and
serves the nightly deployment on its cron schedule."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import stop_process_group

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_starts_a_local_server_and_schedules_the_nightly_run(tmp_path):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_API")}
    env.update(FISCALDOCS_PREFECT_PORT=str(port), PREFECT_HOME=str(tmp_path / "prefect"),
               PREFECT_SERVER_ANALYTICS_ENABLED="false")
    log = tmp_path / "server.log"
    proc = subprocess.Popen([sys.executable, "-m", "fiscaldocs.cli", "serve", "sample_docs", "--db", "w.duckdb",
                             "--cron", "30 2 * * *", "--log", str(log)], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    api = f"http://127.0.0.1:{port}/api"
    try:
        deadline, deployments = time.monotonic() + 150, []
        while time.monotonic() < deadline and not deployments:
            time.sleep(1)
            assert proc.poll() is None, proc.stdout.read()
            try:
                deployments = httpx.post(f"{api}/deployments/filter", json={"limit": 5}, timeout=5).json()
            except httpx.HTTPError:
                continue
        assert deployments, "no deployment served within 150 s"
        nightly = deployments[0]
        assert nightly["name"] == "nightly"
        schedule = nightly["schedules"][0]["schedule"]
        assert (schedule["cron"], schedule["timezone"]) == ("30 2 * * *", "Asia/Shanghai")
        # relative paths given on the command line are stored absolute: the run happens later, elsewhere
        params = nightly["parameters"]
        assert params["inputs"] == [str(ROOT / "sample_docs")] and params["db"] == str(ROOT / "w.duckdb")
        assert params["workdir"] == str(ROOT / ".fiscaldocs")
        assert log.stat().st_size > 0  # the server's output goes to the log it named
    finally:
        stop_process_group(proc)
