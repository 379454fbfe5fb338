"""Audit every number: consistency rules that catch mistakes in the reports and in our own
extraction. Each rule is small and named; each result is a `Check` (pass | fail | warn |
skipped) with expected, actual, a rounding-aware tolerance and provenance for every side.

Rules (README "Audits" explains each with an example):
  table_total, column_total      table arithmetic (audit/tables.py)
  balance_identity               fund balances, two-sided totals (audit/tables.py)
  stated_ratio                   shares, rates, growth recomputed from stated parts (audit/text.py)
  stated_parts                   a stated whole equals its stated parts (年初 + 调整 = 全年预算) (audit/text.py)
  comparative_word               大于/小于/持平 against the numbers (audit/text.py)
  unit_sanity                    an amount whose unit is implausible beside the rest (audit/text.py)
  dates_and_years                placeholders, signature before the year's end, later years (audit/text.py)
  stale_heading                  a section heading naming another 年度 (audit/dates.py)
  claim_vs_table                 a sentence against a table of the same document and scope (audit/cross.py)
  text_total                     a total in the prose against the statement's total row (audit/totals.py)
  as_of_date                     截至 dates against the report's year (audit/dates.py)
  statement_agreement            an amount printed by several statements agrees (audit/statements.py)
  across_documents               the same item in two reports (audit/cross.py, on the warehouse)
"""

from __future__ import annotations

from fiscaldocs.audit.cross import across_documents, claims_against_tables
from fiscaldocs.audit.dates import audit_dates
from fiscaldocs.audit.model import Check
from fiscaldocs.audit.ocr_note import note_ocr_misreads
from fiscaldocs.audit.statements import statement_agreement
from fiscaldocs.audit.tables import audit_tables
from fiscaldocs.audit.text import audit_text
from fiscaldocs.audit.totals import text_totals
from fiscaldocs.normalize.facts import derive

from fiscaldocs.model import Document, Status
from fiscaldocs.versions import stage_digest

# Changes whenever a rule's code changes.
AUDIT_VERSION = stage_digest("audit")


def audit_document(doc: Document, facts: list | None = None) -> list[Check]:
    """All per-document rules; `facts`: `normalize.facts.derive(doc)`'s, when the caller has them."""
    if doc.status is not Status.OK:
        return []
    if facts is None:
        facts, _ = derive(doc)
    checks = (audit_tables(doc) + audit_text(doc) + claims_against_tables(doc, facts) + text_totals(doc, facts)
              + audit_dates(doc) + statement_agreement(doc, facts))
    return note_ocr_misreads(doc, checks)


__all__ = ["AUDIT_VERSION", "Check", "audit_document", "across_documents"]
