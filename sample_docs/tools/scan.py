"""Make a scanned copy of a sample report: the OCR test material (tests/fixtures/ocr/).

Pages of a sample PDF are rendered to images and put through what a scanner and an office's
copier do to a page: a slight rotation (under a degree), blur, a grey, speckled paper background
and JPEG compression; the images are wrapped as an image-only PDF (no text layer). Its truth is
the sample's hand-transcribed ground truth (sample_docs/ground_truth/). Deterministic (seeded).

    .venv/bin/python sample_docs/tools/scan.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pypdfium2
from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[2]
DPI = 200
# (source PDF, 1-based page, rotation in degrees): a page of prose and a page with a ruled table.
PAGES = [("yiyang_2023_performance_self_evaluation.pdf", 3, 0.6),
         ("yiyang_2023_performance_self_evaluation.pdf", 12, -0.45)]
OUT = ROOT / "tests" / "fixtures" / "ocr" / "yiyang_2023_scanned.pdf"


def scan(page: pypdfium2.PdfPage, angle: float, rng: np.random.Generator) -> Image.Image:
    image = page.render(scale=DPI / 72, grayscale=True).to_pil().convert("L")
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=False, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(0.7))
    pixels = np.asarray(image, dtype=np.float32)
    # grey paper (ink stays dark), sensor noise, a few specks of dust
    pixels = 40 + pixels * (200 / 255) + rng.normal(0, 3, pixels.shape)
    specks = rng.random(pixels.shape) < 0.0004
    pixels[specks] = rng.uniform(60, 140, specks.sum())
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")


def main() -> None:
    rng = np.random.default_rng(13)
    images = []
    for name, number, angle in PAGES:
        pdf = pypdfium2.PdfDocument(str(ROOT / "sample_docs" / name))
        images.append(scan(pdf[number - 1], angle, rng))
        pdf.close()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    # Pillow writes each page as one JPEG (DCTDecode) image: an image-only PDF, as scanners make.
    images[0].save(OUT, "PDF", save_all=True, append_images=images[1:], resolution=DPI, quality=40,
                   title="", producer="fiscaldocs scan.py", creator="fiscaldocs scan.py")
    print(f"{OUT}: {len(images)} pages, {OUT.stat().st_size // 1024} KiB")


if __name__ == "__main__":
    main()
