"""Property-based and corpus-mutation tests (hypothesis) over what reads untrusted bytes:
sniffing, the PDF and Word backends, Content-Disposition parsing and file names, the claims regex.
No crash (a bad file is a Document with status error, never an exception, never an internal error
of ours), no hang (each input within a few seconds), bounded memory (the backends run in a worker
capped at 1 GiB of address space). atheris (coverage-guided; a dev dependency, wheels on PyPI)
runs a few thousand inputs per target in a subprocess (tests/hostile/atheris_targets.py)."""

from __future__ import annotations

import io
import os
import random
import time
import zipfile
from pathlib import Path

import pytest
from fiscaldocs.crawl.fetcher import MAX_NAME_BYTES, file_name, safe_name
from fiscaldocs.extractors.sniff import sniff
from fiscaldocs.normalize.claims import find_claims
from hostile import jobs
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fiscaldocs.workers import WorkerPool

ROOT = Path(__file__).resolve().parent.parent
SMALL_PDF = ROOT / "tests" / "fixtures" / "three_line_table.pdf"
SMALL_DOCX = ROOT / "sample_docs" / "fengnan_2023_fiscal_evaluation.docx"
KINDS = {"pdf", "docx", "xlsx", "doc", "html", "zip", "empty", "unknown"}
# `make fuzz` multiplies the examples (FISCALDOCS_FUZZ_SCALE) and draws them at random.
SCALE = int(os.environ.get("FISCALDOCS_FUZZ_SCALE", "1"))
FAST = settings(max_examples=200 * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SLOW = settings(max_examples=12 * SCALE, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def pool():
    with pytest.MonkeyPatch.context() as mp:  # the cap for this module's workers only
        mp.setenv("FISCALDOCS_MAX_MEMORY_MB", "1024")
        p = WorkerPool(1)
        yield p
        p.close()


# Sniffing ---------------------------------------------------------------------------------------

MAGIC = st.sampled_from([b"", b"%PDF-1.7\n", b"PK\x03\x04", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", b"<html>", b"  \n"])


@FAST
@given(head=MAGIC, body=st.binary(max_size=4096))
def test_sniff_any_bytes(tmp_path, head, body):
    f = tmp_path / "x"
    f.write_bytes(head + body)
    assert sniff(f) in KINDS


# Content-Disposition and file names --------------------------------------------------------------

DISPOSITION = st.one_of(
    st.text(max_size=400),
    st.builds(lambda enc, name: f"attachment; filename*={enc}''{name}",
              st.sampled_from(["UTF-8", "utf-8", "GBK", "x-unknown", "", "ISO-8859-1"]), st.text(max_size=300)),
    st.builds(lambda name: f'attachment; filename="{name}"', st.text(max_size=300)),
)


@FAST
@given(disposition=st.one_of(st.none(), DISPOSITION),
       url=st.builds(lambda p: "http://127.0.0.1/" + p, st.text(max_size=300)))
def test_content_disposition_and_safe_names(disposition, url):
    name = safe_name(file_name(disposition, url))
    assert name and len(name.encode("utf-8")) <= MAX_NAME_BYTES
    assert "/" not in name and "\x00" not in name and not name.startswith(".")
    assert all(ch >= " " for ch in name)


@FAST
@given(name=st.text(min_size=1, max_size=600))
def test_safe_names_can_be_created(tmp_path, name):
    target = tmp_path / safe_name(name)
    target.write_bytes(b"x")  # never ENAMETOOLONG, never "embedded null byte"
    target.unlink()


# The claims regex -------------------------------------------------------------------------------

PROSE = st.text(alphabet=st.sampled_from(list("0123456789０１２３.,，。、%％-－+万亿千元人次个项分年月日约近超过较增长减少下降"
                                              " 　\n占比其中合计预算执行率达到百分点")), max_size=2000)


@FAST
@given(text=PROSE)
def test_claims_regex_never_crashes_nor_backtracks(text):
    started = time.monotonic()
    claims = find_claims(text, fiscal_year=2023)
    assert time.monotonic() - started < 2.0
    for c in claims:
        assert 0 <= c.start < c.end <= len(text)


def test_claims_regex_on_long_runs():
    """Long runs of digits, separators and spaces (what a broken text layer gives) stay linear."""
    for text in ("1" * 100_000, "1," * 50_000, "1 " * 50_000 + "万元", "１２．" * 30_000, "约" * 50_000 + "1元"):
        started = time.monotonic()
        find_claims(text)
        assert time.monotonic() - started < 5.0, text[:20]


# The backends, on mutated real files ------------------------------------------------------------

def _mutate(data: bytes, seed: int) -> bytes:
    rng = random.Random(seed)
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        op, i = rng.random(), rng.randrange(len(out))
        if op < 0.4:
            out[i] = rng.randrange(256)
        elif op < 0.6:
            del out[i: i + rng.randint(1, 2000)]
        elif op < 0.8:
            j = rng.randrange(len(out))
            out[i:i] = out[j: j + rng.randint(1, 2000)]
        else:
            out[i:i] = rng.choice([b"999999999", b"-1", b"0", b" /Length 99999999 ", b"\x00" * 50, b"R R R"])
    return bytes(out)


def _assert_clean(result, took: float) -> None:
    status, error, _peak = result
    assert status in ("ok", "error", "needs_ocr")
    assert "internal error of fiscaldocs" not in (error or ""), error
    assert took < 60


@SLOW
@given(seed=st.integers(0, 2**32))
@example(seed=17)  # CI's draw: the text layer cut away, so OCR ran and met the worker's memory cap
def test_pdf_backend_on_mutated_pdfs(pool, tmp_path, seed):
    f = tmp_path / f"m{seed}.pdf"
    f.write_bytes(_mutate(SMALL_PDF.read_bytes(), seed))
    started = time.monotonic()
    _assert_clean(pool.run(jobs.extract_in_worker, str(f)), time.monotonic() - started)


def _mutate_docx_xml(seed: int) -> bytes:
    """Structure-aware: the document.xml mutated as text (spans cut or repeated, numbers made huge
    or negative), the package rezipped."""
    rng = random.Random(seed)
    with zipfile.ZipFile(SMALL_DOCX) as zf:
        parts = {i.filename: zf.read(i) for i in zf.infolist()}
    xml = parts["word/document.xml"].decode("utf-8")
    for _ in range(rng.randint(1, 6)):
        op, i = rng.random(), rng.randrange(len(xml))
        if op < 0.3:
            xml = xml[:i] + xml[i + rng.randint(1, 500):]
        elif op < 0.6:
            j = rng.randrange(len(xml))
            xml = xml[:i] + xml[j: j + rng.randint(1, 3000)] + xml[i:]
        else:
            for attr in ('w:val="', 'w:w="'):
                k = xml.find(attr, i)
                if k >= 0:
                    end = xml.find('"', k + len(attr))
                    xml = xml[:k + len(attr)] + rng.choice(["2000000000", "-5", "0", "x", "99999"]) + xml[end:]
    parts["word/document.xml"] = xml.encode("utf-8")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in parts.items():
            zf.writestr(name, data)
    return buf.getvalue()


@SLOW
@given(seed=st.integers(0, 2**32))
def test_word_backend_on_mutated_docx(pool, tmp_path, seed):
    f = tmp_path / f"m{seed}.docx"
    f.write_bytes(_mutate_docx_xml(seed))
    started = time.monotonic()
    _assert_clean(pool.run(jobs.extract_in_worker, str(f)), time.monotonic() - started)


@SLOW
@given(seed=st.integers(0, 2**32))
def test_word_backend_on_mutated_zip_bytes(pool, tmp_path, seed):
    f = tmp_path / f"z{seed}.docx"
    f.write_bytes(_mutate(SMALL_DOCX.read_bytes(), seed))
    started = time.monotonic()
    _assert_clean(pool.run(jobs.extract_in_worker, str(f)), time.monotonic() - started)


# atheris (coverage-guided), when installed ------------------------------------------------------

@pytest.mark.parametrize("target", ["sniff", "disposition", "claims"])
def test_atheris(target, tmp_path):
    pytest.importorskip("atheris", reason="atheris is not installed (pip install atheris)")
    import subprocess
    import sys

    script = Path(__file__).resolve().parent / "hostile" / "atheris_targets.py"
    done = subprocess.run([sys.executable, str(script), target, "-runs=3000", "-max_len=4096", "-len_control=0",
                           "-rss_limit_mb=1024", "-timeout=5"], capture_output=True, text=True, timeout=300,
                          cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Done 3000 runs" in done.stderr
