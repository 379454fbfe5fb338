"""Ingestion speed through the Prefect flow: the sample corpus, a larger corpus made by copying the
sample ground truth with altered numbers (half Word, half LibreOffice PDF), and the no-change rerun
of each (the nightly cost when nothing changed). Every measured run is its own process, so its
start-up and peak memory are its own.

    .venv/bin/python benchmarks/ingest.py [--docs 200] [--out DIR]

FISCALDOCS_WORKERS sets the extraction process count (default: all cores).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_docs"
# Runs of digits with inner dots or commas: "2024.5.15" stays one token, so dates stay intact.
NUMBER_TOKEN = re.compile(r"\d[\d.,]*\d|\d")
DECIMAL = re.compile(r"\d+\.\d+|\d{1,3}(,\d{3})+(\.\d+)?")


# ---------------------------------------------------------------- child: one measured ingest


def child(inputs: str, db: str, workdir: str, result: str) -> None:
    """Ingest in this process and write timings, outcomes, pages and peak RSS to `result`."""
    import multiprocessing.forkserver

    import duckdb
    from fiscaldocs.flows.ingest import _pool, ingest_flow
    from prefect import flow

    @flow(name="benchmark-startup")
    def startup() -> None:
        """Nothing: the first flow run of a process starts the ephemeral Prefect API."""

    t0 = time.perf_counter()
    startup()
    t1 = time.perf_counter()
    summary = ingest_flow(inputs=[inputs], db=db, workdir=workdir)
    t2 = time.perf_counter()
    # Workers count in RUSAGE_CHILDREN only once reaped: they are the forkserver's children, which
    # reaps them, and the forkserver is ours, which nobody reaps before exit unless stopped here.
    # The figure is a floor-raised max: a child keeps the peak RSS it inherited across fork and exec
    # (the forkserver starts from this process's RSS at that moment, ~130-200 MiB).
    _pool().shutdown()
    multiprocessing.forkserver._forkserver._stop()
    with duckdb.connect(db, read_only=True) as con:
        docs, counted, pages = con.execute(
            "SELECT count(*), count(page_count), coalesce(sum(page_count), 0) FROM documents").fetchone()
    Path(result).write_text(json.dumps({
        "startup_s": t1 - t0, "flow_s": t2 - t1, "docs": docs, "no_page_count": docs - counted, "pages": pages,
        "outcomes": summary["outcomes"], "problems": summary["problems"],
        "rss_self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))


def measure(inputs: Path, db: Path, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    result = db.with_suffix(f".{time.monotonic_ns()}.json")
    start = time.perf_counter()
    subprocess.run([sys.executable, __file__, "--child", str(inputs), str(db), str(workdir), str(result)],
                   env=env, cwd=ROOT, check=True)
    run = json.loads(result.read_text()) | {"wall_s": time.perf_counter() - start}
    run["actions"] = actions = dict(Counter(
        o["action"] if o["status"] == "ok" else f"{o['action']} ({o['status']})" for o in run["outcomes"]))
    for o in run["outcomes"]:
        if o["status"] != "ok":
            print(f"  {o['file']}: {o['status']}: {o['error']}")
    for p in run["problems"]:
        print(f"  problem: {p}")
    print(f"  {run['wall_s']:.1f} s wall ({run['startup_s']:.1f} s Prefect start-up, {run['flow_s']:.1f} s flow); "
          f"{actions}; peak RSS {run['rss_self_mib']:.0f} MiB, workers {run['rss_children_mib']:.0f} MiB")
    return run


# ---------------------------------------------------------------- the copied corpus


def load_generator() -> ModuleType:
    """sample_docs/tools/generate.py is a script, not a package module: load it from its file."""
    spec = importlib.util.spec_from_file_location("generate", SAMPLES / "tools" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def alter_number(token: str, factor: Decimal) -> str:
    """Decimals and large integers scaled, same decimal places and grouping; years (1900-2099),
    small integers (list numbers, counts) and zero-padded codes left alone."""
    plain = token.replace(",", "")
    if not DECIMAL.fullmatch(token) and (
        not token.isdigit() or len(token) < 3 or plain.startswith("0") or 1900 <= int(plain) <= 2099
    ):
        return token
    places = Decimal(1).scaleb(-len(plain.partition(".")[2]))
    value = (Decimal(plain) * factor).quantize(places, rounding=ROUND_HALF_UP)
    return f"{value:,}" if "," in token else str(value)


def altered(value: Any, factor: Decimal) -> Any:
    if isinstance(value, str):
        return NUMBER_TOKEN.sub(lambda m: alter_number(m.group(), factor), value)
    if isinstance(value, list):
        return [altered(v, factor) for v in value]
    if isinstance(value, dict):
        return {k: altered(v, factor) for k, v in value.items()}
    return value


def make_corpus(n_docs: int, root: Path) -> Path:
    """`n_docs` documents, each from its own altered copy of a ground truth; every other one is
    converted to PDF by LibreOffice (one batch), the rest stay .docx."""
    gen = load_generator()
    sources = sorted((SAMPLES / "ground_truth").glob("*.json"))
    altered_dir, lo_dir, docs = root / "ground_truth", root / "to_pdf", root / "docs"
    for d in (altered_dir, lo_dir, docs):
        d.mkdir(parents=True)
    to_pdf = []
    for i in range(n_docs):
        copy, source = divmod(i, len(sources))
        gt = json.loads(sources[source].read_text(encoding="utf-8"))
        slug = f"{gt['slug']}_copy{copy + 1:03d}"
        gt = {**gt, "slug": slug, "blocks": altered(gt["blocks"], 1 + Decimal(copy + 1) / 1000)}
        path = altered_dir / f"{slug}.json"
        path.write_text(json.dumps(gt, ensure_ascii=False), encoding="utf-8")
        docx = (lo_dir if i % 2 else docs) / f"{slug}.docx"
        gen.build_docx(gen.load_ground_truth(path), docx)
        if i % 2:
            to_pdf.append(docx)
    if to_pdf:
        gen.convert_with_libreoffice(to_pdf, docs)
    return docs


# ---------------------------------------------------------------- report


def machine() -> str:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, env={"LC_ALL": "C"}).stdout
    model = re.search(r"^Model name:\s*(.+)$", lscpu, re.M)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{model.group(1) if model else platform.processor()}, {os.cpu_count()} cores, {ram:.0f} GiB RAM, "
            f"Python {platform.python_version()}")


def ingest_rows(label: str, run: dict[str, Any]) -> list[tuple[str, str]]:
    docs, pages, flow_s, wall = run["docs"], run["pages"], run["flow_s"], run["wall_s"]
    pages_note = f"{pages} pages" + (f" + {run['no_page_count']} without a page count" if run["no_page_count"] else "")
    return [
        (f"{label}: documents", f"{docs} ({pages_note})"),
        (f"{label}: outcomes", ", ".join(f"{n} {a}" for a, n in run["actions"].items())),
        (f"{label}: wall time (process)", f"{wall:.1f} s"),
        (f"{label}: rate (process)", f"{docs / wall:.2f} docs/s, {pages / wall:.1f} pages/s"),
        (f"{label}: flow alone (without Prefect start-up)", f"{flow_s:.1f} s"),
        (f"{label}: rate (flow alone)", f"{docs / flow_s:.2f} docs/s, {pages / flow_s:.1f} pages/s"),
        (f"{label}: peak RSS, ingest process / workers",
         f"{run['rss_self_mib']:.0f} / {run['rss_children_mib']:.0f} MiB"),
    ]


def rerun_rows(label: str, run: dict[str, Any]) -> list[tuple[str, str]]:
    skipped = run["actions"].get("skipped", 0)
    return [(f"{label}: no-change rerun, wall (flow alone)",
             f"{run['wall_s']:.1f} s ({run['flow_s']:.1f} s); {skipped}/{len(run['outcomes'])} skipped")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200, help="size of the copied corpus (default 200)")
    parser.add_argument("--out", type=Path, help="an empty folder to keep corpus, warehouses and Prefect state in (default: temp)")
    parser.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    with tempfile.TemporaryDirectory(prefix="fiscaldocs-bench-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        if any(out.iterdir()):  # an earlier run's warehouses and Prefect cache would turn ingests into skips
            parser.error(f"--out {out} is not empty")
        run_benchmark(args.docs, out.resolve())


def run_benchmark(n_docs: int, out: Path) -> None:
    # A private Prefect home: results, the API's database and settings stay out of ~/.prefect.
    # PYTHONPATH: measure this checkout, whichever packages the editable install happens to map.
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PREFECT_HOME": str(out / "prefect"),
        "PREFECT_LOCAL_STORAGE_PATH": str(out / "prefect" / "results"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    workers = os.environ.get("FISCALDOCS_WORKERS")
    used = f"FISCALDOCS_WORKERS={workers}" if workers else f"FISCALDOCS_WORKERS unset: all {os.cpu_count()} cores"
    host = machine()
    print(f"machine: {host}\nworkers: {used}")

    print("Prefect warm-up (creates the API database; not counted)")
    warm = out / "warmup"
    warm.mkdir(exist_ok=True)
    measure(warm, warm / "w.duckdb", warm / "work", env)

    print("sample corpus")
    sample = measure(SAMPLES, out / "sample.duckdb", out / "sample_work", env)
    print("sample corpus, no-change rerun")
    sample_rerun = measure(SAMPLES, out / "sample.duckdb", out / "sample_work", env)

    print(f"generating {n_docs} documents")
    start = time.perf_counter()
    corpus = make_corpus(n_docs, out / "corpus")
    generated = time.perf_counter() - start
    kinds = {s: sum(1 for p in corpus.iterdir() if p.suffix == s) for s in (".docx", ".pdf")}
    print(f"  {generated:.0f} s: {kinds['.docx']} .docx, {kinds['.pdf']} .pdf")
    print("copied corpus")
    big = measure(corpus, out / "corpus.duckdb", out / "corpus_work", env)
    print("copied corpus, no-change rerun")
    big_rerun = measure(corpus, out / "corpus.duckdb", out / "corpus_work", env)

    label = f"{n_docs}-doc corpus ({kinds['.docx']} docx, {kinds['.pdf']} LibreOffice PDF)"
    rows = [
        ("machine", host),
        ("extraction workers", used),
        ("Prefect start-up (trivial flow, per process)", f"{sample['startup_s']:.1f} s"),
        *ingest_rows("sample_docs", sample),
        *rerun_rows("sample_docs", sample_rerun),
        (f"{n_docs}-doc corpus: generation (python-docx + LibreOffice)", f"{generated:.0f} s"),
        *ingest_rows(label, big),
        *rerun_rows(label, big_rerun),
    ]
    print("\n| measure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
