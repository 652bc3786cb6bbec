"""The words of a document, indexed once so each fact is looked up rather than searched for.

Per page, the *stream* is the content words in reading order followed by the
furniture's words (a running header often carries the patient's name). Each word
belongs to *units*, the places where facts that go together are printed together:
its line, its table row (with the table's header text) and its visual row across
columns. Tokens, numbers, codes and (on first need) dates point back to words.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from lib.documents import BBox, Document, Page, Word
from lib.documents.rows import group_rows
from lib.extraction.dates import DateKind, DateOrder, find_dates, infer_order
from lib.grounding.identity import Labelled, labelled_values
from lib.grounding.text import (
    FUZZY_MIN_LENGTH,
    MAX_TOKEN_EDITS,
    code_key,
    has_digit,
    mrn_key,
    normalise,
    numbers_in,
    tokens,
)

_COMPARATOR_WORDS = {"<": "<", ">": ">", "<=": "<=", ">=": ">=", "\u2264": "<=", "\u2265": ">="}


@dataclass(frozen=True)
class Span:
    """Matched words on one page: ``words`` are stream indices, in the order they are quoted."""

    page: int
    words: tuple[int, ...]


@dataclass(frozen=True)
class Unit:
    """Words printed together: a line, a table row or a visual row (stream indices, left to right).

    ``header`` is the normalised text of a table row's column headings ("result (mg/dl)").
    """

    words: tuple[int, ...]
    header: str = ""


@dataclass(frozen=True)
class DateHit:
    """A written date on a page: its words, and whether day and month could be swapped."""

    words: tuple[int, ...]
    ambiguous: bool


@dataclass(frozen=True)
class _Read:
    """What one word's text holds; computed once per distinct text of a document."""

    tokens: tuple[str, ...]
    codes: tuple[str, ...]
    numbers: tuple[tuple[str | None, Decimal], ...]


def _read(text: str, cache: dict[str, _Read]) -> _Read:
    read = cache.get(text)
    if read is None:
        found = tuple(tokens(text))
        codes = tuple(key for token in found if has_digit(token) and (key := code_key(token)))
        numbers = tuple((comparator, value) for comparator, value, _ in numbers_in(text))
        read = cache[text] = _Read(found, codes, numbers)
    return read


def _place(word: Word) -> tuple[str, float, float]:
    """A word's identity on its page: equal words at one place are one word."""
    return word.text, word.bbox.x0, word.bbox.top


class PageIndex:
    """One page's stream, tokens, numbers, codes and units.

    ``cache`` is shared by the pages of one document: running text repeats words.
    """

    def __init__(self, page: Page, cache: dict[str, _Read]) -> None:
        self.page = page
        self.number = page.number
        # Hand-built pages may carry words without lines; their visual rows stand in.
        content = page.lines or tuple(row.line(page.number) for row in group_rows(page.words))
        self.words: tuple[Word, ...] = tuple(
            word for line in (*content, *page.furniture) for word in line.words
        )
        self.position: dict[tuple[str, float, float], int] = {
            _place(word): index for index, word in enumerate(self.words)
        }
        self.tokens: list[str] = []
        self.token_word: list[int] = []
        self.word_tokens: list[list[int]] = [[] for _ in self.words]
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.numbers: dict[Decimal, list[tuple[int, str | None]]] = defaultdict(list)
        self.codes: dict[str, list[int]] = defaultdict(list)
        previous = ""
        for index, word in enumerate(self.words):
            read = _read(word.text, cache)
            for token in read.tokens:
                self.postings[token].append(len(self.tokens))
                self.word_tokens[index].append(len(self.tokens))
                self.tokens.append(token)
                self.token_word.append(index)
            for key in read.codes:
                self.codes[key].append(index)
            for comparator, value in read.numbers:
                # "< 0.5" printed as two words keeps its comparator.
                self.numbers[value].append((index, comparator or _COMPARATOR_WORDS.get(previous)))
            previous = word.text.strip()
        self.lines: list[tuple[int, ...]] = []
        start = 0
        for line in (*content, *page.furniture):
            self.lines.append(tuple(range(start, start + len(line.words))))
            start += len(line.words)
        self.units: list[Unit] = [Unit(line) for line in self.lines]
        for table in page.tables:
            header = normalise(" ".join(table.header))
            for row in table.body:
                members = tuple(self.index_of(w) for cell in row for w in cell.words if self.index_of(w) >= 0)
                if members:
                    self.units.append(Unit(members, header))
        for visual in group_rows(self.words):
            self.units.append(Unit(tuple(self.index_of(w) for w in visual.words)))
        self.units_of: list[list[int]] = [[] for _ in self.words]
        for unit_id, unit in enumerate(self.units):
            for index in unit.words:
                self.units_of[index].append(unit_id)
        self._dates: dict[tuple[DateKind, DateOrder | None, date], dict[str, list[DateHit]]] = {}

    def index_of(self, word: Word) -> int:
        """The stream index of ``word``, or -1 when it is not one of the page's words."""
        return self.position.get(_place(word), -1)

    @cached_property
    def record_numbers(self) -> dict[str, int]:
        """Each word's tokens as record numbers (:func:`lib.grounding.text.mrn_key`), first word first."""
        found: dict[str, int] = {}
        for position, token in enumerate(self.tokens):
            if has_digit(token):
                found.setdefault(mrn_key(token), self.token_word[position])
        return found

    @cached_property
    def labelled(self) -> list[Labelled]:
        """The page's labelled values ("Sex: F"), read on first need."""
        return labelled_values(self.page)

    def tokens_of_words(self, words: Iterable[int]) -> list[tuple[str, int]]:
        """``(token, word)`` for every token of ``words``, in the given word order."""
        return [(self.tokens[p], index) for index in words for p in self.word_tokens[index]]

    def quote(self, span: Span) -> tuple[str, BBox]:
        """The exact text of ``span``'s words (joined by spaces) and the box around them."""
        words = [self.words[index] for index in span.words]
        box = words[0].bbox
        for word in words[1:]:
            box = box.union(word.bbox)
        return " ".join(word.text for word in words), box

    def dates(self, kind: DateKind, order: DateOrder | None, today: date) -> dict[str, list[DateHit]]:
        """Every written date on the page by ISO date (both readings of an ambiguous one)."""
        key = (kind, order, today)
        if key not in self._dates:
            found: dict[str, list[DateHit]] = defaultdict(list)
            for line in self.lines:
                if not any(char.isdigit() for index in line for char in self.words[index].text):
                    continue  # no date without a digit
                starts = _word_starts(self.words[index].text for index in line)
                text = " ".join(self.words[index].text for index in line)
                for hit in find_dates(text, order=order, kind=kind, today=today):
                    members = tuple(
                        index
                        for index, begin in zip(line, starts, strict=True)
                        if begin < hit.end and begin + len(self.words[index].text) > hit.start
                    )
                    for iso in (hit.iso,) if hit.iso else hit.readings:
                        found[iso].append(DateHit(members, hit.ambiguous))
            self._dates[key] = found
        return self._dates[key]


def _word_starts(texts: Iterable[str]) -> list[int]:
    starts, offset = [], 0
    for text in texts:
        starts.append(offset)
        offset += len(text) + 1
    return starts


@dataclass
class DocumentIndex:
    """Every page of a document, indexed; fuzzy token look-ups are cached across facts."""

    document: Document
    today: date
    pages: dict[int, PageIndex] = field(init=False)
    _similar: dict[str, tuple[str, ...]] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        cache: dict[str, _Read] = {}
        self.pages = {page.number: PageIndex(page, cache) for page in self.document.pages}

    @cached_property
    def _vocabulary(self) -> list[str]:
        return sorted({token for page in self.pages.values() for token in page.postings})

    @cached_property
    def date_order(self) -> DateOrder | None:
        """The day/month order the document's own numeric dates prove, if they agree."""
        return infer_order(
            " ".join(page.words[index].text for index in line)
            for page in self.pages.values()
            for line in page.lines
        )

    def similar(self, token: str) -> tuple[str, ...]:
        """The document's tokens that read as ``token`` (see :func:`lib.grounding.text.same_token`)."""
        if token not in self._similar:
            if has_digit(token) or len(token) < FUZZY_MIN_LENGTH:
                self._similar[token] = (token,)
            else:
                # One C call over the whole vocabulary instead of a Python loop per token.
                hits = process.extract(
                    token,
                    self._vocabulary,
                    scorer=Levenshtein.distance,
                    score_cutoff=MAX_TOKEN_EDITS,
                    limit=None,
                )
                self._similar[token] = tuple({token, *(hit for hit, _, _ in hits if not has_digit(hit))})
        return self._similar[token]

    def order(self, stated: int | None) -> Sequence[PageIndex]:
        """Pages to search: the stated page first (when it exists), then the others in order."""
        first = self.pages.get(stated) if stated is not None else None
        rest = [page for number, page in self.pages.items() if number != stated]
        return [first, *rest] if first is not None else rest
