"""Comparison of tables as printed, shared by the tests: whitespace is ignored, and grid columns or
rows that no printed cell starts in (invisible in print) are dropped from both sides."""

from __future__ import annotations

from fiscaldocs.extractors.cjk import normalize_ws

from fiscaldocs.model import Table


def canonical(rows: list[list[str]], anchors: set[tuple[int, int]]) -> list[list[str]]:
    cols = sorted({c for _, c in anchors})
    keep_rows = sorted({r for r, _ in anchors})
    return [[normalize_ws(rows[r][c]) for c in cols] for r in keep_rows]


def gt_canonical(table: dict) -> list[list[str]]:
    rows = table["rows"]
    covered = set()
    for r0, c0, r1, c1 in table.get("merges", []):
        covered |= {(r, c) for r in range(r0, r1 + 1) for c in range(c0, c1 + 1)} - {(r0, c0)}
    anchors = {(r, c) for r in range(len(rows)) for c in range(len(rows[0])) if (r, c) not in covered}
    return canonical(rows, anchors)


def extracted_canonical(table: Table) -> list[list[str]]:
    return canonical(table.rows(), {(c.row, c.col) for c in table.cells})


def diff(got: list[list[str]], want: list[list[str]], limit: int = 6) -> str:
    lines = [f"rows: got {len(got)}, want {len(want)}; cols: got {len(got[0]) if got else 0}, "
             f"want {len(want[0]) if want else 0}"]
    for i in range(max(len(got), len(want))):
        g = got[i] if i < len(got) else None
        w = want[i] if i < len(want) else None
        if g != w:
            lines.append(f"row {i}:\n  got  {g}\n  want {w}")
            if len(lines) > limit:
                break
    return "\n".join(lines)
