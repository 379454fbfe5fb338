"""Portal hints: what a sources file declares about a portal's documents (region, department,
report kind) fills what a fetched document does not say itself; the document's own words win."""

from __future__ import annotations

from fiscaldocs.normalize.regions import resolve as resolve_region

from fiscaldocs.model import Document, ReportKind, Status


def apply_hints(doc: Document, hints: dict) -> Document:
    if doc.status is not Status.OK or not hints:
        return doc
    meta = doc.meta
    if hints.get("department") and not meta.department:
        meta.department = hints["department"]
    if hints.get("report_kind") and meta.report_kind in (None, ReportKind.OTHER):
        meta.report_kind = ReportKind(hints["report_kind"])
    if hints.get("region") and not meta.region.code:
        meta.region = resolve_region([hints["region"]])
    return doc
