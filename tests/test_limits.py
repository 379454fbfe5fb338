"""Per-document limits: hostile files (made at test time by tests/hostile/generate.py) end as a
clear error of their own, fast and within a bounded memory; the worker pool survives a worker that
dies or overruns."""

from __future__ import annotations

import signal
import time
import zlib
from pathlib import Path

import pytest
from fiscaldocs.extractors import extract
from fiscaldocs.extractors.limits import LimitExceeded, check_table, is_limit_error, limits
from hostile import generate, jobs

from fiscaldocs.model import Status
from fiscaldocs.workers import WorkerDied, WorkerPool, WorkerTimedOut

SAMPLES = Path(__file__).resolve().parent.parent / "sample_docs"


@pytest.fixture(scope="module")
def pool():
    p = WorkerPool(1)
    yield p
    p.close()


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    return {
        "span": generate.grid_span_docx(d / "span.docx"),
        "pdf_bomb": generate.pdf_stream_bomb(d / "bomb.pdf"),
        "docx_bomb": generate.docx_zip_bomb(d / "bomb.docx"),
        "pages": generate.many_pages_pdf(d / "pages.pdf"),
    }


def test_generators_make_what_they_say(hostile):
    """The bombs really are bombs (checked without inflating them whole)."""
    import zipfile

    assert hostile["span"].stat().st_size < 60_000
    assert b'w:val="2000000000"' in zipfile.ZipFile(hostile["span"]).read("word/document.xml")
    assert hostile["docx_bomb"].stat().st_size < 2 * 2**20
    assert zipfile.ZipFile(hostile["docx_bomb"]).getinfo("word/document.xml").file_size > 2**30
    pdf = hostile["pdf_bomb"].read_bytes()
    assert len(pdf) < 2 * 2**20
    stream = pdf[pdf.index(b"stream\n") + 7: pdf.index(b"\nendstream")]
    d = zlib.decompressobj()
    inflated = sum(len(d.decompress(stream[i:i + 4096], 0)) for i in range(0, 40960, 4096))
    assert inflated > 30 * 2**20  # 40 KB of it alone inflate to over 30 MB
    assert hostile["pages"].read_bytes().count(b"/Type /Page /Parent") == 5000


@pytest.mark.parametrize("case, reason", [
    ("span", "table width (2000000000 columns) is over the limit of 1000 (raise it with FISCALDOCS_MAX_TABLE_COLUMNS)"),
    ("pdf_bomb", "a compressed PDF stream inflates to more than the limit of 100 MB (raise it with "
                 "FISCALDOCS_MAX_INFLATED_MB)"),
    ("docx_bomb", "zip member word/document.xml decompressed (1073742047 bytes) is over the limit of 100 MB"),
    ("pages", "page count (5000) is over the limit of 2000 (raise it with FISCALDOCS_MAX_PAGES)"),
])
def test_hostile_file_is_its_own_error_in_bounded_memory(pool, hostile, monkeypatch, case, reason):
    """In a worker capped at 1 GiB of address space: each hostile file fails fast with its reason
    (without the limits: ~100 s and 8 GB, 3.1 GB, 9 GB, 10 minutes)."""
    monkeypatch.setenv("FISCALDOCS_MAX_MEMORY_MB", "1024")
    p = WorkerPool(1)
    try:
        started = time.monotonic()
        status, error, peak_mb = p.run(jobs.extract_in_worker, str(hostile[case]))
        took = time.monotonic() - started
    finally:
        p.close()
    assert status == "error"
    assert error.startswith(f"{hostile[case].name}: {reason}")
    assert is_limit_error(error)
    assert peak_mb < 600 and took < 30


def test_limits_come_from_the_environment(monkeypatch):
    pdf = SAMPLES / "huaihua_2022_project_self_evaluation.pdf"
    monkeypatch.setenv("FISCALDOCS_MAX_PAGES", "1")
    doc = extract(pdf)
    assert doc.status is Status.ERROR and "page count" in doc.error and "FISCALDOCS_MAX_PAGES" in doc.error
    monkeypatch.setenv("FISCALDOCS_MAX_PAGES", "0")  # off
    assert limits().pages == float("inf")
    monkeypatch.setenv("FISCALDOCS_MAX_PAGES", "many")
    with pytest.raises(ValueError, match="FISCALDOCS_MAX_PAGES='many': not a number"):
        limits()


def test_table_limits(monkeypatch):
    check_table(1000, 1000)
    with pytest.raises(LimitExceeded, match="table size .1001 rows × 1000 columns."):
        check_table(1001, 1000)
    monkeypatch.setenv("FISCALDOCS_MAX_TABLE_COLUMNS", "5")
    with pytest.raises(LimitExceeded, match="table width .6 columns. is over the limit of 5"):
        check_table(1, 6)
    word = SAMPLES / "heshan_2021_final_accounts.docx"  # its tables are wider than 5 columns
    doc = extract(word)
    assert doc.status is Status.ERROR and "FISCALDOCS_MAX_TABLE_COLUMNS" in doc.error


def test_capped_inflate_is_zlib_below_the_cap(monkeypatch):
    """pdfminer's streams decode as before: whole, truncated (its own fallback), LZW, with the cap."""
    from fiscaldocs.extractors import pdf_limits
    from pdfminer import pdftypes

    pdf_limits.install()
    data = ("收入合计 1234.56 万元\n" * 5000).encode()
    packed = zlib.compress(data)
    assert pdftypes.zlib.decompress(packed) == zlib.decompress(packed) == data
    with pytest.raises(zlib.error):
        pdftypes.zlib.decompress(packed[:-10])
    assert pdftypes.decompress_corrupted(packed[:-2]) == data  # the adler32 cut off: pdfminer's fallback
    monkeypatch.setenv("FISCALDOCS_MAX_INFLATED_MB", "1")
    with pytest.raises(LimitExceeded):
        pdftypes.zlib.decompress(zlib.compress(b" " * (2 * 2**20)))
    with pytest.raises(LimitExceeded):
        pdftypes.decompress_corrupted(zlib.compress(b" " * (2 * 2**20)))


# The worker pool --------------------------------------------------------------------------------

def test_a_dead_worker_is_replaced_and_only_its_call_fails(pool):
    import threading

    results = {}
    p2 = WorkerPool(2)
    try:
        threads = [threading.Thread(target=lambda: results.update(a=p2.run(jobs.sleep, 1))),
                   threading.Thread(target=lambda: results.update(
                       b=_raises(lambda: p2.run(jobs.kill_self))))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert results["a"] == "woke"
        assert isinstance(results["b"], WorkerDied)
        assert "killed by signal SIGKILL" in str(results["b"])
        assert p2.replaced == 1
        assert p2.run(jobs.echo, 42) == 42  # the pool goes on
    finally:
        p2.close()


def _raises(fn):
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001
        return exc


def test_time_limit_soft_and_hard(pool, monkeypatch):
    import fiscaldocs.workers as workers

    monkeypatch.setenv("FISCALDOCS_MAX_SECONDS", "1")
    started = time.monotonic()
    with pytest.raises(LimitExceeded, match="longer than the time limit of 1 s"):
        pool.run(jobs.sleep, 30)
    assert time.monotonic() - started < 5
    assert pool.run(jobs.echo, "same worker") == "same worker"
    monkeypatch.setattr(workers, "HARD_DEADLINE_GRACE", 1.0)
    started = time.monotonic()
    with pytest.raises(WorkerTimedOut, match="its worker was stopped"):
        pool.run(jobs.sleep_deaf, 30)  # deaf to the alarm: the parent kills it
    assert time.monotonic() - started < 6
    assert pool.run(jobs.echo, "replaced") == "replaced"


def test_memory_limit_is_a_memory_error_in_the_worker(monkeypatch):
    monkeypatch.setenv("FISCALDOCS_MAX_MEMORY_MB", "512")
    p = WorkerPool(1)
    try:
        with pytest.raises(MemoryError):
            p.run(jobs.allocate, 1024)
        assert p.run(jobs.allocate, 16) == 16 * 2**20  # the worker lives on
    finally:
        p.close()


def test_a_worker_past_its_address_space_mark_retires(monkeypatch):
    """A worker that ends a call holding more than RETIRE_FRACTION of its cap is not given the next
    document: that one gets a fresh worker, with its whole limit."""
    from fiscaldocs.workers import RETIRE_FRACTION

    monkeypatch.setenv("FISCALDOCS_MAX_MEMORY_MB", "512")
    p = WorkerPool(1)
    try:
        first = p.run(jobs.hold, 0)
        assert p.run(jobs.hold, 16) == first  # well under the mark: the same worker goes on
        assert p.run(jobs.hold, int(512 * RETIRE_FRACTION)) == first  # this call ends past it
        fresh = p.run(jobs.hold, 0)
        assert fresh != first and (p.retired, p.replaced) == (1, 0)
        assert p.run(jobs.allocate, 400) == 400 * 2**20  # the fresh worker has its whole cap
    finally:
        p.close()


def test_worker_died_message():
    assert str(WorkerDied(-signal.SIGKILL)) == (
        "its extraction worker process was killed by signal SIGKILL (out of memory?)")
    assert str(WorkerDied(3)) == "its extraction worker process exited with code 3"
