"""Shared fixtures: the sample corpus, its hand-written ground truth, and cached extractions."""

from __future__ import annotations

import functools
import json
import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from fiscaldocs.model import Document
from fiscaldocs.pipeline import process

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_docs"
GROUND_TRUTH = SAMPLES / "ground_truth"
REALDOCS = ROOT.parent / "shared" / "realdocs"

# CI draws the same examples every run (`.ci/run` sets HYPOTHESIS_PROFILE=ci): a red CI is then a
# change's fault, reproducible on any machine, never the luck of a draw. Everywhere else the draws
# are random, and `make fuzz` draws many more: that is where new failures are found (and then
# pinned with @example).
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


def stop_process_group(proc) -> None:
    """End a server started in its own process group (start_new_session=True), children included:
    politely, then for good after 30 s."""
    import os
    import signal
    import subprocess

    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)


def manifest() -> list[dict]:
    return json.loads((SAMPLES / "manifest.json").read_text(encoding="utf-8"))


@functools.cache
def ground_truth(slug: str) -> dict:
    return json.loads((GROUND_TRUTH / f"{slug}.json").read_text(encoding="utf-8"))


@functools.cache
def extracted(path: str) -> Document:
    """Extraction is deterministic and the files are read-only: process each once per session."""
    return process(Path(path))


@pytest.fixture
def realdoc(tmp_path):
    """Copy a file from ../shared/realdocs (read-only test material) or skip when it is absent."""

    def get(name: str) -> Path:
        src = REALDOCS / name
        if not src.exists():
            pytest.skip(f"{src} not available")
        dst = tmp_path / name
        shutil.copyfile(src, dst)
        return dst

    return get


@pytest.fixture(scope="session")
def prefect_harness(tmp_path_factory):
    """One temporary Prefect API for the whole session (it takes ~10 s to start), with task
    results stored in a temporary folder, not the user's ~/.prefect."""
    import os

    os.environ["PREFECT_LOCAL_STORAGE_PATH"] = str(tmp_path_factory.mktemp("prefect-results"))
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield


@pytest.fixture(scope="session")
def staged_samples(tmp_path_factory):
    """Every sample document extracted once and staged on disk, as the flow's tasks do."""
    from fiscaldocs.extractors import sha256_file

    from fiscaldocs.staging import process_to_file

    workdir = tmp_path_factory.mktemp("work")
    items = []
    for entry in manifest():
        path = SAMPLES / entry["file"]
        sha = sha256_file(path)
        items.append({"path": str(path), "url": None, "sha256": sha,
                      "staged": process_to_file(str(path), sha, str(workdir))})
    return items
