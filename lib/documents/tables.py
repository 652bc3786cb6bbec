"""Tables: cells from ruling lines, from aligned words, or from "|" separators.

Whatever found a table, its rows arrive here as lists of cells (each a list of
words), so a table from a scan's OCR words is built exactly like one from a text
layer. This module also decides which rows are headings and which table carries on
a table from the previous page.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from lib.documents.model import BBox, Cell, Line, Page, Table, Word
from lib.documents.rows import group_rows, words_box

Grid = tuple[tuple[BBox | None, ...], ...]
"""A ruled table as pdfplumber finds it: rows of cell boxes, ``None`` where a merged cell spans."""

CellWords = list[Word]

# Words that name a column of a lab or medication table.
_HEADER_VOCABULARY = """
test tests analyte component investigation parameter name result results value values unit units
reference ref range ranges interval normal flag flags status drug drugs medication medications
medicine dose dosage strength route frequency freq sig instructions date time comment comments
remarks code description specimen method indication start stop duration quantity qty
"""
_HEADER_WORDS = frozenset(_HEADER_VOCABULARY.split())
_DIGIT = re.compile(r"\d")
_WORD = re.compile(r"[a-z]+")
# A frame around page content is not a table: no cell of a table holds this many lines.
_MAX_CELL_LINES = 12
# Rows of one filled cell above a table's headings that are taken for fragments, not data.
_MAX_STRAY_ROWS = 1


def cell_of(words: Sequence[Word], bbox: BBox | None = None) -> Cell:
    """A cell holding ``words``; its lines are read top to bottom and joined with spaces."""
    ordered = tuple(word for row in group_rows(words) for word in row.words)
    if bbox is None and ordered:
        bbox = words_box(ordered)
    return Cell(text=" ".join(word.text for word in ordered), bbox=bbox, words=ordered)


def table_from_grid(grid: Grid, words: Sequence[Word], page: int) -> tuple[Table | None, list[Word]]:
    """The ruled table ``grid`` filled with the ``words`` whose centres fall in its cells.

    Returns the table (``None`` when the grid is not a table: fewer than two columns
    or two filled cells, or a frame around whole paragraphs) and the words it took.
    """
    boxes = [box for row in grid for box in row if box is not None]
    if not boxes or max(len(row) for row in grid) < 2:
        return None, []
    area = BBox(
        min(b.x0 for b in boxes),
        min(b.top for b in boxes),
        max(b.x1 for b in boxes),
        max(b.bottom for b in boxes),
    )
    contents: dict[BBox, list[Word]] = {box: [] for box in boxes}
    taken: list[Word] = []
    for word in words:
        x = (word.bbox.x0 + word.bbox.x1) / 2
        y = (word.bbox.top + word.bbox.bottom) / 2
        if not (area.x0 <= x <= area.x1 and area.top <= y <= area.bottom):
            continue
        for box in boxes:
            if box.x0 <= x <= box.x1 and box.top <= y <= box.bottom:
                contents[box].append(word)
                taken.append(word)
                break
    filled = [cell for cell in contents.values() if cell]
    if len(filled) < 2 or any(len(group_rows(cell)) > _MAX_CELL_LINES for cell in filled):
        return None, []
    rows = tuple(
        tuple(Cell("", None) if box is None else cell_of(contents[box], box) for box in row) for row in grid
    )
    return Table(page=page, bbox=area, rows=rows, header_rows=header_row_count(rows)), taken


def table_from_cells(rows: Sequence[Sequence[CellWords]], page: int) -> Table:
    """A table from rows of cells found by word alignment or separators."""
    cells = tuple(tuple(cell_of(cell) for cell in row) for row in rows)
    area = words_box(word for row in rows for cell in row for word in cell)
    return Table(page=page, bbox=area, rows=cells, header_rows=header_row_count(cells))


def merge_wrapped_rows(rows: list[list[CellWords]]) -> list[list[CellWords]]:
    """Visual rows of an unruled table folded into table rows (multi-line cells).

    A row with at most half its cells filled is the wrapped part of a neighbouring
    row's cells: it joins the nearer neighbour (the one above on a tie), unless its
    boldness differs from that neighbour's (a section heading inside the table).
    """
    if len(rows) < 2:
        return rows
    width = len(rows[0])
    merged = [[list(cell) for cell in row] for row in rows]
    index = 0
    while index < len(merged):
        row = merged[index]
        filled = sum(1 for cell in row if cell)
        if filled * 2 > width or len(merged) < 2:
            index += 1
            continue
        gap_above = _gap(merged[index - 1], row) if index > 0 else None
        gap_below = _gap(row, merged[index + 1]) if index + 1 < len(merged) else None
        above = gap_above is not None and (gap_below is None or gap_above <= gap_below + 0.5)
        target = index - 1 if above else index + 1
        if target >= len(merged) or _bold(merged[target]) != _bold(row):
            index += 1
            continue
        for column, cell in enumerate(row):
            merged[target][column] = merged[target][column] + cell if above else cell + merged[target][column]
        del merged[index]
    return merged


def _gap(upper: list[CellWords], lower: list[CellWords]) -> float:
    bottom = max(word.bbox.bottom for cell in upper for word in cell)
    top = min(word.bbox.top for cell in lower for word in cell)
    return top - bottom


def _bold(row: Sequence[CellWords]) -> bool:
    words = [word for cell in row for word in cell]
    return bool(words) and all(word.bold for word in words)


def header_row_count(rows: Sequence[Sequence[Cell]]) -> int:
    """How many rows at the top are column headings (0, 1 or 2, with the stray rows above them).

    A heading row has no digits and at least two filled cells, and is bold above a
    body that is not, or names columns ("Test", "Result", "Units", "Dose", ...), or
    sits above two or more rows whose cells are numeric in a column where its own
    cell is not.
    """
    if len(rows) < 2:
        return 0
    # A stray fragment above the headings (a neighbour's last cell, OCR'd into the table's
    # first row) is counted with them, so that the headings still head the table.
    stray = 0
    while stray < min(_MAX_STRAY_ROWS, len(rows) - 2) and sum(1 for cell in rows[stray] if cell.text) <= 1:
        stray += 1
    count = 0
    for index in (stray, stray + 1):
        if index + 1 >= len(rows) or not _heading_row(rows, index, allow_numeric_rule=index == stray):
            break
        count += 1
    return stray + count if count else 0


def _heading_row(rows: Sequence[Sequence[Cell]], index: int, *, allow_numeric_rule: bool) -> bool:
    row = rows[index]
    texts = [cell.text for cell in row if cell.text]
    if len(texts) < 2 or any(_DIGIT.search(text) for text in texts):
        return False
    body = rows[index + 1 :]
    if _all_bold(row) and not any(_all_bold(other) for other in body[:3]):
        return True
    if names_columns(texts):
        return True
    # One row of numbers under one of words is as likely a label/value grid as a table.
    if not allow_numeric_rule or len(body) < 2:
        return False
    for column, cell in enumerate(row):
        values = [other[column].text for other in body if column < len(other) and other[column].text]
        if cell.text and values and sum(1 for v in values if _DIGIT.search(v)) * 2 > len(values):
            return True
    return False


def names_columns(texts: Sequence[str]) -> bool:
    """True when two thirds of ``texts`` (two or more) are column names ("Test", "Units", ...)."""
    filled = [text for text in texts if text]
    named = sum(1 for text in filled if set(_WORD.findall(text.lower())) & _HEADER_WORDS)
    return len(filled) >= 2 and named * 3 >= len(filled) * 2


def _all_bold(row: Sequence[Cell]) -> bool:
    words = [word for cell in row for word in cell.words]
    return bool(words) and all(word.bold for word in words)


def mark_continuations(pages: Sequence[Page]) -> list[Page]:
    """Pages with ``continues=True`` on each table that carries on the previous page's.

    The last thing on page N is a table, the first thing on page N+1 is a table with
    the same number of columns at the same positions, and the new one either has no
    heading row or repeats the old heading.
    """
    out = list(pages)
    for index in range(1, len(out)):
        before, after = out[index - 1], out[index]
        last = _last_table(before)
        first = _first_table(after)
        if last is None or first is None or not _same_columns(last, first):
            continue
        if first.header_rows and _normal(first.header) != _normal(last.header):
            continue
        tables = tuple(replace(table, continues=True) if table is first else table for table in after.tables)
        out[index] = replace(after, tables=tables)
    return out


def _last_table(page: Page) -> Table | None:
    if not page.tables:
        return None
    table = max(page.tables, key=lambda t: t.bbox.bottom)
    return None if _outside(page.lines, table, below=True) else table


def _first_table(page: Page) -> Table | None:
    if not page.tables:
        return None
    table = min(page.tables, key=lambda t: t.bbox.top)
    return None if _outside(page.lines, table, below=False) else table


def _outside(lines: Sequence[Line], table: Table, *, below: bool) -> bool:
    """True when some content line lies below (or above) ``table``."""
    if below:
        return any(line.bbox.top > table.bbox.bottom + 1 for line in lines)
    return any(line.bbox.bottom < table.bbox.top - 1 for line in lines)


def _same_columns(first: Table, second: Table) -> bool:
    spans_a, spans_b = _column_spans(first), _column_spans(second)
    if len(spans_a) != len(spans_b) or len(spans_a) < 2:
        return False
    for (a0, a1), (b0, b1) in zip(spans_a, spans_b, strict=True):
        overlap = min(a1, b1) - max(a0, b0)
        if overlap < 0.5 * min(a1 - a0, b1 - b0):
            return False
    return True


def _column_spans(table: Table) -> list[tuple[float, float]]:
    width = max(len(row) for row in table.rows)
    spans: list[tuple[float, float]] = []
    for column in range(width):
        boxes = [box for row in table.rows if column < len(row) and (box := row[column].bbox) is not None]
        if not boxes:
            return []
        spans.append((min(b.x0 for b in boxes), max(b.x1 for b in boxes)))
    return spans


def _normal(header: Sequence[str]) -> tuple[str, ...]:
    return tuple(" ".join(text.lower().split()) for text in header)
