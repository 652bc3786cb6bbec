"""date_order: the date of birth against the report date."""

from __future__ import annotations

from lib.checks.patient_dates import date_warnings
from lib.domain.report_schema import ParsedReport, Patient


def codes(date_of_birth: str | None, report_date: str | None) -> list[tuple[str, str | None]]:
    report = ParsedReport(patient=Patient(date_of_birth=date_of_birth), report_date=report_date)
    return [(warning.code, warning.path) for warning in date_warnings(report)]


def test_a_birth_after_the_report_is_flagged() -> None:
    assert codes("2026-11-02", "2026-11-01") == [("date_order", "/patient/date_of_birth")]


def test_an_age_over_120_is_flagged() -> None:
    assert codes("1905-11-01", "2026-11-02") == [("date_order", "/patient/date_of_birth")]


def test_plausible_dates_are_not_flagged() -> None:
    assert codes("1950-02-03", "2026-11-20") == []
    assert codes("2026-11-01", "2026-11-01") == []  # born on the day of the report
    assert codes("1906-11-03", "2026-11-02") == []  # 119 years old, the day before a birthday


def test_other_written_forms_are_read() -> None:
    assert codes("7 Feb 2027", "02/17/2026") == [("date_order", "/patient/date_of_birth")]


def test_two_digit_years_ambiguous_days_and_missing_dates_say_nothing() -> None:
    assert codes("03/04/27", "2026-11-01") == []
    assert codes("03/04/2027", "03/04/2026") == []
    assert codes(None, "2026-11-01") == []
    assert codes("1950-02-03", None) == []
    assert codes("unknown", "2026-11-01") == []
    assert date_warnings(ParsedReport(report_date="2026-11-01")) == []
