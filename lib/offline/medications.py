"""Medications from medication tables (headings in any order) and from sig lines in medication sections.

A table is a medication table when its headings name a drug column and a dose,
route, frequency or directions column, or when it has no headings and sits in a
medication section. Lines are read only inside a medication section ("Discharge
Medications", "Home meds", "Rx"), one medication per item; an inline list
("Medications: metformin 500 mg BID; lisinopril 10 mg daily") splits at semicolons.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lib.documents import Table, Word
from lib.extraction.diagnoses import split_items
from lib.extraction.medications import (
    MedColumn,
    MedicationEntry,
    classify_medication_header,
    parse_sig,
    read_medication_row,
)
from lib.offline.facts import Findings, MedicationFact, Source
from lib.offline.labs import is_lab_table
from lib.offline.reading import Piece, Section, SectionKind, is_marker_only, join_continued

__all__ = ["read_medications"]

_MAX_NAME_WORDS = 6
_NOT_A_DRUG = re.compile(
    r"(?i)^(?:none|nil|n/?a|nkda|nka|no\b|not\b|see\b|continue\b|stop\b|discontinue|hold\b|resume\b|follow|return"
    r"|patient|allerg|medication|drug|name|total|page|(?:mg|mcg|g|ml|units?|iu|tabs?|tablets?)$)"
)
_LEADING_MARKER = re.compile(r"^\s*(?:\d{1,2}[.)]|\(\d{1,2}\)|[-*•·+»])\s+")


def _plausible(entry: MedicationEntry, *, in_section: bool) -> bool:
    name = entry.name.strip()
    if not name or len(name.split()) > _MAX_NAME_WORDS or len(name) > 60 or _NOT_A_DRUG.match(name):
        return False
    if re.search(r"[:;]|\d{3,}", name):
        return False
    if entry.dose is None and entry.route is None and entry.frequency is None:
        # A bare name counts only as a short item of a medication list.
        return in_section and len(name.split()) <= 3
    return True


def _table_columns(table: Table) -> tuple[MedColumn, ...] | None:
    if not table.header_rows:
        return None
    columns = classify_medication_header(table.header)
    named = set(columns) - {MedColumn.OTHER}
    if MedColumn.NAME in named and named & {
        MedColumn.DOSE,
        MedColumn.ROUTE,
        MedColumn.FREQUENCY,
        MedColumn.SIG,
    }:
        return columns
    return None


def _read_table(table: Table, columns: tuple[MedColumn, ...] | None, into: Findings) -> None:
    rows: list[tuple[list[str], list[Word]]] = []
    for row in table.body:
        texts = [re.sub(r"\s+", " ", cell.text).strip() for cell in row]
        words = [word for cell in row for word in cell.words]
        if columns is None:
            marked = any(is_marker_only(text) or _LEADING_MARKER.match(text) for text in texts if text)
            texts = [_LEADING_MARKER.sub("", text) for text in texts if text and not is_marker_only(text)]
            if rows and not marked and texts:
                # A list item wrapped onto the next row: "Clopidogrel 75" / "mg oral daily".
                alone = " ".join(texts)
                if _UNIT_ALONE.match(alone) and _BARE_NUMBER.search(" ".join(rows[-1][0])):
                    rows[-1][0][:] = [_with_unit(" ".join(rows[-1][0]), alone)]
                else:
                    rows[-1][0].extend(texts)
                rows[-1][1].extend(words)
                continue
            texts = [" ".join(texts)] if texts else []
        rows.append((texts, words))
    for texts, words in rows:
        entry = read_medication_row([" ".join(texts)] if columns is None else texts, columns)
        if entry is None or not _plausible(entry, in_section=columns is None):
            continue
        into.medications.append(
            MedicationFact(entry, Source.of(table.page, words, " | ".join(t for t in texts if t)))
        )


_UNIT_ALONE = re.compile(
    r"(?i)^(?:mg|mcg|µg|ug|g|ml|units?|iu|meq|mmol)(?:/(?:actuation|act|ml|dose|spray|puff|tab|kg|hr?))?$"
)
_BARE_NUMBER = re.compile(
    r"(?<![\w.])(\d+(?:\.\d+)?)(?![.\d]|\s*(?:mg|mcg|µg|ug|g\b|ml|units?|iu|meq|mmol|%))", re.I
)


def _with_unit(text: str, unit: str) -> str:
    """``unit`` put back after the first number of ``text`` that has none."""
    return _BARE_NUMBER.sub(lambda match: f"{match[1]} {unit}", text, count=1)


def _rejoin_units(pieces: Sequence[Piece]) -> list[Piece]:
    """A dose unit OCR set on a line of its own ("Clopidogrel 75 PO daily" / "mg") goes back after its number."""
    joined: list[Piece] = []
    for piece in pieces:
        text = piece.text.strip()
        if joined and _UNIT_ALONE.match(text) and _BARE_NUMBER.search(joined[-1].text):
            last = joined[-1]
            fixed = _with_unit(last.text, text)
            joined[-1] = Piece(fixed, last.page, (*last.words, *piece.words))
            continue
        joined.append(piece)
    return joined


# A line of directions ("Take 1 tablet (20 mg total) by mouth daily.") printed under its drug.
_DIRECTIONS = re.compile(
    r"(?i)^(?:take|inhale|inject|apply|use|place|instil|instill|insert|dissolve|chew|spray|give|administer)\b"
)


def _directions(drug: Piece, line: Piece) -> bool:
    """Whether ``line`` is the directions printed under its drug line, as record systems print them."""
    return bool(_DIRECTIONS.match(line.text.strip())) and not _DIRECTIONS.match(drug.text.strip())


def _split_list(text: str) -> list[str]:
    """An inline list: at semicolons; at commas only when every part reads as a medication with a dose."""
    if ";" in text:
        return re.split(r"\s*;\s*", text)
    parts = [part.strip() for part in re.split(r",\s+(?:and\s+)?|\s+and\s+", text) if part.strip()]
    if len(parts) > 1 and all((entry := parse_sig(part)) is not None and entry.dose for part in parts):
        return parts
    return [text]


def _whole_entry(text: str) -> bool:
    """A line that is a medication by itself: the drug's capital, then its dose or how often.

    Either says the line is an entry of its own, not the wrapped end of the one above
    (which starts lower-case, or with the dose's number: "Clopidogrel 75" / "mg daily").
    """
    entry = parse_sig(text)
    return (
        text[:1].isupper() and entry is not None and (entry.dose is not None or entry.frequency is not None)
    )


def _items(pieces: Sequence[Piece]) -> list[tuple[str, Piece]]:
    """List items with the piece each starts on; inline lists split at semicolons."""
    lines = [piece for piece in pieces if piece.text.strip() and not is_marker_only(piece.text)]
    lines = join_continued(_rejoin_units(lines), _directions)
    items: list[tuple[str, Piece]] = []
    texts = split_items([piece.text for piece in lines], whole=_whole_entry)
    # split_items joins wrapped lines; find each item's first piece by its start.
    cursor = 0
    for text in texts:
        start = next(
            (i for i in range(cursor, len(lines)) if text[:12] and text[:12] in lines[i].text),
            min(cursor, len(lines) - 1),
        )
        cursor = start
        for part in _split_list(text):
            if part.strip():
                items.append((part.strip(), lines[start]))
    return items


def read_medications(parts: Sequence[Section], into: Findings) -> None:
    """Every medication of the report's medication tables and medication sections."""
    for section in parts:
        in_section = section.kind is SectionKind.MEDICATIONS
        for table in section.tables:
            columns = _table_columns(table)
            if columns is not None:
                _read_table(table, columns, into)
            elif in_section and not is_lab_table(table):
                _read_table(table, None, into)
        if not in_section:
            continue
        for text, piece in _items(section.pieces):
            entry = parse_sig(text)
            if entry is None or not _plausible(entry, in_section=True):
                continue
            into.medications.append(MedicationFact(entry, Source.of(piece.page, piece.words, text)))
