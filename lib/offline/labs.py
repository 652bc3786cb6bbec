"""Lab results from tables (any column order, continued over pages), result lines and result cards.

Precision first: a row is a result only when its test reads as a test name and its
value as a value (a number with an optional comparator, or a qualitative word); a row
the columns cannot explain is skipped, never guessed. Vital signs (blood pressure,
pulse, temperature, SpO2, weight ...) are not lab results, wherever they are printed.

The flag is the printed one only (a letter, a word, a symbol, in its own column or
glued to the value); a value printed in bold with no flag has no flag.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from lib.checks.lab_knowledge import identify_test
from lib.documents import Cell, Page, Table, TextSource, Word
from lib.documents.rows import group_rows
from lib.documents.tables import cell_of
from lib.domain.report_schema import LabFlag
from lib.extraction.lab_values import flag_from_range, looks_like_unit, parse_flag, parse_range, parse_value
from lib.extraction.labs import (
    LabColumn,
    LabReading,
    PanelHeading,
    classify_columns,
    classify_header,
    lab_columns,
    parse_lab_line,
    read_lab_row,
)
from lib.extraction.medications import MedColumn, classify_medication_header
from lib.extraction.prose_labs import find_prose_results
from lib.offline.facts import Findings, LabFact, Source, words_in
from lib.offline.reading import Piece, Section, SectionKind, join_continued

__all__ = ["is_lab_table", "read_labs"]

_VITALS = re.compile(
    r"(?i)^(?:b\.?p\.?|blood\s+pressure|(?:heart|pulse)\s+rate|pulse|h\.?r\.?|temp(?:erature)?|t|r\.?r\.?"
    r"|resp(?:iratory)?(?:\s+rate)?|resps|spo2|sp\s*o2|o2\s+sat(?:uration)?|sat(?:uration)?s?|weight|wt|height|ht"
    r"|bmi|body\s+mass\s+index|pain(?:\s+score)?|gcs|map|head\s+circumference)$"
)
_VITAL_WORDS = re.compile(
    r"(?i)\b(?:vitals?|vital\s+signs|blood\s+pressure|heart\s+rate|pulse|temperature|resp(?:iratory|irations)?\s+rate"
    r"|spo2|o2\s+sat(?:uration)?|oxygen\s+saturation|weight|height|bmi)\b|(?:^|\s)(?:bp|hr|rr|temp|wt|ht)$"
)
_NOT_A_TEST = re.compile(
    r"(?i)\b(?:page|date|time|dob|mrn|age|sex|gender|phone|tel|fax|collected|received|reported|printed|signed"
    r"|accession|specimen\s+id|room|bed|visit|account)\b|^[\d.,:/]+(?:\s|$)"
    r"|^(?:range|ref(?:erence)?|normal|interval|result|value|units?|flag)\b"
)
_MAX_TEST_WORDS = 8
_MAX_HEADER_WORDS = 10
_QUALITATIVE = re.compile(
    r"(?i)(?:positive|negative|neg|pos|non-?reactive|reactive|not\s+detected|detected|trace|absent|present"
    r"|none\s+seen|clear|cloudy|hazy|turbid|yellow|pale\s+yellow|amber|straw|pending|[1-4]\+|normal|abnormal"
    r"|few|moderate|many|rare|small|large|indeterminate|equivocal)"
)


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


# Misreads OCR makes in the commonest analyte names (a zero for an O, an l for a 1).
_OCR_TEST_FIXES = {
    "C02": "CO2",
    "TC02": "TCO2",
    "pC02": "pCO2",
    "p02": "pO2",
    "HbAlc": "HbA1c",
    "HBAlC": "HBA1C",
    "Alc": "A1c",
    "AlC": "A1C",
}
# A capital read as its lower-case twin at the start of a word of capitals ("wBC", "cRP"); not
# u, v or s, which names print in lower case ("uACR", "vWF", "sTfR").
_LOWER_TWIN = re.compile(r"^[cow](?=[A-Z0-9]{2,}$)")


def _ocr_word(word: str, index: int) -> str:
    # A bar standing alone after a name is a capital I ("hs-Troponin I", "Factor I"): OCR
    # reads the serif-less I as "|", and an analyte name has no bar of its own.
    if word == "|" and index > 0:
        return "I"
    fixed = _OCR_TEST_FIXES.get(word, word)
    return _LOWER_TWIN.sub(lambda match: match[0].upper(), fixed)


def _ocr_test(reading: LabReading, words: Sequence[Word]) -> LabReading:
    if not any(word.source is TextSource.OCR for word in words):
        return reading
    fixed = " ".join(_ocr_word(word, index) for index, word in enumerate(reading.test.split()))
    return reading if fixed == reading.test else replace(reading, test=fixed)


def _plausible(reading: LabReading) -> bool:
    test = reading.test.strip()
    if not test or len(test.split()) > _MAX_TEST_WORDS or len(test) > 70:
        return False
    if _VITALS.match(test.rstrip(":").strip()) or _NOT_A_TEST.search(test) or _VITAL_WORDS.search(test):
        return False
    if re.search(
        r"\d+/\d+|\d\s*(?:mmhg|bpm|kg|lbs?|%)(?!\w)|[,;]\s*(?:bp|hr|rr|temp|spo2|pulse)\b", test, re.I
    ):
        return False  # a run of several values ("BP 132/84 mmHg, HR"), not one test name
    if not re.search(r"[A-Za-z]{2}|[A-Z]\d|\d[A-Z]", test):
        return False
    value = (reading.value or "").strip()
    if not value or len(value) > 30:
        return False
    return reading.number is not None or bool(_QUALITATIVE.fullmatch(value))


def _is_med_table(header: Sequence[str]) -> bool:
    columns = classify_medication_header(header)
    named = {column for column in columns if column is not MedColumn.OTHER}
    return MedColumn.NAME in named and bool(
        named & {MedColumn.DOSE, MedColumn.ROUTE, MedColumn.FREQUENCY, MedColumn.SIG}
    )


def _value_like(text: str) -> bool:
    value = parse_value(text)
    return value.number is not None or bool(_QUALITATIVE.fullmatch(value.text.strip()))


def _value_columns(body: Sequence[Sequence[str]]) -> int:
    width = max((len(row) for row in body), default=0)
    count = 0
    for index in range(width):
        cells = [row[index] for row in body if index < len(row) and row[index].strip()]
        if cells and sum(1 for cell in cells if _value_like(cell)) * 2 >= len(cells):
            count += 1
    return count


_SWAPPABLE = {frozenset((LabColumn.RESULT, LabColumn.RANGE)), frozenset((LabColumn.RESULT, LabColumn.OTHER))}


def _without_flags(known: tuple[LabColumn, ...], body: list[list[str]]) -> tuple[LabColumn, ...] | None:
    """``known`` less its flag column when a headerless part of the table has one column fewer.

    A part of a table with no flag in any row has no flag column at all when the
    columns come from the words' alignment (a scan, or a table drawn without rules).
    """
    if LabColumn.FLAG not in known or not body or len(body[0]) != len(known) - 1:
        return None
    if any(cell.strip() and parse_flag(cell.strip()) is not None for row in body for cell in row[1:]):
        return None  # flags are printed: another column is the one missing
    flagless = tuple(column for column in known if column is not LabColumn.FLAG)
    return flagless if _compatible(flagless, classify_columns(body)) else None


def _compatible(known: Sequence[LabColumn], cells: Sequence[LabColumn]) -> bool:
    """Whether columns named for another table fit this one's cells.

    Same width, and no column whose cells clearly say test, flag or unit where the
    known columns say something else; values and ranges (``<200`` reads as either)
    and values and other numbers (a previous result) may differ.
    """
    if len(known) != len(cells):
        return False
    for have, seen in zip(known, cells, strict=True):
        if have is seen or seen is LabColumn.OTHER:
            continue
        if frozenset((have, seen)) not in _SWAPPABLE:
            return False
    return True


def _width(table: Table) -> int:
    return max((len(row) for row in table.rows), default=0)


def _column_starts(table: Table) -> list[float]:
    width = max((len(row) for row in table.body), default=0)
    starts: list[float] = []
    for index in range(width):
        xs = [
            box.x0
            for row in table.body
            if index < len(row) and (box := row[index].bbox) is not None and row[index].text.strip()
        ]
        starts.append(min(xs) if xs else (starts[-1] + 1.0 if starts else 0.0))
    return starts


def header_above(table: Table, page: Page | None) -> tuple[str, ...] | None:
    """Column headings printed on a line just above a table the engine read without them.

    Each heading word goes to the column it starts in; the line counts only when its
    headings name a test and a result column.
    """
    if page is None or table.header_rows or not table.body:
        return None
    starts = _column_starts(table)
    candidates = [
        line
        for line in page.lines
        if table.bbox.top - 3 * max(line.bbox.bottom - line.bbox.top, 1.0)
        <= line.bbox.bottom
        <= table.bbox.top + 1.0
    ]
    candidates = [line for line in candidates if len(line.words) <= _MAX_HEADER_WORDS]
    if not candidates:
        return None
    # Headings may wrap over two or three lines ("Abnormal" above "Flag"): read them all, top down.
    words = sorted(
        (w for line in candidates for w in line.words), key=lambda w: (round(w.bbox.top), w.bbox.x0)
    )
    heads = ["" for _ in starts]
    for word in words:
        index = max((i for i, x0 in enumerate(starts) if x0 <= word.bbox.x0 + 6.0), default=0)
        heads[index] = f"{heads[index]} {word.text}".strip()
    named = classify_header(heads)
    if LabColumn.TEST in named and LabColumn.RESULT in named:
        return tuple(heads)
    return None


def _columns(
    table: Table,
    previous: tuple[LabColumn, ...] | None,
    page: Page | None = None,
    fallback: tuple[LabColumn, ...] | None = None,
) -> tuple[tuple[LabColumn, ...] | None, bool]:
    """The table's columns, and whether headings (its own, or printed above it) named them."""
    header = table.header if table.header_rows else None
    body = [[cell.text for cell in row] for row in table.body]
    if header is None and previous is not None and table.continues:
        return previous, True
    if header is None and previous is not None and _compatible(previous, classify_columns(body)):
        # The report printed its column headings once: a headerless table of the same shape keeps them.
        return previous, True
    if header is None and previous is not None and (flagless := _without_flags(previous, body)) is not None:
        return flagless, True
    if header is None:
        header = header_above(table, page)
    columns = lab_columns(header, body)
    if header is not None and LabColumn.RESULT not in columns:
        columns = _merged_result(header, columns)
    if LabColumn.TEST not in columns or LabColumn.RESULT not in columns:
        return None, False
    if header is None and LabColumn.UNIT not in columns and LabColumn.RANGE not in columns:
        # Without headings the cells alone must make it a lab table: a unit or range column.
        return None, False
    if header is None and LabColumn.RANGE not in columns and _value_columns(body) >= 2:
        # Two columns of values and no range or headings to tell them apart: the layout of the
        # report's other tables decides when it has the same shape; else skip, never guess.
        if fallback is not None and _compatible(fallback, classify_columns(body)):
            return fallback, False
        return None, False
    return columns, header is not None


_RESULT_WORD = re.compile(r"(?i)\b(?:results?|values?|observed)\b")
_MERGED_WORD = re.compile(r"(?i)\b(?:range|ref(?:erence)?|interval|normal|units?|uom)\b")


def _merged_result(header: Sequence[str], columns: tuple[LabColumn, ...]) -> tuple[LabColumn, ...]:
    """Two headings drawn as one ("Observed Value Normal Range", "Value Unit"): the column is the result.

    Its cells then hold the value with the range or the unit, which the row reader splits off.
    """
    fixed = list(columns)
    for index, heading in enumerate(header):
        if index < len(fixed) and _RESULT_WORD.search(heading) and _MERGED_WORD.search(heading):
            fixed[index] = LabColumn.RESULT
            return tuple(fixed)
    return columns


def is_lab_table(table: Table) -> bool:
    """Whether ``table`` reads as a lab table (its columns name a test and a result)."""
    if table.header_rows and _is_med_table(table.header):
        return False
    return _columns(table, None)[0] is not None


_VALUE_THEN_RANGE = re.compile(
    r"^(?P<value>[<>≤≥]?=?\s*[-+]?\d[\d.,]*(?:\s*(?:HH|LL|H|L|A|\*))?)\s+(?P<range>\S.*)$"
)


_VALUE_THEN_UNIT = re.compile(r"^(?P<value>[<>≤≥]?=?\s*[-+]?\d[\d.,]*)\s+(?P<unit>[^\s\d][^\s]*)$")


def _split_merged(cells: list[str], columns: Sequence[LabColumn]) -> tuple[list[str], LabColumn | None]:
    """A value cell holding "6.6 4.0-5.6" or "106 mEg/L" (two columns drawn as one).

    The range or unit goes to a slot of its own (returned with its column) when the
    table has no filled one; the unit as printed, even when it is no unit we know.
    """
    if LabColumn.RESULT not in columns:
        return cells, None
    index = columns.index(LabColumn.RESULT)
    if index >= len(cells):
        return cells, None
    unit_slot = columns.index(LabColumn.UNIT) if LabColumn.UNIT in columns else None
    if unit_slot is None or unit_slot >= len(cells) or not cells[unit_slot].strip():
        glued = _VALUE_THEN_UNIT.match(cells[index].strip())
        if glued and re.search(r"[A-Za-z%]", glued["unit"]) and parse_flag(glued["unit"]) is None:
            fixed = list(cells)
            fixed[index] = glued["value"]
            fixed.append(glued["unit"])
            return fixed, LabColumn.UNIT
    match = _VALUE_THEN_RANGE.match(cells[index].strip())
    if match is None or parse_range(match["range"]) is None or looks_like_unit(match["range"]):
        return cells, None
    if LabColumn.RANGE in columns:
        range_index = columns.index(LabColumn.RANGE)
        if range_index < len(cells) and cells[range_index].strip():
            return cells, None
    fixed = list(cells)
    fixed[index] = match["value"]
    fixed.append(match["range"])
    return fixed, LabColumn.RANGE


def _fact_from_row(
    row: Sequence[Cell], columns: Sequence[LabColumn], page: int, panel: str | None
) -> LabFact | PanelHeading | None:
    texts = [_clean(cell.text) for cell in row]
    fixed_columns = list(columns)
    split, added = _split_merged(texts, columns)
    if added is not None:
        fixed_columns = [*columns, *([LabColumn.OTHER] * (len(texts) - len(columns)))][: len(texts)]
        if added in fixed_columns:
            fixed_columns[fixed_columns.index(added)] = LabColumn.OTHER  # its own slot is empty
        fixed_columns.append(added)
    if any(word.source is TextSource.OCR for cell in row for word in cell.words):
        split = _star_for_percent(split, fixed_columns)
    result = read_lab_row(split, fixed_columns)
    if result is None or isinstance(result, PanelHeading):
        return result
    if not _plausible(result):
        return None
    words = tuple(word for cell in row for word in cell.words)
    unit_words: tuple[Word, ...] = ()
    if LabColumn.UNIT in columns:
        index = columns.index(LabColumn.UNIT)
        if index < len(row):
            unit_words = row[index].words
    if not unit_words and result.unit:
        unit_words = tuple(word for word in words if result.unit and word.text in result.unit)
    if result.flag is None and LabColumn.FLAG in columns and columns.index(LabColumn.FLAG) < len(row):
        result = _ocr_arrow(result, row[columns.index(LabColumn.FLAG)])
    quote = " | ".join(text for text in texts if text)
    return LabFact(_ocr_test(result, words), Source.of(page, words, quote), panel, unit_words)


def _star_for_percent(cells: list[str], columns: Sequence[LabColumn]) -> list[str]:
    """OCR cells with a value's "%" read as the "*" flag it is, where the row's unit is another.

    Tesseract reads a small "*" after a number as "%" ("2.4*" as "2.4%"); in a row
    whose unit column says "K/uL" the value cannot be a percentage.
    """
    if LabColumn.RESULT not in columns or LabColumn.UNIT not in columns:
        return cells
    result, unit = columns.index(LabColumn.RESULT), columns.index(LabColumn.UNIT)
    if max(result, unit) >= len(cells) or not cells[unit].strip() or "%" in cells[unit]:
        return cells
    fixed = list(cells)
    fixed[result] = re.sub(r"(?<=\d)%$", "*", cells[result].strip())
    return fixed


# What tesseract's English model makes of an arrow (it has no arrows): a stroke.
_ARROW_LOOKALIKE = re.compile(r"^(?:[1lI|!tTiJ]|[1lI|][!|]?)$")


def _ocr_arrow(reading: LabReading, cell: Cell | None) -> LabReading:
    """``reading`` flagged when its flag cell holds one OCR stroke: an arrow the model cannot read.

    The arrow's direction is not in the text, so the reading is flagged ``high`` or
    ``low`` by its printed range when the value lies outside it, ``abnormal`` otherwise.
    """
    if cell is None or not cell.words or any(word.source is not TextSource.OCR for word in cell.words):
        return reading
    if not _ARROW_LOOKALIKE.match(cell.text.strip()):
        return reading
    computed = (
        flag_from_range(reading.value, reading.reference_range)
        if reading.value and reading.reference_range
        else None
    )
    flag = computed if computed in (LabFlag.HIGH, LabFlag.LOW) else LabFlag.ABNORMAL
    return replace(reading, flag=flag, flag_text=cell.text.strip())


def _read_table(
    table: Table, columns: tuple[LabColumn, ...], panel: str | None, into: Findings
) -> str | None:
    for cells in table.body:
        row, above, below = _panel_lines(cells, columns)
        panel = above or panel
        fact = _fact_from_row(row, columns, table.page, panel)
        if isinstance(fact, PanelHeading):
            panel = fact.text
        elif fact is not None:
            into.labs.append(fact)
        panel = below or panel
    return panel


# A panel's name: words from a capital, no digits, two words or more ("Lipid Panel"); one word
# under a test ("Serum") is more likely the rest of its name.
_PANEL_SHAPE = re.compile(r"[A-Z][A-Za-z/&,()'-]*(?:\s+[A-Za-z/&,()'-]+)+")


def _panel_lines(
    row: Sequence[Cell], columns: Sequence[LabColumn]
) -> tuple[Sequence[Cell], str | None, str | None]:
    """``row`` with a panel's name taken out of its test cell, and that name (above or below the test).

    A table drawn without rules gives a panel's sub-heading row no cells of its own,
    so it joins the test name of the row beside it as if wrapped: "CBC With
    Differential" above "WBC", "Lipid Panel" below "Platelets". A line of the test
    cell above the row's value is a heading; a line below it is one when it reads as a
    panel's name (:data:`_PANEL_SHAPE`) and the test without it is a test we know and
    with it is none.
    """
    if LabColumn.TEST not in columns or LabColumn.RESULT not in columns:
        return row, None, None
    test_index, value_index = columns.index(LabColumn.TEST), columns.index(LabColumn.RESULT)
    if max(test_index, value_index) >= len(row) or not row[value_index].words:
        return row, None, None
    lines = [line.words for line in group_rows(row[test_index].words)]
    if len(lines) < 2:
        return row, None, None
    value_top = min(word.bbox.top for word in row[value_index].words)
    value_bottom = max(word.bbox.bottom for word in row[value_index].words)
    above = [words for words in lines if max(word.bbox.bottom for word in words) <= value_top]
    below = [words for words in lines if min(word.bbox.top for word in words) >= value_bottom]
    own = [words for words in lines if words not in above and words not in below]
    if not own:
        return row, None, None
    name = " ".join(word.text for words in own for word in words)
    whole = " ".join(word.text for words in own + below for word in words)
    after = " ".join(word.text for words in below for word in words)
    heading_below = None
    if (
        below
        and _PANEL_SHAPE.fullmatch(after)
        and identify_test(name, None) is not None
        and identify_test(whole, None) is None
    ):
        heading_below, kept = after, own
    else:
        kept = own + below
    if not above and heading_below is None:
        return row, None, None
    fixed = list(row)
    fixed[test_index] = cell_of([word for words in kept for word in words])
    heading_above = " ".join(word.text for words in above for word in words) or None
    return fixed, heading_above, heading_below


def _line_fact(piece: Piece, panel: str | None, in_lab_section: bool) -> LabFact | PanelHeading | None:
    text = piece.text
    result = parse_lab_line(text)
    if result is None or isinstance(result, PanelHeading):
        return result if in_lab_section else None
    if not _plausible(result):
        return None
    # Outside a results section a line must look like a printed result: a unit and a range.
    if not in_lab_section and "|" not in text and (result.unit is None or result.reference_range is None):
        return None
    if (
        in_lab_section
        and "|" not in text
        and result.unit is None
        and result.reference_range is None
        and result.flag is None
    ):
        return None
    return LabFact(_ocr_test(result, piece.words), Source.of(piece.page, piece.words, text), panel)


_CARD_NOTE = re.compile(
    r"(?i)^(?:ref(?:erence)?(?:\s+(?:range|interval))?|range|normal(?:\s+range)?)\s*:?\s*(?P<range>.+?)\s*(?:[·•|,;]\s*(?P<status>[A-Za-z ]+?))?\s*$"
)

# The same note as OCR reads it: the middle dot comes out as "-", "." or "*", or not at all
# ("Range 44-147 - In range", "Range 3.5 - 5.0 In range"); the status must then read as a flag.
_OCR_CARD_NOTE = re.compile(
    r"(?i)^(?:ref(?:erence)?(?:\s+(?:range|interval))?|range|normal(?:\s+range)?)\s*:?\s*(?P<range>.+?)"
    r"(?:\s+[-\u2013\u2014.*\u00b0~]\s+|\s+)(?P<status>[A-Za-z][A-Za-z ]*?)\s*$"
)

_IN_RANGE = re.compile(r"(?i)(?:in|within)\s+(?:normal\s+)?(?:range|limits)|normal")


def _status_word(status: str) -> bool:
    """True when ``status`` is a card's flag word ("High", "Low", "In range")."""
    return parse_flag(status) is not None or _IN_RANGE.fullmatch(status.strip()) is not None


def _card(label: Piece, value: Piece, note: Piece | None) -> LabFact | None:
    """A result card: the test as caption, "25 mmol/L" as the big number, "Range 22-29 · In range" below."""
    match = re.fullmatch(r"(?P<value>[<>≤≥]?=?\s*\d[\d.,]*)\s*(?P<unit>\S+(?:\s\S+)?)?", value.text.strip())
    if match is None or note is None:
        return None
    noted = _CARD_NOTE.match(note.text.strip())
    if noted is None or parse_range(noted["range"]) is None:
        noted = _OCR_CARD_NOTE.match(note.text.strip())
        if noted is None or parse_range(noted["range"]) is None or not _status_word(noted["status"]):
            return None
    unit = match["unit"] if match["unit"] and looks_like_unit(match["unit"]) else None
    if match["unit"] and unit is None:
        return None
    parsed = parse_value(match["value"])
    reference = parse_range(noted["range"])
    status = noted["status"] or ""
    flag = parse_flag(status) if status else None
    reading = LabReading(
        test=_clean(label.text).rstrip(":"),
        value=parsed.text,
        number=parsed.number,
        comparator=parsed.comparator,
        unit=unit,
        unit_normalised=None,
        reference_range=reference,
        flag=flag,
        flag_text=status or None,
    )
    if not _plausible(reading):
        return None
    words = (*label.words, *value.words, *note.words)
    return LabFact(reading, Source.of(value.page, words, f"{label.text} {value.text} {note.text}"), None)


_NOTE_START = re.compile(r"^(?:Range|RANGE|Ref(?:erence)?|REF(?:ERENCE)?|Normal|NORMAL)$")


def _split_at(piece: Piece, starts: Sequence[float]) -> list[Piece]:
    parts: list[list[Word]] = [[] for _ in starts]
    for word in piece.words:
        index = max((i for i, x0 in enumerate(starts) if x0 - 4.0 <= word.bbox.x0), default=0)
        parts[index].append(word)
    return [Piece(" ".join(w.text for w in words), piece.page, tuple(words)) for words in parts]


def _card_row(label: Piece, value: Piece, note: Piece) -> list[LabFact]:
    """Cards side by side, read as three lines: captions, values, notes; cut where each note starts."""
    starts = [word.bbox.x0 for word in note.words if _NOTE_START.match(word.text)]
    if len(starts) < 2:
        return []
    facts = []
    for caption, number, remark in zip(
        _split_at(label, starts), _split_at(value, starts), _split_at(note, starts), strict=True
    ):
        card = _card(caption, number, remark)
        if card is None:
            return []  # the columns do not line up: read nothing rather than a wrong pairing
        facts.append(card)
    return facts


_ENDS_WITH_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?$")
_STARTS_WITH_VALUE = re.compile(r"^(?:<=|>=|[<>≤≥])?\d+(?:\.\d+)?\s?(?P<unit>[^\s,;()]+)")
# Lines of running text (result lines and cards are shorter): at least this many words.
_PROSE_LINE_WORDS = 5


def _parted(upper: str, lower: str) -> bool:
    """Whether a line break parts a result written in running text: name | value, or value | unit."""
    if len(upper.split()) < _PROSE_LINE_WORDS or len(lower.split()) < _PROSE_LINE_WORDS:
        return False
    first = lower.split(maxsplit=1)[0].rstrip(".,;:)")
    if _ENDS_WITH_NUMBER.search(upper) and looks_like_unit(first):
        return True
    value = _STARTS_WITH_VALUE.match(lower)
    return value is not None and looks_like_unit(value["unit"].rstrip(".")) and upper[-1:] not in ".;:!?"


def _parts_a_result(upper: Piece, lower: Piece) -> bool:
    """Whether ``lower`` continues ``upper``: running text wrapped where it parts a result ("... TSH" / "2.4 mIU/L")."""
    return upper.page == lower.page and _parted(upper.text.strip(), lower.text.strip())


def _read_pieces(section: Section, into: Findings) -> None:
    in_lab_section = section.kind is SectionKind.LABS
    pieces = list(section.pieces)
    if section.heading and section.kind is SectionKind.OTHER and len(pieces) >= 2:
        caption = Piece(section.heading, section.page, section.heading_words)
        card = _card(caption, pieces[0], pieces[1])
        if card is not None:
            into.labs.append(card)
            pieces = pieces[2:]
    pieces = join_continued(pieces, _parts_a_result)
    panel: str | None = None
    used: set[int] = set()
    for index, piece in enumerate(pieces):
        if index in used:
            continue
        if index + 2 < len(pieces):
            row = _card_row(piece, pieces[index + 1], pieces[index + 2])
            card = _card(piece, pieces[index + 1], pieces[index + 2])
            if row or card is not None:
                into.labs.extend(row or ([card] if card else []))
                used.update((index + 1, index + 2))
                continue
        fact = _line_fact(piece, panel, in_lab_section)
        if isinstance(fact, PanelHeading):
            panel = fact.text
            continue
        prose = _prose_facts(piece, panel)
        if fact is not None and not _sentence(piece, prose):
            into.labs.append(fact)
        else:
            into.labs.extend(prose)


def _sentence(piece: Piece, prose: Sequence[LabFact]) -> bool:
    """Whether the sentence reader explains a line better than the result-line reader.

    It does when it finds several results (the line reader would take the first
    value and make one test of everything before it), or one whose test name starts
    after other words ("Labs today notable for potassium 5.9 mmol/L, high").
    """
    return len(prose) >= 2 or any(piece.text.find(fact.source.quote) > 0 for fact in prose)


def _prose_facts(piece: Piece, panel: str | None) -> list[LabFact]:
    """The results written in the sentences of ``piece`` (:mod:`lib.extraction.prose_labs`)."""
    facts: list[LabFact] = []
    for found in find_prose_results(piece.text):
        if not _plausible(found.reading):
            continue
        quote = piece.text[found.start : found.end]
        words = words_in(piece.words, quote) or piece.words
        facts.append(LabFact(_ocr_test(found.reading, words), Source.of(piece.page, words, quote), panel))
    return facts


_CARD_CELL = re.compile(r"(?i)\b(?:range|ref(?:erence)?|normal)\b")


def _read_cards(table: Table, into: Findings) -> None:
    """A grid of result cards: one result per cell ("Albumin 2.8 g/dL Range 3.5 - 5.0 · Low"), or
    per column of three rows (captions, values, notes)."""
    rows = table.rows
    for captions, values, notes in zip(rows, rows[1:], rows[2:], strict=False):
        if not any(_NOTE_START.match(cell.text.split()[0]) for cell in notes if cell.text.strip()):
            continue
        for caption, value, note in zip(captions, values, notes, strict=False):
            pieces = [Piece(_clean(cell.text), table.page, cell.words) for cell in (caption, value, note)]
            if card := _card(*pieces):
                into.labs.append(card)
    for row in table.rows:
        for cell in row:
            text = _clean(cell.text)
            if not _CARD_CELL.search(text):
                continue
            reading = parse_lab_line(text.replace("·", " "))
            if (
                isinstance(reading, LabReading)
                and reading.reference_range is not None
                and _plausible(reading)
            ):
                into.labs.append(LabFact(reading, Source.of(table.page, cell.words, text), None))


def _visual_rows(words: Sequence[Word]) -> list[list[Word]]:
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (w.bbox.top + w.bbox.bottom) / 2):
        middle = (word.bbox.top + word.bbox.bottom) / 2
        if rows and abs(middle - (rows[-1][0].bbox.top + rows[-1][0].bbox.bottom) / 2) <= 3.0:
            rows[-1].append(word)
        else:
            rows.append([word])
    return [sorted(row, key=lambda w: w.bbox.x0) for row in rows]


def _page_card_rows(page: Page, into: Findings) -> None:
    """Cards side by side, found from the words' positions: a row of notes ("Range ..."), values above, captions above those."""
    rows = _visual_rows(page.words)
    for index in range(2, len(rows)):
        starts = [word.bbox.x0 for word in rows[index] if _NOTE_START.match(word.text)]
        if len(starts) < 2:
            continue
        height = max(w.bbox.bottom - w.bbox.top for w in rows[index])
        captions, values = rows[index - 2], rows[index - 1]
        if rows[index][0].bbox.top - captions[0].bbox.bottom > 8 * height:
            continue
        pieces = [
            Piece(" ".join(w.text for w in row), page.number, tuple(row))
            for row in (captions, values, rows[index])
        ]
        into.labs.extend(_card_row(*pieces))


def read_labs(parts: Sequence[Section], into: Findings, pages: Mapping[int, Page] | None = None) -> None:
    """Every lab result of the report's tables and result lines, in reading order."""
    pages = pages or {}
    for page in pages.values():
        _page_card_rows(page, into)
    previous: tuple[LabColumn, ...] | None = None  # named by headings
    settled: tuple[LabColumn, ...] | None = None  # the last table read without doubt
    panel: str | None = None
    for section in parts:
        for table in section.tables:
            if table.header_rows and _is_med_table(table.header):
                continue
            columns, named = _columns(table, previous, pages.get(table.page), settled)
            if columns is None:
                _read_cards(table, into)
                continue
            if not table.continues:
                panel = None
            panel = _read_table(table, columns, panel or (section.heading or None), into)
            if named:
                previous = columns
            if named or LabColumn.RANGE in columns:
                settled = columns
        if section.kind not in (
            SectionKind.MEDICATIONS,
            SectionKind.DIAGNOSIS,
            SectionKind.FINDINGS,
            SectionKind.IMPRESSION,
        ):
            _read_pieces(section, into)
        elif section.kind is not SectionKind.MEDICATIONS:
            # An assessment may give the result it rests on: "hyperkalaemia, potassium 5.9 mmol/L".
            for piece in section.pieces:
                into.labs.extend(_prose_facts(piece, None))
