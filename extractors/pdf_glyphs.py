"""PDF pages read by pdfium in one pass: characters, ruling lines, rectangles, curves and images,
in pdfplumber's shapes and top-left coordinates, without pdfminer's content parsing.

pdfminer's parsing behind pdfplumber was most of the extraction time (and pdfplumber's
`dedupe_chars` is quadratic); pdfium reads the same glyphs in C. A `GlyphPage` stands in for the
pdfplumber page everywhere the backend used one: `chars` (de-duplicated the way `dedupe_chars`
does it), `lines`/`rects`/`curves`/`edges` (pdfminer's classification of painted subpaths),
`images`, and pdfplumber's own table finder (`find_tables`, `crop`, `extract_words`) run on them.

Coordinates follow pdfplumber: x as in user space, `top = mediabox height − y`. A character's box
is pdfminer's: from its origin, its advance width across and its font size high, starting at the
font's descent below the baseline. Pages with /Rotate are read by pdfplumber instead
(`pdf_backend`), as is every page when FISCALDOCS_PDF_GLYPHS=pdfplumber (the baseline benchmarks
compare against).
"""

from __future__ import annotations

import ctypes
import os
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as c
from pdfplumber.page import Page as PlumberPage
from pdfplumber.utils import crop_to_bbox
from pdfplumber.utils.geometry import curve_to_edges, line_to_edge, rect_to_edges


def use_pdfium() -> bool:
    """False when FISCALDOCS_PDF_GLYPHS=pdfplumber: every page read the old way."""
    return os.environ.get("FISCALDOCS_PDF_GLYPHS", "pdfium").strip().lower() != "pdfplumber"


# pdfium reports these for a character code it cannot map to Unicode: kept as U+FFFD, which
# text_layer counts as garbage (pdfminer's "(cid:N)" for the same fonts).
_NO_UNICODE = {0, 0xFFFD, 0xFFFE, 0xFFFF}


@dataclass(slots=True)
class GlyphPage:
    """One page, as the layout, grid and table code reads a pdfplumber page."""

    page_number: int
    bbox: tuple[float, float, float, float]
    chars: list[dict]
    lines: list[dict] = field(default_factory=list)
    rects: list[dict] = field(default_factory=list)
    curves: list[dict] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    _edges: list[dict] | None = None

    @property
    def width(self) -> float:
        return self.bbox[2] - self.bbox[0]

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    @property
    def edges(self) -> list[dict]:
        if self._edges is None:  # pdfplumber's order: lines, then rectangles, then curves
            self._edges = ([line_to_edge(ln) for ln in self.lines]
                           + [e for r in self.rects for e in rect_to_edges(r)]
                           + [e for cv in self.curves for e in curve_to_edges(cv)])
        return self._edges

    # pdfplumber's own methods, run on this page: they read only `edges`, `bbox` and `chars`
    # (and an error inside them stays pdfplumber's, for errors.is_file_fault)
    def find_tables(self, settings: dict) -> list:
        return PlumberPage.find_tables(self, settings)

    def extract_words(self, **kwargs) -> list[dict]:
        return PlumberPage.extract_words(self, **kwargs)

    def crop(self, box: tuple[float, float, float, float]) -> GlyphPage:
        return GlyphPage(self.page_number, tuple(box), crop_to_bbox(self.chars, box),
                         crop_to_bbox(self.lines, box), crop_to_bbox(self.rects, box),
                         crop_to_bbox(self.curves, box), crop_to_bbox(self.images, box))

    def flush_cache(self) -> None:
        self._edges = None


def document_descents(path: Path) -> dict[str, float]:
    """Descent per unit size of each font the document's pages and forms use, keyed by base name
    without the subset tag, as pdfminer takes it: the descriptor's /Descent (0 when absent; the
    standard 14 fonts from their metrics), where pdfium would fall back to the font program's own.

    Read from the objects as pdfminer reads them (its content parser never runs), and on the way
    every stream pdfium will inflate to read the text — the pages' and forms' content, embedded
    font programs, Type 3 glyph procedures — is inflated under the cap (`pdf_limits`): pdfium
    inflates in C, unbounded, so a stream bomb must be refused before pdfium reads it. What
    pdfminer cannot read of the file's structure is left to pdfium (its reading stands)."""
    from fiscaldocs.extractors import pdf_limits
    from fiscaldocs.extractors.limits import LimitExceeded
    from pdfminer.pdfdocument import PDFDocument
    from pdfminer.pdfpage import PDFPage
    from pdfminer.pdfparser import PDFParser
    from pdfminer.psexceptions import PSException

    pdf_limits.install()
    walk = _ObjectWalk()
    try:
        with path.open("rb") as fh:
            for page in PDFPage.create_pages(PDFDocument(PDFParser(fh))):
                for stream in page.contents:
                    walk.inflate(stream)
                walk.resources(page.resources, 0)
    except LimitExceeded:
        raise
    except (AttributeError, KeyError, TypeError, ValueError, IndexError, PSException, zlib.error, RecursionError):
        pass
    return walk.descents


class _ObjectWalk:
    """Resources (fonts, form XObjects and theirs), each object once."""

    MAX_DEPTH = 8

    def __init__(self):
        self.descents: dict[str, float] = {}
        self._seen: set[int] = set()

    def _once(self, ref) -> bool:
        objid = getattr(ref, "objid", None)
        if objid is None:
            return True
        if objid in self._seen:
            return False
        self._seen.add(objid)
        return True

    def inflate(self, stream) -> None:
        from pdfminer.pdftypes import PDFStream, resolve1

        stream = resolve1(stream)
        if isinstance(stream, PDFStream):
            stream.get_data()  # kept decoded until the walk ends: a stream shared by pages is read once

    def resources(self, resources, depth: int) -> None:
        from pdfminer.pdftypes import PDFStream, resolve1

        resources = resolve1(resources)
        if not isinstance(resources, dict) or depth > self.MAX_DEPTH:
            return
        fonts = resolve1(resources.get("Font"))
        for ref in (fonts.values() if isinstance(fonts, dict) else []):
            if self._once(ref):
                self.font(resolve1(ref), depth)
        xobjects = resolve1(resources.get("XObject"))
        for ref in (xobjects.values() if isinstance(xobjects, dict) else []):
            if not self._once(ref):
                continue
            form = resolve1(ref)
            if isinstance(form, PDFStream) and getattr(resolve1(form.get("Subtype")), "name", None) == "Form":
                self.inflate(form)
                self.resources(form.get("Resources"), depth + 1)

    def font(self, spec, depth: int) -> None:
        from pdfminer.fontmetrics import FONT_METRICS
        from pdfminer.pdftypes import resolve1

        if not isinstance(spec, dict):
            return
        desc = resolve1(spec.get("FontDescriptor"))
        descendants = resolve1(spec.get("DescendantFonts"))
        if desc is None and isinstance(descendants, list) and descendants:
            first = resolve1(descendants[0])
            desc = resolve1(first.get("FontDescriptor")) if isinstance(first, dict) else None
        if isinstance(desc, dict):
            for key in ("FontFile", "FontFile2", "FontFile3"):
                if desc.get(key) is not None:
                    self.inflate(desc[key])
        procs = resolve1(spec.get("CharProcs"))  # a Type 3 font's glyphs are content streams
        for proc in (procs.values() if isinstance(procs, dict) else []):
            self.inflate(proc)
        if spec.get("Resources") is not None:
            self.resources(spec.get("Resources"), depth + 1)
        name = resolve1(spec.get("BaseFont"))
        name = getattr(name, "name", name)
        if not isinstance(name, str) or name.split("+")[-1] in self.descents:
            return
        if desc is None and name in FONT_METRICS:  # a standard 14 font
            desc = FONT_METRICS[name][0]
        try:
            value = float(resolve1((desc or {}).get("Descent", 0)) or 0)
        except (TypeError, ValueError):
            value = 0.0
        self.descents[name.split("+")[-1]] = -abs(value) / 1000.0


def read_page(page: pdfium.PdfPage, number: int, descents: dict[str, float] | None = None) -> GlyphPage:
    """Characters and drawn objects of one (unrotated) page. `descents`: `document_descents`,
    where a font's descent is found there rather than from pdfium."""
    x0, y0, x1, y1 = page.get_mediabox()
    height = y1 - y0
    bbox = (x0, height - y1, x1, height - y0)  # pdfplumber's mediabox, flipped
    drawn = _Drawn(height)
    raw = _address(page.raw)
    for i in range(_page_count(raw)):
        drawn.visit(_page_object(raw, i), None, 0)
    fonts = _Fonts(descents or {})
    textpage = page.get_textpage()
    try:
        chars, read = _chars(textpage, height, fonts)
    finally:
        textpage.close()
    chars += [_space(obj, m, height, fonts) for obj, m in drawn.blank_texts(read)]
    chars = dedupe(chars)
    return GlyphPage(number, bbox, chars, drawn.lines, drawn.rects, drawn.curves, drawn.images)


# Characters -----------------------------------------------------------------------------------

def _by_address(name: str, restype, *argtypes):
    """pdfium's function `name` taking and returning handles as plain addresses (ints): pypdfium2's
    typed pointers cost a ctypes cast per glyph to compare or cache, and pages of one text object
    per glyph have tens of thousands."""
    return ctypes.CFUNCTYPE(restype, *argtypes)(ctypes.cast(getattr(c, name), ctypes.c_void_p).value)


_V, _I, _F = ctypes.c_void_p, ctypes.c_int, ctypes.c_float
_PF, _PI, _PM = ctypes.POINTER(ctypes.c_float), ctypes.POINTER(ctypes.c_int), ctypes.POINTER(c.FS_MATRIX)
_text_object = _by_address("FPDFText_GetTextObject", _V, _V, _I)
_text_count = _by_address("FPDFText_CountChars", _I, _V)
_text_generated = _by_address("FPDFText_IsGenerated", _I, _V, _I)
_text_unicode = _by_address("FPDFText_GetUnicode", ctypes.c_uint, _V, _I)
_text_origin = _by_address("FPDFText_GetCharOrigin", _I, _V, _I, ctypes.POINTER(ctypes.c_double),
                           ctypes.POINTER(ctypes.c_double))
_text_matrix = _by_address("FPDFText_GetMatrix", _I, _V, _I, _PM)
_object_font = _by_address("FPDFTextObj_GetFont", _V, _V)
_object_font_size = _by_address("FPDFTextObj_GetFontSize", _I, _V, _PF)
_font_width = _by_address("FPDFFont_GetGlyphWidth", _I, _V, ctypes.c_uint32, _F, _PF)
_font_name = _by_address("FPDFFont_GetBaseFontName", ctypes.c_size_t, _V, ctypes.c_char_p, ctypes.c_size_t)
_font_descent = _by_address("FPDFFont_GetDescent", _I, _V, _F, _PF)
_page_count = _by_address("FPDFPage_CountObjects", _I, _V)
_page_object = _by_address("FPDFPage_GetObject", _V, _V, _I)
_object_type = _by_address("FPDFPageObj_GetType", _I, _V)
_object_matrix = _by_address("FPDFPageObj_GetMatrix", _I, _V, _PM)
_object_bounds = _by_address("FPDFPageObj_GetBounds", _I, _V, _PF, _PF, _PF, _PF)
_form_count = _by_address("FPDFFormObj_CountObjects", _I, _V)
_form_object = _by_address("FPDFFormObj_GetObject", _V, _V, ctypes.c_ulong)
_path_mode = _by_address("FPDFPath_GetDrawMode", _I, _V, _PI, _PI)
_path_count = _by_address("FPDFPath_CountSegments", _I, _V)
_path_segment = _by_address("FPDFPath_GetPathSegment", _V, _V, _I)
_segment_point = _by_address("FPDFPathSegment_GetPoint", _I, _V, _PF, _PF)
_segment_type = _by_address("FPDFPathSegment_GetType", _I, _V)
_segment_close = _by_address("FPDFPathSegment_GetClose", _I, _V)


_PATH, _IMAGE, _TEXT, _FORM = c.FPDF_PAGEOBJ_PATH, c.FPDF_PAGEOBJ_IMAGE, c.FPDF_PAGEOBJ_TEXT, c.FPDF_PAGEOBJ_FORM
_MOVE, _LINE, _BEZIER = c.FPDF_SEGMENT_MOVETO, c.FPDF_SEGMENT_LINETO, c.FPDF_SEGMENT_BEZIERTO
_NO_FILL = c.FPDF_FILLMODE_NONE


def _address(handle) -> int:
    return ctypes.cast(handle, ctypes.c_void_p).value or 0


class _Fonts:
    """Per font (pdfium shares one handle per font of the document): base name, descent per unit
    size (`descents`, else pdfium's), advance per code point at size 1."""

    def __init__(self, descents: dict[str, float]):
        self.descents = descents
        self._fonts: dict[int, tuple[str, float]] = {}
        self._widths: dict[tuple[int, int], float] = {}
        self._out = ctypes.c_float()

    def font(self, font: int) -> tuple[str, float]:
        known = self._fonts.get(font)
        if known is not None:
            return known
        name, descent = "", 0.0
        if font:
            n = _font_name(font, None, 0)
            if n > 0:
                buf = ctypes.create_string_buffer(n)
                _font_name(font, buf, n)
                name = buf.value.decode("utf-8", "replace")
            if name in self.descents:
                descent = self.descents[name]
            elif _font_descent(font, 1000.0, self._out):
                descent = self._out.value / 1000.0
        self._fonts[font] = (name, descent)
        return name, descent

    def advance(self, font: int, code: int) -> float:
        """The font's /W or /Widths entry, as pdfminer's box uses (pdfium's loose box falls back
        to the ink box for fonts whose descriptor gives no ascent and descent)."""
        key = (font, code)
        width = self._widths.get(key)
        if width is None:
            width = self._out.value / 1000.0 if font and _font_width(font, code, 1000.0, self._out) else 0.0
            self._widths[key] = width
        return width


# pdfium inserts spaces and line breaks between words and lines ("generated" characters): only
# characters with these codes need asking whether they were.
_MAYBE_GENERATED = frozenset({0x20, 0x0A, 0x0D})


def _chars(textpage: pdfium.PdfTextPage, height: float, fonts: _Fonts) -> tuple[list[dict], set[int]]:
    """The text page's characters, and the text objects they came from."""
    raw = _address(textpage.raw)
    ox, oy = ctypes.c_double(), ctypes.c_double()
    matrix = c.FS_MATRIX()
    size_out = ctypes.c_float()
    # per text object (its glyphs share its font, size and matrix): font, name, descent,
    # font size, horizontal and vertical scale, upright
    objects: dict[int, tuple[int, str, float, float, float, float, bool]] = {}
    out = []
    count = _text_count(raw)
    low = -1  # index of a low surrogate already joined to the character before it
    for i in range(count):
        if i == low:
            continue
        code = _text_unicode(raw, i)
        if code in _MAYBE_GENERATED and _text_generated(raw, i) == 1:
            continue
        if 0xD800 <= code <= 0xDFFF:  # pdfium counts UTF-16 units: a character beyond the BMP is two
            following = _text_unicode(raw, i + 1) if i + 1 < count else 0
            code = join_surrogates(code, following)
            if code > 0xFFFF:
                low = i + 1
        obj = _text_object(raw, i)
        known = objects.get(obj)
        if known is None:
            font = _object_font(obj) or 0
            name, descent = fonts.font(font)
            _text_matrix(raw, i, matrix)
            _object_font_size(obj, size_out)
            known = objects[obj] = (font, name, descent, size_out.value, abs(matrix.a),
                                    abs(matrix.d) or (matrix.c ** 2 + matrix.d ** 2) ** 0.5,
                                    abs(matrix.b) < 1e-9 and abs(matrix.c) < 1e-9 and matrix.a > 0)
        font, name, descent, font_size, x_scale, y_scale, upright = known
        _text_origin(raw, i, ox, oy)
        size = font_size * y_scale
        left = ox.value
        right = left + fonts.advance(font, code) * font_size * x_scale
        bottom_y = oy.value + descent * size
        top = height - (bottom_y + size)
        out.append({"text": "\ufffd" if code in _NO_UNICODE else chr(code), "x0": left, "x1": right,
                    "top": top, "bottom": height - bottom_y, "doctop": top, "width": right - left,
                    "height": size, "size": size, "fontname": name, "upright": upright,
                    "object_type": "char"})
    return out, set(objects)


def join_surrogates(high: int, low: int) -> int:
    """The code point of a UTF-16 surrogate pair; U+FFFD for a surrogate without its partner
    (it could not be written as UTF-8)."""
    if 0xD800 <= high <= 0xDBFF and 0xDC00 <= low <= 0xDFFF:
        return 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
    return 0xFFFD


def _space(obj: int, m: Matrix, height: float, fonts: _Fonts) -> dict:
    """A text object that draws nothing: only spaces (an indent written one space per object, as
    some producers do). pdfium's text page leaves these out; pdfminer reads them as characters,
    and they give the line its left edge. Kept as one space at the object's origin, one space
    advance wide (where the text page has it too, `dedupe` keeps one)."""
    font = _object_font(obj) or 0
    name, descent = fonts.font(font)
    out = ctypes.c_float()
    _object_font_size(obj, out)
    scale = abs(m[3]) or (m[2] ** 2 + m[3] ** 2) ** 0.5
    size = out.value * scale
    left, bottom_y = m[4], m[5] + descent * size
    right = left + fonts.advance(font, 0x20) * out.value * abs(m[0])
    top, bottom = height - (bottom_y + size), height - bottom_y
    return {"text": " ", "x0": left, "x1": right, "top": top, "bottom": bottom, "doctop": top,
            "width": right - left, "height": bottom - top, "size": size, "fontname": name,
            "upright": abs(m[1]) < 1e-9 and abs(m[2]) < 1e-9 and m[0] > 0, "object_type": "char"}


def dedupe(chars: list[dict], tolerance: float = 1) -> list[dict]:
    """pdfplumber's `dedupe_chars(tolerance)`: of glyphs with the same text, font and size within
    `tolerance` of each other (overprinted bold, a shadow), keep the first by position; kept glyphs
    stay in reading order. pdfplumber's clustering (`cluster_objects`: runs of sorted values no
    more than `tolerance` apart, by doctop, then by x0 inside each) done with one sort of the
    page; its final `sorted(..., key=chars.index)` made it quadratic."""
    keys = [(ch["upright"], ch["text"], ch["fontname"], ch["size"]) for ch in chars]
    order = sorted(range(len(chars)), key=lambda i: (keys[i], chars[i]["doctop"], i))
    kept: list[int] = []
    run: list[int] = []
    for i in order:
        if run and keys[i] == keys[run[-1]] and chars[i]["doctop"] <= chars[run[-1]]["doctop"] + tolerance:
            run.append(i)
            continue
        _keep_firsts(run, chars, tolerance, kept)
        run = [i]
    _keep_firsts(run, chars, tolerance, kept)
    kept.sort()
    return [chars[i] for i in kept]


def _keep_firsts(row: list[int], chars: list[dict], tolerance: float, kept: list[int]) -> None:
    """Of one doctop run of same-looking glyphs, the first by position of each x0 run."""
    if len(row) < 2:
        kept.extend(row)
        return
    run: list[int] = []
    for i in sorted(row, key=lambda i: (chars[i]["x0"], i)):
        if run and chars[i]["x0"] > chars[run[-1]]["x0"] + tolerance:
            kept.append(min(run, key=lambda k: (chars[k]["doctop"], chars[k]["x0"], k)))
            run = []
        run.append(i)
    kept.append(min(run, key=lambda k: (chars[k]["doctop"], chars[k]["x0"], k)))


# Drawn objects --------------------------------------------------------------------------------

Matrix = tuple[float, float, float, float, float, float]


def _mul(m: Matrix, n: Matrix | None) -> Matrix:
    """m then n (PDF's row-vector convention)."""
    if n is None:
        return m
    a, b, cc, d, e, f = m
    a2, b2, c2, d2, e2, f2 = n
    return (a * a2 + b * c2, a * b2 + b * d2, cc * a2 + d * c2, cc * b2 + d * d2,
            e * a2 + f * c2 + e2, e * b2 + f * d2 + f2)


class _Drawn:
    """Paths split into subpaths and classified as pdfminer does (`PDFLayoutAnalyzer.paint_path`):
    a move and one line is a line, a closed axis-aligned four-sided loop is a rectangle, anything
    else a curve through the segments' end points. Paths inside form XObjects are placed by the
    form's matrix; paths painted neither filled nor stroked (clips) are skipped, as pdfminer's
    `n` operator does."""

    MAX_DEPTH = 8  # nested forms; deeper is hostile, and pdfminer stops earlier

    def __init__(self, height: float):
        self.height = height
        self.lines: list[dict] = []
        self.rects: list[dict] = []
        self.curves: list[dict] = []
        self.images: list[dict] = []
        self.texts: list[tuple[int, Matrix | None]] = []  # text objects, with their form's matrix
        self._l, self._b, self._r, self._t = (ctypes.c_float() for _ in range(4))
        self._m = c.FS_MATRIX()
        self._x, self._y = ctypes.c_float(), ctypes.c_float()
        self._fill, self._stroke = ctypes.c_int(), ctypes.c_int()

    def _matrix(self, obj) -> Matrix:
        m = self._m
        if not _object_matrix(obj, m):
            return (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
        return (m.a, m.b, m.c, m.d, m.e, m.f)

    def visit(self, obj, parent: Matrix | None, depth: int) -> None:
        kind = _object_type(obj)
        if kind == _PATH:
            self._path(obj, _mul(self._matrix(obj), parent))
        elif kind == _IMAGE:
            self._image(_mul(self._matrix(obj), parent))
        elif kind == _TEXT:
            self.texts.append((obj, parent))
        elif kind == _FORM and depth < self.MAX_DEPTH:
            m = _mul(self._matrix(obj), parent)
            for i in range(_form_count(obj)):
                self.visit(_form_object(obj, i), m, depth + 1)

    def blank_texts(self, read: set[int]) -> list[tuple[int, Matrix]]:
        """Text objects the text page did not read and that draw nothing, placed on the page."""
        out = []
        for obj, parent in self.texts:
            if obj not in read and _object_bounds(obj, self._l, self._b, self._r, self._t) \
                    and self._r.value - self._l.value < 1e-3:
                out.append((obj, _mul(self._matrix(obj), parent)))
        return out

    def _image(self, m: Matrix) -> None:
        corners = [(m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]) for x, y in
                   ((0, 0), (1, 0), (0, 1), (1, 1))]
        xs, ys = [p[0] for p in corners], [p[1] for p in corners]
        self.images.append(self._box("image", min(xs), min(ys), max(xs), max(ys)))

    def _path(self, obj, m: Matrix) -> None:
        if not _path_mode(obj, self._fill, self._stroke):
            return
        stroke, fill = bool(self._stroke.value), self._fill.value != _NO_FILL
        if not (stroke or fill):
            return
        sub: list[tuple[str, float, float]] = []
        for i in range(_path_count(obj)):
            seg = _path_segment(obj, i)
            _segment_point(seg, self._x, self._y)
            x, y = self._x.value, self._y.value
            pt = (m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5])
            kind = _segment_type(seg)
            if kind == _MOVE:
                self._subpath(sub, stroke, fill)
                sub = [("m", *pt)]
            elif kind == _LINE:
                sub.append(("l", *pt))
            elif kind == _BEZIER:
                sub.append(("c", *pt))  # pdfminer keeps only a curve's end point: collapsed below
            if sub and _segment_close(seg):
                sub.append(("h", sub[0][1], sub[0][2]))
        self._subpath(sub, stroke, fill)

    def _subpath(self, sub: list[tuple[str, float, float]], stroke: bool, fill: bool) -> None:
        if not sub or sub[0][0] != "m":
            return
        # pdfium gives a Bézier as three points (two controls, then the end): one "c" in pdfminer
        ops: list[tuple[str, float, float]] = []
        run = 0
        for op in sub:
            if op[0] == "c":
                run += 1
                if run % 3:
                    continue
            else:
                run = 0
            ops.append(op)
        shape = "".join(op[0] for op in ops)
        pts = [(op[1], op[2]) for op in ops]
        if len(shape) > 3 and shape[-2:] == "lh" and pts[-2] == pts[0]:
            shape = shape[:-2] + "h"
            pts.pop()
        if shape in {"mlh", "ml"}:
            (ax, ay), (bx, by) = pts[0], pts[1]
            self.lines.append(self._box("line", min(ax, bx), min(ay, by), max(ax, bx), max(ay, by),
                                        stroke=stroke, fill=fill))
            return
        if shape in {"mlllh", "mllll"}:
            (x0, y0), (x1, y1), (x2, y2), (x3, y3), _ = pts
            square = (x0 == x1 and y1 == y2 and x2 == x3 and y3 == y0) or (
                y0 == y1 and x1 == x2 and y2 == y3 and x3 == x0)
            if pts[0] == pts[4] and square:
                self.rects.append(self._box("rect", min(x0, x2), min(y0, y2), max(x0, x2), max(y0, y2),
                                            stroke=stroke, fill=fill))
                return
        box = self._box("curve", min(p[0] for p in pts), min(p[1] for p in pts),
                        max(p[0] for p in pts), max(p[1] for p in pts), stroke=stroke, fill=fill)
        box["pts"] = [(x, self.height - y) for x, y in pts]
        self.curves.append(box)

    def _box(self, kind: str, x0: float, y0: float, x1: float, y1: float, **extra) -> dict:
        top, bottom = self.height - y1, self.height - y0
        return {"object_type": kind, "x0": x0, "x1": x1, "y0": y0, "y1": y1, "top": top,
                "bottom": bottom, "doctop": top, "width": x1 - x0, "height": bottom - top, **extra}
