"""Lab results written inside sentences: "Potassium 5.9 mmol/L, high", "creatinine was 1.46 mg/dL".

Consult notes and letters give results in prose, several to a sentence. A result
here is a number with a unit after it (``5.9 mmol/L``), preceded by the name of a
known lab test (:mod:`lib.checks.lab_knowledge`) with at most a few joining words
between them ("was", "of", "at", "level", ":"), and the unit must be one the test
is reported in. So "metformin 500 mg", "BP 142/88" and "vitamin D 1000 units
daily" (a dose: units are not how vitamin D is measured) are not results. After
the unit an optional flag word ("high", "(low)", "H") and a bracketed or labelled
reference range ("(ref 3.5-5.1)") belong to the result.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lib.checks.lab_knowledge import identify_test
from lib.checks.units import to_ucum
from lib.extraction.lab_values import looks_like_unit, parse_flag, parse_range, parse_value
from lib.extraction.labs import LabReading, reading_of

__all__ = ["ProseResult", "find_prose_results"]

# A value and the token after it (the unit, checked with looks_like_unit).
_VALUE_UNIT = re.compile(
    r"(?<![\w./-])(?P<value>(?:<=|>=|[<>≤≥])?\s?\d+(?:\.\d+)?)\s?(?P<unit>[A-Za-zµμ%][^\s,;()]*)"
)
# Words between a test's name and its value.
_JOINERS = frozenset(
    [
        "was",
        "were",
        "is",
        "are",
        "of",
        "at",
        "level",
        "levels",
        "value",
        "values",
        "result",
        "results",
        "measured",
        "came",
        "back",
        "remained",
        "now",
        "today",
        "up",
        "down",
        "to",
        "from",
        "increased",
        "decreased",
        "rose",
        "fell",
        "elevated",
        "low",
        "high",
        "checked",
    ]
)
_MAX_NAME_WORDS = 5
_MAX_JOINERS = 3
# The name is looked for back to the last sentence or clause break.
_BREAK = re.compile(r"[.;:!?](?:\s|$)|,\s|\band\b|\bwith\b|\bbut\b")
_FLAG_AFTER = re.compile(
    r"^\s*,?\s*\(?(?P<flag>critically\s+(?:high|low)|critical|high|low|abnormal|normal|HH|LL|H|L)\)?(?![\w-])"
)
_RANGE_AFTER = re.compile(
    r"^\s*,?\s*[(\[]\s*(?:(?:ref(?:erence)?|normal|range|nl)\.?\s*(?:range|interval)?\s*[:=]?\s*)?"
    r"(?P<range>[^()\[\]]*\d[^()\[\]]*)[)\]]",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ProseResult:
    """One result found in a sentence: the reading and the span of text it was read from."""

    reading: LabReading
    start: int
    end: int


def find_prose_results(text: str) -> list[ProseResult]:
    """Every lab result written in the running text ``text``, in order."""
    found: list[ProseResult] = []
    for match in _VALUE_UNIT.finditer(text):
        unit = match["unit"].rstrip(".")
        ucum = to_ucum(unit)
        if not looks_like_unit(unit) or ucum is None:
            continue
        named = _test_before(text[: match.start()], ucum)
        if named is None:
            continue
        name, start = named
        end = match.start("unit") + len(unit)
        rest = text[end:]
        flag_text = ""
        reference = None
        for _ in range(2):  # a flag and a range, in either order
            if not flag_text and (flag := _FLAG_AFTER.match(rest)) and parse_flag(flag["flag"]):
                flag_text, end, rest = flag["flag"], end + flag.end(), rest[flag.end() :]
            elif (
                reference is None
                and (bracket := _RANGE_AFTER.match(rest))
                and (candidate := parse_range(bracket["range"])) is not None
            ):
                reference, end, rest = candidate, end + bracket.end(), rest[bracket.end() :]
        value = parse_value(match["value"].replace(" ", ""))
        reading = reading_of(name, value, unit, reference, flag_text)
        found.append(ProseResult(reading, start, end))
    return found


def _test_before(before: str, ucum: str) -> tuple[str, int] | None:
    """The known test named just before a value (and where it starts), or ``None``."""
    breaks = list(_BREAK.finditer(before))
    offset = breaks[-1].end() if breaks else 0
    clause = before[offset:]
    words = list(re.finditer(r"[^\s]+", clause))
    joined = 0
    while words and words[-1][0].lower().strip(":=") in _JOINERS | {""} and joined < _MAX_JOINERS:
        words.pop()
        joined += 1
    for size in range(min(_MAX_NAME_WORDS, len(words)), 0, -1):
        span = words[-size:]
        name = clause[span[0].start() : span[-1].end()].strip(" :=")
        test = identify_test(name, ucum)
        if test is not None and ucum in test.limits:
            return name, offset + span[0].start()
    return None
