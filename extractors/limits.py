"""Per-document limits: what one file may cost before it is an error of its own.

A hostile or unlucky file (a decompression bomb, a table claiming two billion columns, a
5,000-page PDF) must end as `status: error` for that document only, never take the run down.
Each limit has a safe default and an environment variable to change it (read when checked, so a
worker process sees what its parent set):

| variable                       | default | what                                             |
| ------------------------------ | ------- | ------------------------------------------------ |
| FISCALDOCS_MAX_SECONDS         | 300     | wall time per document (all its stages)          |
| FISCALDOCS_MAX_MEMORY_MB       | 2048    | address space of an extraction worker            |
| FISCALDOCS_MAX_PAGES           | 2000    | pages of a PDF (or a Word file's stored count)   |
| FISCALDOCS_MAX_INFLATED_MB     | 100     | one PDF stream or zip member, decompressed       |
| FISCALDOCS_MAX_TABLE_CELLS     | 1000000 | rows × columns of one table                      |
| FISCALDOCS_MAX_TABLE_COLUMNS   | 1000    | columns of one table (a cell's span included)    |

`0` switches a limit off. The limits are checked at the backends' entry points and where data
is inflated; the worker's memory and time limits are set by the worker pool (fiscaldocs/workers.py).
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

MB = 1024 * 1024


class LimitExceeded(Exception):
    """A document is over one of its limits: its own error, with the limit and how to raise it."""


@dataclass(frozen=True, slots=True)
class Limits:
    seconds: float = 300
    memory_mb: int = 2048
    pages: int = 2000
    inflated_mb: int = 100
    table_cells: int = 1_000_000
    table_columns: int = 1000

    @property
    def inflated_bytes(self) -> int:
        return self.inflated_mb * MB


ENV = {
    "seconds": "FISCALDOCS_MAX_SECONDS",
    "memory_mb": "FISCALDOCS_MAX_MEMORY_MB",
    "pages": "FISCALDOCS_MAX_PAGES",
    "inflated_mb": "FISCALDOCS_MAX_INFLATED_MB",
    "table_cells": "FISCALDOCS_MAX_TABLE_CELLS",
    "table_columns": "FISCALDOCS_MAX_TABLE_COLUMNS",
}


def limits() -> Limits:
    """The limits in force: defaults, overridden by the environment."""
    values = {}
    for name, var in ENV.items():
        raw = os.environ.get(var, "").strip()
        if raw:
            try:
                number = float(raw) if name == "seconds" else int(raw)
            except ValueError as exc:
                raise ValueError(f"{var}={raw!r}: not a number") from exc
            values[name] = number if number > 0 else float("inf")
    return Limits(**values)


# Every limit's message says how to raise it: how a limit's error is told from the file's own.
_HOW_TO_RAISE = "(raise it with FISCALDOCS_"


def is_limit_error(message: str | None) -> bool:
    return bool(message) and _HOW_TO_RAISE in message


def over(what: str, value: object, limit: object, name: str) -> LimitExceeded:
    return LimitExceeded(f"{what} ({value}) is over the limit of {limit} (raise it with {ENV[name]})")


def check_pages(count: int | None) -> None:
    lim = limits().pages
    if count is not None and count > lim:
        raise over("page count", count, lim, "pages")


def check_table(n_rows: int, n_cols: int) -> None:
    lim = limits()
    if n_cols > lim.table_columns:
        raise over("table width", f"{n_cols} columns", lim.table_columns, "table_columns")
    if n_rows * n_cols > lim.table_cells:
        raise over("table size", f"{n_rows} rows × {n_cols} columns", lim.table_cells, "table_cells")


def check_zip_members(path: Path) -> None:
    """Every member's decompressed size, from the central directory, before anything is inflated.
    (zipfile never inflates a member beyond the size declared there: a member that lies about its
    size fails its CRC check instead of growing.)"""
    cap = limits().inflated_bytes
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if info.file_size > cap:
                raise over(f"zip member {info.filename} decompressed", f"{info.file_size} bytes",
                           f"{limits().inflated_mb} MB", "inflated_mb")
