"""The facts of a report, each named by its RFC 6901 JSON Pointer, and removing some of them.

Groundable facts, and how each is looked for (:mod:`lib.grounding.matching`):

====================================  ============  =========================================
pointer                               kind          what must be found
====================================  ============  =========================================
``/patient_name``, ``/patient/name``  name          the name, any order
``/physician``                        name          the name, titles dropped
``/patient/date_of_birth``            birth date    a written date reading as it
``/report_date``                      event date    a written date reading as it
``/patient/mrn``                      record no.    the number (case, hyphens, zeros aside)
``/patient/sex``                      sex           a sex/gender label with that value
``/facility``, ``/impression``        phrase        the text
``/findings/i``                       phrase        the finding's text
``/diagnosis_details/i``              diagnosis     description; with its code when one is given
``/diagnosis/i``                      diagnosis     as its ``diagnosis_details`` twin, else the text
``/medications/i``                    medication    name and the dose's number
``/lab_results/i``                    lab result    test, value (exact) and unit together
====================================  ============  =========================================

Not grounded: ``report_type`` (a classification), ``patient.sex`` "unknown" (no
fact), and the parts a parser derives or normalises rather than reads: a lab's
flag, range and UCUM unit, a medication's route, frequency and sig, a code's
description, the assertion.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from enum import Enum

from lib.domain.report_schema import Assertion, Diagnosis, LabResult, Medication, ParsedReport, Sex

_LISTS = ("diagnosis", "diagnosis_details", "findings", "medications", "lab_results")
_ITEM = re.compile(r"^/(?P<list>[a-z_]+)/(?P<index>\d+)(?P<rest>/.*)?$")


class Kind(str, Enum):
    """How a fact is looked for."""

    NAME = "name"
    BIRTH_DATE = "birth_date"
    EVENT_DATE = "event_date"
    RECORD_NUMBER = "record_number"
    SEX = "sex"
    PHRASE = "phrase"
    DIAGNOSIS = "diagnosis"
    MEDICATION = "medication"
    LAB = "lab"


Value = str | Sex | Diagnosis | Medication | LabResult


@dataclass(frozen=True)
class Fact:
    """One groundable fact: its pointer, kind, value and the page its item names (if any)."""

    pointer: str
    kind: Kind
    value: Value
    page: int | None = None


def _same_text(a: str, b: str) -> bool:
    return " ".join(a.casefold().split()) == " ".join(b.casefold().split())


def diagnosis_twins(report: ParsedReport) -> dict[int, int]:
    """For each ``diagnosis`` string, the ``diagnosis_details`` item it repeats (present ones first)."""
    details = sorted(
        enumerate(report.diagnosis_details), key=lambda item: item[1].assertion is not Assertion.PRESENT
    )
    twins: dict[int, int] = {}
    for index, text in enumerate(report.diagnosis):
        twin = next((j for j, detail in details if _same_text(detail.description, text)), None)
        if twin is not None:
            twins[index] = twin
    return twins


def facts_of(report: ParsedReport) -> list[Fact]:
    """Every groundable fact of ``report`` that has a value, in schema order."""
    facts: list[Fact] = []
    if report.patient_name:
        facts.append(Fact("/patient_name", Kind.NAME, report.patient_name))
    patient = report.patient
    if patient is not None:
        if patient.name:
            facts.append(Fact("/patient/name", Kind.NAME, patient.name))
        if patient.date_of_birth:
            facts.append(Fact("/patient/date_of_birth", Kind.BIRTH_DATE, patient.date_of_birth))
        if patient.mrn:
            facts.append(Fact("/patient/mrn", Kind.RECORD_NUMBER, patient.mrn))
        if patient.sex is not None and patient.sex is not Sex.UNKNOWN:
            facts.append(Fact("/patient/sex", Kind.SEX, patient.sex))
    if report.report_date:
        facts.append(Fact("/report_date", Kind.EVENT_DATE, report.report_date))
    if report.facility:
        facts.append(Fact("/facility", Kind.PHRASE, report.facility))
    if report.physician:
        facts.append(Fact("/physician", Kind.NAME, report.physician))
    for index, detail in enumerate(report.diagnosis_details):
        facts.append(Fact(f"/diagnosis_details/{index}", Kind.DIAGNOSIS, detail, detail.page))
    twins = diagnosis_twins(report)
    for index, text in enumerate(report.diagnosis):
        twin = twins.get(index)
        page = report.diagnosis_details[twin].page if twin is not None else None
        facts.append(Fact(f"/diagnosis/{index}", Kind.PHRASE, text, page))
    for index, finding in enumerate(report.findings):
        facts.append(Fact(f"/findings/{index}", Kind.PHRASE, finding.text, finding.page))
    if report.impression:
        facts.append(Fact("/impression", Kind.PHRASE, report.impression))
    for index, medication in enumerate(report.medications):
        facts.append(Fact(f"/medications/{index}", Kind.MEDICATION, medication, medication.page))
    for index, result in enumerate(report.lab_results):
        facts.append(Fact(f"/lab_results/{index}", Kind.LAB, result, result.page))
    return facts


def with_pages(report: ParsedReport, pages: dict[str, int]) -> ParsedReport:
    """``report`` with each listed item's ``page`` set to where it was found."""
    update: dict[str, object] = {}
    for name in ("diagnosis_details", "findings", "medications", "lab_results"):
        items = getattr(report, name)
        moved = [
            item.model_copy(update={"page": pages[f"/{name}/{i}"]}) if f"/{name}/{i}" in pages else item
            for i, item in enumerate(items)
        ]
        if moved != items:
            update[name] = moved
    return report.model_copy(update=update) if update else report


def without(
    report: ParsedReport, removed: Collection[str]
) -> tuple[ParsedReport, Callable[[str], str | None]]:
    """``report`` with the facts at ``removed`` gone, and how old pointers map to new ones.

    A list item is taken out (later items move up); a field is set to null; a
    ``/diagnosis_details/i/code`` loses its code and the code's description. The
    returned function maps a pointer of ``report`` to the same fact's pointer in the
    result, or ``None`` when that fact is gone.
    """
    update: dict[str, object] = {}
    fields = {pointer.lstrip("/") for pointer in removed if pointer.count("/") == 1}
    update.update(
        dict.fromkeys(fields & {"patient_name", "report_date", "facility", "physician", "impression"})
    )
    if report.patient is not None:
        gone = {pointer.rsplit("/", 1)[1] for pointer in removed if pointer.startswith("/patient/")}
        if gone:
            update["patient"] = report.patient.model_copy(update=dict.fromkeys(gone))
    uncoded = {int(m["index"]) for p in removed if (m := _ITEM.match(p)) and m["rest"] == "/code"}
    if uncoded:
        update["diagnosis_details"] = [
            item.model_copy(update={"code": None, "code_description": None}) if i in uncoded else item
            for i, item in enumerate(report.diagnosis_details)
        ]
    kept: dict[str, dict[int, int]] = {}
    for name in _LISTS:
        items = update.get(name, getattr(report, name))
        assert isinstance(items, list)
        gone_items = {i for i in range(len(items)) if f"/{name}/{i}" in removed}
        kept[name] = {}
        for old in range(len(items)):
            if old not in gone_items:
                kept[name][old] = len(kept[name])
        if gone_items:
            update[name] = [item for i, item in enumerate(items) if i not in gone_items]

    def remap(pointer: str) -> str | None:
        match = _ITEM.match(pointer)
        if match is None or match["list"] not in kept:
            return None if pointer in removed else pointer
        new = kept[match["list"]].get(int(match["index"]))
        if new is None or pointer in removed:
            return None
        return f"/{match['list']}/{new}{match['rest'] or ''}"

    return (report.model_copy(update=update) if update else report), remap
