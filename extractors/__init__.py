"""File → `Document`. The one entry point every later stage uses: `extract(path)`.

A backend per format (PDF, Word), chosen by what the file is, not what it is called. Bad input
never raises out of here: it comes back as a Document with status `error` (or `needs_ocr`) and a
message that names the file and the reason. A bug of ours met on the way is not blamed on the file:
it also comes back as status `error`, with a message calling it an internal error, and its
traceback is logged at ERROR.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from fiscaldocs.extractors.doc_backend import DocFormatError, UnsupportedDocVersion
from fiscaldocs.extractors.errors import is_file_fault
from fiscaldocs.extractors.legacy_doc import ConversionError, convert_doc_to_docx, soffice
from fiscaldocs.extractors.limits import LimitExceeded, check_table, limits
from fiscaldocs.extractors.sniff import sniff

from fiscaldocs.hashing import sha256_file
from fiscaldocs.model import Document, DocumentMeta, Status
from fiscaldocs.versions import stage_digest

log = logging.getLogger(__name__)

# Changes whenever extraction's code, the Document model or a parser library changes
# (fiscaldocs.versions): staged extractions, caches and the warehouse key on it.
EXTRACTOR_VERSION = stage_digest("extract")

SUPPORTED = ("pdf", "docx", "doc")


def extract(path: str | Path) -> Document:
    path = Path(path)
    meta = DocumentMeta(sha256="", file_name=path.name, file_type="unknown")
    try:
        meta.sha256 = sha256_file(path)
        kind = sniff(path)
    except OSError as exc:
        return _failed(meta, f"{path}: cannot read file: {exc.strerror or exc}")
    except Exception as exc:  # sorted by _report: the file's fault, or a bug of ours
        return _failed(meta, _report(path, "unknown", exc))
    meta.file_type = kind
    doc = Document(meta=meta, extractor_version=EXTRACTOR_VERSION)
    if kind not in SUPPORTED:
        return _failed(meta, _unsupported_message(path, kind))
    try:
        _extract_body(path, kind, doc)
        for table in doc.tables:  # every backend's tables, whatever found them
            check_table(table.n_rows, table.n_cols)
    except MemoryError:
        return _failed(meta, f"{path.name}: needs more memory than the limit of {limits().memory_mb} MB "
                             "(raise it with FISCALDOCS_MAX_MEMORY_MB)")
    except Exception as exc:  # sorted by _report: the file's fault, or a bug of ours
        limit = _limit_exceeded(exc)
        if limit is not None:
            return _failed(meta, f"{path.name}: {limit}")
        return _failed(meta, _report(path, kind, exc))
    return doc


def _limit_exceeded(exc: BaseException) -> LimitExceeded | None:
    """The per-document limit `exc` is, or wraps (pdfplumber wraps what pdfminer raises)."""
    for _ in range(5):
        if isinstance(exc, LimitExceeded):
            return exc
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc.__cause__
        if inner is None:
            return None
        exc = inner
    return None


def _report(path: Path, kind: str, exc: Exception) -> str:
    """The error message for a failed extraction. The contract (never raise for a bad file) makes
    this the one place that takes any exception; `is_file_fault` (errors.py: by the exception's
    type and the frame that raised it) tells a file the parsers cannot read from a bug of ours,
    which is logged with its traceback and named as one instead of blamed on the file."""
    if is_file_fault(exc):
        log.debug("extraction failed for %s", path, exc_info=True)
        return f"{path.name}: {_describe(exc, kind)}"
    log.error("internal error of fiscaldocs extracting %s", path, exc_info=exc)
    return (f"{path.name}: internal error of fiscaldocs ({type(exc).__name__}: {exc}); "
            "a bug in fiscaldocs, not a problem with the file: please report it with the traceback from the log")


def _extract_body(path: Path, kind: str, doc: Document) -> None:
    if kind == "pdf":
        from fiscaldocs.extractors.pdf_backend import extract_pdf_body

        extract_pdf_body(path, doc)
    elif kind == "docx":
        from fiscaldocs.extractors.docx_backend import extract_docx_body

        extract_docx_body(path, doc)
    else:
        from fiscaldocs.extractors.doc_backend import extract_doc_body

        try:
            extract_doc_body(path, doc)
        except UnsupportedDocVersion as exc:
            # Word 6.0/95 files: LibreOffice reads them when it is installed; else say what to do.
            if soffice() is None:
                raise UnsupportedDocVersion(f"{exc}; install LibreOffice (Debian/Ubuntu: apt-get install "
                                            "libreoffice-writer-nogui) to read it, or save it as .docx") from exc
            _extract_doc_with_libreoffice(path, doc)


def _extract_doc_with_libreoffice(path: Path, doc: Document) -> None:
    from fiscaldocs.extractors.docx_backend import extract_docx_body

    with tempfile.TemporaryDirectory(prefix="fiscaldocs_doc_") as tmp:
        extract_docx_body(convert_doc_to_docx(path, Path(tmp)), doc)


def _failed(meta: DocumentMeta, message: str) -> Document:
    return Document(meta=meta, status=Status.ERROR, error=message, extractor_version=EXTRACTOR_VERSION)


def _unsupported_message(path: Path, kind: str) -> str:
    suffix = path.suffix.lower()
    if kind == "empty":
        return f"{path.name}: empty file"
    if kind == "html":
        return f"{path.name}: is an HTML page, not a document (a download error page saved as {suffix or 'a file'}?)"
    if kind in ("xlsx", "zip"):
        return f"{path.name}: {kind} files are not supported yet (supported: PDF, Word .docx/.doc)"
    return f"{path.name}: not a PDF or Word file (unrecognised content{', named ' + suffix if suffix else ''})"


def _root_cause(exc: BaseException) -> BaseException:
    """pdfplumber wraps pdfminer's errors (PdfminerException(PDFPasswordIncorrect())): unwrap."""
    seen = 0
    while seen < 5:
        inner = exc.args[0] if exc.args and isinstance(exc.args[0], BaseException) else exc.__cause__
        if inner is None:
            return exc
        exc, seen = inner, seen + 1
    return exc


def _describe(exc: Exception, kind: str) -> str:
    if isinstance(exc, ConversionError):
        return str(exc)
    if isinstance(exc, DocFormatError):
        return f"unreadable Word 97-2003 .doc: {exc}"
    cause = _root_cause(exc)
    name = type(cause).__name__
    text = str(cause) or name
    if name in ("PDFPasswordIncorrect", "PDFEncryptionError") or "password" in text.lower():
        return "encrypted PDF: a password is required to open it"
    if kind == "pdf":
        return f"corrupt or unreadable PDF ({name}: {text})"
    if kind in ("docx", "doc"):
        return f"corrupt or unreadable Word file ({name}: {text})"
    return f"corrupt or unreadable file ({name}: {text})"


__all__ = ["extract", "EXTRACTOR_VERSION", "sha256_file"]
