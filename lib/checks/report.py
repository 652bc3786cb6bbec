"""The entry point: :func:`check_report` normalises a parsed report and appends warnings.

It works on the output of any parser (the offline rules or a model's free text) and
returns a new :class:`ParsedReport`: the input is never changed. The steps, each in
its own module:

1. diagnosis codes: :mod:`lib.checks.diagnoses` (ICD-10-CM, loaded on first use);
2. lab results: :mod:`lib.checks.labs`, then :mod:`lib.checks.plausibility`;
3. date of birth against the report date: :mod:`lib.checks.patient_dates`;
4. medication route and frequency: :mod:`lib.checks.medications`.

Warnings already on the report are kept, in order, and ours follow. A warning is
not added when one with the same code and path is already there, so checking a
checked report changes nothing (``check_report`` is idempotent).
"""

from __future__ import annotations

from lib.checks.diagnoses import check_diagnosis
from lib.checks.labs import normalise_lab
from lib.checks.medications import normalise_medication
from lib.checks.patient_dates import date_warnings
from lib.checks.plausibility import lab_warnings
from lib.domain.report_schema import Diagnosis, ParsedReport, ReportWarning

__all__ = ["check_report"]


def _merged(existing: list[ReportWarning], new: list[ReportWarning]) -> list[ReportWarning]:
    seen = {(warning.code, warning.path) for warning in existing}
    merged = list(existing)
    for warning in new:
        if (warning.code, warning.path) not in seen:
            seen.add((warning.code, warning.path))
            merged.append(warning)
    return merged


def check_report(report: ParsedReport) -> ParsedReport:
    """A new report with normalised codes, labs and medications, and the checks' warnings appended.

    Pure apart from loading the ICD-10-CM code set on the first call that meets a
    diagnosis code (a few seconds, once per process).
    """
    diagnoses: list[Diagnosis] = []
    warnings: list[ReportWarning] = []
    for index, diagnosis in enumerate(report.diagnosis_details):
        checked, raised = check_diagnosis(index, diagnosis)
        diagnoses.append(checked)
        warnings.extend(raised)
    labs = [normalise_lab(result) for result in report.lab_results]
    warnings.extend(lab_warnings(labs))
    warnings.extend(date_warnings(report))
    return report.model_copy(
        update={
            "diagnosis_details": diagnoses,
            "lab_results": labs,
            "medications": [normalise_medication(medication) for medication in report.medications],
            "warnings": _merged(report.warnings, warnings),
        }
    )
