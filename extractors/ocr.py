"""OCR of a scanned PDF page into the same characters, lines and table grids as a text page.

Optional: `pip install 'fiscaldocs[ocr]'` brings RapidOCR (PP-OCR models in ONNX, shipped inside
its wheel: nothing is downloaded at run time) and onnxruntime. Without it, a scanned document
stays `needs_ocr` with that hint.

A page is rendered with pdfium (DPI), deskewed (a scanner's slight rotation would tilt table
rules and text lines), read line by line, and each recognised line becomes positioned pseudo
characters in PDF points, shaped like pdfplumber's (`text`, `x0`, `x1`, `top`, `bottom`,
`size`) plus the line's recognition confidence (`ocr_conf`). From there the text-PDF stages take
over unchanged: lines and paragraphs (pdf_layout), and tables: ruled tables come from the rules
drawn in the image (`image_grids`), poured and scored by the same grid code (pdf_grid).
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
from fiscaldocs.extractors.pdf_grid import FilledTable, Grid, fill_grid, grid_from_cell_boxes

from fiscaldocs.model import Cell

log = logging.getLogger(__name__)

INSTALL_HINT = "install the OCR extra to read it: pip install 'fiscaldocs[ocr]'"
DPI = 200
# A page larger than A3 is rendered at a lower resolution: its image stays under this many pixels
# on its longer side (memory: a 5 m poster page at 200 dpi would be gigabytes).
MAX_SIDE_PX = 4200
# Deskew search: a scanner feeds pages within a degree or two of straight.
MAX_SKEW_DEG = 2.0
SKEW_STEP_DEG = 0.1
# Lines the recogniser is less sure of than this are dropped (RapidOCR's own default is 0.5).
MIN_LINE_SCORE = 0.5


class OcrUnavailable(RuntimeError):
    """The OCR extra is not installed."""


@dataclass(slots=True)
class ScannedPage:
    chars: list[dict]  # pseudo characters in PDF points, top-left origin
    grids: list[Grid] = field(default_factory=list)  # ruled tables found in the image
    skew_deg: float = 0.0


def available() -> bool:
    try:
        _import_engine()
    except OcrUnavailable:
        return False
    return True


def _import_engine():
    try:
        import onnxruntime  # noqa: F401
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise OcrUnavailable(INSTALL_HINT) from exc
    return RapidOCR


_lock = threading.Lock()


@cache
def _engine():
    RapidOCR = _import_engine()
    # One thread per engine: the extraction pool already runs one worker per core. The angle
    # classifier stays off: it exists for photographed text upside down, and on upright scans it
    # turns a few short lines (a lone "合计", digits) by 180° into garbage.
    with _lock:
        return RapidOCR(params={
            "Global.log_level": "error",
            "Global.use_cls": False,
            "Global.text_score": MIN_LINE_SCORE,
            "Global.max_side_len": 4000,
            # Detection finds lines on the page scaled to 1600 px (≈ 140 dpi on A4): two thirds of
            # the time at full size, same lines; recognition still reads the full-resolution crops.
            "Det.limit_type": "max",
            "Det.limit_side_len": 1600,
            "EngineConfig.onnxruntime.intra_op_num_threads": 1,
            "EngineConfig.onnxruntime.inter_op_num_threads": 1,
        })


def render(path: Path, page_index: int, dpi: int = DPI) -> tuple[np.ndarray, float]:
    """The page as an 8-bit grayscale image, and the PDF points per pixel."""
    import pypdfium2

    pdf = pypdfium2.PdfDocument(str(path))
    try:
        page = pdf[page_index]
        scale = min(dpi / 72.0, MAX_SIDE_PX / max(1.0, *page.get_size()))
        bitmap = page.render(scale=scale, grayscale=True)
        image = np.array(bitmap.to_pil().convert("L"))
    finally:
        pdf.close()
    return image, 1.0 / scale


def read_page(path: Path, page_index: int) -> ScannedPage:
    """OCR one page (0-based index) of the PDF at `path`."""
    image, pt_per_px = render(path, page_index)
    skew = estimate_skew(image)
    if skew:
        image = rotate(image, skew)
    try:  # loading the models allocates as much as reading the page
        result = _engine()(np.dstack([image] * 3))
    except Exception as exc:
        if _out_of_memory(exc):
            raise MemoryError(f"OCR of page {page_index + 1}: {exc}") from exc
        raise
    chars: list[dict] = []
    if result.boxes is not None and len(result.boxes):
        quads = [np.asarray(box, dtype=float) * pt_per_px for box in result.boxes]
        sizes = _snapped_sizes([float(q[:, 1].max() - q[:, 1].min()) for q in quads],
                               [float(q[:, 0].max() - q[:, 0].min()) for q in quads], image.shape[1] * pt_per_px)
        for quad, size, text, score in zip(quads, sizes, result.txts, result.scores, strict=True):
            chars += line_chars(quad, text, float(score), size)
    return ScannedPage(chars=chars, grids=image_grids(image, pt_per_px), skew_deg=skew)


# How onnxruntime (C++ underneath RapidOCR) reports an allocation refused by the worker's RLIMIT_AS:
# not Python's MemoryError but a RuntimeException carrying the C++ message. OCR reserves ~1.3 GB of
# address space for an A4 page (the models, their buffers), so a worker capped below that ends here.
_ALLOCATION_FAILED = ("std::bad_alloc", "Failed to allocate memory")


def _out_of_memory(exc: BaseException) -> bool:
    """Whether `exc`, or what it wraps (RapidOCR rewraps onnxruntime's error), is a refused
    allocation."""
    seen = 0
    while exc is not None and seen < 5:
        if any(marker in str(exc) for marker in _ALLOCATION_FAILED):
            return True
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return False


def _snapped_sizes(heights: list[float], widths: list[float], page_width: float) -> list[float]:
    """Font sizes from detector boxes. Boxes of one font size vary by a few pixels with the glyphs
    in them, and a short box ("稳。", a lone number) is padded relatively more by the detector's
    unclipping; the layout compares sizes to a point. The body size is the median height of the
    lines of prose (boxes wider than 40% of the page; a page of table cells has none and is left
    as read); boxes from 10% below to 25% above it (60% for a box under four heights wide) get
    it. Titles, running headers and footnotes keep their own, the same on every page."""
    prose = [h for h, w in zip(heights, widths, strict=True) if w > 0.4 * page_width]
    body = float(np.median(prose)) if len(prose) >= 3 else None
    out = []
    for h, w in zip(heights, widths, strict=True):
        upper = 0.6 if w < 4 * h else 0.25
        snap = body is not None and -0.1 * body <= h - body <= upper * body
        out.append(0.8 * (body if snap else h))
    return out


def read_scanned_page(path: Path, number: int, unread: list[int]) -> ScannedPage | None:
    """The page (1-based) read by OCR; None, with the page noted in `unread`, without the extra."""
    if not available():
        unread.append(number)
        return None
    scanned = read_page(path, number - 1)
    log.info("%s page %d: OCR read %d characters, %d ruled tables (deskewed %.2f°)", path.name, number,
             len(scanned.chars), len(scanned.grids), scanned.skew_deg)
    return scanned


def scanned_tables(scanned: ScannedPage, number: int) -> list[FilledTable]:
    """The page's ruled tables filled with its OCR'd characters, scored as any parser's, their
    cells flagged as OCR'd. (Tables printed without rules go through the text PDFs' unruled stage,
    on the OCR'd characters.)"""
    out = []
    for grid in scanned.grids:
        filled = fill_grid(grid, scanned.chars, number)
        if filled.grid.n_cols >= 2 and filled.grid.n_rows >= 2 and any(c.text for c in filled.cells):
            mark_cells(filled.cells, scanned.chars)
            out.append(filled)
    return out


# Characters ----------------------------------------------------------------------------------

def _advance(ch: str) -> float:
    """Relative width: CJK and full-width forms take a full em, the rest half."""
    return 1.0 if unicodedata.east_asian_width(ch) in "WF" else 0.5


def line_chars(quad: np.ndarray, text: str, score: float, size: float) -> list[dict]:
    """Spread a recognised line's text over its box, in proportion to each character's advance.

    The detector's box is a little taller than the glyphs (it is "unclipped"); the font size is
    taken as 80% of its height, near what pdfplumber reports for the same text."""
    x0, x1 = float(quad[:, 0].min()), float(quad[:, 0].max())
    top, bottom = float(quad[:, 1].min()), float(quad[:, 1].max())
    text = text.strip()
    total = sum(_advance(c) for c in text) or 1.0
    step = (x1 - x0) / total
    out, x = [], x0
    for ch in text:
        w = _advance(ch) * step
        out.append({"text": ch, "x0": x, "x1": x + w, "top": top, "bottom": bottom, "size": size,
                    "ocr_conf": score})
        x += w
    return out


def mark_cells(cells: list[Cell], chars: list[dict]) -> None:
    """Flag table cells read by OCR with the lowest confidence of the characters in them."""
    for cell in cells:
        cell.ocr = True
        if cell.bbox is None:
            continue
        x0, top, x1, bottom = cell.bbox
        confs = [c["ocr_conf"] for c in chars
                 if x0 <= (c["x0"] + c["x1"]) / 2 <= x1 and top <= (c["top"] + c["bottom"]) / 2 <= bottom]
        cell.ocr_confidence = round(min(confs), 4) if confs else None


# Deskew --------------------------------------------------------------------------------------

def estimate_skew(gray: np.ndarray) -> float:
    """The rotation (degrees) that makes text rows and rules horizontal: the angle whose row
    profile of ink is most peaked (projection-profile method), on a reduced image."""
    import cv2

    small = cv2.resize(gray, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    ink = (small < 160).astype(np.float32)
    if ink.sum() < 50:
        return 0.0
    h, w = ink.shape
    centre = (w / 2, h / 2)
    best, best_score = 0.0, -1.0
    steps = int(round(MAX_SKEW_DEG / SKEW_STEP_DEG))
    for i in range(-steps, steps + 1):
        angle = i * SKEW_STEP_DEG
        m = cv2.getRotationMatrix2D(centre, angle, 1.0)
        rows = cv2.warpAffine(ink, m, (w, h), flags=cv2.INTER_NEAREST).sum(axis=1)
        score = float(np.square(np.diff(rows)).sum())
        if score > best_score + 1e-6:
            best, best_score = angle, score
    return round(best, 2)


def rotate(gray: np.ndarray, angle: float) -> np.ndarray:
    import cv2

    h, w = gray.shape
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return cv2.warpAffine(gray, m, (w, h), flags=cv2.INTER_LINEAR, borderValue=255)


# Ruled tables --------------------------------------------------------------------------------

def image_grids(gray: np.ndarray, pt_per_px: float, min_cells: int = 4) -> list[Grid]:
    """Grids of the ruled tables drawn in a page image (PDF points).

    Rules are the long thin runs of ink: the binarised image opened with a long horizontal and a
    long vertical kernel keeps them and drops the text. The cells are the holes the rules
    enclose, each as its box, so merged cells come out as bigger boxes and `grid_from_cell_boxes`
    builds the same grid a ruled text PDF gives."""
    import cv2

    binary = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    h, w = binary.shape
    horizontal = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (max(20, w // 40), 1)))
    vertical = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (1, max(20, h // 60))))
    rules = cv2.dilate(cv2.bitwise_or(horizontal, vertical), np.ones((3, 3), np.uint8), iterations=1)
    n, labels, stats, _ = cv2.connectedComponentsWithStats(rules, connectivity=8)
    grids = []
    for label in range(1, n):
        x, y, bw, bh, _ = stats[label]
        if bw < w * 0.2 or bh < 20:
            continue
        mask = (labels[y:y + bh, x:x + bw] == label).astype(np.uint8) * 255
        holes = 255 - mask
        k, _, hole_stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
        boxes = []
        for j in range(1, k):
            hx, hy, hw, hh, _ = hole_stats[j]
            # a hole touching the component's edge is outside the table, not a cell
            if hx == 0 or hy == 0 or hx + hw >= bw or hy + hh >= bh or hw < 6 or hh < 6:
                continue
            # cells are bounded by rules: widen the hole by the dilated rule's half-width
            boxes.append(tuple(v * pt_per_px for v in (x + hx - 2, y + hy - 2, x + hx + hw + 2, y + hy + hh + 2)))
        if len(boxes) < min_cells:
            continue
        grid = grid_from_cell_boxes(boxes, parser="ocr-lattice", tol=3.0)
        if grid is not None and grid.n_cols >= 2 and grid.n_rows >= 2:
            grids.append(grid)
    return grids
