"""Whether a PDF page's text layer can be read, or the page must be OCR'd.

Decided per page, since reports mix born-digital pages with scanned ones (a scanned signature
page, a stamped table pasted in as an image). A page has no usable text layer when it has no
inked characters but images or curves (glyphs drawn as outlines) to read, when images cover most
of it and it carries only a few characters (a scan with a stray page number), or when most of its
characters are garbage: private-use glyphs, U+FFFD, control characters or pdfminer's "(cid:N)"
placeholders, which is what a font without a Unicode map extracts as. A blank page (no characters,
nothing drawn but rules) has nothing to read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A page whose images cover this share of it and that has fewer inked characters than
# FEW_CHARS is a scan: a scanner's searchable layer has hundreds.
IMAGE_COVER = 0.5
FEW_CHARS = 30
# More than this share of garbage glyphs and the text layer is not worth reading.
GARBAGE_SHARE = 0.3


@dataclass(frozen=True, slots=True)
class TextLayer:
    chars: int  # inked characters
    garbage: int  # of which unreadable
    image_cover: float  # share of the page area under images
    drawn: bool = True  # images or curves on the page: something OCR could read

    @property
    def usable(self) -> bool:
        if self.chars == 0:
            return not self.drawn
        if self.image_cover >= IMAGE_COVER and self.chars < FEW_CHARS:
            return False
        return self.garbage <= GARBAGE_SHARE * self.chars

    @property
    def reason(self) -> str:
        if self.chars == 0:
            return "no characters"
        if self.image_cover >= IMAGE_COVER and self.chars < FEW_CHARS:
            return f"{self.image_cover:.0%} image, {self.chars} characters"
        return f"{self.garbage} of {self.chars} characters unreadable"


# Any character is_garbage refuses (tab, newline and carriage return are not).
_GARBAGE_CHAR = re.compile("[\ue000-\uf8ff\U000f0000-\U0010ffff\ufffd\x00-\x08\x0b\x0c\x0e-\x1f]")


def is_garbage(text: str) -> bool:
    if text.startswith("(cid:"):
        return True
    return any(0xE000 <= ord(c) <= 0xF8FF or ord(c) >= 0xF0000 or c == "\ufffd"
               or (ord(c) < 0x20 and c not in "\t\n\r") for c in text)


def text_layer(page, chars: list[dict]) -> TextLayer:
    """Measure a pdfplumber page (`chars`: its de-duplicated characters)."""
    inked = [c["text"] for c in chars if c["text"].strip()]
    joined = "".join(inked)
    garbage = (sum(1 for t in inked if is_garbage(t))  # one scan first: most pages have none
               if "(cid:" in joined or _GARBAGE_CHAR.search(joined) else 0)
    area = float(page.width) * float(page.height) or 1.0
    covered = sum(max(0.0, min(float(i["x1"]), float(page.width)) - max(float(i["x0"]), 0.0))
                  * max(0.0, min(float(i["bottom"]), float(page.height)) - max(float(i["top"]), 0.0))
                  for i in page.images)
    return TextLayer(chars=len(inked), garbage=garbage,
                     image_cover=min(1.0, covered / area), drawn=bool(page.images or page.curves))
