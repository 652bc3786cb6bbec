"""Small documents for rule tests, built from the engine's model without any PDF.

``page(...)`` lays items out top to bottom the way the engine reports them: a ``str``
is a one-line block, ``heading("...")`` a heading block, ``table([...])`` a table
(first row its header unless ``header_rows=0``). Words get boxes on a 12-point grid,
so rules that look at positions see a plausible page.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from lib.documents import BBox, Block, Cell, Document, Line, Page, Table, TextSource, Word

CHAR = 5.0
LINE = 14.0
# On an OCR page these words get the low confidence OCR gives misread micro signs, and
# numbers whose decimal points it saw but could not put back.
OCR_DOUBTS = {"pg/L": 0.3, "ug/L": 0.3, "34-108": 0.2, "1947-09-09": 0.2, "RH-0093821": 0.2}


@dataclass(frozen=True)
class Heading:
    text: str


@dataclass(frozen=True)
class Rows:
    rows: Sequence[Sequence[str]]
    header_rows: int = 1
    continues: bool = False


def heading(text: str) -> Heading:
    return Heading(text)


def table(rows: Sequence[Sequence[str]], header_rows: int = 1, continues: bool = False) -> Rows:
    return Rows(rows, header_rows, continues)


def _words(
    text: str, x: float, top: float, number: int, source: TextSource, confidence: float | None
) -> list[Word]:
    words = []
    for token in text.split():
        width = CHAR * len(token)
        sure = OCR_DOUBTS.get(token, confidence) if confidence is not None else None
        words.append(Word(token, BBox(x, top, x + width, top + 10.0), number, source, sure))
        x += width + CHAR
    return words


def page(
    *items: str | Heading | Rows,
    number: int = 1,
    source: TextSource = TextSource.TEXT_LAYER,
    confidence: float | None = None,
) -> Page:
    top = 40.0
    lines: list[Line] = []
    blocks: list[Block] = []
    tables: list[Table] = []
    for item in items:
        if isinstance(item, Rows):
            width = max(len(row) for row in item.rows)
            starts = [40.0 + 110.0 * index for index in range(width)]
            start_top = top
            cell_rows = []
            table_lines = []
            for row in item.rows:
                cells = []
                row_words: list[Word] = []
                for index, text in enumerate(row):
                    words = _words(text, starts[index], top, number, source, confidence)
                    box = BBox(starts[index], top, starts[index] + 100.0, top + 10.0)
                    cells.append(Cell(text, box, tuple(words)))
                    row_words.extend(words)
                cell_rows.append(tuple(cells))
                if row_words:
                    table_lines.append(Line(tuple(row_words), number))
                top += LINE
            tables.append(
                Table(
                    number,
                    BBox(40.0, start_top, 40.0 + 110.0 * width, top),
                    tuple(cell_rows),
                    header_rows=item.header_rows,
                    continues=item.continues,
                )
            )
            lines.extend(table_lines)
            blocks.append(Block(tuple(table_lines), number))
            top += LINE
            continue
        text = item.text if isinstance(item, Heading) else item
        line = Line(tuple(_words(text, 40.0, top, number, source, confidence)), number)
        lines.append(line)
        blocks.append(Block((line,), number, heading=isinstance(item, Heading)))
        top += LINE
    every_word = tuple(word for line in lines for word in line.words)
    return Page(number, 612.0, 792.0, every_word, tuple(lines), tuple(blocks), tuple(tables), source=source)


def document(*pages: Page) -> Document:
    return Document(tuple(pages))
