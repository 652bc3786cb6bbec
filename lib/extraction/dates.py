"""Written dates (and a time printed with them) to ISO ``YYYY-MM-DD``.

Forms read: ``2026-02-07`` (also ``/`` or ``.``), ``02/17/2026``, ``17/02/2026``,
``17.02.2026``, ``2-7-26``, ``7 Feb 2026``, ``07-FEB-2026``, ``7th of February
2026``, ``Feb. 7, 2026``, ``February 7th, 2026``; a time may follow
(``02/17/2026 14:32``, ``... 2:32 PM``, ``2026-02-17T14:32:05``).

Day or month first
    A numeric date is read month-first or day-first only when the numbers say so
    (``02/17/2026``: 17 cannot be a month) or when both are equal. Otherwise it is
    *ambiguous*: :attr:`FoundDate.iso` is ``None``, the text is kept as written and
    both readings are given. Two things resolve it:

    * a dot separator (``04.05.2026``) is read day-first: dotted numeric dates are a
      day-first convention (German, Nordic, Slavic) and are not used month-first;
    * the caller's ``order`` hint, e.g. from :func:`infer_order` over the other dates
      of the same document, or from the report's known locale. The hint never
      overrides a date whose numbers decide it.

Two-digit years
    The century depends on what the date is (``kind``) and on ``today``:

    * ``DateKind.BIRTH``: a birth date is never in the future, so ``yy`` is the latest
      year ending in ``yy`` that is not after today's year (in 2026: ``26`` → 2026,
      ``27`` → 1927, ``51`` → 1951);
    * ``DateKind.EVENT`` (report, admission, collection dates): ``20yy`` unless that is
      more than 10 years after today's year, then ``19yy`` (in 2026: ``36`` → 2036,
      ``37`` → 1937).

A date that does not exist (``02/30/2026``) is not a date and is not returned.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import Enum

__all__ = ["DateKind", "DateOrder", "FoundDate", "find_dates", "infer_order", "parse_date"]


class DateOrder(str, Enum):
    """Which number of a numeric date is the month."""

    MONTH_FIRST = "month_first"
    DAY_FIRST = "day_first"


class DateKind(str, Enum):
    """What a date is, which decides the century of a two-digit year."""

    BIRTH = "birth"
    EVENT = "event"


@dataclass(frozen=True)
class FoundDate:
    """One date found in a string.

    ``text`` is the date as written (time included) and ``start``/``end`` its span
    in the searched string. ``iso`` is ``YYYY-MM-DD``, or ``None`` when day and
    month cannot be told apart (``ambiguous``); ``readings`` then holds both
    possible ISO dates, month-first reading first. ``time`` is ``HH:MM`` or
    ``HH:MM:SS`` (24-hour) when one is printed with the date.
    """

    text: str
    start: int
    end: int
    iso: str | None
    time: str | None = None
    ambiguous: bool = False
    readings: tuple[str, ...] = ()


_MONTH_NAMES: dict[str, int] = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "(?P<mon>" + "|".join(sorted(_MONTH_NAMES, key=len, reverse=True)) + r")\.?"
_ORDINAL = r"(?:st|nd|rd|th)?"
# Not inside a longer number, code or word (an MRN "123/45/6789", "A12-05-2026"), except
# that ISO 8601 joins a time with "T" ("2026-02-17T14:32").
_BEFORE = r"(?<![\w/.\-])"
_AFTER = r"(?:(?=T\d)|(?![\w/]|[.\-]\d))"
_TIME = re.compile(
    r"(?:\s*,?\s*(?:at\s+)?|T)(?P<h>[01]?\d|2[0-3]):(?P<min>[0-5]\d)(?::(?P<s>[0-5]\d))?"
    r"(?:\s*(?P<ampm>[ap])\.?m\.?)?(?![\w:])",
    re.IGNORECASE,
)
_PATTERNS: tuple[re.Pattern[str], ...] = tuple(
    re.compile(_BEFORE + body + _AFTER, re.IGNORECASE)
    for body in (
        r"(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})",
        r"(?P<a>\d{1,2})(?P<sep>[-/.])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})",
        rf"(?P<d>\d{{1,2}}){_ORDINAL}(?:\s+of)?[\s\-/]*{_MONTH}[\s\-/,]*(?P<y>\d{{4}}|(?<=-)\d{{2}})",
        # "May 13, 2005", and "May 13,2005" (a space lost to OCR, or never typed)
        rf"{_MONTH}\s*(?P<d>\d{{1,2}}){_ORDINAL}(?:,\s*|\s+)(?P<y>\d{{4}})",
    )
)


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _full_year(digits: str, kind: DateKind, today: date) -> int:
    if len(digits) == 4:
        return int(digits)
    yy = int(digits)
    century = today.year // 100 * 100
    if kind is DateKind.BIRTH:
        return century + yy if century + yy <= today.year else century - 100 + yy
    return century + yy if century + yy <= today.year + 10 else century - 100 + yy


def _time(match: re.Match[str] | None) -> str | None:
    if match is None:
        return None
    hour = int(match["h"])
    if ampm := match["ampm"]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if ampm.lower() == "p" else 0)
    seconds = f":{match['s']}" if match["s"] else ""
    return f"{hour:02d}:{match['min']}{seconds}"


def _numeric(match: re.Match[str], year: int, order: DateOrder | None) -> tuple[str | None, tuple[str, ...]]:
    """``(iso, readings)`` for ``a/b/y``; ``iso`` is ``None`` when undecided."""
    first, second = int(match["a"]), int(match["b"])
    month_first = _iso(year, first, second)
    day_first = _iso(year, second, first)
    if month_first is None or day_first is None or first == second:
        return month_first or day_first, ()
    if match["sep"] == ".":
        order = DateOrder.DAY_FIRST
    if order is DateOrder.MONTH_FIRST:
        return month_first, ()
    if order is DateOrder.DAY_FIRST:
        return day_first, ()
    return None, (month_first, day_first)


def _read(
    match: re.Match[str], text: str, order: DateOrder | None, kind: DateKind, today: date
) -> FoundDate | None:
    groups = match.groupdict()
    year = _full_year(match["y"], kind, today)
    readings: tuple[str, ...] = ()
    if groups.get("a") is not None:
        iso, readings = _numeric(match, year, order)
        if iso is None and not readings:
            return None
    else:
        month = int(match["m"]) if groups.get("m") else _MONTH_NAMES[match["mon"].lower()]
        iso = _iso(year, month, int(match["d"]))
        if iso is None:
            return None
    end = match.end()
    time_match = _TIME.match(text, end)
    clock = _time(time_match)
    if time_match is not None and clock is not None:
        end = time_match.end()
    return FoundDate(
        text=text[match.start() : end],
        start=match.start(),
        end=end,
        iso=iso,
        time=clock,
        ambiguous=bool(readings),
        readings=readings,
    )


def find_dates(
    text: str,
    *,
    order: DateOrder | None = None,
    kind: DateKind = DateKind.EVENT,
    today: date | None = None,
) -> list[FoundDate]:
    """Every date in ``text``, left to right, with its span.

    ``order`` resolves numeric dates whose day and month could be swapped;
    ``kind`` and ``today`` (default: the current date) place two-digit years (see
    the module docstring). Overlapping candidates keep the earliest, then longest.
    """
    reference = today or date.today()
    candidates: list[FoundDate] = []
    for pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if found := _read(match, text, order, kind, reference):
                candidates.append(found)
    chosen: list[FoundDate] = []
    for found in sorted(candidates, key=lambda item: (item.start, -item.end)):
        if not chosen or found.start >= chosen[-1].end:
            chosen.append(found)
    return chosen


def parse_date(
    text: str,
    *,
    order: DateOrder | None = None,
    kind: DateKind = DateKind.EVENT,
    today: date | None = None,
) -> FoundDate | None:
    """The first date in ``text`` (a label's value, a cell), or ``None``; see :func:`find_dates`."""
    found = find_dates(text, order=order, kind=kind, today=today)
    return found[0] if found else None


def infer_order(texts: Iterable[str]) -> DateOrder | None:
    """The day/month order a document's numeric dates prove, or ``None`` if they do not agree.

    ``17/02/2026`` proves day-first and ``02/17/2026`` month-first. Pass every
    string of one document; the answer is the ``order`` hint for its ambiguous
    dates. Evidence both ways (a mixed or garbled document) gives ``None``.
    """
    seen: set[DateOrder] = set()
    numeric = _PATTERNS[1]
    for text in texts:
        for match in numeric.finditer(text):
            first, second = int(match["a"]), int(match["b"])
            if first > 12 >= second >= 1:
                seen.add(DateOrder.DAY_FIRST)
            elif second > 12 >= first >= 1:
                seen.add(DateOrder.MONTH_FIRST)
    return seen.pop() if len(seen) == 1 else None
