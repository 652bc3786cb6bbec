"""Skewed scans: OCR words straightened and laid out again before any rule reads them.

A scan is rarely square: a 1° tilt moves a row's right end half a line up, so the
engine's rows (words at the same height) break apart and tables vanish. Until the
engine deskews OCR words itself, this module estimates the tilt of each OCR page
from its words (the slope that lines their centres up best: the sharpest histogram
of heights), rotates the words back and runs the engine's own layout on them. A page
read from its text layer, or an OCR page that is already straight, is left as it is.

The straightened words carry their original text, confidence and source; their boxes
are in the straightened frame (within a few points of the scan's).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace

from lib.documents import BBox, Document, Page, TextSource, Word
from lib.documents.layout import lay_out
from lib.documents.tables import mark_continuations

__all__ = ["estimate_slope", "straighten"]

# Tilts tried, as dy/dx: about ±3°, in steps of about 0.06°.
_MAX_SLOPE = 0.05
_STEP = 0.001
# Below this tilt a page is left as the engine laid it out.
_MIN_SLOPE = 0.002
_BIN = 2.0
_MIN_WORDS = 12


def _sharpness(words: Sequence[Word], slope: float) -> int:
    bins = Counter(
        int(((w.bbox.top + w.bbox.bottom) / 2 - slope * (w.bbox.x0 + w.bbox.x1) / 2) // _BIN) for w in words
    )
    return sum(count * count for count in bins.values())


def estimate_slope(words: Sequence[Word]) -> float:
    """The tilt (dy per dx) that lines the words' centres up into the fewest, fullest rows."""
    if len(words) < _MIN_WORDS:
        return 0.0
    steps = int(_MAX_SLOPE / _STEP)
    coarse = max(range(-steps, steps + 1, 5), key=lambda k: _sharpness(words, k * _STEP))
    fine = max(range(coarse - 5, coarse + 6), key=lambda k: _sharpness(words, k * _STEP))
    return fine * _STEP


def _rotate(word: Word, slope: float, centre_x: float, centre_y: float) -> Word:
    cos = 1 / math.sqrt(1 + slope * slope)
    sin = slope * cos
    box = word.bbox
    mid_x, mid_y = (box.x0 + box.x1) / 2 - centre_x, (box.top + box.bottom) / 2 - centre_y
    # Rotate the centre by -angle; keep the word's own width and height.
    new_x = mid_x * cos + mid_y * sin + centre_x
    new_y = -mid_x * sin + mid_y * cos + centre_y
    half_w, half_h = (box.x1 - box.x0) / 2, (box.bottom - box.top) / 2
    return replace(word, bbox=BBox(new_x - half_w, new_y - half_h, new_x + half_w, new_y + half_h))


def _straight_page(page: Page) -> Page:
    if page.source is not TextSource.OCR or page.unread or not page.words:
        return page
    slope = estimate_slope(page.words)
    if abs(slope) < _MIN_SLOPE:
        return page
    words = [_rotate(word, slope, page.width / 2, page.height / 2) for word in page.words]
    layout = lay_out(words, page=page.number)
    return replace(
        page,
        words=tuple(word for line in layout.lines for word in line.words),
        lines=layout.lines,
        blocks=layout.blocks,
        tables=layout.tables,
        key_values=layout.key_values,
    )


def straighten(document: Document) -> Document:
    """``document`` with every tilted OCR page straightened and laid out again."""
    if not any(page.source is TextSource.OCR for page in document.pages):
        return document
    pages = [_straight_page(page) for page in document.pages]
    return replace(document, pages=tuple(mark_continuations(pages)))
