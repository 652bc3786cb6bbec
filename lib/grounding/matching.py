"""Finding one fact on one page: phrases, names, lab rows, medications, diagnoses, dates, codes.

Every matcher takes a :class:`PageIndex` and returns a :class:`Hit` or ``None``.
The rules (thresholds in :mod:`lib.grounding.text` and here):

* **phrases** (findings, impression, facility, diagnosis descriptions): every
  content word of the fact (all but a few function words) is found, each within
  the token tolerance, in a run of at most ``n + slack`` consecutive words of the
  page, in any order, across lines. A fact of more than :data:`LONG_PHRASE_WORDS`
  words may miss :data:`LONG_PHRASE_MISSES` of its words in ten (a paraphrased or
  garbled word in a sentence); a word with a digit never.
* **names**: the same, titles and credentials dropped, initials optional: "DOE,
  JANE" grounds "Jane Doe".
* **lab results**: the value as an exact number with the same comparator (or the
  exact word for "positive", "150/95"), and in the same unit (line, table row or
  visual row) the test name as a phrase and, when given, the unit (in the row or
  its table's header).
* **medications**: the dose's number exactly and the name as a phrase in one unit.
* **diagnoses with a code**: the code exactly (dot optional) with the description
  in one unit; the description alone is reported separately so the caller can
  tell an invented code from an invented diagnosis.
* **dates**: a written date on the page that reads as the same ISO date.
* **record numbers**: one word printing it; **sex**: a sex or gender label's value.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from lib.domain.report_schema import Diagnosis, LabResult, Medication, Sex
from lib.extraction.dates import DateKind, DateOrder
from lib.extraction.identity import IdentityField, parse_age_sex, parse_sex
from lib.grounding.index import DocumentIndex, PageIndex, Span, Unit
from lib.grounding.text import (
    code_key,
    has_digit,
    mrn_key,
    normalise,
    numbers_in,
    parse_value,
    same_token,
    tokens,
)

# Words that carry no identity of their own; a fact need not repeat them to match.
# "with"/"without", "no"/"not" are *not* here: they change what a diagnosis means.
STOP_WORDS = frozenset({"of", "the", "and", "an", "in", "on", "at", "to", "for", "is", "was", "by", "&"})
TITLES = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "md", "m.d", "do", "phd", "rn", "np", "pa"}
)
# A match may spread over the fact's own length plus this many extra words (a middle
# initial, "(E11.9)" inside a phrase), plus one more per five words of a long fact.
WINDOW_SLACK = 2
# Phrases longer than this may miss LONG_PHRASE_MISSES words in ten; shorter ones none.
# Four words covers test names, drug names, diagnoses and facility names, where one
# missing word is a different fact ("Type 2 diabetes" vs "... mellitus").
LONG_PHRASE_WORDS = 4
LONG_PHRASE_MISSES = 1.5


@dataclass(frozen=True)
class Hit:
    """Where a fact was found: the words to quote, how well (higher is better), and caveats.

    ``score`` is ``(share of the fact's words matched, -words spanned)``; ``ambiguous``
    marks a date whose day and month could be read either way.
    """

    span: Span
    score: tuple[float, int] = (1.0, 0)
    ambiguous: bool = False


def _content(text: str, *, drop: frozenset[str] = STOP_WORDS) -> tuple[str, ...]:
    words = tokens(text)
    kept = tuple(word for word in words if word not in drop)
    return kept or tuple(words)


def _required(needle: Sequence[str]) -> int:
    if len(needle) <= LONG_PHRASE_WORDS:
        return len(needle)
    return max(
        sum(1 for word in needle if has_digit(word)), math.ceil(len(needle) * (1 - LONG_PHRASE_MISSES / 10))
    )


def _align(
    needle: Sequence[str], occurrences: Sequence[Sequence[int]]
) -> tuple[list[int], tuple[float, int]] | None:
    """Positions (one per matched needle word) inside one window, or ``None``.

    ``occurrences[i]`` are the sorted positions where needle word ``i`` was found.
    Each occurrence of the rarest word anchors a window; every other word takes its
    nearest free occurrence. The best window matches most words, then spans fewest.
    """
    required = _required(needle)
    if any(not found for word, found in zip(needle, occurrences, strict=True) if has_digit(word)):
        return None
    present = [i for i, found in enumerate(occurrences) if found]
    if len(present) < required:
        return None
    limit = len(needle) + WINDOW_SLACK + len(needle) // 5
    anchor = min(present, key=lambda i: len(occurrences[i]))
    best: tuple[list[int], tuple[float, int]] | None = None
    for start in occurrences[anchor]:
        used = {start}
        chosen = [start]
        for i in present:
            if i == anchor:
                continue
            position = _nearest(occurrences[i], start, limit, used)
            if position is not None:
                used.add(position)
                chosen.append(position)
        chosen = _fit(chosen, start, limit)
        digits_ok = all(
            any(p in chosen for p in occurrences[i]) for i, word in enumerate(needle) if has_digit(word)
        )
        if len(chosen) < required or not digits_ok:
            continue
        score = (len(chosen) / len(needle), -(max(chosen) - min(chosen) + 1))
        if best is None or score > best[1]:
            best = (sorted(chosen), score)
    return best


def _nearest(positions: Sequence[int], around: int, limit: int, used: set[int]) -> int | None:
    index = bisect.bisect_left(positions, around)
    candidates = [
        p
        for p in positions[max(0, index - limit) : index + limit]
        if p not in used and abs(p - around) < limit
    ]
    return min(candidates, key=lambda p: abs(p - around), default=None)


def _fit(chosen: list[int], anchor: int, limit: int) -> list[int]:
    """Drop the positions farthest from the anchor until the rest fit in ``limit`` words."""
    kept = sorted(chosen, key=lambda p: abs(p - anchor))
    while kept and max(kept) - min(kept) + 1 > limit:
        kept.pop()
    return kept


# --- phrases on a page, and inside a unit ---------------------------------------------------------


def _page_phrase(index: DocumentIndex, page: PageIndex, needle: Sequence[str]) -> Hit | None:
    occurrences = [
        sorted(p for similar in index.similar(word) for p in page.postings.get(similar, ()))
        for word in needle
    ]
    aligned = _align(needle, occurrences)
    if aligned is None:
        return None
    positions, score = aligned
    # Stream positions are token positions; quote every word from the first to the last.
    first, last = page.token_word[positions[0]], page.token_word[positions[-1]]
    return Hit(Span(page.number, tuple(range(first, last + 1))), score)


def _unit_phrase(
    page: PageIndex, unit: Unit, needle: Sequence[str], skip: int | None = None
) -> list[int] | None:
    """Unit-order offsets of the unit's words that hold ``needle``, or ``None``."""
    local = [
        (token, offset)
        for offset, word in enumerate(unit.words)
        if word != skip
        for token, _ in page.tokens_of_words((word,))
    ]
    occurrences = [[i for i, (token, _) in enumerate(local) if same_token(word, token)] for word in needle]
    aligned = _align(needle, occurrences)
    return None if aligned is None else sorted({local[i][1] for i in aligned[0]})


def _unit_span(page: PageIndex, unit: Unit, offsets: Sequence[int]) -> Span:
    """The unit's words from the first matched to the last, as printed in that unit."""
    return Span(page.number, unit.words[min(offsets) : max(offsets) + 1])


def phrase(index: DocumentIndex, page: PageIndex, text: str) -> Hit | None:
    """``text`` as a phrase anywhere on the page (see the module docstring)."""
    needle = _content(text)
    return _page_phrase(index, page, needle) if needle else None


def name(index: DocumentIndex, page: PageIndex, text: str) -> Hit | None:
    """A person's name in any order, titles and credentials dropped, initials optional."""
    needle = tuple(word for word in _content(text, drop=TITLES) if len(word.rstrip(".")) > 1)
    return _page_phrase(index, page, needle) if needle else None


# --- values printed in a row ----------------------------------------------------------------


def _in_units(
    page: PageIndex,
    anchors: Sequence[int],
    check: Callable[[Unit, int], list[int] | None],
) -> Hit | None:
    """The first unit around an anchor word where ``check`` finds the rest of the fact.

    ``check(unit, anchor)`` returns the unit offsets of the words it matched (the
    anchor's own offset included), or ``None``.
    """
    for anchor in anchors:
        for unit_id in page.units_of[anchor]:
            unit = page.units[unit_id]
            offsets = check(unit, anchor)
            if offsets is not None:
                return Hit(_unit_span(page, unit, offsets))
    return None


def _value_anchors(page: PageIndex, value: str) -> list[int] | None:
    """Words printing ``value`` exactly: a number with its comparator, or the same words."""
    number = parse_value(value)
    if number is not None:
        comparator, amount = number
        return [word for word, printed in page.numbers.get(amount, ()) if printed == comparator]
    wanted = tokens(value)
    if not wanted:
        return None
    size = len(wanted)
    starts = page.postings.get(wanted[0], [])
    return sorted({page.token_word[p] for p in starts if page.tokens[p : p + size] == wanted})


def _unit_key(text: str) -> str:
    return "".join(normalise(text).split())


def _unit_offsets(page: PageIndex, unit: Unit, wanted: str, value_word: int) -> list[int] | None:
    """Offsets of the words printing the lab unit ``wanted``; ``[]`` when only the header has it."""
    key = _unit_key(wanted)
    texts = [page.words[word].text for word in unit.words]
    for offset, word in enumerate(unit.words):
        text = texts[offset]
        if word == value_word:
            # "7.2%": what follows the number.
            found = numbers_in(text)
            text = text[found[-1][2] :] if found else text
        for width in (1, 2, 3):  # "mg / dL" may be three words
            if _unit_key("".join([text, *texts[offset + 1 : offset + width]])) == key:
                return list(range(offset, offset + width))
    return [] if key and key in unit.header.replace(" ", "") else None


def lab(index: DocumentIndex, page: PageIndex, result: LabResult) -> Hit | None:
    """The test name, its value and its unit printed together on the page."""
    value = result.value
    if value is None and result.value_number is not None:
        comparator = result.comparator.value if result.comparator else ""
        value = comparator + format(Decimal(str(result.value_number)), "f")
    needle = _content(result.test)
    anchors = _value_anchors(page, value) if value else None
    if not anchors or not needle:
        return None

    def check(unit: Unit, anchor: int) -> list[int] | None:
        value_offset = unit.words.index(anchor)
        offsets = _unit_phrase(page, unit, needle, skip=anchor)
        if offsets is None:
            return None
        unit_offsets: list[int] = []
        if result.unit:
            found = _unit_offsets(page, unit, result.unit, anchor)
            if found is None:
                return None
            unit_offsets = found
        return [*offsets, value_offset, *unit_offsets]

    return _in_units(page, anchors, check)


def medication(index: DocumentIndex, page: PageIndex, item: Medication) -> Hit | None:
    """The drug's name and its dose's number printed together (the name alone without a dose)."""
    needle = _content(item.name)
    numbers = numbers_in(item.dose or "")
    if not numbers:
        return _page_phrase(index, page, needle) if needle else None
    _, amount, end = numbers[0]
    dose_unit = (item.dose or "")[end:].strip()
    anchors = [word for word, _ in page.numbers.get(amount, ())]

    def check(unit: Unit, anchor: int) -> list[int] | None:
        offsets = _unit_phrase(page, unit, needle, skip=anchor)
        if offsets is None:
            return None
        # The dose's unit ("mg") is quoted when printed, but only its number must match.
        unit_offsets = _unit_offsets(page, unit, dose_unit, anchor) if dose_unit else None
        return [*offsets, unit.words.index(anchor), *(unit_offsets or [])]

    return _in_units(page, anchors, check)


def coded_diagnosis(page: PageIndex, item: Diagnosis) -> Hit | None:
    """The diagnosis's code (exactly) printed with its description, or ``None``."""
    key = code_key(item.code or "")
    needle = _content(item.description)
    if key is None or not needle:
        return None

    def check(unit: Unit, anchor: int) -> list[int] | None:
        offsets = _unit_phrase(page, unit, needle, skip=anchor)
        return None if offsets is None else [*offsets, unit.words.index(anchor)]

    return _in_units(page, page.codes.get(key, []), check)


def written_date(
    page: PageIndex, iso: str, *, kind: DateKind, order: DateOrder | None, today: date
) -> Hit | None:
    """A date on the page that reads as ``iso``; an unambiguous one is preferred."""
    hits = page.dates(kind, order, today).get(iso, [])
    if not hits:
        return None
    best = min(hits, key=lambda hit: hit.ambiguous)
    return Hit(Span(page.number, best.words), ambiguous=best.ambiguous)


def record_number(page: PageIndex, mrn: str) -> Hit | None:
    """A word printing the record number, ignoring case, hyphens and leading zeros."""
    word = page.record_numbers.get(mrn_key(mrn))
    return None if word is None else Hit(Span(page.number, (word,)))


def stated_sex(page: PageIndex, value: Sex) -> Hit | None:
    """A sex or gender label (or "Age/Sex") on the page whose value reads as ``value``."""
    for item in page.labelled:
        if item.field is IdentityField.SEX:
            read = parse_sex(item.value)
        elif item.field is IdentityField.AGE_SEX:
            read = parse_age_sex(item.value)[1]
        else:
            continue
        words = tuple(index for index in map(page.index_of, item.words) if index >= 0)
        if read is value and words:
            return Hit(Span(page.number, words))
    return None
