"""ground(): facts found with provenance, invented ones flagged or dropped, pages corrected."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from fpdf import FPDF

from lib.documents import Document, TextSource
from lib.domain.grounding import Claim
from lib.domain.report_schema import ParsedReport, ReportWarning
from lib.grounding import ground
from tests.unit.documents.pdfs import grid, lines_at, read, text_at
from tests.unit.grounding.docs import document, page

TODAY = date(2026, 12, 1)


def parsed(**fields: Any) -> ParsedReport:
    return ParsedReport.model_validate(fields)


def ungrounded(report: ParsedReport) -> set[str | None]:
    return {warning.path for warning in report.warnings if warning.code == "ungrounded"}


# -- a real PDF: every kind of fact, with its page, words and box -------------------------------


def _first_page(pdf: FPDF) -> None:
    text_at(pdf, 40, 40, "Example General Hospital", size=14, style="B")
    lines_at(
        pdf,
        40,
        70,
        [
            "Patient: DOE, JANE    DOB: 31 Jan 1970    MRN: 000123-45",
            "Sex: F    Report date: 2024-05-02",
            "Attending: Dr. Priya Raman",
        ],
    )
    lines_at(
        pdf,
        40,
        140,
        [
            "Diagnoses:",
            "1. Type 2 diabetes mellitus (E11.9)",
            "2. Essential hypertension I10",
            "Findings: Blood pressure 150/95 mmHg at rest.",
            "Impression: Stable on current therapy; continue metformin and",
            "recheck HbA1c in three months.",
        ],
    )


def _second_page(pdf: FPDF) -> None:
    text_at(pdf, 40, 40, "Laboratory results", size=12, style="B")
    grid(
        pdf,
        40,
        70,
        [150, 60, 60, 90],
        [
            ["Test", "Result", "Unit", "Reference"],
            ["HbA1c", "7.2", "%", "4.0-5.6"],
            ["Glucose, fasting", "6.1", "mmol/L", "3.9-5.5"],
            ["CRP", "<0.5", "mg/L", "0-5"],
        ],
        bold_first_row=True,
    )
    lines_at(pdf, 40, 180, ["Medications:", "Metformin 500 mg PO BID", "Lisinopril 10 mg daily"])


@pytest.fixture(scope="module")
def pdf_document() -> Document:
    return read(_first_page, _second_page)


FULL_REPORT: dict[str, Any] = {
    "patient_name": "Jane Doe",
    "patient": {"name": "Jane Doe", "date_of_birth": "1970-01-31", "sex": "female", "mrn": "12345"},
    "report_date": "2024-05-02",
    "facility": "Example General Hospital",
    "physician": "Priya Raman, MD",
    "diagnosis": ["Type 2 diabetes mellitus", "Essential hypertension"],
    "diagnosis_details": [
        {"description": "Type 2 diabetes mellitus", "code": "E11.9", "page": 1},
        {"description": "Essential hypertension", "code": "I10", "page": 1},
    ],
    "findings": [{"text": "Blood pressure 150/95 mmHg", "page": 1}],
    "impression": "Stable on current therapy; continue metformin and recheck HbA1c in three months.",
    "medications": [
        {"name": "Metformin", "dose": "500 mg", "page": 2},
        {"name": "Lisinopril", "dose": "10 mg", "page": 2},
    ],
    "lab_results": [
        {"test": "HbA1c", "value": "7.2", "unit": "%", "page": 2},
        {"test": "Glucose, fasting", "value": "6.1", "unit": "mmol/L", "page": 2},
        {"test": "CRP", "value": "<0.5", "unit": "mg/L", "page": 2},
    ],
}


def test_every_real_fact_is_grounded_with_its_words(pdf_document: Document) -> None:
    report = ground(pdf_document, parsed(**FULL_REPORT), today=TODAY)

    assert report.warnings == []
    expected = {
        "/patient_name": (1, "DOE, JANE"),
        "/patient/name": (1, "DOE, JANE"),
        "/patient/date_of_birth": (1, "31 Jan 1970"),
        "/patient/mrn": (1, "000123-45"),
        "/patient/sex": (1, "F"),
        "/report_date": (1, "2024-05-02"),
        "/facility": (1, "Example General Hospital"),
        "/physician": (1, "Priya Raman"),
        "/diagnosis_details/0": (1, "Type 2 diabetes mellitus (E11.9)"),
        "/diagnosis_details/1": (1, "Essential hypertension I10"),
        "/diagnosis/0": (1, "Type 2 diabetes mellitus (E11.9)"),
        "/diagnosis/1": (1, "Essential hypertension I10"),
        "/findings/0": (1, "Blood pressure 150/95 mmHg"),
        "/impression": (
            1,
            "Stable on current therapy; continue metformin and recheck HbA1c in three months.",
        ),
        "/medications/0": (2, "Metformin 500 mg"),
        "/medications/1": (2, "Lisinopril 10 mg"),
        "/lab_results/0": (2, "HbA1c 7.2 %"),
        "/lab_results/1": (2, "Glucose, fasting 6.1 mmol/L"),
        "/lab_results/2": (2, "CRP <0.5 mg/L"),
    }
    assert {pointer: (p.page, p.quote) for pointer, p in report.provenance.items()} == expected
    # The box is the union of the matched words on the page, in PDF points.
    hba1c = report.provenance["/lab_results/0"].bbox
    assert hba1c is not None
    x0, top, x1, bottom = hba1c
    assert 40 <= x0 < 60 and 250 < x1 < 320 and 88 < top < bottom < 112


@pytest.mark.parametrize(
    ("value", "unit"),
    [
        ("6.7", "mmol/L"),  # one digit off
        ("61", "mmol/L"),  # the decimal point lost
        ("6.11", "mmol/L"),  # a digit added
        ("0.5", "mg/L"),  # the printed "<" dropped (CRP)
        ("7.2", "mmol/L"),  # the wrong unit (HbA1c is in %)
    ],
)
def test_a_value_that_is_not_printed_is_not_grounded(pdf_document: Document, value: str, unit: str) -> None:
    test = {"6.7": "Glucose, fasting", "61": "Glucose, fasting", "6.11": "Glucose, fasting"}.get(value)
    test = test or ("CRP" if value == "0.5" else "HbA1c")
    report = ground(
        pdf_document, parsed(lab_results=[{"test": test, "value": value, "unit": unit}]), today=TODAY
    )

    assert ungrounded(report) == {"/lab_results/0"}
    assert report.provenance == {}


def test_a_value_from_another_row_does_not_ground_a_test(pdf_document: Document) -> None:
    report = ground(
        pdf_document, parsed(lab_results=[{"test": "CRP", "value": "7.2", "unit": "%"}]), today=TODAY
    )

    assert ungrounded(report) == {"/lab_results/0"}


def test_invented_diagnosis_and_invented_code_are_flagged(pdf_document: Document) -> None:
    report = ground(
        pdf_document,
        parsed(
            diagnosis=["Type 2 diabetes mellitus", "Sepsis", "Essential hypotension"],
            diagnosis_details=[
                {"description": "Type 2 diabetes mellitus", "code": "E11.99"},
                {"description": "Sepsis", "code": "A41.9"},
                {"description": "Essential hypotension"},  # one letter from the real "hypertension"
            ],
        ),
        today=TODAY,
    )

    assert ungrounded(report) == {
        "/diagnosis_details/0/code",  # the diagnosis is real, its code is not printed
        "/diagnosis_details/1",
        "/diagnosis_details/2",
        "/diagnosis/1",
        "/diagnosis/2",
    }
    assert report.provenance["/diagnosis_details/0"].quote == "Type 2 diabetes mellitus"
    assert report.provenance["/diagnosis/0"] == report.provenance["/diagnosis_details/0"]


def test_drop_ungrounded_removes_items_and_keeps_pointers_true(pdf_document: Document) -> None:
    earlier = ReportWarning(code="implausible_value", path="/lab_results/2", message="a check of ours")
    report = parsed(
        patient_name="John Smith",
        diagnosis=["Sepsis", "Type 2 diabetes mellitus"],
        diagnosis_details=[
            {"description": "Sepsis"},
            {"description": "Type 2 diabetes mellitus", "code": "E11.99"},
        ],
        lab_results=[
            {"test": "HbA1c", "value": "7.2", "unit": "%"},
            {"test": "Glucose, fasting", "value": "6.7", "unit": "mmol/L"},
            {"test": "CRP", "value": "<0.5", "unit": "mg/L"},
        ],
        warnings=[earlier.model_dump()],
    )

    dropped = ground(pdf_document, report, drop_ungrounded=True, today=TODAY)

    assert dropped.patient_name is None
    assert dropped.diagnosis == ["Type 2 diabetes mellitus"]
    assert [(d.description, d.code) for d in dropped.diagnosis_details] == [
        ("Type 2 diabetes mellitus", None)
    ]
    assert [lab.test for lab in dropped.lab_results] == ["HbA1c", "CRP"]
    assert set(dropped.provenance) == {
        "/diagnosis/0",
        "/diagnosis_details/0",
        "/lab_results/0",
        "/lab_results/1",
    }
    assert dropped.provenance["/lab_results/1"].quote == "CRP <0.5 mg/L"
    paths = [(w.code, w.path) for w in dropped.warnings]
    assert ("implausible_value", "/lab_results/1") in paths  # moved up with its item
    assert ("ungrounded", "/patient_name") in paths
    assert ("ungrounded", "/diagnosis_details/1/code") not in paths  # that item is now 0
    assert ("ungrounded", "/diagnosis_details/0/code") in paths
    removals = [w for w in dropped.warnings if w.code == "ungrounded" and w.path == "/lab_results"]
    assert len(removals) == 1 and "removed" in removals[0].message
    assert all("Glucose" not in w.message and "6.7" not in w.message for w in dropped.warnings)


# -- pages: the stated page first, then the truth -----------------------------------------------


def _two_pages() -> Document:
    return document(
        page(1, ["Clinic note", "Patient seen today for follow-up."]),
        page(2, ["Potassium 4.1 mmol/L 3.5-5.1", "Sodium 140 mmol/L 135-145", "Date of visit: 03/04/2026"]),
    )


def test_a_fact_claimed_on_the_wrong_page_gets_the_page_it_is_on() -> None:
    report = parsed(lab_results=[{"test": "Potassium", "value": "4.1", "unit": "mmol/L", "page": 1}])
    claims = {"/lab_results/0": Claim(page=1, quote="Potassium 4.1 mmol/L")}

    grounded = ground(_two_pages(), report, claims, today=TODAY)

    assert grounded.warnings == []
    assert grounded.provenance["/lab_results/0"].page == 2
    assert grounded.provenance["/lab_results/0"].quote == "Potassium 4.1 mmol/L"
    assert grounded.lab_results[0].page == 2


def test_a_quote_alone_never_grounds_a_fact() -> None:
    # The model quotes a real line of page 2 for a value that is not on it.
    report = parsed(lab_results=[{"test": "Potassium", "value": "4.7", "unit": "mmol/L"}])
    claims = {"/lab_results/0": Claim(page=2, quote="Potassium 4.1 mmol/L 3.5-5.1")}

    grounded = ground(_two_pages(), report, claims, today=TODAY)

    assert ungrounded(grounded) == {"/lab_results/0"}


def test_the_stated_page_wins_when_a_fact_is_printed_twice() -> None:
    doc = document(page(1, ["Sodium 140 mmol/L"]), page(2, ["Sodium 140 mmol/L"]))
    report = parsed(lab_results=[{"test": "Sodium", "value": "140", "unit": "mmol/L"}])

    assert ground(doc, report, today=TODAY).provenance["/lab_results/0"].page == 1
    claimed = ground(doc, report, {"/lab_results/0": Claim(page=2)}, today=TODAY)
    assert claimed.provenance["/lab_results/0"].page == 2


# -- dates, names, codes in their many printed forms -----------------------------------------------


@pytest.mark.parametrize(
    "printed",
    ["Report date: 2026-02-17", "Reported 02/17/2026 14:32", "Date: 17 Feb 2026", "February 17th, 2026"],
)
def test_a_date_in_any_written_form(printed: str) -> None:
    report = ground(document(page(1, [printed])), parsed(report_date="2026-02-17"), today=TODAY)

    assert report.warnings == []
    assert report.provenance["/report_date"].quote in printed


def test_a_different_date_or_a_partial_one_is_not_grounded() -> None:
    doc = document(page(1, ["Report date: 2026-02-17"]))

    assert ungrounded(ground(doc, parsed(report_date="2026-02-18"), today=TODAY)) == {"/report_date"}
    assert ungrounded(ground(doc, parsed(report_date="2026-02"), today=TODAY)) == {"/report_date"}


def test_an_ambiguous_date_is_grounded_with_a_warning() -> None:
    report = ground(document(page(1, ["Date: 04/05/2026"])), parsed(report_date="2026-04-05"), today=TODAY)

    assert report.provenance["/report_date"].quote == "04/05/2026"
    assert [(w.code, w.path) for w in report.warnings] == [("ambiguous_date", "/report_date")]


def test_a_date_kept_as_written_is_found_as_printed_and_only_so() -> None:
    doc = document(page(1, ["Collected: 03/04/2026"]))

    kept = ground(doc, parsed(report_date="03/04/2026"), today=TODAY)

    assert kept.provenance["/report_date"].quote == "03/04/2026"
    assert ungrounded(ground(doc, parsed(report_date="04/03/2026"), today=TODAY)) == {"/report_date"}


def test_a_two_digit_birth_year_is_read_as_a_birth_date() -> None:
    report = parsed(patient={"date_of_birth": "1951-06-10"})

    grounded = ground(document(page(1, ["DOB: 6/10/51"])), report, today=TODAY)

    assert grounded.provenance["/patient/date_of_birth"].quote == "6/10/51"


@pytest.mark.parametrize("printed", ["Patient: DOE, JANE A.", "Name: Jane Doe", "Mrs. Jane Doe"])
def test_a_name_in_any_order(printed: str) -> None:
    report = ground(document(page(1, [printed])), parsed(patient_name="Jane Doe"), today=TODAY)

    assert report.warnings == []


def test_another_name_is_not_grounded() -> None:
    doc = document(page(1, ["Patient: DOE, JANE", "Referred by: Dr. John Doe"]))

    assert ungrounded(ground(doc, parsed(patient_name="Jane Roe"), today=TODAY)) == {"/patient_name"}


def test_record_number_ignores_hyphens_and_leading_zeros_but_not_digits() -> None:
    doc = document(page(1, ["MRN: 000123-45"]))

    assert ground(doc, parsed(patient={"mrn": "12345"}), today=TODAY).warnings == []
    assert ungrounded(ground(doc, parsed(patient={"mrn": "12346"}), today=TODAY)) == {"/patient/mrn"}


def test_sex_unknown_is_not_a_fact_and_a_wrong_sex_is_flagged() -> None:
    doc = document(page(1, ["Age/Sex: 74/F"]))

    assert ground(doc, parsed(patient={"sex": "unknown"}), today=TODAY).warnings == []
    assert (
        ground(doc, parsed(patient={"sex": "female"}), today=TODAY).provenance["/patient/sex"].quote == "74/F"
    )
    assert ungrounded(ground(doc, parsed(patient={"sex": "male"}), today=TODAY)) == {"/patient/sex"}


def test_a_medication_needs_its_dose_number() -> None:
    doc = document(page(1, ["Metformin 500 mg PO BID"]))

    assert (
        ground(doc, parsed(medications=[{"name": "Metformin", "dose": "500 mg"}]), today=TODAY).warnings == []
    )
    wrong = parsed(medications=[{"name": "Metformin", "dose": "1000 mg"}])
    assert ungrounded(ground(doc, wrong, today=TODAY)) == {"/medications/0"}


def test_similar_test_names_are_not_confused() -> None:
    doc = document(page(1, ["Free T3 4.1 pmol/L", "LDL 2.9 mmol/L"]))
    report = parsed(
        lab_results=[
            {"test": "Free T4", "value": "4.1", "unit": "pmol/L"},
            {"test": "HDL", "value": "2.9", "unit": "mmol/L"},
        ]
    )

    assert ungrounded(ground(doc, report, today=TODAY)) == {"/lab_results/0", "/lab_results/1"}


# -- OCR -------------------------------------------------------------------------------------------------


def test_provenance_from_ocr_words_tolerates_one_misread_letter() -> None:
    scanned = page(
        1,
        ["Hemoglobin 13.5 g/dL 12.0-15.5", "Impression: mild normocytic anaemia"],
        source=TextSource.OCR,
        confidence=0.62,
    )
    report = parsed(
        lab_results=[{"test": "Haemoglobin", "value": "13.5", "unit": "g/dL"}],  # OCR lost the "a"
        findings=[{"text": "Mild normocytic anaemia"}],
    )

    grounded = ground(document(scanned), report, today=TODAY)

    assert grounded.warnings == []
    assert grounded.provenance["/lab_results/0"].quote == "Hemoglobin 13.5 g/dL"
    assert grounded.provenance["/findings/0"].quote == "mild normocytic anaemia"
    assert grounded.provenance["/lab_results/0"].bbox == [40.0, 100.0, 160.0, 110.0]


def test_a_document_without_the_facts_flags_them_all() -> None:
    report = ground(document(page(1, ["Nothing of note."])), parsed(**FULL_REPORT), today=TODAY)

    assert report.provenance == {}
    assert len(ungrounded(report)) == 19
    assert all(w.path is not None and w.code == "ungrounded" for w in report.warnings)
