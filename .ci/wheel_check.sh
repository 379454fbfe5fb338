#!/usr/bin/env bash
# Wheel check (`make wheel-check`, run by .ci/run): what a user gets from the built package, tried
# away from the repository.
#
#  1. The sdist is built from a clean copy of the repository's files (git's tracked and untracked,
#     not ignored: no build/ or *.egg-info of the work tree leaks in, and none is left behind), the
#     wheel is built from that sdist, and a second wheel straight from the copy: the two wheels must
#     hold the same files, so the sdist carries everything a build needs.
#  2. A fresh virtual environment outside the repository gets that wheel alone (versions from
#     constraints.txt).
#  3. From an empty folder: `fiscaldocs run` loads the packaged sample corpus into warehouse.duckdb
#     (every file ok), `fiscaldocs extract <packaged PDF> --json` prints a Document with tables, the
#     category tables (package data) answer a lookup, and only `fiscaldocs` is importable: no
#     top-level extractors, normalize, audit, crawl, flows, warehouse or sample_docs.
#
# Environment: PYTHON makes the fresh environment (default python3), BUILD_PYTHON has `build`
# (default .venv/bin/python, from the dev extra), WHEEL_CHECK_KEEP=1 keeps the temporary folder.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PYTHON="${PYTHON:-python3}"
BUILD_PYTHON="${BUILD_PYTHON:-$ROOT/.venv/bin/python}"
SAMPLE_PDF=yiyang_2023_performance_self_evaluation.pdf
START=$SECONDS

say() { echo "wheel check [$((SECONDS - START)) s]: $*"; }
fail() { echo "wheel check FAILED: $*" >&2; exit 1; }
trap 'echo "wheel check FAILED: command exited $? at line $LINENO: $BASH_COMMAND" >&2' ERR

T="$(mktemp -d "${TMPDIR:-/tmp}/fiscaldocs-wheel-check.XXXXXX")"
T="$(cd "$T" && pwd -P)"
if [ "${WHEEL_CHECK_KEEP:-}" = 1 ]; then
  trap 'echo "wheel check: kept $T"' EXIT
else
  trap 'rm -rf "$T"' EXIT
fi
case "$T/" in "$ROOT"/*) fail "temporary folder $T is inside the repository $ROOT; set TMPDIR elsewhere" ;; esac
"$BUILD_PYTHON" -c "import build" 2>/dev/null \
  || fail "$BUILD_PYTHON cannot import 'build' (make .venv/.installed installs the dev extra)"
git -C "$ROOT" rev-parse --is-inside-work-tree >/dev/null 2>&1 || fail "$ROOT is not a git work tree"

# Run a step quietly; on failure show the end of its log.
run_logged() {
  local log="$1" what="$2"; shift 2
  if ! "$@" >"$log" 2>&1; then
    tail -n 40 "$log" >&2
    fail "$what (log above; full log in $log with WHEEL_CHECK_KEEP=1)"
  fi
}

say "copying the repository's files to $T/src"
mkdir -p "$T/src" "$T/dist" "$T/direct" "$T/empty"
(cd "$ROOT" && git ls-files -z --cached --others --exclude-standard \
  | while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf -) | tar -xf - -C "$T/src"

say "building the sdist, then the wheel from the sdist"
run_logged "$T/build.log" "python -m build (sdist, wheel from sdist) failed" \
  "$BUILD_PYTHON" -m build --outdir "$T/dist" "$T/src"
say "building a wheel straight from the source, to compare"
run_logged "$T/build-direct.log" "python -m build --wheel failed" \
  "$BUILD_PYTHON" -m build --wheel --outdir "$T/direct" "$T/src"
if grep -h "WARNING" "$T/build.log" "$T/build-direct.log" | sort -u | grep .; then
  say "(the build printed the warnings above)"
fi

SDIST="$(ls "$T"/dist/*.tar.gz)"
WHEEL="$(ls "$T"/dist/*.whl)"
"$BUILD_PYTHON" - "$SDIST" "$WHEEL" "$(ls "$T"/direct/*.whl)" <<'EOF' || fail "package contents (see above)"
import sys, tarfile, zipfile

sdist, wheel, direct = sys.argv[1:]
problems = []
with tarfile.open(sdist) as tf:
    names = {n.split("/", 1)[1] for n in tf.getnames() if "/" in n}
for need in ["pyproject.toml", "README.md", "LICENSE", "PKG-INFO", "fiscaldocs/cli.py", "extractors/__init__.py",
             "normalize/data/functional_classification.csv", "sample_docs/manifest.json", "tests/conftest.py"]:
    if need not in names:
        problems.append(f"sdist lacks {need}")
print(f"wheel check: sdist {sdist.rsplit('/', 1)[1]}: {len(names)} entries")


def record(path):
    with zipfile.ZipFile(path) as zf:
        rec = next(n for n in zf.namelist() if n.endswith(".dist-info/RECORD"))
        lines = zf.read(rec).decode().splitlines()
        meta = zf.read(rec.replace("RECORD", "METADATA")).decode()
    return {line.rsplit(",", 2)[0]: line.rsplit(",", 2)[1] for line in lines if not line.startswith(rec)}, meta


files, meta = record(wheel)
direct_files, _ = record(direct)
if files != direct_files:
    only_sdist = sorted(set(files) - set(direct_files))
    only_direct = sorted(set(direct_files) - set(files))
    changed = sorted(n for n in set(files) & set(direct_files) if files[n] != direct_files[n])
    problems.append(f"the wheel built from the sdist differs from the one built from the source: missing "
                    f"{only_direct}, extra {only_sdist}, different {changed}")
tops = {n.split("/", 1)[0] for n in files}
others = [t for t in tops if t != "fiscaldocs" and not t.endswith(".dist-info")]
if others or "fiscaldocs" not in tops:
    problems.append(f"the wheel should install the fiscaldocs package alone, it installs {sorted(tops)}")
for need in ["fiscaldocs/normalize/data/functional_classification.csv", "fiscaldocs/sample_docs/manifest.json"]:
    if need not in files:
        problems.append(f"wheel lacks {need}")
if not any(n.endswith(".dist-info/licenses/LICENSE") for n in files):
    problems.append("wheel lacks its LICENSE")
if "License-Expression: MIT" not in meta:
    problems.append("wheel METADATA has no License-Expression: MIT")
for p in problems:
    print(f"wheel check: {p}", file=sys.stderr)
if problems:
    sys.exit(1)
print(f"wheel check: wheel {wheel.rsplit('/', 1)[1]}: {len(files)} files, top level {sorted(tops)}, "
      "the same files as the wheel built straight from the source")
EOF

say "fresh virtual environment in $T/venv ($("$PYTHON" --version 2>&1)), the wheel alone"
"$PYTHON" -m venv "$T/venv"
VBIN="$T/venv/bin"
run_logged "$T/pip.log" "upgrading pip in the fresh environment failed" \
  "$VBIN/python" -m pip install --upgrade pip
run_logged "$T/pip.log" "installing the wheel into the fresh environment failed" \
  "$VBIN/python" -m pip install -c "$ROOT/constraints.txt" "$WHEEL"

# From here on: an empty folder, nothing of the repository on the path, a Prefect home of its own.
cd "$T/empty"
unset PYTHONPATH PYTHONHOME PREFECT_API_URL VIRTUAL_ENV
export PATH="$VBIN:$PATH" PREFECT_HOME="$T/prefect-home"

say "imports: only fiscaldocs is importable"
"$VBIN/python" -c "import fiscaldocs.extractors, fiscaldocs.normalize.categories" \
  || fail "'import fiscaldocs.extractors, fiscaldocs.normalize.categories' failed in the fresh environment"
for m in extractors normalize audit crawl flows warehouse sample_docs; do
  if out="$("$VBIN/python" -c "import $m" 2>&1)"; then
    fail "'import $m' works in the fresh environment: the wheel installs a top-level '$m' package"
  fi
  case "$out" in
    *"ModuleNotFoundError: No module named '$m'"*) ;;
    *) echo "$out" >&2; fail "'import $m' fails, but not with \"No module named '$m'\"" ;;
  esac
done

say "package data: category lookup, sample corpus inside the environment"
"$VBIN/python" - "$T/venv" <<'EOF' || fail "package data (see above)"
import sys
from pathlib import Path

import fiscaldocs
from fiscaldocs.normalize import categories
from fiscaldocs.sample_docs import SAMPLE_DIR

venv = Path(sys.argv[1]).resolve()
for what, path in [("fiscaldocs", Path(fiscaldocs.__file__)), ("category tables", categories.DATA),
                   ("sample corpus", SAMPLE_DIR)]:
    if not path.resolve().is_relative_to(venv):
        sys.exit(f"wheel check: {what} loaded from {path}, not from the fresh environment {venv}")
health = categories.map_label("卫生健康支出", 2023)
assert health is not None and health.code == "210", f"map_label('卫生健康支出', 2023) = {health}"
assert categories.by_code("208", 2023).name == "社会保障和就业支出", categories.by_code("208", 2023)
sangong = categories.map_label("三公经费", 2023)
assert sangong is not None and sangong.code == "sangong.total", f"map_label('三公经费', 2023) = {sangong}"
print(f"wheel check: category lookup ok ({len(categories.taxonomy()[0])} codes), {SAMPLE_DIR}")
EOF

EXPECTED_OK="$("$VBIN/python" -c "import json, sys; print(len(json.load(open(sys.argv[1]))))" \
  "$ROOT/sample_docs/manifest.json")"
say "fiscaldocs run, from an empty folder (expecting $EXPECTED_OK documents ok)"
run_started=$SECONDS
run_logged "$T/run.log" "fiscaldocs run exited non-zero" "$VBIN/fiscaldocs" run
[ -f warehouse.duckdb ] || { tail -n 40 "$T/run.log" >&2; fail "fiscaldocs run made no warehouse.duckdb in $PWD"; }
"$VBIN/fiscaldocs" query "SELECT status, count(*) AS documents FROM documents GROUP BY status"
ok="$("$VBIN/python" -c "
import duckdb
con = duckdb.connect('warehouse.duckdb', read_only=True)
print(con.execute(\"SELECT count(*) FROM documents WHERE status = 'ok'\").fetchone()[0],
      con.execute('SELECT count(*) FROM facts').fetchone()[0])")"
read -r ok_docs facts <<<"$ok"
[ "$ok_docs" = "$EXPECTED_OK" ] || fail "warehouse.duckdb has $ok_docs documents ok, expected $EXPECTED_OK"
[ "$facts" -gt 0 ] || fail "warehouse.duckdb has no facts"
say "fiscaldocs run: $ok_docs documents ok, $facts facts, in $((SECONDS - run_started)) s"

PDF="$("$VBIN/python" -c "from fiscaldocs.sample_docs import SAMPLE_DIR; print(SAMPLE_DIR / '$SAMPLE_PDF')")"
say "fiscaldocs extract $PDF --json"
"$VBIN/fiscaldocs" extract "$PDF" --json >"$T/extract.json" 2>"$T/extract.log" \
  || { tail -n 40 "$T/extract.log" >&2; fail "fiscaldocs extract exited non-zero"; }
"$VBIN/python" - "$T/extract.json" <<'EOF' || fail "fiscaldocs extract --json output (see above)"
import json, sys

try:
    data = json.load(open(sys.argv[1], encoding="utf-8"))
except ValueError as exc:
    sys.exit(f"wheel check: fiscaldocs extract --json printed no JSON: {exc}")
status = data["document"]["status"]
tables = [t for t in data["tables"] if t["cells"]]
if status != "ok" or not tables:
    sys.exit(f"wheel check: extract --json: status {status}, {len(tables)} tables with cells")
print(f"wheel check: extract --json: status ok, {len(tables)} tables, {len(data['claims'])} claims, "
      f"{len(data['checks'])} checks")
EOF

say "passed in $((SECONDS - START)) s"
