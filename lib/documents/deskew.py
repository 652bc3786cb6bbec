"""Skewed OCR words made level for layout, and the laid-out page mapped back onto the scan.

OCR reads a straightened image but reports each word's box on the original, skewed
page (:mod:`lib.documents.ocr`): there the words of one line do not share a vertical
position, and a 2° slope moves the end of an A4 line by 17 pt, more than a line's
height. Rows, columns and tables are therefore found on *level* copies of the words
(each box turned about the page centre by the measured skew), and the page built
from them is then given back its original words and boxes (:func:`restore_page`), so
provenance always points at the page as uploaded.

A reported box is the upright box around a turned word; its level box is the word's
own box, recovered from the reported one and the angle (:meth:`Level.level_box`),
so turning it back gives the reported box again (:meth:`Level.page_box`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from lib.documents.model import BBox, Block, Cell, KeyValue, Line, Page, Table, Word

# Below this the words' boxes are used as they are: the shift along an A4 line is < 1 pt.
MIN_LEVEL_DEGREES = 0.1


@dataclass(frozen=True)
class Level:
    """A turn by ``degrees`` (the scan's skew, positive: falling to the right) about ``centre``."""

    degrees: float
    centre: tuple[float, float]

    def level_box(self, box: BBox) -> BBox:
        """The box ``box`` (upright, around a word sloping by :attr:`degrees`) would have on a level page."""
        theta = math.radians(self.degrees)
        cos, sin = math.cos(theta), abs(math.sin(theta))
        width, height = box.x1 - box.x0, box.bottom - box.top
        # The upright box of a w x h word turned by theta is (w cos + h sin) x (w sin + h cos).
        det = cos * cos - sin * sin
        own_width = max((width * cos - height * sin) / det, min(width, 1.0))
        own_height = max((height * cos - width * sin) / det, min(height, 1.0))
        x, y = self._turn((box.x0 + box.x1) / 2, (box.top + box.bottom) / 2, -theta)
        return BBox(x - own_width / 2, y - own_height / 2, x + own_width / 2, y + own_height / 2)

    def level_point(self, x: float, y: float) -> tuple[float, float]:
        """Where the page position ``(x, y)`` lies on the level page."""
        return self._turn(x, y, -math.radians(self.degrees))

    def page_box(self, box: BBox) -> BBox:
        """The upright box, on the skewed page, around the level box ``box`` turned back."""
        theta = math.radians(self.degrees)
        corners = [self._turn(x, y, theta) for x in (box.x0, box.x1) for y in (box.top, box.bottom)]
        xs = [x for x, _ in corners]
        ys = [y for _, y in corners]
        return BBox(min(xs), min(ys), max(xs), max(ys))

    def _turn(self, x: float, y: float, theta: float) -> tuple[float, float]:
        """``(x, y)`` turned by ``theta`` about the centre (positive: clockwise on the page, y down)."""
        cx, cy = self.centre
        cos, sin = math.cos(theta), math.sin(theta)
        dx, dy = x - cx, y - cy
        return cx + dx * cos - dy * sin, cy + dx * sin + dy * cos


def level_words(words: Sequence[Word], level: Level) -> tuple[list[Word], dict[int, Word]]:
    """Level copies of ``words`` and, by ``id`` of each copy, the word it was made from."""
    copies: list[Word] = []
    originals: dict[int, Word] = {}
    for word in words:
        copy = replace(word, bbox=level.level_box(word.bbox))
        copies.append(copy)
        originals[id(copy)] = word
    return copies, originals


def needs_levelling(degrees: float) -> bool:
    """True when a skew of ``degrees`` is worth undoing before layout."""
    return abs(degrees) >= MIN_LEVEL_DEGREES


@dataclass(frozen=True)
class _Restorer:
    originals: dict[int, Word]
    level: Level

    def word(self, word: Word) -> Word:
        original = self.originals.get(id(word))
        if original is not None:
            return original
        # A piece cut from a level word (a "|" split): its box turned back.
        return replace(word, bbox=self.level.page_box(word.bbox))

    def words(self, words: Sequence[Word]) -> tuple[Word, ...]:
        return tuple(self.word(word) for word in words)

    def box(self, box: BBox | None, words: Sequence[Word] = ()) -> BBox | None:
        if words:
            found = words[0].bbox
            for word in words[1:]:
                found = found.union(word.bbox)
            return found
        return None if box is None else self.level.page_box(box)

    def line(self, line: Line) -> Line:
        return Line(self.words(line.words), line.page)

    def cell(self, cell: Cell) -> Cell:
        words = self.words(cell.words)
        return Cell(cell.text, self.box(cell.bbox, words), words)

    def table(self, table: Table) -> Table:
        rows = tuple(tuple(self.cell(cell) for cell in row) for row in table.rows)
        return replace(table, bbox=self.level.page_box(table.bbox), rows=rows)

    def pair(self, pair: KeyValue) -> KeyValue:
        words = self.words(pair.value_words)
        return replace(
            pair,
            label_bbox=self.box(pair.label_bbox),
            value_bbox=self.box(pair.value_bbox, words),
            value_words=words,
        )


def restore_page(page: Page, originals: dict[int, Word], level: Level) -> Page:
    """``page``, laid out from level words, with the original words and boxes put back.

    ``originals`` maps ``id`` of each level word to its original (:func:`level_words`);
    boxes that are not a word's (cells, tables, pairs) are turned back with ``level``.
    """
    restore = _Restorer(originals, level)
    lines = {id(line): restore.line(line) for line in (*page.lines, *page.furniture)}
    blocks = tuple(
        Block(
            tuple(lines.get(id(line)) or restore.line(line) for line in block.lines),
            block.page,
            block.heading,
        )
        for block in page.blocks
    )
    content = tuple(lines[id(line)] for line in page.lines)
    return replace(
        page,
        words=tuple(word for line in content for word in line.words),
        lines=content,
        blocks=blocks,
        tables=tuple(restore.table(table) for table in page.tables),
        key_values=tuple(restore.pair(pair) for pair in page.key_values),
        furniture=tuple(lines[id(line)] for line in page.furniture),
    )
