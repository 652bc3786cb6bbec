"""Lab tables and lab lines to :class:`LabReading` values.

Columns
    :func:`classify_header` names each column from its heading, in any order
    ("Component | Your Value | Standard Range | Flag"); :func:`classify_columns`
    names them from their cells when there is no header (ranges, flags, units,
    numbers, then the leftmost column of words is the test). :func:`lab_columns`
    does both: the header where it speaks, the cells for the rest.

Rows and lines
    :func:`read_lab_row` reads one row of cells with its columns; :func:`parse_lab_line`
    reads a pipe line ("Potassium | 4.1 | mmol/L | 3.5-5.1") or a free-text line
    ("Potassium 4.1 mmol/L (3.5-5.1)", "HbA1c: 7.2 % H  Ref: 4.0-5.6"). Both give a
    :class:`LabReading`, a :class:`PanelHeading` for a sub-heading row
    ("COMPLETE BLOOD COUNT", "Lipid Panel"), or ``None``.

The printed flag is kept as printed; when none is printed, :func:`flag_from_range`
computes one and the parser decides whether to report it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from lib.domain.report_schema import LabFlag
from lib.extraction.lab_values import (
    LabValue,
    ReferenceRange,
    flag_from_range,
    looks_like_unit,
    normalise_unit,
    parse_flag,
    parse_number,
    parse_range,
    parse_value,
)

__all__ = [
    "LabColumn",
    "LabReading",
    "PanelHeading",
    "classify_columns",
    "classify_header",
    "flag_from_range",
    "lab_columns",
    "parse_lab_line",
    "read_lab_row",
    "reading_of",
]


class LabColumn(str, Enum):
    """What a lab table column holds."""

    TEST = "test"
    RESULT = "result"
    FLAG = "flag"
    UNIT = "unit"
    RANGE = "range"
    OTHER = "other"  # dates, comments, methods, previous results, codes


@dataclass(frozen=True)
class LabReading:
    """One lab result as printed, with its parts read.

    ``value`` is the result as printed without a glued flag ("<0.5", "Positive");
    ``number`` and ``comparator`` read it. ``unit`` is printed, ``unit_normalised``
    one spelling per unit (see :func:`lib.extraction.lab_values.normalise_unit`).
    ``flag`` is the printed flag read (``flag_text`` as printed); ``None`` when
    none is printed.
    """

    test: str
    value: str | None
    number: float | None = None
    comparator: str | None = None
    unit: str | None = None
    unit_normalised: str | None = None
    reference_range: ReferenceRange | None = None
    flag: LabFlag | None = None
    flag_text: str | None = None


@dataclass(frozen=True)
class PanelHeading:
    """A row or line that names a panel of the results below it ("COMPLETE BLOOD COUNT")."""

    text: str


# Checked in order: the first pattern found in a heading names its column, so
# "Reference Range" is a range (not a result) and "Previous Result" is other.
_HEADER_PATTERNS: tuple[tuple[LabColumn, re.Pattern[str]], ...] = tuple(
    (column, re.compile(pattern, re.IGNORECASE))
    for column, pattern in (
        (
            LabColumn.OTHER,
            r"\b(?:previous|prior|last|history|date|time|method|comment|note|loinc|code|site)s?\b",
        ),
        # Results printed in one of two columns by whether they are in range (Quest's layout).
        (LabColumn.RESULT, r"\b(?:in|within|out\s+of|outside(?:\s+of)?)\s+(?:the\s+)?(?:normal\s+)?range\b"),
        (LabColumn.RANGE, r"\b(?:ref(?:erence)?|range|normal|interval|limits?|expected|bio\.?\s*ref)"),
        (LabColumn.FLAG, r"\b(?:flags?|abn(?:ormal)?|h\s*/\s*l|indicator|alert)\b"),
        (LabColumn.UNIT, r"\b(?:units?|uom)\b"),
        (
            LabColumn.TEST,
            r"\b(?:test|analyte|component|name|parameter|investigation|description|exam(?:ination)?|assay)s?\b",
        ),
        (LabColumn.RESULT, r"\b(?:results?|values?|observed|observation|findings?|reading|level|outcome)\b"),
    )
)


def classify_header(header: Sequence[str]) -> tuple[LabColumn | None, ...]:
    """The column each heading names, ``None`` for an empty or unknown heading."""
    columns: list[LabColumn | None] = []
    for heading in header:
        text = heading.strip()
        columns.append(next((column for column, pattern in _HEADER_PATTERNS if pattern.search(text)), None))
    return tuple(columns)


_QUALITATIVE = re.compile(
    r"(?i)(?:positive|negative|non-?reactive|reactive|not\s+detected|detected|trace|absent|present"
    r"|normal|abnormal|none\s+seen|clear|cloudy|yellow|pending|\d\+)"
)


def _cell_kind(text: str) -> LabColumn | None:
    """What one cell looks like on its own."""
    written = text.strip()
    if not written:
        return None
    if parse_flag(written) is not None and not _QUALITATIVE.fullmatch(written):
        return LabColumn.FLAG
    value = parse_value(written)
    if value.number is not None:
        return LabColumn.RESULT
    if parse_range(written) is not None and re.search(r"\d", written):
        return LabColumn.RANGE
    if looks_like_unit(written) or _flag_and_unit(written) is not None:
        return LabColumn.UNIT
    if _QUALITATIVE.fullmatch(value.text):
        return LabColumn.RESULT
    if re.search(r"[A-Za-z]", written):
        return LabColumn.TEST
    return LabColumn.OTHER


_FLAG_THEN_UNIT = re.compile(r"^(?P<flag>\S+)\s+(?P<unit>\S+)$")


def _flag_and_unit(text: str) -> tuple[str, str] | None:
    """ "High mg/dL" as ("High", "mg/dL"): a flag column and a unit column read as one cell.

    Tables drawn without rules leave no gap wide enough between a short flag and
    its unit to part the columns, so the flag sits at the start of the unit's cell.
    """
    match = _FLAG_THEN_UNIT.match(text.strip())
    if match is None or not looks_like_unit(match["unit"]) or _QUALITATIVE.fullmatch(match["flag"]):
        return None
    return (match["flag"], match["unit"]) if parse_flag(match["flag"]) is not None else None


def _flag_unit(flag: str, unit: str) -> tuple[str, str]:
    """A row's flag and unit, when the layout read their two columns as one (see :func:`_flag_and_unit`).

    The merged cell is the flag's or the unit's, whichever the columns named; in the
    flag's, a row with no flag has only its unit there.
    """
    if flag and unit:
        return flag, unit
    merged = flag or unit
    if split := _flag_and_unit(merged):
        return split
    if flag and parse_flag(flag) is None and looks_like_unit(flag):
        return "", flag
    return flag, unit


_BOUND = re.compile(r"^\s*(?:<=|>=|=<|=>|[<>≤≥])\s*\d")


def _column_cells(rows: Sequence[Sequence[str]], index: int) -> list[str]:
    return [row[index].strip() for row in rows if index < len(row) and row[index].strip()]


def _all_bounds(cells: Sequence[str]) -> bool:
    """Every cell a reference range (a bound, an interval or a qualitative "Negative"), one of them numeric."""
    return (
        bool(cells)
        and all(parse_range(cell) is not None for cell in cells)
        and any(_BOUND.match(cell) or _TWO_NUMBERS.search(cell) for cell in cells)
    )


_TWO_NUMBERS = re.compile(r"\d\s*(?:-|\u2013|to)\s*\d")


def _bounds_as_ranges(rows: Sequence[Sequence[str]], kinds: list[LabColumn]) -> list[LabColumn]:
    """A "result" column of bounds ("<200", ">=40", "Negative") beside a column of plain numbers is the range.

    "<200" reads as a value on its own; the one column made only of ranges next to a
    column holding plain numbers is the reference range, and the plain column the result.
    """
    numeric = [index for index, kind in enumerate(kinds) if kind is LabColumn.RESULT]
    if LabColumn.RANGE in kinds or len(numeric) < 2:
        return kinds
    bounds = [index for index in numeric if _all_bounds(_column_cells(rows, index))]
    plain = [
        index
        for index in numeric
        if any(parse_number(cell) is not None for cell in _column_cells(rows, index)) and index not in bounds
    ]
    if len(bounds) == 1 and plain:
        fixed = list(kinds)
        fixed[bounds[0]] = LabColumn.RANGE
        return fixed
    return kinds


def classify_columns(rows: Sequence[Sequence[str]]) -> tuple[LabColumn, ...]:
    """Name each column from its cells: the kind most of its non-empty cells have.

    Only one column keeps each of test, result, flag, unit and range: the leftmost
    test column and result column win (a second numeric column is usually a
    previous result); the others become :attr:`LabColumn.OTHER`.
    """
    width = max((len(row) for row in rows), default=0)
    kinds: list[LabColumn] = []
    for index in range(width):
        votes: dict[LabColumn, int] = {}
        for row in rows:
            if index < len(row) and (kind := _cell_kind(row[index])) is not None:
                votes[kind] = votes.get(kind, 0) + 1
        kinds.append(max(votes, key=lambda kind: votes[kind]) if votes else LabColumn.OTHER)
    kinds = _bounds_as_ranges(rows, kinds)
    seen: set[LabColumn] = set()
    unique: list[LabColumn] = []
    for kind in kinds:
        unique.append(LabColumn.OTHER if kind in seen else kind)
        if kind is not LabColumn.OTHER:
            seen.add(kind)
    return tuple(unique)


def lab_columns(header: Sequence[str] | None, rows: Sequence[Sequence[str]]) -> tuple[LabColumn, ...]:
    """Columns from the header where its headings are known, from the cells for the others."""
    by_content = classify_columns(rows)
    if not header:
        return by_content
    by_header = classify_header(header)
    width = max(len(by_header), len(by_content))
    named: set[LabColumn] = {
        column for column in by_header if column is not None and column is not LabColumn.OTHER
    }
    columns: list[LabColumn] = []
    for index in range(width):
        heading = by_header[index] if index < len(by_header) else None
        guess = by_content[index] if index < len(by_content) else LabColumn.OTHER
        if heading is None:
            # An unnamed column takes what its cells say, unless a heading already claimed it.
            heading = guess if guess not in named else LabColumn.OTHER
            named.add(heading)
        columns.append(heading)
    return tuple(columns)


def _cell(cells: Sequence[str], columns: Sequence[LabColumn], wanted: LabColumn) -> str:
    for text, column in zip(cells, columns, strict=False):
        if column is wanted and text.strip():
            return re.sub(r"\s+", " ", text).strip()
    return ""


def _heading(cells: Sequence[str]) -> PanelHeading | None:
    """A row whose only text is one heading (possibly repeated across merged cells)."""
    texts = {re.sub(r"\s+", " ", cell).strip() for cell in cells} - {""}
    if len(texts) != 1:
        return None
    (text,) = texts
    # Numbers joined by a range dash, a date or time separator, or a comparator are data.
    if parse_number(text) is not None or re.search(r"\d\s*[-\u2013/.:]\s*\d|[<>]\s*\d", text):
        return None
    return PanelHeading(text.rstrip(":").strip()) if re.search(r"[A-Za-z]{2}", text) else None


_VALUE_UNIT = re.compile(r"^(?P<value>\S+(?:\s+(?:HH|LL|H|L|A|C|\*))?)\s+(?P<unit>\S+)$")


def _split_value_unit(text: str) -> tuple[str, str | None]:
    """ "4.1 mmol/L" → ("4.1", "mmol/L"); a value cell without a unit comes back whole."""
    match = _VALUE_UNIT.match(text)
    if match and looks_like_unit(match["unit"]) and parse_value(match["value"]).number is not None:
        return match["value"], match["unit"]
    return text, None


def _reading(
    test: str, value: LabValue | None, unit: str | None, reference: ReferenceRange | None, flag_text: str
) -> LabReading:
    unit = unit or (reference.unit if reference else None)
    flag = parse_flag(flag_text) if flag_text else None
    printed_flag = flag_text if flag is not None else None
    if flag is None and value is not None:
        flag, printed_flag = value.flag, value.flag_text
    return LabReading(
        test=test,
        value=value.text if value else None,
        number=value.number if value else None,
        comparator=value.comparator if value else None,
        unit=unit,
        unit_normalised=normalise_unit(unit) if unit else None,
        reference_range=reference,
        flag=flag,
        flag_text=printed_flag,
    )


def reading_of(
    test: str, value: LabValue | None, unit: str | None, reference: ReferenceRange | None, flag_text: str
) -> LabReading:
    """A reading from its printed parts; a flag glued to the value counts when none is printed apart."""
    return _reading(test, value, unit, reference, flag_text)


def read_lab_row(cells: Sequence[str], columns: Sequence[LabColumn]) -> LabReading | PanelHeading | None:
    """One table row as a :class:`LabReading` or :class:`PanelHeading`; ``None`` for an empty row.

    A unit printed in the result cell ("4.1 mmol/L") or with the range ("3.5-5.1
    mmol/L") is used when there is no unit column.
    """
    # A heading spans the row (merged cells repeat or shift it), whatever its columns.
    if heading := _heading(cells):
        return heading
    test = _cell(cells, columns, LabColumn.TEST)
    result = _cell(cells, columns, LabColumn.RESULT)
    if not test or not result:
        return None
    result_text, unit_in_result = _split_value_unit(result)
    range_text = _cell(cells, columns, LabColumn.RANGE)
    flag, unit = _flag_unit(_cell(cells, columns, LabColumn.FLAG), _cell(cells, columns, LabColumn.UNIT))
    return _reading(
        test=test.rstrip(":").strip(),
        value=parse_value(result_text),
        unit=unit or unit_in_result,
        reference=parse_range(range_text) if range_text else None,
        flag_text=flag,
    )


# --- lines -----------------------------------------------------------------------------

_LINE_VALUE = re.compile(
    r"(?:(?<=\s)|(?<=[A-Za-z)]:)|^)(?P<value>(?:[*↑↓]\s*)?(?:<=|>=|[<>≤≥])?\s?\d+(?:[.,]\d+)*"
    r"|(?i:positive|negative|non-?reactive|reactive|not\s+detected|detected|trace))(?=\s|$|[*]|[HLA]\b|%)"
)
_BRACKETED = re.compile(r"[(\[](?P<inner>[^()\[\]]*\d[^()\[\]]*)[)\]]")
_RANGE_AFTER_LABEL = re.compile(
    r"(?i)\b(?:ref(?:erence)?(?:\s+(?:range|interval))?|normal(?:\s+range)?|range)\s*[:=]?\s*"
    r"(?P<range>[<>≤≥]=?\s*\d\S*|\S*\d\S*\s*(?:-|\u2013|to)\s*\S*\d\S*)"
)
_BARE_RANGE = re.compile(r"(?<!\S)(?P<range>-?\d+(?:\.\d+)?\s*(?:-|\u2013|to)\s*\d+(?:\.\d+)?)(?!\S)")
_FLAG_TOKEN = re.compile(
    r"(?<!\S)(?P<flag>\((?:HH|LL|H|L|A|N)\)|HH|LL|H|L|A|N|\*|[↑↓]|(?i:critical|high|low|abnormal|normal))(?!\S)"
)


def parse_lab_line(text: str) -> LabReading | PanelHeading | None:
    """Read a pipe line or a free-text lab line; ``None`` when it holds no result.

    Free text is read as: the test (words up to the first standalone value), the
    value with any glued flag, then in any order a unit, a bracketed or labelled
    reference range and a flag word or letter.
    """
    if text.count("|") >= 2 or (text.count("|") == 1 and text.strip().strip("|").count("|") == 1):
        cells = [cell.strip() for cell in text.strip().strip("|").split("|")]
        return read_lab_row(cells, classify_columns([cells]))
    line = re.sub(r"\s+", " ", text).strip()
    value_match = _LINE_VALUE.search(line)
    if value_match is None or value_match.start() == 0:
        heading = _heading([line])
        return heading if heading and len(line.split()) <= 6 else None
    test = line[: value_match.start()].strip(" :-=.")
    if not re.search(r"[A-Za-z]", test):
        return None
    rest = line[value_match.end() :]
    value_text = value_match["value"]
    if glued := re.match(r"(HH|LL|[HLA])\b|\*", rest):
        value_text, rest = value_text + glued[0], rest[glued.end() :]

    reference = None
    for pattern in (_RANGE_AFTER_LABEL, _BRACKETED, _BARE_RANGE):
        for match in pattern.finditer(rest):
            group = "inner" if pattern is _BRACKETED else "range"
            if candidate := parse_range(match[group]):
                reference = candidate
                rest = rest[: match.start()] + " " + rest[match.end() :]
                break
        if reference:
            break
    flag_text = ""
    if flag_match := _FLAG_TOKEN.search(rest):
        flag_text = flag_match["flag"]
        rest = rest[: flag_match.start()] + " " + rest[flag_match.end() :]
    leftover = rest.strip(" ,;()[]")
    unit = leftover if leftover and looks_like_unit(leftover) else None
    if unit is None and leftover:
        first = leftover.split()[0].strip(",;()")
        unit = first if looks_like_unit(first) else None
    return _reading(test, parse_value(value_text), unit, reference, flag_text)
