"""Identity: label vocabulary, values cut at the next label, MRN shape, sex and age."""

from __future__ import annotations

import pytest

from lib.domain.report_schema import Sex
from lib.extraction.identity import (
    Age,
    AgeUnit,
    IdentityField,
    LabelledValue,
    clean_mrn,
    cut_at_next_label,
    field_for_label,
    is_known_label,
    is_mrn_shape,
    misread_label,
    parse_age,
    parse_age_sex,
    parse_sex,
    split_labels,
)


@pytest.mark.parametrize(
    ("label", "field"),
    [
        ("Patient", IdentityField.NAME),
        ("Pt:", IdentityField.NAME),
        ("Name", IdentityField.NAME),
        ("PATIENT NAME:", IdentityField.NAME),
        ("Patient's Name", IdentityField.NAME),
        ("Patient\u2019s name :", IdentityField.NAME),
        ("DOB", IdentityField.DATE_OF_BIRTH),
        ("D.O.B.:", IdentityField.DATE_OF_BIRTH),
        ("d.o.b", IdentityField.DATE_OF_BIRTH),
        ("Date of Birth", IdentityField.DATE_OF_BIRTH),
        ("Birth Date:", IdentityField.DATE_OF_BIRTH),
        ("Birthdate", IdentityField.DATE_OF_BIRTH),
        ("MRN", IdentityField.MRN),
        ("MRN#", IdentityField.MRN),
        ("MR#", IdentityField.MRN),
        ("MR #:", IdentityField.MRN),
        ("MR No.", IdentityField.MRN),
        ("mr no:", IdentityField.MRN),
        ("UHID", IdentityField.MRN),
        ("Patient ID", IdentityField.MRN),
        ("Record No.", IdentityField.MRN),
        ("Medical Record Number", IdentityField.MRN),
        ("Medical Record #", IdentityField.MRN),
        ("Sex", IdentityField.SEX),
        ("Gender:", IdentityField.SEX),
        ("Age", IdentityField.AGE),
        ("Age/Sex:", IdentityField.AGE_SEX),
        ("Surname:", IdentityField.FAMILY_NAME),
        ("Last Name", IdentityField.FAMILY_NAME),
        ("First name:", IdentityField.GIVEN_NAME),
        ("Forename(s)", IdentityField.GIVEN_NAME),
        ("Given Names", IdentityField.GIVEN_NAME),
        ("Middle Name:", None),
        ("Acct #", None),
        ("Account Number:", None),
        ("Encounter No.", None),
        ("Admitted:", None),
        ("Specimen type", None),
    ],
)
def test_label_maps_to_field(label: str, field: IdentityField | None) -> None:
    assert field_for_label(label) is field


def test_account_numbers_are_known_labels_but_not_the_mrn() -> None:
    assert is_known_label("Acct #:")
    assert field_for_label("Acct #:") is None
    assert not is_known_label("Favourite colour:")


@pytest.mark.parametrize(
    ("value", "cut"),
    [
        ("36891114 Admitted: 02/07/2026", "36891114"),
        ("NOVAK, CHIARA MR#: A817888-96", "NOVAK, CHIARA"),
        ("NOVAK, CHIARA MR# A817888-96", "NOVAK, CHIARA"),
        ("03/14/1962 Sex: F", "03/14/1962"),
        ("F Referring: Dr Lee", "F"),
        ("02/07/2026 14:32", "02/07/2026 14:32"),
        ("Chiara Novak", "Chiara Novak"),
    ],
)
def test_value_is_cut_where_the_next_label_starts(value: str, cut: str) -> None:
    assert cut_at_next_label(value) == cut


def test_split_labels_reads_a_whole_header_line() -> None:
    line = "Patient: NOVAK, CHIARA MR#: A817888-96 DOB: 03/14/1962 Sex: F Acct #: 99812 Admitted: 02/07/2026"
    assert split_labels(line) == [
        LabelledValue("Patient", IdentityField.NAME, "NOVAK, CHIARA", 0),
        LabelledValue("MR#", IdentityField.MRN, "A817888-96", 23),
        LabelledValue("DOB", IdentityField.DATE_OF_BIRTH, "03/14/1962", 39),
        LabelledValue("Sex", IdentityField.SEX, "F", 55),
        LabelledValue("Acct #", None, "99812", 62),
        LabelledValue("Admitted", None, "02/07/2026", 76),
    ]


def test_a_label_opening_a_bracketed_aside_needs_no_colon() -> None:
    values = split_labels("Patient: Eleanor Rigby-Smythe (DOB 3/9/1941) Sex: F")
    named = split_labels("Name: Jane Doe (Patient declined photo)")

    assert [(value.field, value.value) for value in values] == [
        (IdentityField.NAME, "Eleanor Rigby-Smythe"),
        (IdentityField.DATE_OF_BIRTH, "3/9/1941"),
        (IdentityField.SEX, "F"),
    ]
    assert [(value.field, value.value) for value in named] == [
        (IdentityField.NAME, "Jane Doe (Patient declined photo)")
    ]


def test_another_persons_name_label_is_not_the_patients() -> None:
    values = split_labels("Patient: Jane Doe Physician Name: Dr Lee")
    assert [(value.field, value.value) for value in values] == [
        (IdentityField.NAME, "Jane Doe"),
        (None, "Dr Lee"),
    ]


def test_a_bare_word_in_running_text_is_not_a_label() -> None:
    assert split_labels("The patient name was confirmed") == []


@pytest.mark.parametrize(
    ("value", "mrn"),
    [
        ("36891114 Admitted: 02/07/2026", "36891114"),
        ("A817888-96", "A817888-96"),
        ("#0042-7781,", "0042-7781"),
        ("UH-2024-000123", "UH-2024-000123"),
        ("123", None),
        ("N/A", None),
        ("Unknown", None),
        ("ABCDEFGHIJ", None),
        ("1234567890123456789012", None),
        ("", None),
    ],
)
def test_clean_mrn(value: str, mrn: str | None) -> None:
    assert clean_mrn(value) == mrn


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("1234", True),
        ("A1-B2", True),
        ("-1234", False),
        ("12--34", False),
        ("12 34", False),
        ("02/07/2026", False),
        ("12-05-19", False),
        ("77-20-19", True),
    ],
)
def test_mrn_shape(text: str, ok: bool) -> None:
    assert is_mrn_shape(text) is ok


@pytest.mark.parametrize(
    ("value", "sex"),
    [
        ("F", Sex.FEMALE),
        ("female", Sex.FEMALE),
        ("W", Sex.FEMALE),
        ("M", Sex.MALE),
        ("Male Age: 74", Sex.MALE),
        ("Unknown", Sex.UNKNOWN),
        ("X", Sex.OTHER),
        ("Mm", Sex.MALE),  # OCR doubling a capital
        ("FF", Sex.FEMALE),
        ("Ma", None),
        ("Q", None),
        ("", None),
    ],
)
def test_parse_sex(value: str, sex: Sex | None) -> None:
    assert parse_sex(value) is sex


@pytest.mark.parametrize(
    ("value", "age"),
    [
        ("74", Age(74, AgeUnit.YEARS)),
        ("74 y", Age(74, AgeUnit.YEARS)),
        ("74Y", Age(74, AgeUnit.YEARS)),
        ("74 yrs", Age(74, AgeUnit.YEARS)),
        ("74 years old", Age(74, AgeUnit.YEARS)),
        ("74 y/o", Age(74, AgeUnit.YEARS)),
        ("74 M", Age(74, AgeUnit.YEARS)),
        ("6 mo", Age(6, AgeUnit.MONTHS)),
        ("3 wks", Age(3, AgeUnit.WEEKS)),
        ("10 days", Age(10, AgeUnit.DAYS)),
        ("200", None),
        ("74.5", None),
        ("unknown", None),
    ],
)
def test_parse_age(value: str, age: Age | None) -> None:
    assert parse_age(value) == age


@pytest.mark.parametrize(
    ("value", "age", "sex"),
    [
        ("74/F", 74, Sex.FEMALE),
        ("F/74", 74, Sex.FEMALE),
        ("74 Y / Female", 74, Sex.FEMALE),
        ("74 M", 74, Sex.MALE),
    ],
)
def test_parse_age_sex(value: str, age: int, sex: Sex) -> None:
    assert parse_age_sex(value) == (Age(age, AgeUnit.YEARS), sex)


@pytest.mark.parametrize(
    ("written", "known"),
    [
        ("Date of birtt", "Date of Birth"),
        ("Patient IC", "Patient ID"),
        ("Pationt Name", "Patient Name"),
        ("Date of death", None),  # three letters away: another label
        ("Patient ID", None),  # already known: nothing to correct
        ("Patient Age", None),
        ("Mate of Birth", None),  # the first letter must be right
    ],
)
def test_a_long_label_one_ocr_misread_away_is_recognised(written: str, known: str | None) -> None:
    assert misread_label(written) == known
