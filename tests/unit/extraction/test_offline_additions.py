"""Rules added to the extraction modules for the offline parser (one test per rule)."""

from __future__ import annotations

import pytest

from lib.domain.report_schema import LabFlag
from lib.extraction.diagnoses import DiagnosisSection, section_for_heading, split_items
from lib.extraction.identity import IdentityField, clean_mrn, field_for_label, is_mrn_shape
from lib.extraction.lab_values import normalise_unit, parse_flag, parse_value
from lib.extraction.labs import LabColumn, classify_columns, parse_lab_line


@pytest.mark.parametrize(
    ("text", "shape"), [("MVH.2157001", True), ("02/07/2026", False), ("2026-02-07", False)]
)
def test_record_numbers_may_hold_dots_but_dates_are_not_record_numbers(text: str, shape: bool) -> None:
    assert is_mrn_shape(text) is shape


def test_a_record_number_with_three_digit_groups_is_not_a_date() -> None:
    assert clean_mrn("672-65-6139") == "672-65-6139"


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Member ID", IdentityField.MRN),
        ("Medical Record", IdentityField.MRN),
        ("Prepared for", IdentityField.NAME),
        ("Member", IdentityField.NAME),
        ("RE", IdentityField.NAME),
    ],
)
def test_patient_facing_and_letter_labels(label: str, field: IdentityField) -> None:
    assert field_for_label(label) is field


@pytest.mark.parametrize(("text", "flag"), [("- LOW", LabFlag.LOW), ("+ HIGH", LabFlag.HIGH), ("-", None)])
def test_a_sign_before_a_flag_word_repeats_it(text: str, flag: LabFlag | None) -> None:
    assert parse_flag(text) is flag


def test_a_signed_flag_word_glued_to_a_value_is_split_off() -> None:
    value = parse_value("184 + HIGH")

    assert (value.text, value.flag) == ("184", LabFlag.HIGH)


def test_a_column_of_bounds_beside_plain_numbers_is_the_range() -> None:
    columns = classify_columns([["CRP", "<0.5", "<5.0", "mg/L"], ["NT-proBNP", "105", "< 125", "pg/mL"]])

    assert columns == (LabColumn.TEST, LabColumn.RESULT, LabColumn.RANGE, LabColumn.UNIT)


def test_an_n_after_a_lab_line_is_the_normal_flag() -> None:
    reading = parse_lab_line("Potassium 4.1 mmol/L (3.5-5.1) N")

    assert reading is not None and getattr(reading, "flag", None) is LabFlag.NORMAL


@pytest.mark.parametrize("heading", ["Final Pathologic Diagnosis", "SURGICAL DIAGNOSIS", "Active Diagnoses"])
def test_more_diagnosis_headings(heading: str) -> None:
    assert section_for_heading(heading) is DiagnosisSection.DIAGNOSIS


def test_plus_and_guillemet_bullets_mark_items() -> None:
    assert split_items(["+ Asthma", "» Obesity"]) == ["Asthma", "Obesity"]


def test_thousands_per_microlitre_written_with_mc() -> None:
    assert normalise_unit("thou/mcL") == "10^3/µL"
