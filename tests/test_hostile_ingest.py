"""One ingest of a corpus of hostile files beside good ones (issue 13): under a 1.5 GB cap and a
fixed time, every good file is loaded, every bad one is a clear error of its own, nothing else is
lost; a document that killed its worker is not tried again by the next run. The hostile files are
made at test time (tests/hostile/generate.py)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import duckdb
import pytest
from hostile import generate, jobs
from portal import YIYANG_NAME, YIYANG_PATH, Portal

SAMPLES = Path(__file__).resolve().parent.parent / "sample_docs"
CAP_BYTES = 1536 * 2**20


def _rss(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    except OSError:
        return 0
    return 0


def _fresh_ingest_process_rss() -> int:
    """RSS of a new process that has imported what `fiscaldocs ingest` imports: what the ingest's
    own process holds before it reads a file (this pytest process holds far more by now)."""
    import subprocess
    import sys

    code = ("import fiscaldocs.cli, fiscaldocs.flows.ingest, pathlib; "
            "print([l for l in pathlib.Path('/proc/self/status').read_text().splitlines() if l.startswith('VmRSS:')][0])")
    line = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    return int(line.split()[1]) * 1024


class TreeMemory:
    """Samples the RSS of this process plus the extraction workers, every 20 ms; keeps the peak.
    `peak` counts this process as a fresh ingest process: its RSS before the run (everything the
    earlier tests left in it) is replaced by a new process's (`_fresh_ingest_process_rss`)."""

    def __init__(self):
        self.peak, self._stop = 0, threading.Event()
        self._offset = _fresh_ingest_process_rss() - _rss(os.getpid())
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from fiscaldocs.flows import ingest

        while not self._stop.wait(0.02):
            pids = [os.getpid()] + [pid for pool in list(ingest._POOLS.values()) for pid in pool.pids()]
            self.peak = max(self.peak, sum(_rss(p) for p in pids) + self._offset)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(5)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile_corpus")
    for name in ("fengnan_2023_fiscal_evaluation.docx", "huaihua_2022_project_self_evaluation.pdf"):
        shutil.copyfile(SAMPLES / name, d / name)
    generate.grid_span_docx(d / "grid_span.docx")
    generate.pdf_stream_bomb(d / "stream_bomb.pdf")
    generate.docx_zip_bomb(d / "zip_bomb.docx")
    generate.many_pages_pdf(d / "five_thousand_pages.pdf")
    generate.grid_span_docx(d / "killer.docx", span=3)  # killed in its worker by the stand-in job
    (d / "truncated.pdf").write_bytes((SAMPLES / "heshan_2021_final_accounts.pdf").read_bytes()[:5000])
    return d


EXPECTED_ERRORS = {
    "grid_span.docx": "grid_span.docx: table width (2000000000 columns) is over the limit of 1000",
    "stream_bomb.pdf": "stream_bomb.pdf: a compressed PDF stream inflates to more than the limit of 100 MB",
    "zip_bomb.docx": "zip_bomb.docx: zip member word/document.xml decompressed (1073742047 bytes) is over the limit",
    "five_thousand_pages.pdf": "five_thousand_pages.pdf: page count (5000) is over the limit of 2000",
    "killer.docx": "killer.docx: its extraction worker process was killed by signal SIGKILL (out of memory?); "
                   "not retried until the file or the extractor changes",
    "truncated.pdf": "truncated.pdf: corrupt or unreadable PDF",
    "missing.pdf": "missing.pdf: {url}/files/missing.pdf: download failed: HTTP 404",
}


def test_hostile_corpus_in_one_ingest(prefect_harness, corpus, tmp_path, monkeypatch, capsys):
    from fiscaldocs.flows import ingest

    from fiscaldocs.cli import main

    monkeypatch.setenv("FISCALDOCS_WORKERS", "1")
    monkeypatch.setenv("FISCALDOCS_MAX_MEMORY_MB", "1024")  # the worker; this process stays far below the rest
    monkeypatch.setattr(ingest, "STAGE_JOB", jobs.killing_job)
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "w.duckdb"
    with Portal() as portal:
        urls = [portal.url + YIYANG_PATH, portal.url + "/files/missing.pdf"]
        with TreeMemory() as memory:
            started = time.monotonic()
            code = main(["ingest", str(corpus), *urls, "--db", str(db)])
            took = time.monotonic() - started
        out = capsys.readouterr().out
        import sys

        sys.__stderr__.write(f"\nhostile ingest: {took:.1f} s, peak RSS (this process + worker) "
                             f"{memory.peak / 2**20:.0f} MiB\n")
        assert code == 1  # some documents failed; the run itself did not
        assert memory.peak < CAP_BYTES, f"peak RSS {memory.peak / 2**20:.0f} MiB"
        assert took < 120
        with duckdb.connect(str(db), read_only=True) as con:
            rows = dict(con.execute("SELECT file_name, status FROM documents").fetchall())
            errors = dict(con.execute("SELECT file_name, error FROM documents WHERE status = 'error'").fetchall())
            facts = dict(con.execute("SELECT d.file_name, count(*) FROM facts JOIN documents d USING (doc_id) "
                                     "GROUP BY ALL").fetchall())
            fetches = {u: (s, e) for u, s, e in con.execute("SELECT url, status, error FROM fetches").fetchall()}
        good = ["fengnan_2023_fiscal_evaluation.docx", "huaihua_2022_project_self_evaluation.pdf", YIYANG_NAME]
        assert {name: rows.get(name) for name in good} == dict.fromkeys(good, "ok")
        assert all(facts.get(name, 0) > 0 for name in good)
        assert sorted(errors) == sorted(EXPECTED_ERRORS)
        for name, expected in EXPECTED_ERRORS.items():
            assert errors[name].startswith(expected.format(url=portal.url)), errors[name]
            assert f"error: {errors[name]}" in out or errors[name] in out
        assert fetches[urls[1]] == ("error", "download failed: HTTP 404")
        assert fetches[urls[0]][0] == "ok"

        main(["status", "--db", str(db)])
        assert f"Failures: {len(EXPECTED_ERRORS)}" in capsys.readouterr().out

        # The next run does not try the worker-killer again (nor pay for the good files again).
        assert main(["ingest", str(corpus), *urls, "--db", str(db)]) == 1
    out = capsys.readouterr().out
    assert (corpus / "killer.log").read_text().count("killer.docx") == 1
    assert "skipped (unchanged) 3" in out or "skipped (unchanged) 4" in out
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*) FROM documents WHERE status = 'ok'").fetchone()[0] == 3
        assert con.execute("SELECT count(*) FROM documents WHERE status = 'error'").fetchone()[0] == len(EXPECTED_ERRORS)
