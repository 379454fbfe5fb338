"""The per-document stages, in order: extract → normalize (+ portal hints) → derive facts → audit.

Pure functions of a file and the code: no DuckDB, no Prefect. `fiscaldocs.staging` runs them with
their results staged on disk; the warehouse only writes what they produced.
"""

from __future__ import annotations

from pathlib import Path

from fiscaldocs.audit import audit_document
from fiscaldocs.extractors import extract
from fiscaldocs.model import Document, Processed, Status
from fiscaldocs.normalize import normalize
from fiscaldocs.normalize.facts import derive
from fiscaldocs.normalize.hints import apply_hints
from fiscaldocs.normalize.statements import classify
from fiscaldocs.normalize.table_values import table_values
from fiscaldocs.versions import current


def process(path: str | Path) -> Document:
    """Extract and normalize one file."""
    return normalize(extract(path))


def finish(extracted: Document, hints: dict | None = None) -> Processed:
    """Every stage after extraction, on an extracted Document: what the warehouse writes."""
    doc = apply_hints(normalize(extracted), hints or {})
    versions = {"extract": doc.extractor_version, "normalize": doc.normalizer_version, "audit": current().audit}
    if doc.status is not Status.OK:
        return Processed(versions=versions, document=doc)
    facts, indicators = derive(doc)
    return Processed(versions=versions, document=doc, cell_values=[table_values(t) for t in doc.tables],
                     facts=facts, indicators=indicators, checks=audit_document(doc, facts),
                     statements=[classify(t).id for t in doc.tables])
