"""``MedicationStatement`` per medication listed in the report.

Status ``unknown``: a report lists medications without saying, in our schema, whether
each is still taken (a discharge summary lists stopped ones too), and ``active``
would claim what was not read. The medication, route and frequency are text:
no RxNorm table ships offline under its licence.
"""

from __future__ import annotations

from typing import Any

from lib.domain.report_schema import Medication
from lib.fhir.datatypes import reference, text_concept
from lib.fhir.ids import Entry, Ids

__all__ = ["medication_entries"]


def medication_entries(
    medications: list[Medication], ids: Ids, patient_url: str, asserted: str | None
) -> list[Entry]:
    """One MedicationStatement per medication, keyed by its pointer ``/medications/<i>``."""
    return [
        ids.entry(f"/medications/{index}", "MedicationStatement", _statement(item, patient_url, asserted))
        for index, item in enumerate(medications)
    ]


def _statement(item: Medication, patient_url: str, asserted: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "unknown",
        "medicationCodeableConcept": text_concept(item.name),
        "subject": reference(patient_url),
    }
    if asserted is not None:
        body["dateAsserted"] = asserted
    dosage: dict[str, Any] = {}
    # The printed instructions; without them the printed dose is the nearest thing to them.
    if text := item.sig or item.dose:
        dosage["text"] = text
    if item.frequency:
        dosage["timing"] = {"code": text_concept(item.frequency)}
    if item.route:
        dosage["route"] = text_concept(item.route)
    if dosage:
        body["dosage"] = [dosage]
    return body
