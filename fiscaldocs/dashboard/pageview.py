"""The page a number came from, rendered (pypdfium2) with its source highlighted: a table cell by
its stored bbox, a sentence's number found on the page inside its paragraph's bbox.

Boxes are (x0, top, x1, bottom) in PDF points with the origin at the top left of the page, as
the extractor stores them (fiscaldocs/model.py BBox).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageDraw

HIGHLIGHT = (255, 64, 0)  # outline and a translucent fill of the same colour


@dataclass
class PageView:
    image: Image.Image
    box: tuple[float, float, float, float] | None  # what was highlighted, in PDF points
    how: str  # "cell bbox" | "text found on page" | "paragraph bbox" | "not located"


def render_page(pdf_path: Path | str, page: int, boxes: list[tuple[float, float, float, float]],
                scale: float = 2.0) -> Image.Image:
    """Page `page` (1-based) as an image with each box outlined and tinted."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        image = pdf[page - 1].render(scale=scale).to_pil().convert("RGBA")
    finally:
        pdf.close()
    overlay = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(overlay)
    for x0, top, x1, bottom in boxes:
        rect = [x0 * scale - 2, top * scale - 2, x1 * scale + 2, bottom * scale + 2]
        draw.rectangle(rect, fill=(*HIGHLIGHT, 60), outline=(*HIGHLIGHT, 255), width=3)
    return Image.alpha_composite(image, overlay).convert("RGB")


def find_text(pdf_path: Path | str, page: int, needles: list[str],
              within: tuple[float, float, float, float] | None = None) -> tuple[float, float, float, float] | None:
    """Box of the first needle found on the page (inside `within` when given, else anywhere)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(str(pdf_path))
    try:
        pg = pdf[page - 1]
        height = pg.get_height()
        text = pg.get_textpage()
        for needle in [n for n in needles if n]:
            search = text.search(needle, match_case=True)
            found = []
            while (hit := search.get_next()) is not None:
                start, count = hit
                boxes = [text.get_charbox(i) for i in range(start, start + count)]
                left, right = min(b[0] for b in boxes), max(b[2] for b in boxes)
                top, bottom = height - max(b[3] for b in boxes), height - min(b[1] for b in boxes)
                found.append((left, top, right, bottom))
            inside = [b for b in found if within is None or _inside(b, within)]
            if inside:
                return inside[0]
    finally:
        pdf.close()
    return None


def _inside(box, outer, slack: float = 3.0) -> bool:
    return (box[0] >= outer[0] - slack and box[1] >= outer[1] - slack
            and box[2] <= outer[2] + slack and box[3] <= outer[3] + slack)


def cell_view(pdf_path: Path | str, page: int, bbox) -> PageView:
    box = tuple(float(v) for v in bbox) if bbox is not None and len(bbox) == 4 else None
    return PageView(render_page(pdf_path, page, [box] if box else []), box, "cell bbox" if box else "not located")


def claim_view(pdf_path: Path | str, page: int, printed: str, value: str | None, block_bbox) -> PageView:
    within = tuple(float(v) for v in block_bbox) if block_bbox is not None and len(block_bbox) == 4 else None
    box = find_text(pdf_path, page, [printed, value or ""], within)
    if box:
        return PageView(render_page(pdf_path, page, [box]), box, "text found on page")
    if within:
        return PageView(render_page(pdf_path, page, [within]), within, "paragraph bbox")
    return PageView(render_page(pdf_path, page, []), None, "not located")
