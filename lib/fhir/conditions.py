"""``Condition`` per diagnosis of the patient; ``FamilyMemberHistory`` per relative's diagnosis.

The assertion decides the statuses, each the broadest code that is still true:

========== ==================== ===============
assertion  verificationStatus   clinicalStatus
========== ==================== ===============
present    confirmed            active
possible   unconfirmed          active
historical confirmed            inactive
negated    refuted              (none)
family     FamilyMemberHistory  (not the patient's)
========== ==================== ===============

``unconfirmed`` rather than its child ``provisional``: "possible", "suspected" and
"rule out" are all read as possible, and some are differentials. ``inactive``
rather than its child ``resolved``: "history of breast cancer" may be in remission.
A refuted condition gets no clinical status: the patient does not have it.
A relative's diagnosis is kept as a FamilyMemberHistory (relationship "family
member": the schema does not say which relative), never as the patient's Condition.

The category is ``encounter-diagnosis``: a diagnosis stated in one report, not a
curated problem list. The ICD-10-CM coding is emitted only when the parser
validated the code (``code_description`` is set); the text is the description as printed.
"""

from __future__ import annotations

from typing import Any

from lib.domain.report_schema import Assertion, Diagnosis, ParsedReport
from lib.fhir.codes import CLINICAL_STATUS, CONDITION_CATEGORY, ICD10CM, ROLE_CODE, VERIFICATION_STATUS
from lib.fhir.datatypes import reference
from lib.fhir.ids import Entry, Ids

__all__ = ["condition_entries", "diagnosis_aliases"]

_STATUSES: dict[Assertion, tuple[str, str | None]] = {
    Assertion.PRESENT: ("confirmed", "active"),
    Assertion.POSSIBLE: ("unconfirmed", "active"),
    Assertion.HISTORICAL: ("confirmed", "inactive"),
    Assertion.NEGATED: ("refuted", None),
}


def _diagnoses(report: ParsedReport) -> list[tuple[str, Diagnosis]]:
    """Each diagnosis with its pointer: ``diagnosis_details``, or the guide's plain list without them."""
    if report.diagnosis_details:
        return [(f"/diagnosis_details/{index}", item) for index, item in enumerate(report.diagnosis_details)]
    return [
        (f"/diagnosis/{index}", Diagnosis(description=text)) for index, text in enumerate(report.diagnosis)
    ]


def diagnosis_aliases(report: ParsedReport) -> dict[str, str]:
    """Pointers into the plain ``diagnosis`` list that name a detailed diagnosis, by its description.

    With details present, the plain list repeats them; a fact found for ``/diagnosis/2``
    belongs to the Condition of the detail with the same description.
    """
    if not report.diagnosis_details:
        return {}
    first: dict[str, str] = {}
    for index, item in enumerate(report.diagnosis_details):
        first.setdefault(item.description, f"/diagnosis_details/{index}")
    return {
        f"/diagnosis/{index}": first[text] for index, text in enumerate(report.diagnosis) if text in first
    }


def condition_entries(report: ParsedReport, ids: Ids, patient_url: str, recorded: str | None) -> list[Entry]:
    """A Condition, or a FamilyMemberHistory for a relative's, per diagnosis."""
    entries = []
    for key, item in _diagnoses(report):
        if item.assertion is Assertion.FAMILY:
            entries.append(
                ids.entry(key, "FamilyMemberHistory", _family_history(item, patient_url, recorded))
            )
        else:
            entries.append(ids.entry(key, "Condition", _condition(item, patient_url, recorded)))
    return entries


def _code(item: Diagnosis) -> dict[str, Any]:
    concept: dict[str, Any] = {}
    if item.code and item.code_description:
        concept["coding"] = [
            {"system": ICD10CM, "code": _dotted(item.code), "display": item.code_description}
        ]
    concept["text"] = item.description
    return concept


def _dotted(code: str) -> str:
    """ICD-10-CM as FHIR writes it, with the dot after the category: ``E119`` → ``E11.9``."""
    code = code.strip().upper()
    return code if "." in code or len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _condition(item: Diagnosis, patient_url: str, recorded: str | None) -> dict[str, Any]:
    verification, clinical = _STATUSES[item.assertion]
    body: dict[str, Any] = {}
    if clinical is not None:
        body["clinicalStatus"] = CLINICAL_STATUS.concept(clinical)
    body["verificationStatus"] = VERIFICATION_STATUS.concept(verification)
    body["category"] = [CONDITION_CATEGORY.concept("encounter-diagnosis")]
    body["code"] = _code(item)
    body["subject"] = reference(patient_url)
    if recorded is not None:
        body["recordedDate"] = recorded
    return body


def _family_history(item: Diagnosis, patient_url: str, recorded: str | None) -> dict[str, Any]:
    # "partial": one condition of one relative is known, nothing else of their history.
    body: dict[str, Any] = {"status": "partial", "patient": reference(patient_url)}
    if recorded is not None:
        body["date"] = recorded
    body["relationship"] = ROLE_CODE.concept("FAMMEMB")
    body["condition"] = [{"code": _code(item)}]
    return body
