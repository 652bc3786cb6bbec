"""The document model: what a report PDF becomes before any field is read from it.

A :class:`Document` is pages in upload order (numbered 1.. across all files of one
report); a :class:`Page` holds its words with coordinates, the lines and blocks they
form in *reading* order, the tables and key-value pairs found on it, and the
running furniture (headers, footers, watermarks) set aside from the content.

Coordinates are PDF points on the page, origin at the top-left corner, ``y``
growing downwards (as pdfplumber and renderers report them): ``(x0, top, x1, bottom)``.
OCR words are mapped back to the same space, so a bounding box means the same
thing whichever way the text was read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


@dataclass(frozen=True)
class BBox:
    """A rectangle in PDF points, top-left origin: ``x0 <= x1``, ``top <= bottom``."""

    x0: float
    top: float
    x1: float
    bottom: float

    def as_list(self) -> list[float]:
        """``[x0, y0, x1, y1]`` rounded to 0.01 pt, the form the API returns."""
        return [round(self.x0, 2), round(self.top, 2), round(self.x1, 2), round(self.bottom, 2)]

    def union(self, other: BBox) -> BBox:
        """The smallest box holding both."""
        return BBox(
            min(self.x0, other.x0),
            min(self.top, other.top),
            max(self.x1, other.x1),
            max(self.bottom, other.bottom),
        )


class TextSource(str, Enum):
    """Where a word's text came from."""

    TEXT_LAYER = "text"
    OCR = "ocr"


@dataclass(frozen=True)
class Word:
    """One word: its text, where it is, and how sure we are of it (OCR confidence 0..1)."""

    text: str
    bbox: BBox
    page: int
    source: TextSource = TextSource.TEXT_LAYER
    confidence: float | None = None
    bold: bool = False
    font_size: float | None = None


@dataclass(frozen=True)
class Rule:
    """A ruling line drawn on a page, from ``(x0, y0)`` to ``(x1, y1)`` in page points.

    OCR reports the rules of a scanned table where the scan has them: on a skewed
    scan a horizontal rule slopes with the text.
    """

    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class Line:
    """Words on one visual line of one column, left to right."""

    words: tuple[Word, ...]
    page: int

    @property
    def text(self) -> str:
        """The words joined by single spaces."""
        return " ".join(word.text for word in self.words)

    @property
    def bbox(self) -> BBox:
        """The box around every word."""
        box = self.words[0].bbox
        for word in self.words[1:]:
            box = box.union(word.bbox)
        return box


@dataclass(frozen=True)
class Block:
    """Consecutive lines of one column that belong together (a paragraph, a heading, a list).

    ``heading`` marks a one-line block set apart as a heading: bold or larger than the
    body text, or a short line ending with ':' or in capitals.
    """

    lines: tuple[Line, ...]
    page: int
    heading: bool = False

    @property
    def text(self) -> str:
        """The lines joined by newlines."""
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class Cell:
    """One table cell; ``text`` joins a multi-line cell's lines with spaces."""

    text: str
    bbox: BBox | None
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Table:
    """Rows of cells on one page; ``header_rows`` rows at the top are column headings.

    ``continues`` is true when the table carries on a table of the previous page
    (same columns, no header of its own, or its header repeated).
    """

    page: int
    bbox: BBox
    rows: tuple[tuple[Cell, ...], ...]
    header_rows: int = 0
    continues: bool = False

    @property
    def header(self) -> tuple[str, ...]:
        """The column headings (header rows joined per column), or empty strings."""
        if not self.rows:
            return ()
        width = max(len(row) for row in self.rows)
        heads = ["" for _ in range(width)]
        for row in self.rows[: self.header_rows]:
            for index, cell in enumerate(row):
                heads[index] = f"{heads[index]} {cell.text}".strip()
        return tuple(heads)

    @property
    def body(self) -> tuple[tuple[Cell, ...], ...]:
        """The rows below the header."""
        return self.rows[self.header_rows :]


@dataclass(frozen=True)
class KeyValue:
    """A label and its value ("DOB: 1951-06-10", a label cell and the cell beside or below it)."""

    label: str
    value: str
    page: int
    label_bbox: BBox | None
    value_bbox: BBox | None
    value_words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Page:
    """One page: content in reading order, with furniture set aside.

    ``words`` are the content words in reading order (those of ``lines``); the
    furniture's words are only in ``furniture``. ``source`` says how its text was
    read (a text page may still hold OCR words from a scan pasted onto it: see each
    word's ``source``); ``unread`` is true when neither the text layer nor OCR gave
    anything (the page is reported in the document's warnings).
    """

    number: int
    width: float
    height: float
    words: tuple[Word, ...]
    lines: tuple[Line, ...]
    blocks: tuple[Block, ...]
    tables: tuple[Table, ...] = ()
    key_values: tuple[KeyValue, ...] = ()
    furniture: tuple[Line, ...] = ()
    source: TextSource = TextSource.TEXT_LAYER
    unread: bool = False
    file: int = 1  # the file it is in: 1-based position in the upload


@dataclass(frozen=True)
class DocumentWarning:
    """Something the engine could not do, stated without document content."""

    code: str
    message: str
    page: int | None = None


@dataclass(frozen=True)
class Document:
    """Every page of one report (all its files, in upload order)."""

    pages: tuple[Page, ...]
    warnings: tuple[DocumentWarning, ...] = field(default=())

    @property
    def file_pages(self) -> tuple[int, ...]:
        """How many pages each file has, in upload order."""
        counts: dict[int, int] = {}
        for page in self.pages:
            counts[page.file] = counts.get(page.file, 0) + 1
        return tuple(counts[file] for file in sorted(counts))

    @property
    def text(self) -> str:
        """All content lines, page after page (furniture excluded)."""
        return "\n".join(line.text for page in self.pages for line in page.lines)
