"""Visual rows: words that share a vertical position, whatever column they are in.

Rows are the unit the layout works on. A row is split into *segments* where its
words leave a gap wider than ordinary word spacing; the gaps that line up over
several rows are the gutters between columns.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property

from lib.documents.model import BBox, Line, TextSource, Word

# A gap wider than this share of the font size separates segments (about two spaces).
SEGMENT_GAP = 0.6
# An OCR word counts as at most this many times the page's median OCR word height in rows.
MAX_OCR_HEIGHT = 1.5


def word_size(word: Word) -> float:
    """The word's font size; for OCR words (no font) the height of its box."""
    return word.font_size or max(word.bbox.bottom - word.bbox.top, 1.0)


def words_box(words: Iterable[Word]) -> BBox:
    """The box around ``words`` (at least one)."""
    boxes = [word.bbox for word in words]
    return BBox(
        min(b.x0 for b in boxes),
        min(b.top for b in boxes),
        max(b.x1 for b in boxes),
        max(b.bottom for b in boxes),
    )


@dataclass(frozen=True)
class Row:
    """Words on one visual row, left to right."""

    words: tuple[Word, ...]

    @cached_property
    def box(self) -> BBox:
        """The box around the row."""
        return words_box(self.words)

    @cached_property
    def size(self) -> float:
        """The row's typical font size."""
        return statistics.median(word_size(word) for word in self.words)

    @cached_property
    def bold(self) -> bool:
        """True when most of the row's words are bold."""
        return sum(1 for word in self.words if word.bold) * 2 > len(self.words)

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(word.text for word in self.words)

    @cached_property
    def segments(self) -> tuple[tuple[Word, ...], ...]:
        """Runs of words separated by wide gaps."""
        return split_at_gaps(self.words)

    def line(self, page: int) -> Line:
        """The row as a model line."""
        return Line(self.words, page)


def split_at_gaps(words: Sequence[Word]) -> tuple[tuple[Word, ...], ...]:
    """``words`` (left to right) split where the gap exceeds :data:`SEGMENT_GAP` x font size."""
    if not words:
        return ()
    segments: list[tuple[Word, ...]] = []
    current = [words[0]]
    for word in words[1:]:
        previous = current[-1]
        if word.bbox.x0 - previous.bbox.x1 > SEGMENT_GAP * max(word_size(word), word_size(previous)):
            segments.append(tuple(current))
            current = []
        current.append(word)
    segments.append(tuple(current))
    return tuple(segments)


def group_rows(words: Iterable[Word]) -> list[Row]:
    """``words`` grouped into rows, top to bottom, each left to right.

    A word joins the row whose first word it is vertically centred with (within half
    that word's height), so superscripts and slightly offset columns stay together.
    An OCR box far taller than the page's usual OCR word (tesseract reading a column
    of list numbers as one "word") counts as :data:`MAX_OCR_HEIGHT` usual heights at
    most, so it cannot pull several lines into one row.
    """
    ordered = sorted(words, key=lambda w: (w.bbox.top + w.bbox.bottom) / 2)
    ocr_heights = [w.bbox.bottom - w.bbox.top for w in ordered if w.source is TextSource.OCR]
    tallest = MAX_OCR_HEIGHT * statistics.median(ocr_heights) if ocr_heights else 0.0
    groups: list[list[Word]] = []
    anchor = tolerance = 0.0
    for word in ordered:
        middle = (word.bbox.top + word.bbox.bottom) / 2
        if groups and middle - anchor <= tolerance:
            groups[-1].append(word)
            continue
        groups.append([word])
        anchor = middle
        height = word.bbox.bottom - word.bbox.top
        if word.source is TextSource.OCR:
            height = min(height, tallest)
        tolerance = 0.5 * height
    return [Row(tuple(sorted(group, key=lambda w: w.bbox.x0))) for group in groups]


def split_word(word: Word, separator: str) -> list[Word]:
    """``word`` cut around each ``separator`` character, boxes shared out by character count.

    Used for "|" so a pipe-separated row has separators as words of their own
    whether a generator drew spaces around them or not (and for OCR words, which
    have no character boxes).
    """
    if separator not in word.text or word.text == separator:
        return [word]
    pieces: list[str] = []
    for part in word.text.split(separator):
        if part:
            pieces.append(part)
        pieces.append(separator)
    pieces.pop()
    out: list[Word] = []
    start = 0
    for piece in pieces:
        out.append(slice_word(word, start, start + len(piece)))
        start += len(piece)
    return out


def slice_word(word: Word, start: int, end: int) -> Word:
    """Characters ``start:end`` of ``word`` as a word, its box estimated by character count."""
    step = (word.bbox.x1 - word.bbox.x0) / max(len(word.text), 1)
    return Word(
        text=word.text[start:end],
        bbox=BBox(word.bbox.x0 + step * start, word.bbox.top, word.bbox.x0 + step * end, word.bbox.bottom),
        page=word.page,
        source=word.source,
        confidence=word.confidence,
        bold=word.bold,
        font_size=word.font_size,
    )
