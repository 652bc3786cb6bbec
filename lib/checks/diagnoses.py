"""Diagnosis codes: normalised, validated against ICD-10-CM, and described officially.

Rules for each ``diagnosis_details[i]`` with a ``code``
* The code is written in its dotted upper-case form when it has the shape of a code
  (:func:`lib.checks.icd10.normalise_code`); otherwise it is left as printed and
  ``icd10_invalid`` says it is not written as an ICD-10-CM code.
* A code the code set does not hold: ``icd10_invalid``.
* A valid code that has more specific codes below it: ``icd10_not_billable``.
* ``code_description`` is the code set's description of a valid code (billable or
  not), and ``None`` for any other: it is documented as the *official* description,
  so a parser's own wording (a model may fill it in) is not passed on under it.
Warnings point at ``/diagnosis_details/i/code``.
"""

from __future__ import annotations

from lib.checks.icd10 import lookup, normalise_code
from lib.checks.warning_codes import ICD10_INVALID, ICD10_NOT_BILLABLE
from lib.domain.report_schema import Diagnosis, ReportWarning

__all__ = ["check_diagnosis"]


def check_diagnosis(index: int, diagnosis: Diagnosis) -> tuple[Diagnosis, list[ReportWarning]]:
    """The diagnosis with its code normalised and described, and the warnings its code raises."""
    if diagnosis.code is None or not diagnosis.code.strip():
        return diagnosis.model_copy(update={"code_description": None}), []
    path = f"/diagnosis_details/{index}/code"
    code = normalise_code(diagnosis.code)
    if code is None:
        warning = ReportWarning(
            code=ICD10_INVALID, path=path, message="the code is not written as a single ICD-10-CM code"
        )
        return diagnosis.model_copy(update={"code_description": None}), [warning]
    info = lookup(code)
    if info is None:
        warning = ReportWarning(
            code=ICD10_INVALID,
            path=path,
            message="the code is not in the ICD-10-CM code set (April 2026 release)",
        )
        return diagnosis.model_copy(update={"code": code, "code_description": None}), [warning]
    checked = diagnosis.model_copy(update={"code": code, "code_description": info.description})
    if info.billable:
        return checked, []
    warning = ReportWarning(
        code=ICD10_NOT_BILLABLE,
        path=path,
        message="the code is a valid ICD-10-CM category but not billable: it has more specific codes",
    )
    return checked, [warning]
