"""``Patient``: name, birth date, gender and MRN, each only as far as the report is unambiguous."""

from __future__ import annotations

import re
from typing import Any

from lib.domain.report_schema import ParsedReport
from lib.fhir.codes import IDENTIFIER_TYPE
from lib.fhir.datatypes import fhir_date
from lib.fhir.extensions import mrn_system
from lib.fhir.ids import Entry, Ids

__all__ = ["PATIENT_KEY", "patient_entry"]

PATIENT_KEY = "/patient"

# "Family, Given Middle": the comma is the one printed sign of which part is the family
# name. Words of letters (with inner hyphens or apostrophes) only, so a title ("Dr."),
# an initial ("J."), a suffix ("Jr") or a stray label keeps the name as text only.
_WORD = r"[^\W\d_]+(?:['\u2019\-][^\W\d_]+)*"
_WORDS = rf"{_WORD}(?: {_WORD})*"
_FAMILY_FIRST = re.compile(rf"(?P<family>{_WORDS}) ?, ?(?P<given>{_WORDS})")
_NOT_NAMES = {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "jr", "sr", "ii", "iii", "iv"}


def patient_entry(report: ParsedReport, ids: Ids, tenant_id: str) -> Entry:
    """The report's Patient; an empty one (id only) when the report names nobody.

    Every other resource refers to a subject, so the Patient is always there.
    """
    patient = report.patient
    body: dict[str, Any] = {}
    if patient is not None and patient.mrn:
        body["identifier"] = [
            {"type": IDENTIFIER_TYPE.concept("MR"), "system": mrn_system(tenant_id), "value": patient.mrn}
        ]
    name = (patient.name if patient is not None else None) or report.patient_name
    if name:
        body["name"] = [_human_name(name)]
    if patient is not None and patient.sex is not None:
        # Our Sex values are FHIR's administrative-gender codes, one for one.
        body["gender"] = patient.sex.value
    birth_date = fhir_date(patient.date_of_birth) if patient is not None else None
    if birth_date:
        body["birthDate"] = birth_date
    return ids.entry(PATIENT_KEY, "Patient", body)


def _human_name(text: str) -> dict[str, Any]:
    """``HumanName``: the text always; family and given only from a "Family, Given" form."""
    name: dict[str, Any] = {"text": text}
    match = _FAMILY_FIRST.fullmatch(" ".join(text.split()))
    if match is not None:
        given = match["given"].split()
        words = [*match["family"].split(), *given]
        if not any(word.casefold().rstrip(".") in _NOT_NAMES for word in words):
            name["family"] = match["family"]
            name["given"] = given
    return name
