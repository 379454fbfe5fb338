"""The single writer's time per document, from staged files, two ways side by side on the same
staged corpus:

- `processed`: the writer decodes each staged `Processed` document and builds its rows (what it did
  before workers staged rows: `read_processed` + `rows.document_rows`);
- `rows`: the writer parses the rows the workers staged beside it (`staging.read_rows`).

Both insert through the same `write_run` into a fresh warehouse file, alternating, --repeat times
each (median reported). The corpus: every file of sample_docs/ copied --copies times with distinct
bytes (a trailing comment, so distinct sha256 and doc_ids), staged once by `process_to_file`.

    .venv/bin/python benchmarks/writer_rows.py [--copies 5] [--repeat 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def corpus(folder: Path, copies: int) -> list[Path]:
    out = []
    for src in sorted((ROOT / "sample_docs").iterdir()):
        if src.suffix not in (".docx", ".pdf"):
            continue
        for k in range(copies):
            dst = folder / f"{src.stem}_{k}{src.suffix}"
            # Bytes after a PDF's %%EOF or a zip's end record are ignored by their readers.
            dst.write_bytes(src.read_bytes() + (f"\n%copy {k}\n" if src.suffix == ".pdf" else "").encode())
            if src.suffix == ".docx" and k:
                with dst.open("ab") as f:
                    f.write(b"\0" * k)
            out.append(dst)
    return out


def main() -> None:
    from fiscaldocs.warehouse.rows import document_rows
    from fiscaldocs.warehouse.runs import write_run

    import fiscaldocs.staging as staging
    from fiscaldocs.hashing import sha256_file

    ap = argparse.ArgumentParser()
    ap.add_argument("--copies", type=int, default=5)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="writer-rows-"))
    try:
        (tmp / "docs").mkdir()
        files = corpus(tmp / "docs", args.copies)
        items = []
        for f in files:
            sha = sha256_file(f)
            items.append({"path": str(f), "url": None, "sha256": sha,
                          "staged": staging.process_to_file(str(f), sha, str(tmp / "work"))})
        n = len({i["sha256"] for i in items})
        read_rows = staging.read_rows
        ways = {"processed": lambda p: document_rows(staging.read_processed(p)), "rows": read_rows}
        times: dict[str, list[float]] = {w: [] for w in ways}
        for r in range(args.repeat):
            for way, reader in ways.items():
                staging.read_rows = reader
                db = tmp / f"{way}{r}.duckdb"
                start = time.perf_counter()
                summary = write_run(db, items, [], "bench", datetime.now(UTC).replace(tzinfo=None))
                times[way].append(time.perf_counter() - start)
                assert summary.count("new") == n, summary.outcomes
        staging.read_rows = read_rows
        print(f"{len(files)} staged files ({n} distinct documents: sample_docs x {args.copies}), "
              f"write_run into a new file, median of {args.repeat}:")
        for way, ts in times.items():
            med = statistics.median(ts)
            print(f"  {way:<9} {med:6.2f} s  {1000 * med / len(files):6.1f} ms/document")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
