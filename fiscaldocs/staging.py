"""Stage results on disk, as JSON, keyed by content and stage versions.

Two levels under the work folder:
- `extracted/<sha256>.<extract>.json`: the extracted Document (the expensive stage);
- `processed/<sha256>.<extract>.<normalize>.<audit>.<hints>.json`: the `Processed` document
  (normalized Document, cell values, facts, indicators, checks);
- beside it, `….rows.<rows digest>.json`: the warehouse rows made of it (warehouse/rows.py), which
  the writer inserts as they are: parsing plain JSON costs a fraction of decoding the dataclasses.
  Named by the digest of the code that makes them, so rows made by other code are never loaded.
A change to normalization or the audit rules reuses the staged extraction; only a change to
extraction extracts again. Tasks pass the paths, not documents. Older versions' files of the same
document are removed when a new one is written, so the folder does not grow with upgrades.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path

from fiscaldocs.codec import StagingFormatError, read_json, write_json
from fiscaldocs.extractors.limits import LimitExceeded, is_limit_error
from fiscaldocs.model import Document, DocumentMeta, Processed, Status
from fiscaldocs.retry import NOT_RETRIED
from fiscaldocs.versions import StageVersions, current


@dataclass(slots=True)
class StageReport:
    """What one document's stages did: where the result is, and which stages ran (the others'
    results were reused from staging)."""

    staged: str
    stages_run: list[str] = field(default_factory=list)


def extracted_path(workdir: Path, sha256: str, versions: StageVersions) -> Path:
    return Path(workdir) / "extracted" / f"{sha256}.{versions.extract}.json"


def processed_path(workdir: Path, sha256: str, versions: StageVersions, hints: dict | None = None) -> Path:
    return Path(workdir) / "processed" / f"{sha256}.{versions.key()}.{hints_digest(hints)}.json"


def rows_path(processed: str | Path) -> Path:
    """The staged warehouse rows of a processed file, as the running code makes them."""
    from fiscaldocs.versions import rows_digest

    processed = Path(processed)
    return processed.with_name(f"{processed.name.removesuffix('.json')}.rows.{rows_digest()}.json")


def hints_digest(hints: dict | None) -> str:
    if not hints:
        return "none"
    return hashlib.sha256(json.dumps(hints, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:8]


def run_stages(path: str, sha256: str, workdir: str, hints: dict | None = None) -> StageReport:
    """Every per-document stage for one file, reusing what is staged for the current versions.
    CPU-bound: the flow runs it in a worker process."""
    from fiscaldocs.extractors import extract
    from fiscaldocs.pipeline import finish

    versions = current()
    target = processed_path(Path(workdir), sha256, versions, hints)
    if target.exists():
        if not rows_path(target).exists():  # staged by an older version, or rows made by other code
            stage_rows(target, read_processed(target))
        return StageReport(str(target))
    ran = []
    extracted_file = extracted_path(Path(workdir), sha256, versions)
    if extracted_file.exists():
        doc = read_json(extracted_file, Document)
    else:
        doc = extract(path)
        if doc.status is Status.ERROR and is_limit_error(doc.error):
            raise LimitExceeded(doc.error)  # not staged: with a higher limit, the next run tries again
        ran.append("extract")
        _write_replacing_older(extracted_file, doc)
    processed = finish(doc, hints)
    processed.stages_run = [*ran, "normalize", "audit"]
    _write_replacing_older(target, processed)
    stage_rows(target, processed)
    return StageReport(str(target), processed.stages_run)




def stage_job(path: str, sha256: str, workdir: str, hints: dict | None = None) -> dict:
    """`run_stages` as a worker runs it: a document over one of its limits is an error of its own
    ({"error", "given_up"}: given up when it ran out of time, so later runs do not pay for it again)."""
    name = Path(path).name
    try:
        return asdict(run_stages(path, sha256, workdir, hints))
    except LimitExceeded as exc:
        message = str(exc) if str(exc).startswith(name) else f"{name}: {exc}"
        return {"error": message, "given_up": "time limit" in message}
    except MemoryError:
        from fiscaldocs.extractors.limits import limits

        return {"error": f"{name}: needs more memory than the limit of {limits().memory_mb} MB "
                         "(raise it with FISCALDOCS_MAX_MEMORY_MB)", "given_up": False}


def process_to_file(path: str, sha256: str, workdir: str, hints: dict | None = None) -> str:
    """`run_stages`, for callers that want only the staged file."""
    return run_stages(path, sha256, workdir, hints).staged


def job_result(report: dict, versions: dict[str, str]) -> dict:
    """A `stage_job` report as the writer takes it: {"staged", "stages"}, or {"error"} — with the
    stage `versions` when the document was given up on, so the next run does not try it again
    (until the file or the extractor changes)."""
    if report.get("error"):
        if report.get("given_up"):
            return {"error": f"{report['error']}; {NOT_RETRIED}", "versions": versions}
        return {"error": report["error"]}
    return {"staged": report["staged"], "stages": report["stages_run"]}


def read_processed(path: str | Path) -> Processed:
    return read_json(Path(path), Processed)


def stage_rows(processed_file: Path, processed: Processed) -> Path:
    """Stage the warehouse rows of a processed document beside its file (other rows of it removed)."""
    from fiscaldocs.warehouse.rows import document_rows

    target = rows_path(processed_file)
    # Plain JSON values already: dumped as they are (codec's generic walk would cost ~40 ms a document).
    tmp = target.with_name(f".{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    with tmp.open("w", encoding="utf-8") as out:  # streamed: no second copy of a large document as one string
        json.dump(document_rows(processed), out, ensure_ascii=False, separators=(",", ":"))
    tmp.replace(target)  # atomically: the writer sees the whole file or none
    for older in target.parent.glob(f"{processed_file.name.removesuffix('.json')}.rows.*.json"):
        if older != target:
            older.unlink(missing_ok=True)
    return target


def read_rows(processed_file: str | Path) -> dict:
    """The writer's view of a staged document: its rows, read from the rows file (made from the
    processed file when there is none: staged by an older version, or by other row code)."""
    target = rows_path(processed_file)
    try:
        return json.loads(target.read_text(encoding="utf-8"))
    except FileNotFoundError:
        from fiscaldocs.warehouse.rows import document_rows

        return document_rows(read_processed(processed_file))
    except json.JSONDecodeError as exc:
        raise StagingFormatError(f"{target}: not staged warehouse rows ({exc})") from exc


def failed_processing(path: str, sha256: str, reason: str, versions: dict[str, str] | None = None) -> Processed:
    """A document whose stages could not run at all (its worker died, a limit, retries spent): an
    error row that names the file and the reason (`versions`: the stage versions that gave up)."""
    name = Path(path).name
    meta = DocumentMeta(sha256=sha256, file_name=name, file_type="unknown")
    error = reason if reason.startswith(name + ":") else f"{name}: {reason}"
    return Processed(versions=dict(versions or {}), document=Document(meta=meta, status=Status.ERROR, error=error))


def _write_replacing_older(target: Path, obj: object) -> None:
    write_json(target, obj)
    sha = target.name.split(".", 1)[0]
    own_rows = f"{target.name.removesuffix('.json')}.rows."
    for older in target.parent.glob(f"{sha}.*.json"):
        if older != target and not older.name.startswith(own_rows):
            older.unlink(missing_ok=True)
