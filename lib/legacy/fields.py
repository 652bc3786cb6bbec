"""The old service's fields, one reader each, to the new schema's parts.

Each reader takes the old value and the place it was found (a JSON Pointer into
the old document) and returns the new value, adding a :class:`Problem` to
``notes`` for what it leaves out or keeps as written. The rules that read printed
reports read these values too: dates (:mod:`lib.extraction.dates`), diagnoses and
their assertion (:mod:`lib.extraction.diagnoses`), sigs
(:mod:`lib.extraction.medications`), lab lines (:mod:`lib.extraction.labs`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Final

from lib.domain.report_schema import (
    Assertion,
    Diagnosis,
    Finding,
    LabFlag,
    LabResult,
    Medication,
    ReportWarning,
    Sex,
)
from lib.extraction.assertion import assertion_of
from lib.extraction.dates import DateKind, DateOrder, parse_date
from lib.extraction.diagnoses import read_diagnosis
from lib.extraction.identity import parse_sex
from lib.extraction.lab_values import parse_flag
from lib.extraction.labs import LabReading, parse_lab_line
from lib.extraction.medications import parse_sig
from lib.legacy.model import (
    DATE_NOT_RECOGNISED,
    FLAG_NOT_RECOGNISED,
    NOT_A_DIAGNOSIS,
    NOT_A_LAB_RESULT,
    NOT_A_MEDICATION,
    SEX_NOT_RECOGNISED,
    WRONG_TYPE,
    Problem,
)

# parse_lab_line reads "test value unit range flag"; this neutral test name lets it read
# a value given without its test (the test is the key it was stored under).
_PLACEHOLDER_TEST: Final = "result"
# Text lists were stored one item per line or separated by semicolons; commas belong
# to the items ("Diabetes mellitus, type 2").
_ITEM_BREAK = re.compile(r"\s*(?:[\n;]|\r\n?)\s*")
# A key shown as it is in a location: an identifier, not a value used as a key.
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,40}")


@dataclass
class Notes:
    """What the readers left out, and the client-facing warnings they raised."""

    problems: list[Problem] = field(default_factory=list)
    warnings: list[ReportWarning] = field(default_factory=list)

    def add(self, location: str, code: str) -> None:
        self.problems.append(Problem(location, code))


def child(location: str, key: str, position: int) -> str:
    """The pointer of field ``key`` under ``location``; a key that is no field name, by its position."""
    return f"{location}/{key}" if _FIELD_NAME.fullmatch(key) else by_position(location, position)


def by_position(location: str, position: int) -> str:
    """The pointer of the ``position``-th entry of an object whose keys are data (test or drug names)."""
    return f"{location}/#{position}"


def text(value: Any, location: str, notes: Notes) -> str | None:
    """A string field: strings stripped (empty is none), numbers as written, anything else noted."""
    if value is None:
        return None
    if isinstance(value, bool):
        notes.add(location, WRONG_TYPE)
        return None
    if isinstance(value, str):
        return value.strip() or None
    if isinstance(value, int | float):
        return str(value)
    notes.add(location, WRONG_TYPE)
    return None


def items(value: Any) -> list[tuple[int, Any]]:
    """A list field's items with their positions: a text is split into lines and semicolon items."""
    if isinstance(value, str):
        return list(enumerate(part for part in _ITEM_BREAK.split(value) if part.strip()))
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    return [(0, value)]


def item_location(location: str, value: Any, position: int) -> str:
    """Where item ``position`` of a list field is: its index, or the field itself for a text."""
    return f"{location}/{position}" if isinstance(value, list | tuple) else location


# -- dates -------------------------------------------------------------------------------


def written_date(
    value: Any,
    location: str,
    notes: Notes,
    *,
    new_path: str,
    kind: DateKind,
    order: DateOrder | None,
    today: date,
) -> str | None:
    """ISO ``YYYY-MM-DD`` when the date reads one way; kept as written (with a note or warning) else.

    A date whose day and month could be swapped is kept as written with an
    ``ambiguous_date`` warning on ``new_path``, as the parsers do.
    """
    if isinstance(value, datetime | date):
        return (value.date() if isinstance(value, datetime) else value).isoformat()
    written = text(value, location, notes)
    if written is None:
        return None
    found = parse_date(written, order=order, kind=kind, today=today)
    if found is None:
        notes.add(location, DATE_NOT_RECOGNISED)
        return written
    if found.iso is None:
        notes.warnings.append(
            ReportWarning(
                code="ambiguous_date",
                path=new_path,
                message="the date can be read day-first or month-first; it is given as written",
            )
        )
        return written
    return found.iso


def sex(value: Any, location: str, notes: Notes) -> Sex | None:
    """The sex, read as the parsers read a printed one ("F", "Female", "male (stated)")."""
    written = text(value, location, notes)
    if written is None:
        return None
    found = parse_sex(written)
    if found is None:
        notes.add(location, SEX_NOT_RECOGNISED)
    return found


# -- diagnoses ---------------------------------------------------------------------------

_DIAGNOSIS_TEXT = ("description", "diagnosis", "name", "text", "condition")
_DIAGNOSIS_CODE = ("code", "icd10", "icd10_code", "icd_10", "icd_code", "icd")


def diagnoses(value: Any, location: str, notes: Notes) -> list[Diagnosis]:
    """Every diagnosis mention; the assertion read from its words, the code from it or beside it."""
    found: list[Diagnosis] = []
    for position, item in items(value):
        where = item_location(location, value, position)
        code: str | None = None
        if isinstance(item, Mapping):
            written = _first_text(item, _DIAGNOSIS_TEXT, where, notes)
            code = _first_text(item, _DIAGNOSIS_CODE, where, notes)
        else:
            written = text(item, where, notes)
        read = read_diagnosis(written) if written else None
        if read is None:
            notes.add(where, NOT_A_DIAGNOSIS)
            continue
        found.append(
            Diagnosis(
                description=read.description,
                code=(code.upper() if code else None) or read.code,
                assertion=Assertion(read.assertion.value),
            )
        )
    return found


# -- medications -------------------------------------------------------------------------

_MEDICATION_NAME = ("name", "medication", "drug", "drug_name", "medicine")
_MEDICATION_DOSE = ("dose", "dosage", "strength")
_MEDICATION_SIG = ("sig", "instructions", "directions")


def medications(value: Any, location: str, notes: Notes) -> list[Medication]:
    """Medications from sig lines ("Metformin 500 mg PO BID") or objects (name, dose, route, ...).

    An object without any of the name keys is read as ``{name: sig}`` pairs.
    """
    if isinstance(value, Mapping) and not any(key in value for key in _MEDICATION_NAME):
        pairs = list(enumerate(value.items()))
        return [
            medication
            for position, (name, details) in pairs
            if (medication := _named_medication(name, details, by_position(location, position), notes))
        ]
    found: list[Medication] = []
    for position, item in items(value):
        where = item_location(location, value, position)
        if isinstance(item, Mapping):
            medication = _medication_object(item, where, notes)
        else:
            written = text(item, where, notes)
            medication = _from_sig(written) if written else None
            if medication is None and written:
                notes.add(where, NOT_A_MEDICATION)
        if medication is not None:
            found.append(medication)
    return found


def _from_sig(written: str) -> Medication | None:
    entry = parse_sig(written)
    if entry is None:
        return None
    return Medication(
        name=entry.name, dose=entry.dose, route=entry.route, frequency=entry.frequency, sig=written
    )


def _named_medication(name: Any, details: Any, where: str, notes: Notes) -> Medication | None:
    if isinstance(details, Mapping):
        return _medication_object({"name": name, **details}, where, notes)
    written = text(details, where, notes)
    medication = _from_sig(f"{name} {written}" if written else str(name))
    if medication is None:
        notes.add(where, NOT_A_MEDICATION)
    return medication


def _medication_object(item: Mapping[str, Any], where: str, notes: Notes) -> Medication | None:
    name = _first_text(item, _MEDICATION_NAME, where, notes)
    dose = _first_text(item, _MEDICATION_DOSE, where, notes)
    sig = _first_text(item, _MEDICATION_SIG, where, notes)
    route = text(item.get("route"), f"{where}/route", notes)
    frequency = text(item.get("frequency"), f"{where}/frequency", notes)
    read = parse_sig(name) if name and not (dose or route or frequency) else None
    if read is not None and (read.dose or read.route or read.frequency):
        # The whole line was stored as the name ("Metformin 500 mg PO BID").
        return Medication(
            name=read.name, dose=read.dose, route=read.route, frequency=read.frequency, sig=sig or name
        )
    if name is None:
        from_sig = _from_sig(sig) if sig else None
        if from_sig is None:
            notes.add(where, NOT_A_MEDICATION)
        return from_sig
    return Medication(name=name, dose=dose, route=route, frequency=frequency, sig=sig)


# -- lab results -------------------------------------------------------------------------

_LAB_TEST = ("test", "name", "test_name", "analyte", "parameter")
_LAB_VALUE = ("value", "result")
_LAB_UNIT = ("unit", "units")
_LAB_RANGE = ("reference_range", "range", "ref_range", "normal_range", "reference")
_LAB_FLAG = ("flag", "abnormal_flag", "interpretation")


def lab_results(value: Any, location: str, notes: Notes) -> list[LabResult]:
    """Lab results from a list (objects or result lines) or an object: one result, or ``{test: value}``."""
    if isinstance(value, Mapping) and not any(key in value for key in _LAB_TEST):
        found: list[LabResult] = []
        for position, (test, result) in enumerate(value.items()):
            lab = _named_lab(test, result, by_position(location, position), notes)
            if lab is not None:
                found.append(lab)
        return found
    results: list[LabResult] = []
    for position, item in items(value):
        where = item_location(location, value, position)
        if isinstance(item, Mapping):
            lab = _lab_object(item, where, notes)
        else:
            written = text(item, where, notes)
            reading = parse_lab_line(written) if written else None
            lab = _from_reading(reading.test, reading) if isinstance(reading, LabReading) else None
            if lab is None and written:
                notes.add(where, NOT_A_LAB_RESULT)
        if lab is not None:
            results.append(lab)
    return results


def _named_lab(test: Any, result: Any, where: str, notes: Notes) -> LabResult | None:
    name = text(test, where, notes)
    if name is None:
        notes.add(where, NOT_A_LAB_RESULT)
        return None
    if isinstance(result, Mapping):
        return _lab_object({"test": name, **result}, where, notes)
    written = text(result, where, notes)
    if written is None:
        return LabResult(test=name)
    reading = parse_lab_line(f"{_PLACEHOLDER_TEST} {written}")
    if isinstance(reading, LabReading) and reading.test == _PLACEHOLDER_TEST:
        return _from_reading(name, reading)
    return LabResult(test=name, value=written)


def _from_reading(test: str, reading: LabReading) -> LabResult:
    return LabResult(
        test=test,
        value=reading.value,
        unit=reading.unit,
        reference_range=reading.reference_range.text if reading.reference_range else None,
        flag=reading.flag,
    )


def _lab_object(item: Mapping[str, Any], where: str, notes: Notes) -> LabResult | None:
    test = _first_text(item, _LAB_TEST, where, notes)
    if test is None:
        notes.add(where, NOT_A_LAB_RESULT)
        return None
    flag_text = _first_text(item, _LAB_FLAG, where, notes)
    flag = _flag(flag_text) if flag_text else None
    if flag_text and flag is None:
        notes.add(where, FLAG_NOT_RECOGNISED)
    return LabResult(
        test=test,
        value=_first_text(item, _LAB_VALUE, where, notes),
        unit=_first_text(item, _LAB_UNIT, where, notes),
        reference_range=_first_text(item, _LAB_RANGE, where, notes),
        flag=flag,
    )


def _flag(written: str) -> LabFlag | None:
    try:
        return LabFlag(written.strip().lower())
    except ValueError:
        return parse_flag(written)


# -- findings ----------------------------------------------------------------------------


def findings(value: Any, location: str, notes: Notes) -> list[Finding]:
    """Findings from a text (one per line) or a list of texts; the assertion read from the words."""
    found: list[Finding] = []
    for position, item in items(value):
        written = text(item, item_location(location, value, position), notes)
        if written:
            found.append(Finding(text=written, assertion=Assertion(assertion_of(written).assertion.value)))
    return found


def _first_text(item: Mapping[str, Any], keys: Sequence[str], where: str, notes: Notes) -> str | None:
    for key in keys:
        if key in item:
            written = text(item[key], f"{where}/{key}", notes)
            if written is not None:
                return written
    return None
