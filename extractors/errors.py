"""Whose fault is an exception raised while extracting a file: the file's, or ours?

The rule, used by `extract()` and by the camelot adapter:

1. Type: the parsing libraries' own error types (pdfminer/pdfplumber, playa, pypdfium2, python-docx,
   zipfile, lxml, zlib) and our `ConversionError` and `DocFormatError` (.doc) only ever describe the input: the file's fault.
   Errors no file can cause (ImportError, NameError, SyntaxError: a broken install or a typo) are
   ours wherever they come from.
2. Place, for every other type (KeyError, TypeError, IndexError, MemoryError, RecursionError, ...):
   walk the traceback from where it was raised outwards to the first frame that is either a parser
   library's or ours (`fiscaldocs.*`), passing over frames of anything else (the standard library's
   helpers, numpy, a test's stub). A parser's frame: the parser choked on the file (they raise bare
   built-in errors on malformed or hostile input, running out of memory or stack included), so the
   file's fault. Our frame, or no frame of either: a bug of ours.
"""

from __future__ import annotations

import zipfile
import zlib
from types import TracebackType

from fiscaldocs.extractors.doc_backend import DocFormatError
from fiscaldocs.extractors.legacy_doc import ConversionError

OUR_PACKAGE = "fiscaldocs"

# Top-level module names whose frames are a parser reading the file.
PARSER_MODULES = frozenset({
    "pdfminer", "pdfplumber", "pypdfium2", "pypdfium2_raw",  # PDF text and layout
    "camelot", "playa", "cv2",  # camelot, its PDF reader and its image processing
    "docx", "lxml", "olefile",  # Word (olefile: the compound file of a Word 97-2003 .doc)
    "zipfile", "xml",  # the standard library's container and XML readers (zlib has no frames)
})

# Never the file's fault, whichever frame raised it.
NEVER_THE_FILES = (ImportError, NameError, SyntaxError)


def _file_error_types() -> tuple[type[BaseException], ...]:
    from docx.opc.exceptions import OpcError
    from lxml.etree import LxmlError
    from pdfminer.psexceptions import PSException  # pdfminer's PDFException derives from it
    from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException
    from pypdfium2 import PdfiumError

    types: list[type[BaseException]] = [
        ConversionError, DocFormatError, zipfile.BadZipFile, zlib.error, OpcError, LxmlError, PSException,
        PdfminerException, MalformedPDFException, PdfiumError,
    ]
    try:
        from docx.exceptions import PythonDocxError

        types.append(PythonDocxError)
    except ImportError:  # pragma: no cover - older python-docx
        pass
    try:
        from playa.exceptions import PDFException as PlayaPDFException

        types.append(PlayaPDFException)
    except ImportError:  # pragma: no cover - camelot without playa
        pass
    return tuple(types)


_FILE_ERRORS: tuple[type[BaseException], ...] | None = None


def file_error_types() -> tuple[type[BaseException], ...]:
    """The parsing libraries' own error types (imported on first use: they are heavy)."""
    global _FILE_ERRORS
    if _FILE_ERRORS is None:
        _FILE_ERRORS = _file_error_types()
    return _FILE_ERRORS


def raised_in(exc: BaseException) -> str | None:
    """'parser' or 'ours': the first frame, from where `exc` was raised outwards, that belongs to
    a parser library or to fiscaldocs; None when no frame belongs to either."""
    frames: list[TracebackType] = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    for tb in reversed(frames):
        module = tb.tb_frame.f_globals.get("__name__") or ""
        top = module.partition(".")[0]
        if top == OUR_PACKAGE:
            return "ours"
        if top in PARSER_MODULES:
            return "parser"
    return None


def is_file_fault(exc: BaseException) -> bool:
    """True when the file caused `exc` (see the module docstring); False for a bug of ours."""
    if isinstance(exc, file_error_types()):  # first: lxml's XMLSyntaxError is also a SyntaxError
        return True
    if isinstance(exc, NEVER_THE_FILES):
        return False
    return raised_in(exc) == "parser"
