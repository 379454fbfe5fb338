"""What became of each table: parser, score, pages, rows, numeric cells and the facts made from
it, so a user sees lost tables (numbers in, no facts out) without reading JSON."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from fiscaldocs.model import Processed


@dataclass(slots=True)
class TableReport:
    index: int
    parser: str
    score: float | None
    pages: list[int]
    rows: int
    numeric_cells: int  # cells holding a number (code columns aside)
    facts: int  # money facts made from the table
    indicators: int  # non-money quantities made from it
    title: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def lost(self) -> bool:
        """Numbers printed, nothing made of them."""
        return self.numeric_cells > 0 and self.facts + self.indicators == 0

    def as_dict(self) -> dict:
        return {"index": self.index, "parser": self.parser,
                "score": round(self.score, 4) if self.score is not None else None, "pages": self.pages,
                "rows": self.rows, "numeric_cells": self.numeric_cells, "facts": self.facts,
                "indicators": self.indicators, "lost": self.lost, "notes": self.notes}


def table_reports(processed: Processed) -> list[TableReport]:
    facts = Counter(f.table_id for f in processed.facts if f.table_id is not None)
    indicators = Counter(f.table_id for f in processed.indicators if f.table_id is not None)
    values = processed.cell_values or [[] for _ in processed.document.tables]
    out = []
    for t, cells in zip(processed.document.tables, values, strict=True):
        out.append(TableReport(
            index=t.index, parser=t.extractor, score=t.quality.score if t.quality else None, pages=t.pages,
            rows=t.n_rows, numeric_cells=sum(1 for v in cells if v.value is not None),
            facts=facts[t.index], indicators=indicators[t.index], title=t.title,
            notes=list(t.quality.notes) if t.quality else []))
    return out
