"""Characters of a text layer become words, and rotated or ghost text is set aside.

The input is the page's drawn characters with their positions (:class:`Glyph`, made
by :mod:`lib.documents.pdf` from pdfminer's layout objects), so words are built from
where characters are drawn, not from the order a generator wrote them (generators
draw tables column by column and the right column first). Text is kept
as drawn apart from typographic ligatures and invisible characters: no Unicode
normalisation, so "µ" (micro sign) and "μ" (mu) stay what the document says.
"""

from __future__ import annotations

import re
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from lib.documents.model import BBox, Line, Word

_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
# Zero-width and soft-hyphen characters: invisible on the page, noise in a word.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u00ad")
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demibold", re.IGNORECASE)
# pdfminer writes "(cid:123)" for a glyph its font gives no Unicode for.
_UNMAPPED = re.compile(r"\(cid:\d+\)")

# A gap wider than this share of the font size starts a new word, for generators
# that position words instead of drawing a space character.
_WORD_GAP = 0.18
# An overprinted copy of a glyph this close to the original is "synthetic bold".
_OVERPRINT = 0.8
# Text at least this large and this light (0 black .. 1 white) is a watermark.
_WATERMARK_SIZE = 20.0
_WATERMARK_LIGHTNESS = 0.6


@dataclass(frozen=True)
class TextLayer:
    """What a page's characters gave: content words, set-aside text, and how usable it is.

    ``watermarks`` holds rotated text and large light text, one line per run.
    ``unmapped`` counts glyphs without a Unicode value; a layer made mostly of those
    is no better than an image and is read by OCR instead.
    """

    words: tuple[Word, ...]
    watermarks: tuple[Line, ...]
    glyphs: int
    unmapped: int

    @property
    def usable(self) -> bool:
        """True when the layer has text and most of its glyphs mean something."""
        return bool(self.words) and self.unmapped * 2 < self.glyphs


@dataclass(frozen=True, slots=True)
class Glyph:
    """One drawn character in page points, top-left origin.

    ``matrix`` is the text matrix (rotation and skew show in ``b`` and ``c``),
    ``fill`` the non-stroking colour's components (empty for a pattern).
    """

    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    fontname: str
    matrix: tuple[float, float, float, float, float, float]
    upright: bool
    fill: tuple[float, ...]


@dataclass(slots=True)
class _Glyph:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    size: float
    bold: bool

    @property
    def middle(self) -> float:
        return (self.top + self.bottom) / 2


def read_text_layer(glyphs: Iterable[Glyph], *, page: int, width: float, height: float) -> TextLayer:
    """Words from the ``glyphs`` of page ``page`` (``width`` x ``height`` points)."""
    upright: list[_Glyph] = []
    watermark: list[_Glyph] = []
    count = unmapped = 0
    for glyph in glyphs:
        count += 1
        raw = glyph.text
        if raw == "\ufffd" or (raw.startswith("(cid:") and _UNMAPPED.fullmatch(raw)):
            unmapped += 1
            continue
        text = _clean(raw)
        if not text:
            continue
        # Text drawn outside the page is invisible to a reader: leave it out.
        if not (0 <= (glyph.x0 + glyph.x1) / 2 <= width and 0 <= (glyph.top + glyph.bottom) / 2 <= height):
            continue
        size = glyph.size or glyph.bottom - glyph.top
        kept = _Glyph(text, glyph.x0, glyph.top, glyph.x1, glyph.bottom, size, _bold_font(glyph.fontname))
        (watermark if _is_watermark(glyph, size) else upright).append(kept)
    words = tuple(word for row in _rows(upright) for word in _split_words(row, page))
    return TextLayer(words, _watermark_lines(watermark, page), count, unmapped)


def _clean(raw: str) -> str:
    """The glyph's text with ligatures expanded and invisible characters dropped; " " for blanks."""
    if len(raw) == 1 and raw not in _LIGATURES and raw not in _INVISIBLE:
        return " " if raw.isspace() or unicodedata.category(raw) == "Cc" else raw
    text = "".join(_LIGATURES.get(c, c) for c in raw if c not in _INVISIBLE)
    if text and all(c.isspace() or unicodedata.category(c) == "Cc" for c in text):
        return " "
    return text


@lru_cache(maxsize=256)
def _bold_font(fontname: str) -> bool:
    return bool(_BOLD_FONT.search(fontname))


def _is_watermark(glyph: Glyph, size: float) -> bool:
    a, b, c, d = glyph.matrix[:4]
    if not glyph.upright or abs(b) > 0.05 * abs(a) + 1e-6 or abs(c) > 0.05 * abs(d) + 1e-6:
        return True
    return size >= _WATERMARK_SIZE and _lightness(glyph.fill) >= _WATERMARK_LIGHTNESS


def _lightness(color: tuple[float, ...]) -> float:
    """0 (black) .. 1 (white) for a gray, RGB or CMYK fill; 0 for anything else."""
    if len(color) == 1:
        return color[0]
    if len(color) == 3:
        return 0.299 * color[0] + 0.587 * color[1] + 0.114 * color[2]
    if len(color) == 4:
        cyan, magenta, yellow, black = color
        return (1 - black) * (1 - (0.299 * cyan + 0.587 * magenta + 0.114 * yellow))
    return 0.0


def _rows(glyphs: list[_Glyph]) -> list[list[_Glyph]]:
    """Glyphs grouped by vertical position; superscripts stay with their line."""
    rows: list[list[_Glyph]] = []
    anchor = 0.0
    tolerance = 0.0
    for glyph in sorted(glyphs, key=lambda g: g.middle):
        if rows and glyph.middle - anchor <= tolerance:
            rows[-1].append(glyph)
            continue
        rows.append([glyph])
        anchor = glyph.middle
        tolerance = 0.5 * (glyph.bottom - glyph.top)
    return rows


def _split_words(row: list[_Glyph], page: int) -> list[Word]:
    words: list[Word] = []
    current: list[_Glyph] = []
    synthetic_bold = False
    for glyph in sorted(row, key=lambda g: g.x0):
        if glyph.text == " ":
            synthetic_bold = _flush(current, synthetic_bold, page, words)
            current = []
            continue
        if current:
            last = current[-1]
            if (
                glyph.text == last.text
                and abs(glyph.x0 - last.x0) < _OVERPRINT
                and abs(glyph.top - last.top) < _OVERPRINT
            ):
                synthetic_bold = True
                continue
            gap = glyph.x0 - last.x1
            if gap > _WORD_GAP * max(glyph.size, last.size) or glyph.x0 < last.x0 - last.size:
                synthetic_bold = _flush(current, synthetic_bold, page, words)
                current = []
        current.append(glyph)
    _flush(current, synthetic_bold, page, words)
    return words


def _flush(glyphs: list[_Glyph], synthetic_bold: bool, page: int, out: list[Word]) -> bool:
    """Append the word made of ``glyphs`` to ``out``; returns the reset overprint flag."""
    if glyphs:
        bold_glyphs = sum(1 for g in glyphs if g.bold)
        out.append(
            Word(
                text="".join(g.text for g in glyphs),
                bbox=BBox(
                    min(g.x0 for g in glyphs),
                    min(g.top for g in glyphs),
                    max(g.x1 for g in glyphs),
                    max(g.bottom for g in glyphs),
                ),
                page=page,
                bold=synthetic_bold or bold_glyphs * 2 > len(glyphs),
                font_size=round(statistics.median(g.size for g in glyphs), 1),
            )
        )
    return False


def _watermark_lines(glyphs: Sequence[_Glyph], page: int) -> tuple[Line, ...]:
    """Set-aside glyphs as lines, in drawing order: rotated text has no useful rows."""
    lines: list[Line] = []
    words: list[Word] = []
    current: list[_Glyph] = []
    previous: _Glyph | None = None
    for glyph in glyphs:
        far = previous is not None and (
            abs(glyph.x0 - previous.x0) + abs(glyph.top - previous.top) > 3 * max(glyph.size, previous.size)
        )
        if glyph.text == " " or far:
            _flush(current, False, page, words)
            current = []
        if far and words:
            lines.append(Line(tuple(words), page))
            words = []
        if glyph.text != " ":
            current.append(glyph)
        previous = glyph
    _flush(current, False, page, words)
    if words:
        lines.append(Line(tuple(words), page))
    return tuple(lines)
