"""The typed document model: the shared language between extraction, normalization and loading.

A `Document` is what every extractor backend returns, whatever the file format. It knows nothing
of DuckDB or Prefect; later stages only read it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from enum import StrEnum
from typing import Any

BBox = tuple[float, float, float, float]  # x0, top, x1, bottom in PDF points, origin top-left


class Status(StrEnum):
    OK = "ok"
    NEEDS_OCR = "needs_ocr"
    ERROR = "error"


class ReportKind(StrEnum):
    BUDGET = "budget"  # 部门/单位预算
    FINAL_ACCOUNTS = "final_accounts"  # 部门/单位决算
    PERFORMANCE_SELF_EVALUATION = "performance_self_evaluation"  # 整体支出绩效自评
    PROJECT_SELF_EVALUATION = "project_self_evaluation"  # 专项资金/项目支出绩效自评
    FISCAL_EVALUATION = "fiscal_evaluation"  # 财政重点评价
    OTHER = "other"


class BlockKind(StrEnum):
    TITLE = "title"
    HEADING = "heading"
    PARAGRAPH = "paragraph"


@dataclass(slots=True)
class TextBlock:
    """A paragraph (or title/heading) in reading order. `page` is 1-based; None for Word."""

    text: str
    page: int | None
    kind: BlockKind = BlockKind.PARAGRAPH
    bbox: BBox | None = None
    order: int = 0  # position in the document's reading order, shared with tables
    ocr: bool = False  # read by OCR from a page image, not from a text layer
    ocr_confidence: float | None = None  # the lowest recognition confidence (0–1) of its lines


@dataclass(slots=True)
class Cell:
    """One cell of a table grid. A merged cell is one Cell with spans, not repeated text."""

    row: int
    col: int
    text: str
    row_span: int = 1
    col_span: int = 1
    page: int | None = None
    bbox: BBox | None = None
    ocr: bool = False  # read by OCR from a page image
    ocr_confidence: float | None = None  # the lowest recognition confidence (0–1) of its text


@dataclass(slots=True)
class TableQuality:
    """How well a table parsed, in the spirit of camelot's parsing report.

    `coverage`: share of the printed characters inside the table area that landed in a cell;
    `fill`: share of grid cells (not covered by a merge) that hold text. `score` combines them
    and is what the PDF backend uses to choose between parsers for the same table.
    """

    score: float
    coverage: float
    fill: float
    parser: str
    # What the extractor decided about this table and why (joined over a page break, or not).
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 4), "coverage": round(self.coverage, 4),
                "fill": round(self.fill, 4), "parser": self.parser, "notes": list(self.notes)}


@dataclass(slots=True)
class Table:
    """A logical table; a table continued over pages is one Table whose rows remember their page."""

    index: int
    n_rows: int
    n_cols: int
    cells: list[Cell]
    page: int | None = None  # first page
    row_pages: list[int | None] = field(default_factory=list)
    bbox: BBox | None = None  # on the first page
    title: str | None = None
    unit: str | None = None
    extractor: str = ""
    quality: TableQuality | None = None
    order: int = 0
    parent: tuple[int, int, int] | None = None  # (table index, row, col) for a nested Word table

    def rows(self) -> list[list[str]]:
        """The grid as printed: a merged cell's text in its top-left slot, "" in the slots it covers."""
        grid = [["" for _ in range(self.n_cols)] for _ in range(self.n_rows)]
        for cell in self.cells:
            grid[cell.row][cell.col] = cell.text
        return grid

    @property
    def pages(self) -> list[int]:
        return sorted({p for p in self.row_pages if p is not None})


@dataclass(slots=True)
class Region:
    code: str | None = None
    province: str | None = None
    city: str | None = None
    county: str | None = None


@dataclass(slots=True)
class DocumentMeta:
    sha256: str
    file_name: str
    file_type: str  # pdf | docx | doc | unknown
    title: str | None = None
    issuer: str | None = None
    department: str | None = None
    region: Region = field(default_factory=Region)
    fiscal_year: int | None = None
    report_kind: ReportKind | None = None
    published_date: str | None = None  # ISO date
    page_count: int | None = None
    producer: str | None = None  # the software that wrote the file, as the file says
    ocr_pages: list[int] = field(default_factory=list)  # pages read by OCR (no usable text layer)


@dataclass(slots=True)
class Claim:
    """A number stated in the prose, with its unit, year and subject (filled by normalization)."""

    block: int
    page: int | None
    start: int  # character span in the block's text
    end: int
    text: str  # number and unit as printed
    sentence: str
    subject: str | None
    value: str  # as printed, without thousands separators
    unit: str
    value_normalized: str
    unit_normalized: str
    qualifier: str | None
    year: int | None
    change: str | None  # increase | decrease | None
    ocr: bool = False  # its sentence was read by OCR
    ocr_confidence: float | None = None  # the sentence's block's lowest recognition confidence

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in self.__slots__}


@dataclass(slots=True)
class Document:
    meta: DocumentMeta
    status: Status = Status.OK
    error: str | None = None
    blocks: list[TextBlock] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    claims: list[Claim] = field(default_factory=list)  # filled by normalization
    extractor_version: str = ""  # the extract stage that made blocks and tables (fiscaldocs.versions)
    normalizer_version: str = ""  # the normalize stage that filled metadata and claims

    def to_json_dict(self) -> dict[str, Any]:
        """The `fiscaldocs extract --json` shape."""
        meta = asdict(self.meta)
        meta.update(status=str(self.status), error=self.error, extractor_version=self.extractor_version,
                    normalizer_version=self.normalizer_version)
        return {
            "document": meta,
            "blocks": [
                {"page": b.page, "kind": str(b.kind), "text": b.text,
                 **({"ocr_confidence": b.ocr_confidence} if b.ocr else {})} for b in self.blocks
            ],
            "tables": [
                {
                    "page": t.page,
                    "pages": t.pages,
                    "index": t.index,
                    "title": t.title,
                    "unit": t.unit,
                    "extractor": t.extractor,
                    "quality": t.quality.as_dict() if t.quality else None,
                    "parent": list(t.parent) if t.parent else None,
                    "rows": t.rows(),
                    "row_pages": t.row_pages,
                    "cells": [
                        {"row": c.row, "col": c.col, "row_span": c.row_span, "col_span": c.col_span,
                         "text": c.text, "page": c.page,
                         "bbox": [round(v, 2) for v in c.bbox] if c.bbox else None,
                         **({"ocr_confidence": c.ocr_confidence} if c.ocr else {})}
                        for c in t.cells
                    ],
                }
                for t in self.tables
            ],
            "claims": [c.as_dict() for c in self.claims],
        }


@dataclass(slots=True)
class CellValue:
    """The number in a table cell with the unit that applies to it (normalization)."""

    row: int
    col: int
    text: str
    value: str  # as printed, separators removed
    unit: str | None  # the unit that applies, as printed (万元, %, 人)
    unit_source: str  # cell | row | column | table | none
    value_normalized: str | None
    unit_normalized: str | None


@dataclass(slots=True)
class Fact:
    """One comparable amount (a fact, in yuan) or quantity (an indicator, in its unit), with
    provenance back to the table cell or the claim it was read from."""

    fact_id: str
    doc_id: str
    fiscal_year: int | None
    period_year: int | None
    phase: str | None
    direction: str | None
    budget_type: str | None
    line_item: str
    category_scheme: str | None
    category_code: str | None
    category_name: str | None
    economic_code: str | None
    amount: Decimal  # yuan for facts; the normalized unit's amount for indicators
    unit: str  # CNY for facts; person | percent | count | … for indicators
    source_kind: str  # table | text
    table_id: int | None
    row_idx: int | None
    col_idx: int | None
    claim_idx: int | None
    page: int | None
    column_header: str | None
    row_label: str | None = None  # indicators from tables: the row's labels, outermost first, "|"-joined
    # Dimensions an analyst aggregates by (normalize/statements.py, data/statements.toml).
    department: str | None = None  # the reporting department or unit (its units included), normalized
    statement: str = "other"  # the statement it was printed in (summary, gpb_functional, sangong …; text)
    fund_scope: str = "all"  # all | fiscal_appropriation | general_public_budget | government_fund | …
    fund: str | None = None  # employee | resident for a social-insurance fund table
    breakdown: str = "total"  # the part of the amount its column holds: total | basic | project | …
    level: str | None = None  # 类 | 款 | 项 of its category
    row_role: str = "line"  # total (合计/总计) | subtotal (小计) | part (其中) | line
    category_known: bool = True  # False: a printed code missing from the taxonomy, kept as printed
    ocr: bool = False  # read by OCR: its digits may be misread
    ocr_confidence: float | None = None  # recognition confidence (0–1) of the cell or sentence


@dataclass
class Side:
    """Where one number of a check was printed."""

    kind: str  # table | text
    page: int | None = None
    table: int | None = None
    row: int | None = None
    col: int | None = None
    block: int | None = None
    text: str | None = None  # the number as printed, or the sentence
    doc_id: str | None = None

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if v is not None}


@dataclass
class Check:
    """What an audit rule found, with a rounding-aware tolerance and provenance for every side."""

    rule: str
    status: str  # pass | fail | warn | skipped
    message: str
    expected: Decimal | None = None
    actual: Decimal | None = None
    tolerance: Decimal | None = None
    sides: list[Side] = field(default_factory=list)
    doc_id: str | None = None

    @property
    def check_id(self) -> str:
        key = json.dumps([self.doc_id, self.rule, [s.as_dict() for s in self.sides], self.message[:40]],
                         ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(key.encode()).hexdigest()[:24]

    def provenance(self) -> str:
        return json.dumps([s.as_dict() for s in self.sides], ensure_ascii=False)

    def as_dict(self) -> dict:
        return {"rule": self.rule, "status": self.status, "message": self.message,
                "expected": str(self.expected) if self.expected is not None else None,
                "actual": str(self.actual) if self.actual is not None else None,
                "tolerance": str(self.tolerance) if self.tolerance is not None else None,
                "provenance": [s.as_dict() for s in self.sides]}


@dataclass(slots=True)
class Processed:
    """A document through every per-document stage, ready for the warehouse to write: the
    normalized Document, its cells' values (one list per table, in table order), facts,
    indicators and audit checks, and the stage versions that made them."""

    versions: dict[str, str]
    document: Document
    cell_values: list[list[CellValue]] = field(default_factory=list)
    facts: list[Fact] = field(default_factory=list)
    indicators: list[Fact] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    statements: list[str] = field(default_factory=list)  # the statement each table is (normalize.statements)
    stages_run: list[str] = field(default_factory=list)  # stages this run executed (the rest were reused)
