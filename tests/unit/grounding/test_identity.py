"""check_identity(): one patient in many printed forms is fine; two patients are flagged."""

from __future__ import annotations

from datetime import date

from lib.documents import TextSource
from lib.extraction.identity import IdentityField
from lib.grounding import check_identity, patient_identities
from tests.unit.documents.pdfs import lines_at, read
from tests.unit.grounding.docs import document, page

TODAY = date(2026, 12, 1)


def test_one_patient_in_many_forms_and_a_running_header_is_one_identity() -> None:
    doc = document(
        page(
            1,
            ["Patient: DOE, JANE    DOB: 01/31/1970", "MRN: 000123-45"],
            header=["Patient: DOE, JANE MRN: 12345"],
        ),
        page(
            2, ["Name: Jane A. Doe", "Date of Birth: 31 Jan 1970"], header=["Patient: DOE, JANE MRN: 12345"]
        ),
        page(3, ["Patient Name: Jane Doe", "D.O.B.: January 31, 1970", "MR #: 123-45"]),
    )

    check = check_identity(doc, today=TODAY)

    assert check.warnings == ()
    assert not check.mixed
    identities = patient_identities(doc, today=TODAY)
    assert [(i.field, i.pages) for i in identities] == [
        (IdentityField.NAME, (1, 2, 3)),
        (IdentityField.DATE_OF_BIRTH, (1, 2, 3)),
        (IdentityField.MRN, (1, 2, 3)),
    ]


def test_others_named_in_the_report_are_not_a_second_patient() -> None:
    doc = document(
        page(
            1,
            [
                "Patient: DOE, JANE",
                "Referring Physician: Dr. Adam Smith",
                "Next of Kin: John Doe",
                "Emergency Contact: Mary Poppins",
                "Account No: 778899",
            ],
        ),
        page(2, ["Name: Dr. Adam Smith, MD", "Patient: Jane Doe", "Visit No: 1122"]),
    )

    assert check_identity(doc, today=TODAY).warnings == ()


def test_two_patients_across_files_are_flagged_by_field_and_pages_without_values() -> None:
    doc = document(
        page(1, ["Patient: DOE, JANE   DOB: 01/31/1970   MRN: 12345"]),
        page(2, ["Lab results continued"]),
        page(3, ["Patient: ROE, RICHARD   DOB: 1968-03-02   MRN: 99881"]),
    )

    check = check_identity(doc, file_pages=[2, 1], today=TODAY)

    assert check.mixed
    assert check.fields == (IdentityField.NAME, IdentityField.DATE_OF_BIRTH, IdentityField.MRN)
    assert [(w.code, w.path) for w in check.warnings] == [("mixed_patient", "/patient")] * 3
    messages = [w.message for w in check.warnings]
    assert messages[1] == (
        "different dates of birth on page 1 (file 1) and page 3 (file 2): the upload may hold more than one patient"
    )
    for secret in ("Doe", "DOE", "Roe", "ROE", "1970", "1968", "12345", "99881", "Jane", "Richard"):
        assert all(secret not in message for message in messages)


def test_only_the_date_of_birth_differs() -> None:
    doc = document(
        page(1, ["Patient: Jane Doe", "DOB: 01/31/1970"]),
        page(2, ["Patient: Jane Doe", "DOB: 01/31/1971"]),
    )

    check = check_identity(doc, today=TODAY)

    assert check.fields == (IdentityField.DATE_OF_BIRTH,)
    assert "pages" not in check.warnings[0].message  # one page each side
    assert "page 1 and page 2" in check.warnings[0].message


def test_a_laboratorys_own_patient_id_is_not_compared_with_the_mrn() -> None:
    doc = document(
        page(1, ["Patient: Jane Doe   MRN: 12345"]),
        page(2, ["Patient: Jane Doe   Patient ID: LAB-0099"]),
    )

    assert not check_identity(doc, today=TODAY).mixed


def test_a_low_confidence_ocr_letter_is_not_a_second_patient() -> None:
    scanned = page(2, ["Patient: DOE, JANF", "DOB: 01/31/1970"], source=TextSource.OCR, confidence=0.55)
    doc = document(page(1, ["Patient: DOE, JANE", "DOB: 01/31/1970"]), scanned)

    assert not check_identity(doc, today=TODAY).mixed
    # Printed clearly, the same difference is a different person.
    clear = document(page(1, ["Patient: DOE, JANE"]), page(2, ["Patient: DOE, JANF"]))
    assert check_identity(clear, today=TODAY).fields == (IdentityField.NAME,)


def test_identity_from_a_generated_pdf_key_value_pairs() -> None:
    doc = read(
        lambda pdf: lines_at(pdf, 40, 60, ["Patient: DOE, JANE    DOB: 01/31/1970    MRN: 000123-45"]),
        lambda pdf: lines_at(pdf, 40, 60, ["Patient: SMITH, JOHN    DOB: 01/31/1970    MRN: 123-45"]),
    )

    check = check_identity(doc, today=TODAY)

    assert check.fields == (IdentityField.NAME,)
    assert check.warnings[0].message.startswith("different patient names on page 1 and page 2")
