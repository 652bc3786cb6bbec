"""Reading order: a page's content words become lines, blocks, tables and key-value pairs.

The page is read top to bottom as a sequence of rows, except where rows form a
*band*: consecutive rows that leave the same vertical gutter free (an XY-cut on
whitespace, one band at a time). A band is then one of

- a **table** (short cells, three columns or more, or two with headings or numbers):
  read row by row, each row one line;
- **fields** ("Label: value" columns, the header block of a report) and **stacked**
  labels (small caps label above its value): read column by column; headings over
  two or more result rows set alike (a number or range in the same column) are a
  table, though the headings over the first row alone would read as labels;
- **columns** of text: each column read on its own, recursively.

Ruled tables (found from the ruling lines before this module runs) and runs of
"|"-separated rows are tables whatever their shape. Everything here works on
:class:`Word` objects, so OCR words go through exactly the same steps.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from lib.documents.keyvalues import grid_pairs, inline_pairs, is_label, looks_like_label, stacked_pair
from lib.documents.model import Block, Cell, KeyValue, Line, Table, TextSource, Word
from lib.documents.rows import SEGMENT_GAP, Row, group_rows, split_at_gaps, split_word, word_size
from lib.documents.tables import Grid, merge_wrapped_rows, table_from_cells, table_from_grid

# How deep text columns are cut into further columns.
_MAX_DEPTH = 3
# Rows further apart than this many font sizes do not belong to one band.
_BAND_GAP = 2.5
# Blocks: a gap wider than this many font sizes starts a new block.
_BLOCK_GAP = 0.8
_MIN_PIPE_CELLS = 3
_MAX_TABLE_CELL_WORDS = 6
# A cell that is only a number or a range of two ("1.30", "<0.5", "2.6-24.9"), not an
# enumerator ("1.").
_BARE_NUMBER = re.compile(r"[<>]?\d+(?:[.,]\d+)?(?:\s*[-\u2013]\s*\d+(?:[.,]\d+)?)?")
# A row further below the band than this many times its first row gap, across half a
# gutter, starts the next part of the page (a heading under a table).
_NEW_PART_PITCH = 1.3
# List markers: "1." "2)" "(3)" and bullets. "-" and "*" alone also stand for an empty
# table cell, so a column of them is a list only beside a column of unmistakable markers.
_ENUMERATOR = re.compile(r"^\(?\d{1,2}[.)]$")
_BULLETS = frozenset("\u2022\u25e6\u25aa\u25ab\u25cf\u25cb\u25a0\u25a1\u2023\u2043\u00b7\u00bb")
_DASHES = frozenset("-\u2013*+")


@dataclass(frozen=True)
class PageLayout:
    """A page's content in reading order."""

    lines: tuple[Line, ...]
    blocks: tuple[Block, ...]
    tables: tuple[Table, ...]
    key_values: tuple[KeyValue, ...]


def lay_out(
    words: Sequence[Word], *, page: int, grids: Sequence[Grid] = (), check: Callable[[], None] = lambda: None
) -> PageLayout:
    """Lines, blocks, tables and pairs of one page's content ``words``.

    ``grids`` are the ruled tables found on the page; ``check`` is called between
    rows so a caller's time budget can stop a pathological page.
    """
    reader = _PageReader(page, check, _body_size(words))
    remaining = list(words)
    ruled: list[Table] = []
    for grid in grids:
        table, taken = table_from_grid(grid, remaining, page)
        if table is not None:
            ruled.append(table)
            taken_ids = {id(word) for word in taken}
            remaining = [word for word in remaining if id(word) not in taken_ids]
    rows = group_rows(piece for word in remaining for piece in split_word(word, "|"))
    items: list[Row | Table] = sorted([*rows, *ruled], key=_top)
    run: list[Row] = []
    for item in items:
        if isinstance(item, Row):
            run.append(item)
            continue
        reader.read_rows(run, depth=0)
        run = []
        reader.add_table(item)
    reader.read_rows(run, depth=0)
    return reader.result()


def _top(item: Row | Table) -> float:
    return item.box.top if isinstance(item, Row) else item.bbox.top


def _body_size(words: Sequence[Word]) -> float:
    sizes = Counter(round(word_size(word)) for word in words)
    return float(sizes.most_common(1)[0][0]) if sizes else 10.0


@dataclass
class _Region:
    """Lines that are read together: one text column, or one table."""

    lines: list[Line]
    table: Table | None = None


@dataclass
class _PageReader:
    """Collects one page's regions (in reading order), tables and pairs as its rows are read."""

    page: int
    check: Callable[[], None]
    body_size: float
    regions: list[_Region] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    pairs: list[KeyValue] = field(default_factory=list)

    def result(self) -> PageLayout:
        lines: list[Line] = []
        blocks: list[Block] = []
        for region in self.regions:
            lines.extend(region.lines)
            if region.table is not None:
                blocks.append(Block(tuple(region.lines), self.page))
            else:
                blocks.extend(_blocks(region.lines, self.page, self.body_size))
        return PageLayout(tuple(lines), tuple(blocks), tuple(self.tables), tuple(self.pairs))

    def add_table(self, table: Table) -> None:
        self.tables.append(table)
        self.pairs.extend(grid_pairs(table))
        lines = [Line(words, self.page) for row in table.rows if (words := _row_words(row))]
        self.regions.append(_Region(lines, table))

    def read_rows(self, rows: Sequence[Row], depth: int) -> None:
        """Read ``rows`` (top to bottom, no ruled table among them)."""
        text: list[Row] = []
        index = 0
        while index < len(rows):
            self.check()
            pipes = _pipe_run(rows, index)
            band = None if pipes else _grow_band(rows, index)
            cuts, headed = ([], 0) if pipes or _lists(band) else _headed_run(rows, index)
            if headed and _lists(_grow_band(rows, index + 1)):
                cuts, headed = [], 0  # the headings' lists are read list by list (see _list_columns)
            if headed:
                self._text(text)
                text = []
                run = rows[index : index + headed]
                for column in range(len(cuts) + 1):
                    words = [word for row in run for word in _column_words(row.words, cuts, column)]
                    if words and depth < _MAX_DEPTH:
                        self.read_rows(group_rows(words), depth + 1)
                    elif words:
                        self._text(group_rows(words))
                index += headed
                continue
            if not pipes and band is None:
                text.append(rows[index])
                index += 1
                continue
            self._text(text)
            text = []
            if pipes:
                self.add_table(table_from_cells([_pipe_cells(row) for row in pipes], self.page))
                index += len(pipes)
            elif band is not None:
                self._band(band, depth)
                index += len(band.rows)
        self._text(text)

    def _text(self, rows: Sequence[Row]) -> None:
        """Plain rows: one line each, with the pairs on them or stacked label over value."""
        if not rows:
            return
        lines = [row.line(self.page) for row in rows]
        self.regions.append(_Region(lines))
        for number, row in enumerate(rows):
            pairs = inline_pairs(row.words, self.page)
            self.pairs.extend(pairs)
            below = rows[number + 1] if number + 1 < len(rows) else None
            if not pairs and below is not None and _stacked(row, below):
                self.pairs.append(stacked_pair(row.words, below.words, self.page))

    def _band(self, band: _Band, depth: int) -> None:
        """A table read row by row, or columns read one after the other (see the module docstring)."""
        cells = band.cells()
        kind = _classify(cells)
        if kind == "list":
            self._text(band.rows)
            return
        if kind == "table":
            self.add_table(table_from_cells(merge_wrapped_rows(cells), self.page))
            return
        if kind == "stacked":
            for upper, lower in zip(cells[0::2], cells[1::2], strict=False):
                for label, value in zip(upper, lower, strict=True):
                    if label and value:
                        self.pairs.append(stacked_pair(label, value, self.page))
        if kind == "fields":
            columns = _field_columns(cells)
        elif kind == "lists":
            columns = _list_groups(cells)
        else:
            columns = [[c] for c in range(len(cells[0]))]
        for group in columns:
            column_rows = [Row(tuple(w for c in group for w in row[c])) for row in cells]
            column_rows = [row for row in column_rows if row.words]
            if kind in ("columns", "lists") and depth < _MAX_DEPTH:
                self.read_rows(group_rows(w for row in column_rows for w in row.words), depth + 1)
            elif kind == "stacked":
                self.regions.append(_Region([row.line(self.page) for row in column_rows]))
            else:
                self._text(column_rows)


@dataclass(frozen=True)
class _Band:
    """Consecutive rows sharing vertical gutters; ``bounds`` split them into columns."""

    rows: tuple[Row, ...]
    bounds: tuple[float, ...]

    def cells(self) -> list[list[list[Word]]]:
        """Rows x columns of words (left to right within each cell's row)."""
        out: list[list[list[Word]]] = []
        for row in self.rows:
            cells: list[list[Word]] = [[] for _ in range(len(self.bounds) + 1)]
            for word in row.words:
                middle = (word.bbox.x0 + word.bbox.x1) / 2
                cells[sum(1 for bound in self.bounds if middle > bound)].append(word)
            out.append(cells)
        return out


def _spans(row: Row) -> list[tuple[float, float]]:
    return [(segment[0].bbox.x0, segment[-1].bbox.x1) for segment in row.segments]


def _merge(covered: list[tuple[float, float]], spans: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[tuple[float, float]] = []
    for x0, x1 in sorted([*covered, *spans]):
        if merged and x0 <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], x1))
        else:
            merged.append((x0, x1))
    return merged


def _gutters(covered: list[tuple[float, float]], width: float) -> list[tuple[float, float]]:
    return [(a[1], b[0]) for a, b in itertools.pairwise(covered) if b[0] - a[1] >= width]


def _grow_band(rows: Sequence[Row], start: int) -> _Band | None:
    """The band of rows beginning at ``rows[start]``, or ``None`` when there is none.

    Rows join while the gutters left free by all rows so far keep their number, and
    while the gap to the previous row stays near the band's first gap. A row that
    sits in one column only must match the band's style and may not eat more than
    half of a gutter (a heading or a long line after a header block ends the band).
    A band needs two rows on each side of a gutter.
    """
    if start + 1 >= len(rows):
        return None
    first = rows[start]
    width = SEGMENT_GAP * first.size
    covered = _merge([], _spans(first))
    gutters = _gutters(covered, width)
    members = [first]
    pitch: float | None = None
    for row in rows[start + 1 :]:
        gap = _row_gap(members[-1], row)
        if gap > _BAND_GAP * max(first.size, row.size) or (
            pitch is not None and gap > 1.6 * pitch + 0.3 * row.size
        ):
            break
        grown = _merge(covered, _spans(row))
        narrowed = _gutters(grown, width)
        if not narrowed or len(narrowed) < len(gutters):
            break
        if not gutters and len(narrowed) < len(_gutters(_merge([], _spans(row)), width)):
            break  # a one-piece first row (a sentence above a table) would hide the next row's columns
        if (
            gutters
            and _one_sided(row, gutters)
            and (_style(row) != _style(members[0]) or _eaten(gutters, narrowed) > 0.5)
        ):
            break
        if pitch is not None and gap > _NEW_PART_PITCH * pitch and _eaten(gutters, narrowed) > 0.5:
            break  # set apart and across a gutter: the next part of the page (a heading under a table)
        pitch = gap if pitch is None else pitch
        covered, gutters = grown, narrowed
        members.append(row)
    if len(members) < 2:
        return None
    kept = _trim(members, width)
    if kept is None or kept[0] is not first:
        return None
    covered = []
    for row in kept:
        covered = _merge(covered, _spans(row))
    gutters = _gutters(covered, width)
    if not gutters or not any(_both_sides(kept, gutter) for gutter in gutters):
        return None
    return _Band(tuple(kept), tuple((g0 + g1) / 2 for g0, g1 in gutters))


def _row_gap(upper: Row, lower: Row) -> float:
    """The white space between two rows, for OCR rows measured between their centres.

    An OCR box is its ink's: a row of "once daily" is lower-case high, one with "(g)"
    reaches down a descender, and a speck read as a comma stretches it further, so
    the space between boxes jitters by half a line where the lines are evenly set.
    Centres move far less; less the font size, they give the white space.
    """
    if all(word.source is TextSource.OCR for word in (*upper.words, *lower.words)):
        middle = (lower.box.top + lower.box.bottom - upper.box.top - upper.box.bottom) / 2
        return middle - max(upper.size, lower.size)
    return lower.box.top - upper.box.bottom


def _style(row: Row) -> tuple[int, bool]:
    return round(row.size), row.bold


def _one_sided(row: Row, gutters: Sequence[tuple[float, float]]) -> bool:
    """True when all of ``row`` lies between the same two gutters."""
    columns = {sum(1 for g0, _ in gutters if w.bbox.x0 >= g0) for w in row.words}
    return len(columns) == 1


def _eaten(before: Sequence[tuple[float, float]], after: Sequence[tuple[float, float]]) -> float:
    """The largest share of a gutter's width that a new row took (same number of gutters)."""
    if len(before) != len(after):
        return 0.0
    return max(1 - (a1 - a0) / max(b1 - b0, 1e-6) for (b0, b1), (a0, a1) in zip(before, after, strict=True))


def _trim(members: list[Row], width: float) -> list[Row] | None:
    """``members`` without one-column rows at the ends whose style differs from the band's."""
    covered: list[tuple[float, float]] = []
    for row in members:
        covered = _merge(covered, _spans(row))
    bounds = [(g0 + g1) / 2 for g0, g1 in _gutters(covered, width)]

    def columns(row: Row) -> int:
        return len({sum(1 for b in bounds if (w.bbox.x0 + w.bbox.x1) / 2 > b) for w in row.words})

    wide = [row for row in members if columns(row) > 1] or members
    style = Counter((round(row.size), row.bold) for row in wide).most_common(1)[0][0]
    gaps = [_row_gap(a, b) for a, b in itertools.pairwise(members)]
    usual = statistics.median(gaps) if gaps else 0.0
    trimmed = list(members)
    while len(trimmed) > 1 and columns(trimmed[-1]) == 1:
        gap = _row_gap(trimmed[-2], trimmed[-1])
        if (round(trimmed[-1].size), trimmed[-1].bold) == style and gap <= 1.5 * usual + 1:
            break
        trimmed.pop()
    if columns(trimmed[0]) == 1 and (round(trimmed[0].size), trimmed[0].bold) != style:
        return None
    return trimmed if len(trimmed) > 1 else None


def _both_sides(rows: Sequence[Row], gutter: tuple[float, float]) -> bool:
    left = sum(1 for row in rows if any(w.bbox.x1 <= gutter[0] for w in row.words))
    right = sum(1 for row in rows if any(w.bbox.x0 >= gutter[1] for w in row.words))
    return left >= 2 and right >= 2


def _classify(cells: list[list[list[Word]]]) -> str:
    """``"fields"``, ``"stacked"``, ``"lists"``, ``"list"``, ``"table"`` or ``"columns"`` for a band's cells."""
    width = len(cells[0])
    columns = [[cell for cell in (row[c] for row in cells) if cell] for c in range(width)]
    for column in columns:
        labelled = sum(1 for cell in column if _starts_with_label(cell))
        if column and labelled >= 2 and labelled * 5 >= len(column) * 3:
            return "fields"
    # Labels over values, pair after pair; but a row left over at the end that repeats the
    # values row (same style, a bare number in the same column) makes the band a table:
    # a header over two result rows, the second with no labels over it.
    if (
        len(cells) >= 2
        and all(
            all(looks_like_label(label, value) for label, value in zip(upper, lower, strict=True) if label)
            and not any(looks_like_label(value) for value in lower if value)
            for upper, lower in zip(cells[0::2], cells[1::2], strict=False)
        )
        and (len(cells) % 2 == 0 or not _values_again(cells[-2], cells[-1]))
    ):
        return "stacked"
    if len(_list_columns(cells)) >= 2:
        return "lists"
    if _hanging_list(cells):
        return "list"
    sizes = [len(cell) for column in columns for cell in column]
    short = statistics.median(sizes) <= _MAX_TABLE_CELL_WORDS if sizes else False
    if short and (width >= 3 or _numeric_column(columns)):
        return "table"
    return "columns"


def _values_again(values: Sequence[Sequence[Word]], leftover: Sequence[Sequence[Word]]) -> bool:
    """True when row ``leftover`` is set like ``values`` and has a bare number or range where it has one."""
    if not any(values) or not any(leftover):
        return False
    if _style(Row(tuple(w for cell in values for w in cell))) != _style(
        Row(tuple(w for cell in leftover for w in cell))
    ):
        return False
    return any(
        _BARE_NUMBER.fullmatch(" ".join(w.text for w in upper))
        and _BARE_NUMBER.fullmatch(" ".join(w.text for w in lower))
        for upper, lower in zip(values, leftover, strict=True)
    )


def _marker(text: str) -> str | None:
    """``"sure"`` for an enumerator or bullet, ``"dash"`` for "-" or "*", else ``None``."""
    if _ENUMERATOR.match(text) or (len(text) == 1 and text in _BULLETS):
        return "sure"
    if len(text) == 1 and text in _DASHES:
        return "dash"
    return None


def _list_columns(cells: list[list[list[Word]]]) -> list[int]:
    """The columns of a band that hold list markers, when two or more lists stand side by side.

    A column is a list column when at least half its filled cells begin with a marker
    (alone in the cell, its item in the next column, or followed by the item's words)
    and the column right of a marker alone is filled in that row. Two such columns,
    one with an enumerator or bullet, are two lists drawn beside each other (problems
    and medications); a single one is a numbered table or a list with hanging markers.
    """
    found = [column for column in range(len(cells[0])) if _list_column(cells, column)]
    sure = any(_list_column(cells, column) == "sure" for column in found)
    return found if sure and len(found) >= 2 else []


def _list_column(cells: list[list[list[Word]]], column: int) -> str | None:
    """``"sure"`` or ``"dash"`` when ``column`` holds list markers (see :func:`_list_columns`)."""
    width = len(cells[0])
    filled = [(row, row[column]) for row in cells if row[column]]
    kinds = [_marker(cell[0].text) for _, cell in filled]
    marked = sum(1 for kind in kinds if kind)
    alone_ok = all(
        len(cell) > 1 or (column + 1 < width and bool(row[column + 1]))
        for (row, cell), kind in zip(filled, kinds, strict=True)
        if kind
    )
    if not filled or marked * 2 < len(filled) or not alone_ok:
        return None
    return "sure" if "sure" in kinds else "dash"


def _hanging_list(cells: list[list[list[Word]]]) -> bool:
    """A list whose markers hang left of its items: two columns, the first enumerators or bullets.

    Read as text, one line per row: rows with no marker are items whose marker OCR
    lost as often as wrapped lines, and the item rules tell them apart.
    """
    return len(cells[0]) == 2 and all(len(row[0]) <= 1 for row in cells) and _list_column(cells, 0) == "sure"


def _headed_run(rows: Sequence[Row], start: int) -> tuple[list[float], int]:
    """Headings side by side over columns of text: the x where each later column starts, and how many rows.

    ``rows[start]`` is such a row when it is bold, in two or three pieces set at
    least two font sizes apart, and the row below is not bold. The run goes on while
    no word crosses where a heading starts and the rows stay close; its columns must
    be text (three words or more to a line on average), not a table's short cells
    under a bold header row; a row set apart, or one that runs on across a column
    edge, ends it.
    Justified text leaves wide gaps between its words that look like a table's
    gutters; the headings' edges do not. ``([], 0)`` otherwise.
    """
    first = rows[start]
    segments = split_at_gaps(first.words)
    if not 2 <= len(segments) <= 3 or not _mostly_bold(first.words) or start + 1 >= len(rows):
        return [], 0
    size = first.size
    if any(b[0].bbox.x0 - a[-1].bbox.x1 < 2 * size for a, b in itertools.pairwise(segments)):
        return [], 0
    cuts = [segment[0].bbox.x0 - 0.5 * size for segment in segments[1:]]
    members = [first]
    pitch: float | None = None
    for row in rows[start + 1 :]:
        gap = _row_gap(members[-1], row)
        if _mostly_bold(row.words) or gap > _BAND_GAP * max(size, row.size):
            break
        if pitch is not None and gap > 1.6 * pitch + 0.3 * row.size:
            break  # set apart: the next part of the page
        if len(members) >= 2 and pitch is None:
            pitch = gap
        if any(word.bbox.x0 < cut < word.bbox.x1 for word in row.words for cut in cuts):
            break
        if any(_narrow_at(row, cut, 1.5 * size) for cut in cuts):
            break  # a line running on across the column edge ("Next steps: ..." under both)
        members.append(row)
    body = members[1:]
    if not body:
        return [], 0
    pieces = [_column_words(row.words, cuts, column) for row in body for column in range(len(cuts) + 1)]
    filled = [piece for piece in pieces if piece]
    used = {
        column for row in body for column in range(len(cuts) + 1) if _column_words(row.words, cuts, column)
    }
    if len(used) < 2 or sum(len(piece) for piece in filled) < 3 * len(filled):
        return [], 0
    return cuts, len(members)


def _lists(band: _Band | None) -> bool:
    return band is not None and _classify(band.cells()) == "lists"


def _narrow_at(row: Row, cut: float, gutter: float) -> bool:
    """``row`` has words on both sides of ``cut`` with less than ``gutter`` between them."""
    left = [word.bbox.x1 for word in row.words if word.bbox.x1 <= cut]
    right = [word.bbox.x0 for word in row.words if word.bbox.x0 >= cut]
    return bool(left and right) and min(right) - max(left) < gutter


def _column_words(words: Sequence[Word], cuts: Sequence[float], column: int) -> list[Word]:
    """The words of ``words`` between cut ``column - 1`` and cut ``column``."""
    return [word for word in words if sum(1 for cut in cuts if word.bbox.x0 >= cut) == column]


def _mostly_bold(words: Sequence[Word]) -> bool:
    """More than half of the letters of ``words`` are bold (OCR misses the weight of short words)."""
    bold = sum(len(word.text) for word in words if word.bold)
    return bold * 2 > sum(len(word.text) for word in words)


def _list_groups(cells: list[list[list[Word]]]) -> list[list[int]]:
    """Each list's marker column with the columns of its items, up to the next list."""
    starts = _list_columns(cells)
    width = len(cells[0])
    groups = [[column] for column in range(starts[0])]
    for start, end in itertools.pairwise([*starts, width]):
        groups.append(list(range(start, end)))
    return groups


def _starts_with_label(cell: Sequence[Word]) -> bool:
    if is_label(" ".join(word.text for word in cell)):
        return True
    pairs = inline_pairs(cell, cell[0].page)
    return bool(pairs) and pairs[0].label_bbox is not None and pairs[0].label_bbox.x0 <= cell[0].bbox.x0 + 0.5


def _numeric_column(columns: Sequence[Sequence[Sequence[Word]]]) -> bool:
    for column in columns[1:]:
        numeric = sum(1 for cell in column if any(ch.isdigit() for w in cell for ch in w.text))
        if column and numeric * 2 > len(column):
            return True
    return False


def _field_columns(cells: list[list[list[Word]]]) -> list[list[int]]:
    """Column indexes grouped so a column of bare labels reads with its values."""
    width = len(cells[0])
    groups: list[list[int]] = []
    column = 0
    while column < width:
        texts = [" ".join(w.text for w in row[column]) for row in cells if row[column]]
        labels = sum(1 for text in texts if is_label(text))
        if column + 1 < width and texts and labels * 5 >= len(texts) * 3:
            groups.append([column, column + 1])
            column += 2
        else:
            groups.append([column])
            column += 1
    return groups


def _stacked(label: Row, value: Row) -> bool:
    """True for a small label line with its value directly beneath, aligned by x."""
    return (
        len(label.segments) == 1
        and abs(label.box.x0 - value.box.x0) <= 3
        and value.box.top - label.box.bottom <= label.size
        and max(word_size(w) for w in label.words) < min(word_size(w) for w in value.words) - 0.4
        and looks_like_label(label.words, value.words)
        and not looks_like_label(value.words)
    )


def _pipe_cells(row: Row) -> list[list[Word]]:
    cells: list[list[Word]] = [[]]
    for word in row.words:
        if word.text == "|":
            cells.append([])
        else:
            cells[-1].append(word)
    # A row drawn as "| a | b |" has empty cells outside its outer pipes.
    if not cells[0]:
        cells.pop(0)
    if cells and not cells[-1]:
        cells.pop()
    return cells


def _pipe_run(rows: Sequence[Row], start: int) -> list[Row]:
    """Two or more rows from ``start`` that each split into as many "|"-separated cells (3+)."""
    run: list[Row] = []
    width = 0
    for row in rows[start:]:
        cells = _pipe_cells(row)
        if len(cells) < _MIN_PIPE_CELLS or (width and len(cells) != width):
            break
        width = len(cells)
        run.append(row)
    return run if len(run) >= 2 else []


def _row_words(row: Sequence[Cell]) -> tuple[Word, ...]:
    return tuple(word for cell in row for word in cell.words)


def _blocks(lines: Sequence[Line], page: int, body_size: float) -> list[Block]:
    """``lines`` of one column grouped at wide gaps, style changes and headings."""
    blocks: list[Block] = []
    current: list[Line] = []
    for line in lines:
        heading = _heading(line, body_size)
        if current and (heading or _breaks(current[-1], line) or _heading(current[-1], body_size)):
            blocks.append(
                Block(tuple(current), page, heading=_heading(current[0], body_size) and len(current) == 1)
            )
            current = []
        current.append(line)
    if current:
        blocks.append(
            Block(tuple(current), page, heading=_heading(current[0], body_size) and len(current) == 1)
        )
    return blocks


def _breaks(upper: Line, lower: Line) -> bool:
    size = max(_size(upper), _size(lower))
    gap = lower.bbox.top - upper.bbox.bottom
    bold_change = _bold_line(upper.words) != _bold_line(lower.words)
    return gap > _BLOCK_GAP * size or abs(_size(upper) - _size(lower)) > 1 or bold_change


def _size(line: Line) -> float:
    return statistics.median(word_size(word) for word in line.words)


def _heading(line: Line, body_size: float) -> bool:
    """A short line set apart by weight or size, or a short label line ("Findings:")."""
    words = line.words
    text = line.text
    # A sentence, or a "Label: value" line, is not a heading.
    if len(words) > 8 or text.endswith((".", ",", ";")) or ":" in text.rstrip(":"):
        return False
    if sum(1 for char in text if char.isalpha()) < 2:
        return False  # a number or a list marker on its own ("3", "2.") heads nothing
    if _bold_line(words) or _size(line) >= body_size + 1.5:
        return True
    letters = [ch for ch in text if ch.isalpha()]
    capitals = len(letters) >= 3 and text.isupper() and not any(ch.isdigit() for ch in text)
    return (text.endswith(":") and len(words) <= 4) or (capitals and len(words) <= 6)


def _bold_line(words: Sequence[Word]) -> bool:
    """All of ``words`` bold; for OCR words, the first and most letters (the weight of short words is missed)."""
    if all(word.bold for word in words):
        return True
    return all(word.source is TextSource.OCR for word in words) and words[0].bold and _mostly_bold(words)
