"""atheris (coverage-guided, libFuzzer) targets, run by tests/test_fuzz.py in a subprocess for a
bounded number of runs: python atheris_targets.py TARGET -runs=N -max_len=N."""

from __future__ import annotations

import inspect
import sys
import tempfile
from pathlib import Path

import atheris
from fiscaldocs.crawl import fetcher
from fiscaldocs.crawl.fetcher import MAX_NAME_BYTES, file_name, safe_name
from fiscaldocs.extractors import sniff as sniff_module
from fiscaldocs.extractors.sniff import sniff
from fiscaldocs.normalize import claims as claims_module
from fiscaldocs.normalize.claims import find_claims

# Coverage feedback from our own functions only (instrumenting every imported library takes minutes).
for module in (fetcher, sniff_module, claims_module):
    for _name, fn in inspect.getmembers(module, inspect.isfunction):
        if fn.__module__ == module.__name__:
            atheris.instrument_func(fn)

_TMP = Path(tempfile.mkdtemp(prefix="fiscaldocs_atheris_")) / "input"


def sniff_target(data: bytes) -> None:
    _TMP.write_bytes(data)
    assert sniff(_TMP) in {"pdf", "docx", "xlsx", "doc", "html", "zip", "empty", "unknown"}


def disposition_target(data: bytes) -> None:
    fdp = atheris.FuzzedDataProvider(data)
    name = safe_name(file_name(fdp.ConsumeUnicodeNoSurrogates(300), "http://127.0.0.1/" +
                               fdp.ConsumeUnicodeNoSurrogates(200)))
    assert name and len(name.encode()) <= MAX_NAME_BYTES and "\x00" not in name and "/" not in name


def claims_target(data: bytes) -> None:
    text = atheris.FuzzedDataProvider(data).ConsumeUnicodeNoSurrogates(2000)
    for c in find_claims(text):
        assert 0 <= c.start < c.end <= len(text)


if __name__ == "__main__":
    target = {"sniff": sniff_target, "disposition": disposition_target, "claims": claims_target}[sys.argv[1]]
    atheris.Setup([sys.argv[0], *sys.argv[2:]], target)
    atheris.Fuzz()
