"""The patient's date of birth against the report date.

``date_order`` (path ``/patient/date_of_birth``) when the date of birth is after the
report date, or when the patient would be older than 120 years on the report date
(the oldest verified human lived 122 years; 120 leaves room for nothing but errors).

Dates are read by :func:`lib.extraction.dates.parse_date`, so a model's "7 Feb 2026"
counts as well as ISO. Only dates that say their own year in four digits and whose
day and month are not ambiguous are compared: with a two-digit year the century is
a guess, and a guess is no ground for a warning. Nothing here depends on today's date.
"""

from __future__ import annotations

from datetime import date
from typing import Final

from lib.checks.warning_codes import DATE_ORDER
from lib.domain.report_schema import ParsedReport, ReportWarning
from lib.extraction.dates import DateKind, parse_date

__all__ = ["date_warnings"]

_MAX_AGE_YEARS: Final = 120
_PATH: Final = "/patient/date_of_birth"


def _read(text: str | None, kind: DateKind) -> date | None:
    found = parse_date(text, kind=kind) if text else None
    if found is None or found.iso is None or found.iso[:4] not in found.text:
        return None
    return date.fromisoformat(found.iso)


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def date_warnings(report: ParsedReport) -> list[ReportWarning]:
    """``date_order`` warnings for the report's date of birth and report date."""
    born = _read(report.patient.date_of_birth if report.patient else None, DateKind.BIRTH)
    reported = _read(report.report_date, DateKind.EVENT)
    if born is None or reported is None:
        return []
    if born > reported:
        message = "the date of birth is after the report date"
    elif _age(born, reported) > _MAX_AGE_YEARS:
        message = f"the date of birth makes the patient older than {_MAX_AGE_YEARS} years at the report date"
    else:
        return []
    return [ReportWarning(code=DATE_ORDER, path=_PATH, message=message)]
