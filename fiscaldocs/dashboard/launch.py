"""`fiscaldocs dashboard`: Streamlit on this machine, with nothing sent or loaded from outside it
(usage statistics off, no browser opened, no file watcher)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

APP = Path(__file__).with_name("app.py")

# Streamlit options: every one is a command-line flag, so no config file is needed or read.
STREAMLIT_FLAGS = {
    "browser.gatherUsageStats": "false",
    "server.headless": "true",
    "server.fileWatcherType": "none",
    "server.runOnSave": "false",
    "global.developmentMode": "false",
    "client.toolbarMode": "viewer",
}


def command(db: Path, port: int, host: str) -> tuple[list[str], dict[str, str]]:
    args = [sys.executable, "-m", "streamlit", "run", str(APP), "--server.address", host, "--server.port", str(port)]
    for key, value in STREAMLIT_FLAGS.items():
        args += [f"--{key}", value]
    env = {**os.environ, "FISCALDOCS_DB": str(Path(db).resolve()), "STREAMLIT_BROWSER_GATHER_USAGE_STATS": "false"}
    return args, env


def launch(db: Path, port: int = 8501, host: str = "127.0.0.1") -> int:
    try:
        import streamlit  # noqa: F401
    except ImportError:
        print("fiscaldocs dashboard needs the dashboard extra: pip install 'fiscaldocs[dashboard]'", file=sys.stderr)
        return 2
    if not Path(db).is_file():
        raise FileNotFoundError(f"{db}: no warehouse yet (run `fiscaldocs ingest` or `make run` first)")
    args, env = command(db, port, host)
    print(f"fiscaldocs dashboard: http://{host}:{port} (Ctrl-C to stop)", flush=True)
    # Become Streamlit: Ctrl-C and a kill of this process's id reach the server itself.
    os.execve(sys.executable, args, env)
    return 0  # not reached
