"""Ingestion at scale, this checkout beside a baseline checkout (another worktree with its own
.venv, e.g. the commit before the streaming writer), measured in the same run on the same corpus:

- full ingests of N and 2N distinct documents (copies of the sample ground truth with altered
  numbers, mostly Word, one in --pdf-every a LibreOffice PDF): wall time, the writer's busy time
  (time in `write_run` less the time it waited for documents to be extracted) as a share of the
  flow, and peak RSS of the ingest process and of its largest worker — at N and 2N, to show
  whether memory grows with the corpus;
- the no-change rerun of --rerun-docs documents through the command line (`fiscaldocs ingest
  DIR --db …`, Prefect included if the checkout starts it): median wall of --repeat runs
  after one warm-up, alternating baseline and this checkout.

    .venv/bin/python benchmarks/ingest.py --baseline ../wt-base [--docs 200] [--rerun-docs 1000]

Every measured run is its own process. FISCALDOCS_WORKERS sets the extraction process count
(default: all cores). Without --baseline only this checkout is measured.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
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
    """Ingest in this process (whichever checkout this interpreter imports) and write timings,
    outcomes, the writer's busy time and peak RSS to `result`."""
    import multiprocessing.forkserver

    import duckdb
    import fiscaldocs.flows.ingest as ingest
    from prefect import flow

    writer = {"total_s": 0.0, "waiting_s": 0.0}
    write_run = ingest.write_run

    def timed_write_run(db, items, *args, **kwargs):
        def waited(iterator):
            while True:
                t = time.perf_counter()
                try:
                    item = next(iterator)
                except StopIteration:
                    writer["waiting_s"] += time.perf_counter() - t
                    return
                writer["waiting_s"] += time.perf_counter() - t
                yield item

        start = time.perf_counter()
        try:  # a list (a writer that starts after extraction) is passed as it is: it never waits
            return write_run(db, items if isinstance(items, list) else waited(iter(items)), *args, **kwargs)
        finally:
            writer["total_s"] += time.perf_counter() - start

    ingest.write_run = timed_write_run

    @flow(name="benchmark-startup")
    def startup() -> None:
        """Nothing: the first flow run of a process starts the ephemeral Prefect API."""

    t0 = time.perf_counter()
    startup()
    t1 = time.perf_counter()
    summary = ingest.ingest_flow(inputs=[inputs], db=db, workdir=workdir)
    t2 = time.perf_counter()
    # Workers count in RUSAGE_CHILDREN only once reaped: they are the forkserver's children, which
    # reaps them, and the forkserver is ours, which nobody reaps before exit unless stopped here.
    for pool in list(ingest._POOLS.values()):
        pool.close()
    multiprocessing.forkserver._forkserver._stop()
    with duckdb.connect(db, read_only=True) as con:
        docs, pages, facts = con.execute(
            "SELECT count(*), coalesce(sum(page_count), 0), (SELECT count(*) FROM facts) FROM documents").fetchone()
    Path(result).write_text(json.dumps({
        "startup_s": t1 - t0, "flow_s": t2 - t1, "docs": docs, "pages": pages, "facts": facts,
        "failed": [o["error"] for o in summary["outcomes"] if o["status"] != "ok"],
        "load_s": writer["total_s"] - writer["waiting_s"], "writer_s": writer["total_s"],
        "rss_self_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rss_children_mib": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
    }))


def measure(python: str, inputs: Path, db: Path, workdir: Path, env: dict[str, str]) -> dict[str, Any]:
    result = db.with_suffix(f".{time.monotonic_ns()}.json")
    start = time.perf_counter()
    subprocess.run([python, __file__, "--child", str(inputs), str(db), str(workdir), str(result)],
                   env=env, cwd=db.parent, check=True, stdout=subprocess.DEVNULL)
    run = json.loads(result.read_text()) | {"wall_s": time.perf_counter() - start}
    for error in run["failed"]:
        print(f"  failed: {error}")
    print(f"  {run['docs']} docs, {run['facts']} facts: {run['wall_s']:.1f} s wall, flow {run['flow_s']:.1f} s, "
          f"load {run['load_s']:.1f} s ({run['load_s'] / run['flow_s']:.0%}); peak RSS {run['rss_self_mib']:.0f} MiB, "
          f"workers {run['rss_children_mib']:.0f} MiB", flush=True)
    return run


def rerun(python: str, corpus: Path, db: Path, cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """One no-change rerun through the command line: wall seconds and peak RSS (MiB) of the process."""
    start = time.perf_counter()
    proc = subprocess.Popen([python, "-m", "fiscaldocs.cli", "ingest", str(corpus), "--db", str(db)], cwd=cwd,
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    text = out.decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0 or "skipped (unchanged)" not in text:
        raise SystemExit(f"rerun with {python} failed:\n{text}")
    skipped = re.search(r"skipped \(unchanged\) (\d+)", text)
    if not skipped or int(skipped.group(1)) != sum(1 for _ in corpus.iterdir()):
        raise SystemExit(f"rerun with {python} was no no-change run:\n{text}")
    return wall, usage.ru_maxrss / 1024


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


def make_corpus(n_docs: int, root: Path, pdf_every: int = 10, variants: int = 20) -> Path:
    """`n_docs` distinct files: `variants` documents made from altered copies of the ground truth
    (one in `pdf_every` converted to PDF by LibreOffice, the rest .docx), then byte-distinct copies
    of those (a Word file with a zip comment naming the copy, a PDF with a trailing comment line):
    each copy has its own sha256, so it is extracted, normalized, audited and loaded as a document
    of its own, at the cost of its variant."""
    gen = load_generator()
    sources = sorted((SAMPLES / "ground_truth").glob("*.json"))
    altered_dir, lo_dir, made, docs = root / "ground_truth", root / "to_pdf", root / "variants", root / "docs"
    for d in (altered_dir, lo_dir, made, docs):
        d.mkdir(parents=True)
    to_pdf = []
    for i in range(min(variants, n_docs)):
        copy, source = divmod(i, len(sources))
        gt = json.loads(sources[source].read_text(encoding="utf-8"))
        slug = f"{gt['slug']}_v{copy + 1:03d}"
        gt = {**gt, "slug": slug, "blocks": altered(gt["blocks"], 1 + Decimal(copy + 1) / 1000)}
        path = altered_dir / f"{slug}.json"
        path.write_text(json.dumps(gt, ensure_ascii=False), encoding="utf-8")
        as_pdf = pdf_every > 0 and i % pdf_every == pdf_every - 1
        docx = (lo_dir if as_pdf else made) / f"{slug}.docx"
        gen.build_docx(gen.load_ground_truth(path), docx)
        if as_pdf:
            to_pdf.append(docx)
    if to_pdf:
        gen.convert_with_libreoffice(to_pdf, made)
    originals = sorted(made.iterdir())
    for i in range(n_docs):
        original = originals[i % len(originals)]
        target = docs / f"{i:05d}_{original.name}"
        if original.suffix == ".pdf":
            target.write_bytes(original.read_bytes() + f"\n% copy {i}\n".encode())
        else:
            shutil.copyfile(original, target)
            with zipfile.ZipFile(target, "a") as z:
                z.comment = f"copy {i}".encode()
    return docs


# ---------------------------------------------------------------- report


def machine() -> str:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, env={"LC_ALL": "C"}).stdout
    model = re.search(r"^Model name:\s*(.+)$", lscpu, re.M)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = os.getloadavg()[0]
    return (f"{model.group(1) if model else platform.processor()}, {os.cpu_count()} cores, {ram:.0f} GiB RAM, "
            f"Python {platform.python_version()}, load average {load:.1f} at the start")


def subset(corpus: Path, n: int, target: Path) -> Path:
    """The first `n` documents of the corpus, hard-linked into their own folder."""
    target.mkdir(parents=True)
    for f in sorted(corpus.iterdir())[:n]:
        os.link(f, target / f.name)
    return target


def extend_documents(db: Path, corpus: Path) -> None:
    """One `documents` row for each file of `corpus` the warehouse lacks, copied from a loaded
    document (status ok, the current stage versions) under the file's sha256, path and name."""
    import duckdb
    import pandas as pd

    from fiscaldocs.hashing import sha256_file

    files = pd.DataFrame([(sha256_file(f), str(f), f.name) for f in sorted(corpus.iterdir())],  # noqa: F841
                         columns=["sha", "path", "name"])
    with duckdb.connect(str(db)) as con:
        con.execute("""INSERT INTO documents
                       SELECT d.* REPLACE (f.sha AS doc_id, f.path AS source_path, f.name AS file_name)
                       FROM files f, (SELECT * FROM documents WHERE status = 'ok' ORDER BY doc_id LIMIT 1) d
                       WHERE f.sha NOT IN (SELECT doc_id FROM documents)""")
        print(f"  rerun warehouse: {con.execute('SELECT count(*) FROM documents').fetchone()[0]} documents")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=200, help="N: full ingests of N and 2N documents (default 200)")
    parser.add_argument("--rerun-docs", type=int, default=1000, help="documents of the no-change rerun (default 1000)")
    parser.add_argument("--pdf-every", type=int, default=10, help="one variant in this many is a PDF (0: none)")
    parser.add_argument("--variants", type=int, default=20, help="documents made from the ground truth; the rest are copies")
    parser.add_argument("--repeat", type=int, default=3, help="counted no-change reruns of each checkout")
    parser.add_argument("--baseline", type=Path, help="a checkout with its own .venv to compare against")
    parser.add_argument("--out", type=Path, help="an empty folder to keep corpus, warehouses and Prefect state in (default: temp)")
    parser.add_argument("--corpus", type=Path, help="reuse the documents folder an earlier run generated (OUT/corpus/docs)")
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
        run_benchmark(args, out.resolve())


def run_benchmark(args: argparse.Namespace, out: Path) -> None:
    checkouts = {"this": sys.executable}
    if args.baseline:
        checkouts = {"baseline": str(args.baseline.resolve() / ".venv" / "bin" / "python"), **checkouts}

    def env(name: str) -> dict[str, str]:  # a private Prefect home per checkout, out of ~/.prefect
        home = out / f"prefect-{name}"
        return os.environ | {"PREFECT_HOME": str(home), "PREFECT_LOCAL_STORAGE_PATH": str(home / "results"),
                             "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
                             "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120"}

    workers = os.environ.get("FISCALDOCS_WORKERS")
    used = f"FISCALDOCS_WORKERS={workers}" if workers else f"all {os.cpu_count()} cores"
    host = machine()
    print(f"machine: {host}\nworkers: {used}\ncheckouts: {checkouts}", flush=True)
    n = args.docs
    total = max(2 * n, args.rerun_docs)
    start = time.perf_counter()
    corpus = args.corpus.resolve() if args.corpus else make_corpus(total, out / "corpus", args.pdf_every,
                                                                   args.variants)
    kinds = {s: sum(1 for p in corpus.iterdir() if p.suffix == s) for s in (".docx", ".pdf")}
    print(f"generated {total} documents in {time.perf_counter() - start:.0f} s: {kinds}", flush=True)

    for name, python in checkouts.items():  # warm-up: creates each Prefect API database; not counted
        warm = out / f"warm-{name}"
        warm.mkdir()
        print(f"warm-up {name}")
        measure(python, subset(corpus, 2, warm / "docs"), warm / "w.duckdb", warm / "work", env(name))

    runs: dict[tuple[str, int], dict] = {}
    for size in (n, 2 * n):
        docs = subset(corpus, size, out / f"docs-{size}")
        for name, python in checkouts.items():
            folder = out / f"{name}-{size}"
            folder.mkdir()
            print(f"{name}: {size} documents")
            runs[name, size] = measure(python, docs, folder / "w.duckdb", folder / "work", env(name))

    # The no-change rerun. Extracting 1,000 documents for it would take hours on a shared 2-core
    # machine, so its warehouse is this checkout's 2N-document warehouse plus one `documents` row per
    # further file (a loaded row copied under the file's sha256 and path): a no-change run reads
    # only that table. The baseline copies the whole warehouse on every run, which is smaller here
    # than a real 1,000-document one (fewer facts): its figure is a floor.
    rerun_docs = subset(corpus, args.rerun_docs, out / f"docs-{args.rerun_docs}")
    template = out / f"this-{2 * n}" / "w.duckdb"
    dbs = {}
    for name in checkouts:
        (out / f"rerun-{name}").mkdir()
        dbs[name] = out / f"rerun-{name}" / "w.duckdb"
        shutil.copyfile(template, dbs[name])
        extend_documents(dbs[name], rerun_docs)
    walls: dict[str, list[float]] = {name: [] for name in checkouts}
    rss: dict[str, list[float]] = {name: [] for name in checkouts}
    for round_ in range(args.repeat + 1):
        for name, python in checkouts.items():
            wall, peak = rerun(python, rerun_docs, dbs[name], dbs[name].parent, env(name))
            print(f"  rerun {name} {'warm-up' if round_ == 0 else round_}: {wall:.2f} s, {peak:.0f} MiB", flush=True)
            if round_:
                walls[name].append(wall)
                rss[name].append(peak)

    rows = [("machine", host), ("extraction workers", used),
            ("corpus", f"{kinds['.docx']} .docx + {kinds['.pdf']} LibreOffice PDF: byte-distinct copies of {args.variants} variants of the sample ground truth with altered amounts")]
    for size in (n, 2 * n):
        for name in checkouts:
            r = runs[name, size]
            rows.append((f"{size} docs, {name}: wall / flow / load (share of flow)",
                         f"{r['wall_s']:.1f} s / {r['flow_s']:.1f} s / {r['load_s']:.1f} s ({r['load_s'] / r['flow_s']:.0%})"))
            rows.append((f"{size} docs, {name}: docs/s (flow), pages/s", f"{r['docs'] / r['flow_s']:.2f}, "
                         f"{r['pages'] / r['flow_s']:.1f}"))
            rows.append((f"{size} docs, {name}: peak RSS ingest process / largest worker",
                         f"{r['rss_self_mib']:.0f} / {r['rss_children_mib']:.0f} MiB"))
        if "baseline" in checkouts:
            b, t = runs["baseline", size], runs["this", size]
            rows.append((f"{size} docs: this / baseline", f"flow {t['flow_s'] / b['flow_s']:.2f}×, load "
                         f"{t['load_s'] / b['load_s']:.2f}×, peak RSS {t['rss_self_mib'] / b['rss_self_mib']:.2f}×"))
    for name in checkouts:
        a, b = runs[name, n], runs[name, 2 * n]
        rows.append((f"{name}: peak RSS at 2N / at N", f"{b['rss_self_mib'] / a['rss_self_mib']:.2f}×"))
    for name in checkouts:
        rows.append((f"no-change rerun of {args.rerun_docs} docs, {name}: median wall (min-max), peak RSS",
                     f"{statistics.median(walls[name]):.2f} s ({min(walls[name]):.2f}-{max(walls[name]):.2f}), "
                     f"{statistics.median(rss[name]):.0f} MiB"))
    if "baseline" in checkouts:
        rows.append(("no-change rerun: this / baseline",
                     f"{statistics.median(walls['this']) / statistics.median(walls['baseline']):.2f}×"))
    print("\n| measure | value |\n| --- | --- |")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
