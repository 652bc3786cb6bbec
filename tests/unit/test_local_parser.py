"""The offline parser end to end: PDFs (tests/support/pdf_factory.py) through the engine and the rules."""

from __future__ import annotations

import io
import pickle
from dataclasses import dataclass, replace
from typing import Any

import pytest
from pypdf import PdfWriter

from lib.adapters.local_parser import MODEL_NAME, LocalReportParser
from lib.documents import Word
from lib.domain.errors import PermanentParseError
from lib.domain.parsing import ParseRequest
from lib.domain.report_schema import (
    Assertion,
    Diagnosis,
    Finding,
    LabFlag,
    LabResult,
    Medication,
    ParsedReport,
    Patient,
    ReportWarning,
    Sex,
)
from tests.support.pdf_factory import (
    SampleDiagnosis,
    SampleLab,
    SampleMedication,
    SampleReport,
    make_corrupt_pdf,
    make_encrypted_pdf,
    make_image_only_pdf,
    make_large_pdf,
    make_report_pdf,
)


@dataclass(frozen=True)
class _Unreadable:
    """What OCR returns for a page it can read nothing on."""

    words: tuple[Word, ...] = ()
    readable: bool = False
    skew_degrees: float = 0.0


def no_ocr(pdf: bytes, page_index: int, *, page_number: int, deadline: float, **_: object) -> _Unreadable:
    """An OCR engine that reads nothing: image pages stay unread, fast and deterministic."""
    return _Unreadable()


PARSER = LocalReportParser(ocr=no_ocr)


def parse(*documents: bytes) -> ParsedReport:
    outcome = PARSER.parse(ParseRequest(documents=documents))
    assert outcome.model == MODEL_NAME == "local-rules"
    assert outcome.usage is None
    return outcome.report


def parse_sample(**changes: Any) -> ParsedReport:
    return parse(make_report_pdf(replace(SampleReport(), **changes)))


def parse_failure(*documents: bytes) -> PermanentParseError:
    with pytest.raises(PermanentParseError) as caught:
        PARSER.parse(ParseRequest(documents=documents))
    return caught.value


# --- the whole report -------------------------------------------------------------------


def test_every_field_of_the_default_sample_round_trips() -> None:
    assert parse(make_report_pdf()) == ParsedReport(
        patient_name="Jane Q. Doe",
        diagnosis=[
            "Type 2 diabetes mellitus without complications",
            "Essential (primary) hypertension",
            "Hyperlipidemia, unspecified",
            "Suboptimally controlled type 2 diabetes",
        ],
        patient=Patient(name="Jane Q. Doe", date_of_birth="1962-03-14", sex=Sex.FEMALE, mrn="MRN-0048213"),
        report_type="discharge summary",
        report_date="2024-05-21",
        facility="Riverside General Hospital",
        physician="Dr. Alan Smithee",
        diagnosis_details=[
            Diagnosis(description="Type 2 diabetes mellitus without complications", code="E11.9", page=1),
            Diagnosis(description="Essential (primary) hypertension", code="I10", page=1),
            Diagnosis(description="Hyperlipidemia, unspecified", code="E78.5", page=1),
            Diagnosis(description="Suboptimally controlled type 2 diabetes", page=1),
        ],
        findings=[
            Finding(text="Blood pressure 148/92 mmHg on admission, 132/84 mmHg at discharge.", page=1),
            Finding(text="No peripheral edema.", page=1, assertion=Assertion.NEGATED),
            Finding(text="Monofilament sensation intact in both feet.", page=1),
        ],
        impression="Suboptimally controlled type 2 diabetes; metformin continued and basal insulin started.",
        medications=[
            Medication(name="Metformin", dose="500 mg", route="oral", frequency="twice daily", page=1),
            Medication(name="Lisinopril", dose="10 mg", route="oral", frequency="once daily", page=1),
            Medication(name="Atorvastatin", dose="40 mg", route="oral", frequency="at bedtime", page=1),
            Medication(
                name="Insulin glargine", dose="12 units", route="subcutaneous", frequency="at bedtime", page=1
            ),
            Medication(
                name="Albuterol", dose="90 mcg", route="inhaled", frequency="every 6 hours as needed", page=1
            ),
        ],
        lab_results=[
            LabResult(
                test="HbA1c", value="7.2", unit="%", reference_range="4.0-5.6", flag=LabFlag.HIGH, page=1
            ),
            LabResult(
                test="Fasting glucose",
                value="182",
                unit="mg/dL",
                reference_range="70-99",
                flag=LabFlag.HIGH,
                page=1,
            ),
            LabResult(
                test="Potassium",
                value="4.1",
                unit="mmol/L",
                reference_range="3.5-5.1",
                flag=LabFlag.NORMAL,
                page=1,
            ),
            LabResult(
                test="Hemoglobin",
                value="11.2",
                unit="g/dL",
                reference_range="12.0-16.0",
                flag=LabFlag.LOW,
                page=1,
            ),
            LabResult(
                test="eGFR", value="58", unit="mL/min/1.73m2", reference_range=">60", flag=LabFlag.LOW, page=1
            ),
        ],
    )


def test_the_parser_is_cheap_to_build_and_survives_pickling() -> None:
    parser = pickle.loads(pickle.dumps(LocalReportParser()))

    assert parser == LocalReportParser()


# --- header fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "physician"),
    [
        (
            {"name_label": "Patient", "dob_label": "DOB", "mrn_label": "Medical Record Number"},
            "Dr. Alan Smithee",
        ),
        ({"name_label": "Name", "sex_label": "Gender", "physician_label": "Attending"}, "Dr. Alan Smithee"),
        ({"name_label": "Pt Name", "dob_label": "D.O.B.", "mrn_label": "MR#"}, "Dr. Alan Smithee"),
        ({"mrn_label": "UHID", "physician_label": "Ordering Physician"}, "Dr. Alan Smithee"),
        ({"mrn_label": "Patient ID", "physician_label": None}, "Dr. Alan Smithee"),  # from "signed by"
    ],
)
def test_header_fields_are_found_under_each_label(labels: dict[str, str | None], physician: str) -> None:
    report = parse_sample(**labels)

    assert report.patient_name == "Jane Q. Doe"
    assert report.patient == Patient(
        name="Jane Q. Doe", date_of_birth="1962-03-14", sex=Sex.FEMALE, mrn="MRN-0048213"
    )
    assert report.physician == physician


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("NOVAK, CHIARA", "Chiara Novak"),
        ("Mrs. Chiara Novak", "Chiara Novak"),
        ("Dr. Chiara M. Novak", "Chiara M. Novak"),
        ("O'BRIEN, SEAN", "Sean O'Brien"),
    ],
)
def test_names_are_cleaned_into_reading_order_without_titles(written: str, name: str) -> None:
    report = parse_sample(patient_name=written)

    assert report.patient_name == name
    assert report.patient is not None and report.patient.name == name


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("03/14/1962", "1962-03-14"),
        ("14/03/1962", "1962-03-14"),
        ("14.03.1962", "1962-03-14"),
        ("1962-03-14", "1962-03-14"),
        ("March 14, 1962", "1962-03-14"),
        ("14 Mar 1962", "1962-03-14"),
        ("14-MAR-1962", "1962-03-14"),
        ("07/07/1962", "1962-07-07"),  # day and month agree, so the order does not matter
        ("02/30/1962", None),  # no such day
        ("not recorded", None),
    ],
)
def test_date_of_birth_is_iso(written: str, expected: str | None) -> None:
    report = parse_sample(date_of_birth=written)

    assert report.patient is not None
    assert report.patient.date_of_birth == expected
    assert report.warnings == []


def test_an_ambiguous_date_of_birth_is_kept_as_written_with_a_warning() -> None:
    report = parse_sample(date_of_birth="04/05/1962")

    assert report.patient is not None and report.patient.date_of_birth == "04/05/1962"
    assert report.warnings == [
        ReportWarning(
            code="ambiguous_date",
            path="/patient/date_of_birth",
            message="the date of birth can be read day-first or month-first; it is given as written",
        )
    ]
    assert "04/05" not in report.warnings[0].message


def test_an_ambiguous_report_date_is_kept_as_written_with_a_warning() -> None:
    report = parse_sample(report_date="06/07/2024")

    assert report.report_date == "06/07/2024"
    assert [(w.code, w.path) for w in report.warnings] == [("ambiguous_date", "/report_date")]


@pytest.mark.parametrize(
    ("written", "expected"),
    [("F", Sex.FEMALE), ("female", Sex.FEMALE), ("M", Sex.MALE), ("Male", Sex.MALE), ("n/a", None)],
)
def test_sex_maps_to_the_enum(written: str, expected: Sex | None) -> None:
    report = parse_sample(sex=written)

    assert report.patient is not None
    assert report.patient.sex == expected


def test_a_value_never_runs_into_the_next_label() -> None:
    by_mrn = parse_sample(mrn="36891114 Admitted: 02/07/2026")
    by_name = parse_sample(patient_name="NOVAK, CHIARA MR#: A817888-96")

    assert by_mrn.patient is not None and by_mrn.patient.mrn == "36891114"
    assert by_name.patient_name == "Chiara Novak"


# --- sections ---------------------------------------------------------------------------


SHORT_DIAGNOSES = (
    SampleDiagnosis("Type 2 diabetes mellitus", "E11.9"),
    SampleDiagnosis("Essential hypertension", "I10"),
    SampleDiagnosis("Hyperlipidemia", "E78.5"),
)


@pytest.mark.parametrize("style", ["bullets", "numbered", "inline"])
def test_diagnoses_and_codes_are_read_in_every_list_style(style: str) -> None:
    # Short enough that the inline list fits on the page: words past its edge are not printed.
    report = parse_sample(diagnosis_style=style, diagnoses=SHORT_DIAGNOSES, impression="")

    assert report.diagnosis == ["Type 2 diabetes mellitus", "Essential hypertension", "Hyperlipidemia"]
    assert [d.code for d in report.diagnosis_details] == ["E11.9", "I10", "E78.5"]


@pytest.mark.parametrize(
    ("written", "description", "code"),
    [
        ("E11.9 - Type 2 diabetes mellitus", "Type 2 diabetes mellitus", "E11.9"),
        ("J45.909 Asthma, uncomplicated", "Asthma, uncomplicated", "J45.909"),
        ("Essential hypertension (ICD-10: I10)", "Essential hypertension", "I10"),
        ("B12 deficiency anemia", "B12 deficiency anemia", None),
    ],
)
def test_diagnosis_codes_are_found_before_or_after_the_description(
    written: str, description: str, code: str | None
) -> None:
    report = parse_sample(diagnoses=(SampleDiagnosis(written),), impression="")

    assert report.diagnosis_details == [Diagnosis(description=description, code=code, page=1)]


@pytest.mark.parametrize(
    "mention",
    [
        "No evidence of pneumonia",
        "Rule out pulmonary embolism",
        "Family history of breast cancer",
        "Possible early appendicitis",
    ],
)
def test_negated_hypothetical_and_family_mentions_are_not_diagnoses(mention: str) -> None:
    report = parse_sample(diagnoses=(SampleDiagnosis("Asthma"), SampleDiagnosis(mention)), impression="")

    assert report.diagnosis == ["Asthma"]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Metformin 500 mg PO BID", ("Metformin", "500 mg", "oral", "twice daily")),
        ("Ceftriaxone 1 g IV daily", ("Ceftriaxone", "1 g", "intravenous", "once daily")),
        ("Enoxaparin 40 mg SC once daily", ("Enoxaparin", "40 mg", "subcutaneous", "once daily")),
        ("Cyanocobalamin 1000 mcg IM once weekly", ("Cyanocobalamin", "1000 mcg", "intramuscular", "weekly")),
        ("Furosemide 40mg by mouth QID", ("Furosemide", "40 mg", "oral", "four times daily")),
        ("Ondansetron 4 mg IV q8h", ("Ondansetron", "4 mg", "intravenous", "every 8 hours")),
        ("Zolpidem 5 mg oral QHS PRN", ("Zolpidem", "5 mg", "oral", "at bedtime as needed")),
        ("Insulin glargine 20 units SC QHS", ("Insulin glargine", "20 units", "subcutaneous", "at bedtime")),
        ("Salbutamol 100 mcg inhaled PRN", ("Salbutamol", "100 mcg", "inhaled", "as needed")),
        ("Paracetamol", ("Paracetamol", None, None, None)),
    ],
)
def test_medication_lines_give_name_dose_route_and_frequency(
    written: str, expected: tuple[str, str | None, str | None, str | None]
) -> None:
    report = parse_sample(medications=(SampleMedication(written),))

    assert [(m.name, m.dose, m.route, m.frequency) for m in report.medications] == [expected]


@pytest.mark.parametrize("style", ["inline", "labelled"])
@pytest.mark.parametrize(
    ("lab", "flag"),
    [
        (SampleLab("Hemoglobin", "13.5", "g/dL", "12.0-16.0", None), None),
        (SampleLab("HbA1c", "7.2", "%", "4.0-5.6", "High"), LabFlag.HIGH),
        (SampleLab("Sodium", "131", "mmol/L", "135-145", "Low"), LabFlag.LOW),
        (SampleLab("Potassium", "6.8", "mmol/L", "3.5-5.1", "HH"), LabFlag.CRITICAL),
        (SampleLab("Troponin I", "2.9", "ng/mL", "<0.04", "Critical"), LabFlag.CRITICAL),
        (SampleLab("TSH", "2.1", "mIU/L", "0.4-4.0", "N"), LabFlag.NORMAL),
        (SampleLab("CRP", "<0.5", "mg/L", "0.0-5.0"), None),
    ],
)
def test_lab_lines_give_value_unit_range_and_flag(style: str, lab: SampleLab, flag: LabFlag | None) -> None:
    report = parse_sample(lab_results=(lab,), lab_style=style)

    assert report.lab_results == [
        LabResult(
            test=lab.test,
            value=lab.value,
            unit=lab.unit,
            reference_range=lab.reference_range,
            flag=flag,
            page=1,
        )
    ]


def test_vital_signs_are_not_lab_results() -> None:
    report = parse_sample(
        lab_results=(
            SampleLab("Blood pressure", "148", "mmHg", "90-120"),
            SampleLab("Pulse", "88", "bpm", "60-100"),
        )
    )

    assert report.lab_results == []


# --- pages ------------------------------------------------------------------------------


def test_items_carry_their_page_across_a_two_page_report() -> None:
    report = parse_sample(pages=2)

    assert {d.page for d in report.diagnosis_details} == {1}
    assert {f.page for f in report.findings} == {1}
    assert {m.page for m in report.medications} == {2}
    assert {lab.page for lab in report.lab_results} == {2}
    assert report.impression == SampleReport().impression
    # The running header on page 2 is not a medication.
    assert [m.name for m in report.medications] == [m.name for m in SampleReport().medications]


def test_pages_are_counted_across_documents_in_upload_order() -> None:
    summary = make_report_pdf(SampleReport(pages=2))
    lab_report = make_report_pdf(
        SampleReport(
            report_type="Laboratory Report",
            diagnoses=(),
            findings=(),
            impression="",
            medications=(),
            lab_results=(SampleLab("Ferritin", "12", "ng/mL", "15-150", "L"),),
        )
    )

    report = parse(summary, lab_report)

    assert report.report_type == "discharge summary"  # the first document's title wins
    assert {m.page for m in report.medications} == {2}
    assert report.lab_results[-1] == LabResult(
        test="Ferritin", value="12", unit="ng/mL", reference_range="15-150", flag=LabFlag.LOW, page=3
    )


def test_pages_nothing_could_read_are_a_warning_naming_their_numbers_only() -> None:
    report = parse(make_report_pdf(), make_image_only_pdf(pages=2))

    assert report.patient_name == "Jane Q. Doe"
    assert report.warnings == [
        ReportWarning(code="unread_pages", path=None, message="no text could be read on page(s) 2, 3")
    ]


# --- failures ---------------------------------------------------------------------------


def _pdf_without_pages() -> bytes:
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


DAMAGED = {
    "garbage after the header": make_corrupt_pdf,
    "empty file": lambda: b"",
    "truncated file": lambda: make_report_pdf()[:1500],
    "no pages": _pdf_without_pages,
}


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_pdf_fails_as_unreadable(damage: str) -> None:
    assert parse_failure(DAMAGED[damage]()).code == "pdf_unreadable"


def test_an_encrypted_pdf_fails_as_encrypted() -> None:
    assert parse_failure(make_encrypted_pdf()).code == "pdf_encrypted"


def test_a_report_with_no_text_from_the_text_layer_or_ocr_fails_as_no_text() -> None:
    error = parse_failure(make_image_only_pdf(pages=2), make_image_only_pdf())

    assert error.code == "pdf_no_text"


def test_the_message_names_the_failing_document_by_position() -> None:
    error = parse_failure(make_report_pdf(), make_encrypted_pdf())

    assert error.code == "pdf_encrypted"
    assert "document 2" in error.message


@pytest.mark.parametrize(
    "documents",
    [
        (make_encrypted_pdf(),),
        (make_report_pdf(), make_corrupt_pdf()),
        (make_image_only_pdf(),),
        (make_corrupt_pdf(),),
    ],
    ids=["encrypted", "unreadable", "no text", "corrupt"],
)
def test_error_messages_hold_no_patient_data_or_file_content(documents: tuple[bytes, ...]) -> None:
    error = parse_failure(*documents)

    for text in (error.message, str(error)):
        for secret in ("Jane", "Doe", "0048213", "Riverside", "Smithee", "diabetes", "1962", "report.pdf"):
            assert secret not in text
        content = documents[-1].decode("latin-1")
        assert not any(content[i : i + 12] in text for i in range(0, len(content) - 12))


def test_a_large_pdf_is_parsed() -> None:
    assert parse(make_large_pdf(2_500_000)).patient_name == "Jane Q. Doe"
