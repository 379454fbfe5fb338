"""The typed document model: the shared language between extraction, normalization and loading.

A `Document` is what every extractor backend returns, whatever the file format. It knows nothing
of DuckDB or Prefect; later stages only read it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
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

    def as_dict(self) -> dict[str, Any]:
        return {"score": round(self.score, 4), "coverage": round(self.coverage, 4),
                "fill": round(self.fill, 4), "parser": self.parser}


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


@dataclass(slots=True)
class Document:
    meta: DocumentMeta
    status: Status = Status.OK
    error: str | None = None
    blocks: list[TextBlock] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    claims: list[Any] = field(default_factory=list)  # normalize.claims.Claim, filled by normalization
    extractor_version: str = ""

    def to_json_dict(self) -> dict[str, Any]:
        """The `fiscaldocs extract --json` shape."""
        meta = asdict(self.meta)
        meta.update(status=str(self.status), error=self.error, extractor_version=self.extractor_version)
        return {
            "document": meta,
            "blocks": [
                {"page": b.page, "kind": str(b.kind), "text": b.text} for b in self.blocks
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
                         "bbox": [round(v, 2) for v in c.bbox] if c.bbox else None}
                        for c in t.cells
                    ],
                }
                for t in self.tables
            ],
            "claims": [c.as_dict() for c in self.claims],
        }
