"""Running headers, footers and page numbers: rows that frame the content, set aside.

A row is furniture when it sits in the top or bottom margin and the same text
(digits ignored in a row of one piece, so "Page 1 of 3" matches "Page 2 of 3") comes
back at the same height on at least half the report's pages (and on two pages at
least), or when it is a page number. A header printed on one page only is content.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from lib.documents.rows import Row
from lib.documents.tables import names_columns

# Share of the page height at the top and at the bottom where furniture may sit.
_MARGIN = 0.12
# Only this many rows at each end of a page are candidates.
_EDGE_ROWS = 3
# Rows repeat "at the same height" within this many points.
_SAME_HEIGHT = 4.0
_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(r"\bpage\s*#(\s*(of|/)\s*#)?|^\W*#(\s*(of|/)\s*#)?\W*$", re.IGNORECASE)


@dataclass(frozen=True)
class _Candidate:
    page: int
    row: int
    key: str
    top: bool
    offset: float


def find_furniture(pages: Sequence[Sequence[Row]], heights: Sequence[float]) -> list[set[int]]:
    """For each page (its rows, top to bottom, and its height), the indexes of furniture rows."""
    candidates = [
        candidate
        for page, (rows, height) in enumerate(zip(pages, heights, strict=True))
        for candidate in _candidates(page, rows, height)
    ]
    same_text: dict[tuple[str, bool], list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        same_text[candidate.key, candidate.top].append(candidate)
    needed = max(2, math.ceil(len(pages) / 2))
    furniture: list[set[int]] = [set() for _ in pages]
    for candidate in candidates:
        repeats = {
            other.page
            for other in same_text[candidate.key, candidate.top]
            if abs(other.offset - candidate.offset) <= _SAME_HEIGHT
        }
        if len(repeats) >= needed or _PAGE_NUMBER.search(candidate.key):
            furniture[candidate.page].add(candidate.row)
    return furniture


def _candidates(page: int, rows: Sequence[Row], height: float) -> list[_Candidate]:
    out: list[_Candidate] = []
    for index, row in enumerate(rows):
        if names_columns([" ".join(w.text for w in segment) for segment in row.segments]):
            continue  # a table's heading repeated on each page is content
        # Digits are ignored in a one-piece row ("Page 2 of 3"); a row in columns must repeat
        # exactly, or a table row at the top of each page ("Potassium  4.1") would match itself.
        text = row.text.lower()
        key = " ".join((_DIGITS.sub("#", text) if len(row.segments) == 1 else text).split())
        if index < _EDGE_ROWS and row.box.bottom <= _MARGIN * height:
            out.append(_Candidate(page, index, key, True, row.box.top))
        elif index >= len(rows) - _EDGE_ROWS and row.box.top >= (1 - _MARGIN) * height:
            out.append(_Candidate(page, index, key, False, height - row.box.bottom))
    return out
