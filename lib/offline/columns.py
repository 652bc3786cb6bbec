"""Small tables the engine read column by column: rebuilt from their headings' positions.

A two-row table without rules can come out of the engine as separate text columns
("Component / HbA1c / Insulin", then "Value / 4.7 / 9.0" ...). Its headings still
stand on one visual row: when a row holds lab headings naming at least a test and a
result column, the words under them are cut into rows by height and into cells by
the headings' left edges, until a gap or a row with no test.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import replace

from lib.documents import Document, Line, Page, Table, Word
from lib.documents.tables import table_from_cells
from lib.extraction.labs import LabColumn, classify_header

__all__ = ["rebuild_column_tables"]

_MAX_HEADING_WORDS = 3
_ROW_GAP = 2.2  # row heights between two rows of one table, at most
_SAME_ROW = 0.6


def _heading_lines(page: Page, taken: set[int]) -> list[tuple[Line, LabColumn]]:
    found: list[tuple[Line, LabColumn]] = []
    for line in page.lines:
        if len(line.words) > _MAX_HEADING_WORDS or any(id(word) in taken for word in line.words):
            continue
        column = classify_header([line.text])[0]
        if column is not None and column is not LabColumn.OTHER:
            found.append((line, column))
    return found


def _rows_below(words: Sequence[Word], top: float, height: float) -> list[list[Word]]:
    rows: list[list[Word]] = []
    for word in sorted((w for w in words if w.bbox.top >= top - 1.0), key=lambda w: w.bbox.top):
        middle = (word.bbox.top + word.bbox.bottom) / 2
        if rows:
            last = rows[-1]
            last_middle = statistics.fmean((w.bbox.top + w.bbox.bottom) / 2 for w in last)
            if abs(middle - last_middle) <= height * _SAME_ROW:
                last.append(word)
                continue
            if middle - last_middle > height * _ROW_GAP:
                break
        elif middle - top > height * _ROW_GAP:
            break
        rows.append([word])
    return rows


def _table_at(page: Page, heads: list[tuple[Line, LabColumn]], taken: set[int]) -> Table | None:
    heads = sorted(heads, key=lambda item: item[0].bbox.x0)
    starts = [line.bbox.x0 for line, _ in heads]
    height = statistics.median(line.bbox.bottom - line.bbox.top for line, _ in heads) or 10.0
    bottom = max(line.bbox.bottom for line, _ in heads)
    head_ids = {id(word) for line, _ in heads for word in line.words}
    free = [
        w for w in page.words if id(w) not in taken and id(w) not in head_ids and w.bbox.x0 >= starts[0] - 4.0
    ]
    test_index = next(index for index, (_, column) in enumerate(heads) if column is LabColumn.TEST)
    body: list[list[list[Word]]] = []
    for row in _rows_below(free, bottom, height):
        cells: list[list[Word]] = [[] for _ in starts]
        for word in sorted(row, key=lambda w: w.bbox.x0):
            index = max((i for i, x0 in enumerate(starts) if x0 - 4.0 <= word.bbox.x0), default=0)
            cells[index].append(word)
        if not cells[test_index]:
            break
        body.append(cells)
    if not body:
        return None
    header = [list(line.words) for line, _ in heads]
    table = table_from_cells([header, *body], page.number)
    return replace(table, header_rows=1)


def _rebuild(page: Page) -> Page:
    taken = {id(word) for table in page.tables for row in table.rows for cell in row for word in cell.words}
    heads = _heading_lines(page, taken)
    if len(heads) < 3:
        return page
    groups: list[list[tuple[Line, LabColumn]]] = []
    for item in sorted(heads, key=lambda item: item[0].bbox.top):
        if groups and abs(groups[-1][0][0].bbox.top - item[0].bbox.top) <= 2.0:
            groups[-1].append(item)
        else:
            groups.append([item])
    tables = list(page.tables)
    for group in groups:
        columns = {column for _, column in group}
        if len(group) < 3 or not {LabColumn.TEST, LabColumn.RESULT} <= columns:
            continue
        table = _table_at(page, group, taken)
        if table is not None:
            tables.append(table)
            taken |= {id(word) for row in table.rows for cell in row for word in cell.words}
    if len(tables) == len(page.tables):
        return page
    return replace(page, tables=tuple(sorted(tables, key=lambda t: t.bbox.top)))


def rebuild_column_tables(document: Document) -> Document:
    """``document`` with the tables its pages hold only as columns of text added back."""
    pages = tuple(_rebuild(page) for page in document.pages)
    return replace(document, pages=pages)
