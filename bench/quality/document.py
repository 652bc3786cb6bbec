"""A layout-neutral description of a report page flow, rendered by each back end.

A family composes a :class:`Document` from blocks (letterhead, field grids, tables,
sections, boxes); :mod:`bench.quality.render` turns it into a PDF with fpdf2, reportlab
or Chromium. Each back end lays the blocks out with its own engine (its own line
breaking, spacing and content-stream order), so the same document does not produce the
same text layer twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class FieldStyle(str, Enum):
    """How label/value pairs are laid out."""

    INLINE = "inline"  # "Name: X   DOB: Y   MRN: Z" across one line
    STACKED = "stacked"  # small label above its value, in a grid
    CELLS = "cells"  # label cell and value cell side by side, ruled


class TableStyle(str, Enum):
    """How a table is drawn."""

    GRID = "grid"  # every cell ruled
    LINES = "lines"  # a rule under the header and under the table only
    PLAIN = "plain"  # no rules: columns aligned by position only
    PIPE = "pipe"  # plain-text lines "Potassium | 4.1 | mmol/L | 3.5-5.1 |"
    MONO = "mono"  # fixed-width text padded with spaces, as LIS printouts are


class DrawOrder(str, Enum):
    """In which order a table's cells go into the content stream."""

    ROWS = "rows"
    COLUMNS = "columns"  # column 1 top to bottom, then column 2, ...
    REVERSED = "reversed"  # right-most column first


@dataclass(frozen=True)
class Cell:
    """One table cell."""

    text: str
    bold: bool = False


@dataclass(frozen=True)
class Row:
    """A table row; ``heading`` rows are panel sub-headings spanning the table."""

    cells: tuple[Cell, ...]
    heading: bool = False


@dataclass(frozen=True)
class Letterhead:
    """The facility block at the top of the first page."""

    name: str
    lines: tuple[str, ...] = ()
    centered: bool = False


@dataclass(frozen=True)
class Title:
    """The document title, e.g. "DISCHARGE SUMMARY"."""

    text: str
    size: float = 14


@dataclass(frozen=True)
class Fields:
    """Label/value pairs, ``columns`` pairs per line or grid row."""

    pairs: tuple[tuple[str, str], ...]
    columns: int = 3
    style: FieldStyle = FieldStyle.INLINE


@dataclass(frozen=True)
class Table:
    """A table; ``widths`` are fractions of the text width, one per column."""

    header: tuple[str, ...] | None
    rows: tuple[Row, ...]
    widths: tuple[float, ...]
    style: TableStyle = TableStyle.GRID
    order: DrawOrder = DrawOrder.ROWS
    caption: str | None = None


@dataclass(frozen=True)
class Section:
    """A heading and its paragraphs; ``inline`` puts the heading in front of the first paragraph."""

    heading: str
    paragraphs: tuple[str, ...] = ()
    inline: bool = False


@dataclass(frozen=True)
class ItemList:
    """A numbered or bulleted list, optionally under a heading."""

    items: tuple[str, ...]
    heading: str | None = None
    numbered: bool = True


@dataclass(frozen=True)
class Card:
    """One infographic box: a caption, a big number and a small note."""

    caption: str
    big: str
    note: str = ""
    highlight: bool = False


@dataclass(frozen=True)
class Cards:
    """A row (or rows) of infographic boxes."""

    cards: tuple[Card, ...]
    columns: int = 3


@dataclass(frozen=True)
class Columns:
    """Short blocks side by side, each column filled top to bottom (kept on one page).

    Back ends write the left column before the right one, so a reader that goes line by
    line across the page mixes them.
    """

    columns: tuple[tuple[Fields | Table | Section | ItemList, ...], ...]


@dataclass(frozen=True)
class Rule:
    """A horizontal rule across the text width."""


@dataclass(frozen=True)
class PageBreak:
    """Start a new page."""


Block = Letterhead | Title | Fields | Table | Section | ItemList | Cards | Columns | Rule | PageBreak


@dataclass(frozen=True)
class Document:
    """A report to render.

    ``header`` is repeated at the top of every page after the first (or every page when
    ``header_on_first``); ``footer`` at the bottom of every page, where ``{page}`` and
    ``{pages}`` are replaced by the page number and count. ``watermark`` is drawn large,
    light and diagonal behind the content of every page.
    """

    title: str
    blocks: tuple[Block, ...]
    header: str | None = None
    header_on_first: bool = False
    footer: str | None = None
    watermark: str | None = None
    page_size: str = "letter"  # "letter" | "a4"
    serif: bool = False
    font_size: float = 9.5


def all_text(document: Document) -> str:
    """Every string in ``document``; back ends use it to decide whether a Unicode font is needed."""
    furniture = [document.title, document.header or "", document.footer or "", document.watermark or ""]
    return "\n".join(furniture + [_text(block) for block in document.blocks])


def _text(block: Block) -> str:
    parts: list[str] = []
    match block:
        case Letterhead():
            parts += [block.name, *block.lines]
        case Title():
            parts.append(block.text)
        case Fields():
            parts += [text for pair in block.pairs for text in pair]
        case Table():
            parts += [*(block.header or ()), block.caption or ""]
            parts += [cell.text for row in block.rows for cell in row.cells]
        case Section():
            parts += [block.heading, *block.paragraphs]
        case ItemList():
            parts += [block.heading or "", *block.items]
        case Cards():
            parts += [text for card in block.cards for text in (card.caption, card.big, card.note)]
        case Columns():
            parts += [_text(inner) for column in block.columns for inner in column]
    return "\n".join(parts)


def text_lines(block: Table) -> list[tuple[str, bool]]:
    """A ``PIPE`` or ``MONO`` table as (text, bold) lines: cells joined by pipes, or padded to fixed widths."""
    rows = [Row(tuple(Cell(text, bold=True) for text in block.header))] if block.header else []
    rows += block.rows
    if block.style is TableStyle.PIPE:
        return [
            (" | ".join(cell.text for cell in row.cells) + ("" if row.heading else " |"), row.heading)
            for row in rows
        ]
    widths = [0] * len(block.widths)
    for row in rows:
        if not row.heading:
            for index, cell in enumerate(row.cells):
                widths[index] = max(widths[index], len(cell.text))
    lines = []
    for number, row in enumerate(rows):
        if row.heading:
            lines.append((row.cells[0].text, True))
            continue
        lines.append(
            ("  ".join(cell.text.ljust(widths[i]) for i, cell in enumerate(row.cells)).rstrip(), False)
        )
        if number == 0 and block.header:
            lines.append(("  ".join("-" * width for width in widths), False))
    return lines
