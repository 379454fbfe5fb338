"""Stand-ins for the worker's job, run in worker processes by the tests (importable there: tests/
is on sys.path, which multiprocessing passes on to its workers)."""

from __future__ import annotations

import os
import resource
import signal
import time
from pathlib import Path


def kill_self() -> None:
    os.kill(os.getpid(), signal.SIGKILL)  # as the kernel's OOM killer would


def echo(value):
    return value


def sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "woke"


def sleep_deaf(seconds: float) -> str:
    """Sleeps with SIGALRM blocked, as C code that never returns to Python would."""
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM})
    time.sleep(seconds)
    return "woke"


def allocate(mb: int) -> int:
    data = bytearray(mb * 1024 * 1024)
    return len(data)


_held: list[bytearray] = []


def hold(mb: int) -> int:
    """Allocates `mb` MB and keeps it for the worker's life (as loaded models or a grown heap
    would); returns the worker's pid."""
    if mb:
        _held.append(bytearray(mb * 1024 * 1024))
    return os.getpid()


def peak_rss_mb() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def extract_in_worker(path: str) -> tuple[str, str | None, int]:
    """(status, error, the worker's peak RSS in MB) of extracting `path`."""
    from fiscaldocs.extractors import extract

    doc = extract(Path(path))
    return str(doc.status), doc.error, peak_rss_mb()


def extract_with_headroom(path: str, headroom_mb: int) -> tuple[str, str | None]:
    """(status, error) of extracting `path` a second time, with the address space capped at what
    the worker maps after the first (every library and OCR's models loaded) plus `headroom_mb`:
    whatever the machine's thread counts and libraries make that baseline, what needs more is the
    second reading's own work."""
    from fiscaldocs.extractors import extract

    from fiscaldocs.workers import address_space_mb

    extract(Path(path))
    _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    resource.setrlimit(resource.RLIMIT_AS, (int((address_space_mb() + headroom_mb) * 2**20), hard))
    doc = extract(Path(path))
    return str(doc.status), doc.error


def killing_job(path: str, sha256: str, workdir: str, hints: dict | None = None) -> dict:
    """The flow's stage job, except that a file named *killer* kills its worker (and leaves a
    mark in killer.log beside it, to count how often it was tried)."""
    from fiscaldocs.staging import stage_job

    if "killer" in Path(path).name:
        with (Path(path).parent / "killer.log").open("a") as fh:
            fh.write(path + "\n")
        kill_self()
    return stage_job(path, sha256, workdir, hints)
