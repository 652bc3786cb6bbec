"""Scanned twins: a text PDF rendered to pixels, skewed, blurred, speckled, JPEG-compressed.

The result is an image-only PDF (Pillow writes each page as one DCT-encoded image), so
a parser can read it only through OCR. The twin shares its text twin's truth.
"""

from __future__ import annotations

import io
import random
from datetime import UTC, datetime

import numpy as np
import pypdfium2 as pdfium
from PIL import Image, ImageFilter

_FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def _page(image: Image.Image, rng: random.Random, noise: np.random.Generator, quality: int) -> Image.Image:
    angle = rng.uniform(0.3, 2.5) * rng.choice((-1, 1))
    image = image.rotate(angle, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.9)))
    pixels = np.asarray(image, dtype=np.float64)
    pixels = pixels + noise.normal(0.0, rng.uniform(4.0, 12.0), pixels.shape)
    speckles = noise.random(pixels.shape) < rng.uniform(0.0005, 0.003)
    pixels[speckles] = noise.choice((0.0, 255.0), size=int(speckles.sum()))
    pixels = pixels * rng.uniform(0.86, 0.97) + rng.uniform(4.0, 18.0)  # grey paper, weaker black
    image = Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="L")
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=quality)
    return Image.open(io.BytesIO(buffer.getvalue()))


def scan(pdf: bytes, rng: random.Random) -> bytes:
    """An image-only "scan" of ``pdf`` at 150-200 dpi, ±0.3-2.5° skew, JPEG quality 45-80."""
    dpi = rng.choice((150, 175, 200))
    quality = rng.randint(45, 80)
    noise = np.random.default_rng(rng.getrandbits(32))
    document = pdfium.PdfDocument(pdf)
    try:
        pages = [
            _page(page.render(scale=dpi / 72, grayscale=True).to_pil().convert("L"), rng, noise, quality)
            for page in document
        ]
    finally:
        document.close()
    output = io.BytesIO()
    pages[0].save(
        output, "PDF", resolution=float(dpi), save_all=True, append_images=pages[1:], quality=quality
    )
    return output.getvalue()
