"""Page images for OCR: a page (or a region of it) rendered, cleaned and straightened.

:func:`render` draws a page with pypdfium2 in greyscale, never with more than
:data:`MAX_RENDER_PIXELS` pixels. Anything but a scan is drawn at 300 dpi. A page (or
region) that is one scanned image is drawn near the image's own resolution: raised
towards 200 dpi by at most 1.5x, lowered to 250 dpi. Measured on noisy JPEG scans
(made as in ``tests/unit/documents/test_ocr.py``), tesseract's character error rate:

=========  ============  ============  ============  ============
scan dpi   drawn at 150  drawn at 200  drawn at 250  drawn at 300
=========  ============  ============  ============  ============
100        2.1 %         17.8 %        18.4 %        16.4 %
150        0.6 %         0.1 %         0.8 %         12.4 %
200                      0.1 %         0.1 %         0.3 %
300                      0.2 %         0.1 %         0.1 %
=========  ============  ============  ============  ============

Enlarged 2x or more, specks the median filter would have removed become characters;
a 300 dpi scan drawn at 250 reads as well and takes 1.5 s instead of 1.9 s.

:func:`straighten` estimates the skew with a projection profile and rotates the image
level; :meth:`Raster.page_box` maps a box found on the final image back to the
original page, in PDF points with a top-left origin (the model's coordinates).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from itertools import islice
from typing import Any

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c
from PIL import Image, ImageFilter

from lib.documents.model import BBox
from lib.domain.errors import PermanentParseError
from lib.pdfium_lock import PDFIUM_LOCK

# A4 and US Legal at 300 dpi are 8.7 and 10.1 Mpx; a larger page is drawn at a lower
# resolution instead, so one page cannot take unbounded memory or OCR time.
MAX_RENDER_PIXELS = 12_000_000
TEXT_DPI = 300.0
SCAN_DPI = 200.0
SCAN_MAX_DPI = 250.0
MAX_UPSCALE = 1.5
# An image is "the scan" of the area being read when it covers this much of it.
_SCAN_COVERAGE = 0.9
# Page objects looked at to find that image; a scan has one or two, and a hostile
# page can have millions, so the search stops early.
_MAX_OBJECTS_INSPECTED = 64

# Lighting (see flatten): the paper's brightness from a copy this many times smaller,
# the brightest pixel in a window this wide, blurred this much; uneven when its middle
# 96 % spans this many grey levels.
_LIGHT_SAMPLE = 8
_LIGHT_WINDOW = 5
_LIGHT_BLUR = 4
_UNEVEN_LIGHT = 40.0

# Skew search, coarse then fine: scanners produce ±0.3-2.5° (measured), phone photos more.
# A photo turned further than the search reaches comes out with its rows paired wrongly
# (4° searched to 3°; 8° searched to 6° peaked falsely at 4.8°: values read beside the next
# row's test), so the search goes to 15°, for 20-80 ms a page.
_MAX_SKEW_DEGREES = 15.0
_COARSE_STEP = 0.2
_FINE_STEP = 0.02
# Below this tesseract reads as well without rotation, which costs time and blurs.
_MIN_ROTATION_DEGREES = 0.1
# Text pages score 1.38-1.57 (best angle against the mean over the range); blank,
# noise and photo areas score about 1.06. Below the bar the estimate is noise.
_MIN_PROFILE_PEAK = 1.15
_MIN_INK_PIXELS = 500
_SKEW_SAMPLE_WIDTH = 900
_MAX_INK_SAMPLES = 200_000


@dataclass(frozen=True)
class Raster:
    """A greyscale image of a page area and how its pixels map back to the page.

    ``scale`` is pixels per PDF point of the rendering, ``origin`` the page position
    (points, top-left origin) of the rendering's top-left corner, and ``rotation``
    the 2x3 affine matrix (output pixel -> rendered pixel) applied by
    :func:`straighten`, or ``None``. ``scanned`` is true when the area is one
    scanned image, ``skew_degrees`` the slope its text lines had (positive: falling
    to the right).
    """

    image: Image.Image
    scale: float
    origin: tuple[float, float]
    scanned: bool
    skew_degrees: float = 0.0
    rotation: tuple[float, float, float, float, float, float] | None = None

    @property
    def dpi(self) -> int:
        """The rendering's resolution, as tesseract wants it."""
        return round(self.scale * 72)

    def page_point(self, x: float, y: float) -> tuple[float, float]:
        """The page position (points) of pixel ``(x, y)`` of :attr:`image`."""
        if self.rotation is not None:
            a, b, c, d, e, f = self.rotation
            x, y = a * x + b * y + c, d * x + e * y + f
        return self.origin[0] + x / self.scale, self.origin[1] + y / self.scale

    def page_box(self, left: float, top: float, right: float, bottom: float) -> BBox:
        """The page box (points) around the pixel box ``left, top, right, bottom`` of :attr:`image`."""
        corners = [(left, top), (right, top), (left, bottom), (right, bottom)]
        if self.rotation is not None:
            a, b, c, d, e, f = self.rotation
            corners = [(a * x + b * y + c, d * x + e * y + f) for x, y in corners]
        xs = [self.origin[0] + x / self.scale for x, _ in corners]
        ys = [self.origin[1] + y / self.scale for _, y in corners]
        return BBox(min(xs), min(ys), max(xs), max(ys))


def render(pdf: bytes, page_index: int, clip: BBox | None = None) -> Raster:
    """Draw page ``page_index`` of ``pdf`` (or the part of it inside ``clip``, in page points).

    Raises :class:`PermanentParseError` ``pdf_unreadable`` when PDFium cannot open the
    file or the page, and :class:`ValueError` for a clip outside the page.
    """
    with PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(pdf)
        except pdfium.PdfiumError as exc:
            raise PermanentParseError("a file could not be opened for OCR", code="pdf_unreadable") from exc
        try:
            if not 0 <= page_index < len(document):
                raise PermanentParseError("a page to OCR does not exist", code="pdf_unreadable")
            try:
                page = document[page_index]
            except pdfium.PdfiumError as exc:
                raise PermanentParseError(
                    "a page could not be opened for OCR", code="pdf_unreadable"
                ) from exc
            width, height = (float(side) for side in page.get_size())
            area = _clamp(clip, width, height) if clip is not None else BBox(0.0, 0.0, width, height)
            scan_dpi = _scan_dpi(page, area, width, height)
            dpi = TEXT_DPI if scan_dpi is None else _scan_render_dpi(scan_dpi)
            area_width, area_height = area.x1 - area.x0, area.bottom - area.top
            scale = min(dpi / 72, math.sqrt(MAX_RENDER_PIXELS / (area_width * area_height)))
            crop = (area.x0, height - area.bottom, width - area.x1, area.top)
            bitmap = page.render(scale=scale, crop=crop, grayscale=True)
            # convert() copies: the bitmap's buffer belongs to PDFium and goes with the document.
            image = bitmap.to_pil().convert("L")
        finally:
            document.close()
    return Raster(image=image, scale=scale, origin=(area.x0, area.top), scanned=scan_dpi is not None)


def clean(raster: Raster) -> Raster:
    """Even out a scan's lighting (:func:`flatten`) and remove its specks (3x3 median).

    Other renderings are left alone. The median, measured at the scan's own
    resolution: character error 1.0-1.5 % -> 0.2-0.4 % on noisy JPEG scans, for about
    0.2 s per A4 page at 200 dpi; on clean renderings it did not help.
    """
    if not raster.scanned:
        return raster
    return replace(raster, image=flatten(raster.image).filter(ImageFilter.MedianFilter(3)))


def flatten(image: Image.Image) -> Image.Image:
    """``image`` divided by its paper's brightness, when the lighting across the page is uneven.

    A phone photo is darker on one side or in a corner; tesseract's single (Otsu)
    threshold then turns the dark part black and reads nothing there (a photo lit
    from 75 % to 100 % across the page: no word at all). The paper's brightness is
    the brightest pixel around each point of a reduced copy (text is thinner than the
    window), blurred; dividing by it makes the paper white everywhere, for about
    0.05 s at 200 dpi. A page lit evenly (every scanner's) is returned as it is.
    """
    reduced = image.reduce(_LIGHT_SAMPLE)
    paper = reduced.filter(ImageFilter.MaxFilter(_LIGHT_WINDOW)).filter(ImageFilter.GaussianBlur(_LIGHT_BLUR))
    levels = np.asarray(paper, dtype=np.float32)
    low, high = np.percentile(levels, (2, 98))
    if high - low < _UNEVEN_LIGHT:
        return image
    full = np.asarray(paper.resize(image.size, Image.Resampling.BILINEAR), dtype=np.float32)
    even = np.asarray(image, dtype=np.float32) * 255.0 / np.maximum(full, 1.0)
    return Image.fromarray(np.clip(even, 0, 255).astype(np.uint8))


def straighten(raster: Raster) -> Raster:
    """Rotate the image so its text lines are level, if they measurably are not.

    At 150 dpi, deskewing a 1.5-2.5° scan cut tesseract's character error from
    1.4-2.0 % to 0.3 %; tesseract copes with small skew itself, so below
    0.1° nothing is rotated.
    """
    angle = estimate_skew(raster.image)
    if abs(angle) < _MIN_ROTATION_DEGREES:
        return replace(raster, skew_degrees=angle)
    image, matrix = _rotate(raster.image, angle)
    return replace(raster, image=image, skew_degrees=angle, rotation=matrix)


def estimate_skew(image: Image.Image) -> float:
    """The slope of the text lines in degrees (positive: falling to the right), or 0.0 if unclear.

    Projection profile: the dark pixels of a downscaled image are projected onto the
    vertical axis at each candidate angle; at the right angle, text lines fall into
    few rows, so the sum of squared row counts peaks.
    """
    factor = max(1, image.width // _SKEW_SAMPLE_WIDTH)
    pixels = np.asarray(image.reduce(factor) if factor > 1 else image)
    # A fixed threshold is enough here: ink on a scan is far below mid-grey, paper above.
    rows, columns = np.nonzero(pixels < 128)
    if rows.size < _MIN_INK_PIXELS:
        return 0.0
    step = max(1, rows.size // _MAX_INK_SAMPLES)
    ys = rows[::step].astype(np.float64)
    xs = columns[::step].astype(np.float64) - pixels.shape[1] / 2

    def sharpness(degrees: float) -> float:
        theta = math.radians(degrees)
        projected = ys * math.cos(theta) - xs * math.sin(theta)
        counts = np.bincount((projected - projected.min()).astype(np.int64)).astype(np.float64)
        return float(np.dot(counts, counts))

    steps = round(_MAX_SKEW_DEGREES / _COARSE_STEP)
    coarse = [index * _COARSE_STEP for index in range(-steps, steps + 1)]
    scores = [sharpness(angle) for angle in coarse]
    if max(scores) < _MIN_PROFILE_PEAK * (sum(scores) / len(scores)):
        return 0.0
    best = coarse[int(np.argmax(scores))]
    low = max(-_MAX_SKEW_DEGREES, best - _COARSE_STEP)
    high = min(_MAX_SKEW_DEGREES, best + _COARSE_STEP)
    fine = [float(angle) for angle in np.arange(low, high + 1e-9, _FINE_STEP)]
    # To the search's own precision: the digits below it are float noise, and the rotation
    # (so OCR) would differ with them from one grid to the next.
    level: float = max(fine, key=sharpness)
    return round(level, 2)


def _rotate(
    image: Image.Image, degrees: float
) -> tuple[Image.Image, tuple[float, float, float, float, float, float]]:
    """Rotate so lines sloping by ``degrees`` become level; the canvas grows to keep every corner.

    Returns the image and the matrix it was made with (output pixel -> input pixel),
    which :meth:`Raster.page_box` uses to map boxes back. Bicubic, not bilinear:
    character error 0.7 % against 1.1 % on 150 dpi scans, at the same speed.
    """
    theta = math.radians(degrees)
    cos, sin = math.cos(theta), math.sin(theta)
    width, height = image.size
    # The output is the input turned by -theta; its size is the box around the turned corners.
    out_width = math.ceil(abs(width * cos) + abs(height * sin))
    out_height = math.ceil(abs(width * sin) + abs(height * cos))
    # input = R(theta) @ (output - output_centre) + input_centre
    c = width / 2 - cos * out_width / 2 + sin * out_height / 2
    f = height / 2 - sin * out_width / 2 - cos * out_height / 2
    matrix = (cos, -sin, c, sin, cos, f)
    rotated = image.transform(
        (out_width, out_height),
        Image.Transform.AFFINE,
        matrix,
        resample=Image.Resampling.BICUBIC,
        fillcolor=255,
    )
    return rotated, matrix


def _scan_render_dpi(scan_dpi: float) -> float:
    """The resolution to draw a scan of ``scan_dpi`` at (the table in the module docstring)."""
    return min(SCAN_MAX_DPI, max(scan_dpi, min(SCAN_DPI, MAX_UPSCALE * scan_dpi)))


def _clamp(clip: BBox, width: float, height: float) -> BBox:
    box = BBox(max(0.0, clip.x0), max(0.0, clip.top), min(width, clip.x1), min(height, clip.bottom))
    if box.x1 - box.x0 < 1 or box.bottom - box.top < 1:
        raise ValueError("the clip does not overlap the page")
    return box


def _scan_dpi(page: Any, area: BBox, width: float, height: float) -> float | None:
    """The resolution of the one image covering ``area``, if there is exactly one.

    ``page`` is a ``pypdfium2.PdfPage`` (the library has no type information).
    """
    found: list[float] = []
    for obj in islice(page.get_objects(max_depth=2), _MAX_OBJECTS_INSPECTED):
        if obj.type != pdfium_c.FPDF_PAGEOBJ_IMAGE:
            continue
        box = _display_box(obj.get_bounds(), page, width, height)
        overlap = max(0.0, min(box.x1, area.x1) - max(box.x0, area.x0)) * max(
            0.0, min(box.bottom, area.bottom) - max(box.top, area.top)
        )
        if overlap < _SCAN_COVERAGE * (area.x1 - area.x0) * (area.bottom - area.top):
            continue
        left, bottom, right, top = obj.get_bounds()
        pixels_wide, pixels_high = obj.get_px_size()
        if right - left > 0 and top - bottom > 0:
            found.append(72 * min(pixels_wide / (right - left), pixels_high / (top - bottom)))
    return found[0] if len(found) == 1 else None


def _display_box(bounds: tuple[float, float, float, float], page: Any, width: float, height: float) -> BBox:
    """PDF user-space ``(left, bottom, right, top)`` -> the displayed page's top-left coordinates.

    Object bounds ignore the page's ``/Rotate`` and crop-box origin; rendering does not.
    """
    left, bottom, right, top = bounds
    crop_left, crop_bottom, _, _ = page.get_cropbox()
    rotation = page.get_rotation()
    x0, x1 = left - crop_left, right - crop_left
    y0, y1 = bottom - crop_bottom, top - crop_bottom
    # /Rotate turns the page clockwise; width/height are the displayed sides.
    if rotation == 90:
        return BBox(y0, x0, y1, x1)
    if rotation == 180:
        return BBox(width - x1, y0, width - x0, y1)
    if rotation == 270:
        return BBox(width - y1, height - x1, width - y0, height - x0)
    return BBox(x0, height - y1, x1, height - y0)
