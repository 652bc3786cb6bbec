"""The offline parser, on PDFs generated from plain descriptions (tests/support/pdf_factory.py)."""

from __future__ import annotations

import io
from dataclasses import replace
from typing import Any

import pytest
from pypdf import PdfWriter

from lib.adapters.local_parser import MODEL_NAME, LocalReportParser
from lib.adapters.report_rules import parse_report_text
from lib.domain.errors import PermanentParseError
from lib.domain.parsing import ParseRequest
from lib.domain.report_schema import (
    Diagnosis,
    Finding,
    LabFlag,
    LabResult,
    Medication,
    ParsedReport,
    Patient,
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


def parse(*documents: bytes) -> ParsedReport:
    outcome = LocalReportParser().parse(ParseRequest(documents=documents))
    assert outcome.model == MODEL_NAME == "local-rules"
    assert outcome.usage is None
    return outcome.report


def parse_sample(**changes: Any) -> ParsedReport:
    return parse(make_report_pdf(replace(SampleReport(), **changes)))


def parse_failure(*documents: bytes) -> PermanentParseError:
    with pytest.raises(PermanentParseError) as caught:
        LocalReportParser().parse(ParseRequest(documents=documents))
    return caught.value


# --- the whole report -------------------------------------------------------------------


def test_every_field_of_the_default_sample_round_trips() -> None:
    assert parse(make_report_pdf()) == ParsedReport(
        patient_name="Jane Q. Doe",
        diagnosis=[
            "Type 2 diabetes mellitus without complications",
            "Essential (primary) hypertension",
            "Hyperlipidemia, unspecified",
        ],
        patient=Patient(name="Jane Q. Doe", date_of_birth="1962-03-14", sex=Sex.FEMALE, mrn="MRN-0048213"),
        report_type="Discharge Summary",
        report_date="2024-05-21",
        facility="Riverside General Hospital",
        physician="Dr. Alan Smithee",
        diagnosis_details=[
            Diagnosis(description="Type 2 diabetes mellitus without complications", code="E11.9", page=1),
            Diagnosis(description="Essential (primary) hypertension", code="I10", page=1),
            Diagnosis(description="Hyperlipidemia, unspecified", code="E78.5", page=1),
        ],
        findings=[
            Finding(text="Blood pressure 148/92 mmHg on admission, 132/84 mmHg at discharge.", page=1),
            Finding(text="No peripheral edema.", page=1),
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


# --- header fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("labels", "physician"),
    [
        (
            {"name_label": "Patient", "dob_label": "DOB", "mrn_label": "Medical Record Number"},
            "Dr. Alan Smithee",
        ),
        ({"name_label": "Name", "sex_label": "Gender", "physician_label": "Attending"}, "Dr. Alan Smithee"),
        ({"physician_label": "Ordering Physician"}, "Dr. Alan Smithee"),
        ({"physician_label": None}, "Dr. Alan Smithee"),  # only in "Electronically signed by: Dr. ..."
    ],
)
def test_header_fields_are_found_under_each_label(labels: dict[str, str | None], physician: str) -> None:
    report = parse_sample(**labels)

    assert report.patient_name == "Jane Q. Doe"
    assert report.patient == Patient(
        name="Jane Q. Doe", date_of_birth="1962-03-14", sex=Sex.FEMALE, mrn="MRN-0048213"
    )
    assert report.physician == physician


def test_facility_and_report_type_can_be_labelled_instead_of_letterhead_and_title() -> None:
    report = parse_sample(
        facility_label="Facility",
        report_type_label="Report Type",
        report_type="Radiology Report",
        facility="Lakeside Imaging",
    )

    assert (report.facility, report.report_type) == ("Lakeside Imaging", "Radiology Report")


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("03/14/1962", "1962-03-14"),
        ("14/03/1962", "1962-03-14"),
        ("14.03.1962", "1962-03-14"),
        ("1962-03-14", "1962-03-14"),
        ("March 14, 1962", "1962-03-14"),
        ("14 Mar 1962", "1962-03-14"),
        ("07/07/1962", "1962-07-07"),  # day and month agree, so the order does not matter
        ("04/05/1962", "04/05/1962"),  # 4 May or 5 April: kept as written
        ("02/30/1962", "02/30/1962"),  # no such day
        ("not recorded", "not recorded"),
    ],
)
def test_date_of_birth_is_iso_when_unambiguous_else_as_written(written: str, expected: str) -> None:
    report = parse_sample(date_of_birth=written)

    assert report.patient is not None
    assert report.patient.date_of_birth == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("F", Sex.FEMALE),
        ("female", Sex.FEMALE),
        ("M", Sex.MALE),
        ("Male", Sex.MALE),
        ("Other", Sex.OTHER),
        ("Unknown", Sex.UNKNOWN),
        ("n/a", None),
    ],
)
def test_sex_maps_to_the_enum(written: str, expected: Sex | None) -> None:
    report = parse_sample(sex=written)

    assert report.patient is not None
    assert report.patient.sex == expected


# --- sections ---------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["bullets", "numbered", "inline"])
def test_diagnoses_and_codes_are_read_in_every_list_style(style: str) -> None:
    report = parse_sample(diagnosis_style=style)

    assert report.diagnosis == [
        "Type 2 diabetes mellitus without complications",
        "Essential (primary) hypertension",
        "Hyperlipidemia, unspecified",
    ]
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
    report = parse_sample(diagnoses=(SampleDiagnosis(written),))

    assert report.diagnosis_details == [Diagnosis(description=description, code=code, page=1)]


def test_inline_diagnoses_without_codes_split_at_commas() -> None:
    report = parse_report_text(["Assessment: Asthma, Obesity, Seasonal allergies"])

    assert report.diagnosis == ["Asthma", "Obesity", "Seasonal allergies"]


def test_a_finding_that_wraps_over_lines_stays_one_finding() -> None:
    long_finding = (
        "Chest radiograph shows clear lung fields without focal consolidation, pleural effusion or "
        "pneumothorax, and the cardiomediastinal silhouette is within normal limits for age."
    )

    report = parse_sample(findings=(long_finding, "No peripheral edema."))

    assert [finding.text for finding in report.findings] == [long_finding, "No peripheral edema."]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Metformin 500 mg PO BID", ("Metformin", "500 mg", "oral", "twice daily")),
        ("Ceftriaxone 1 g IV daily", ("Ceftriaxone", "1 g", "IV", "once daily")),
        ("Enoxaparin 40 mg SC once daily", ("Enoxaparin", "40 mg", "subcutaneous", "once daily")),
        ("Cyanocobalamin 1000 mcg IM once weekly", ("Cyanocobalamin", "1000 mcg", "IM", "once weekly")),
        ("Hydrocortisone 1% cream topical TID", ("Hydrocortisone", "1%", "topical", "three times daily")),
        ("Furosemide 40mg by mouth QID", ("Furosemide", "40mg", "oral", "four times daily")),
        ("Ondansetron 4 mg IV q8h", ("Ondansetron", "4 mg", "IV", "every 8 hours")),
        (
            "Oxycodone 5 mg orally every 4 hours as needed",
            ("Oxycodone", "5 mg", "oral", "every 4 hours as needed"),
        ),
        ("Zolpidem 5 mg oral at bedtime PRN", ("Zolpidem", "5 mg", "oral", "at bedtime as needed")),
        (
            "Salbutamol 100 mcg/actuation inhaled PRN",
            ("Salbutamol", "100 mcg/actuation", "inhaled", "as needed"),
        ),
        ("Vitamin D3 2000 units daily", ("Vitamin D3", "2000 units", None, "once daily")),
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
        (SampleLab("Urine culture", "Positive", None, None, "A"), LabFlag.ABNORMAL),
        (SampleLab("Potassium", "6.8", "mmol/L", "3.5-5.1", "HH"), LabFlag.CRITICAL),
        (SampleLab("Glucose", "38", "mg/dL", "70-99", "LL"), LabFlag.CRITICAL),
        (SampleLab("Troponin I", "2.9", "ng/mL", "<0.04", "Critical"), LabFlag.CRITICAL),
        (SampleLab("TSH", "2.1", "mIU/L", "0.4-4.0", "N"), LabFlag.NORMAL),
        (SampleLab("COVID-19 PCR", "Not detected"), None),
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


def test_lab_table_rows_and_flag_columns_are_read_and_headings_skipped() -> None:
    report = parse_report_text(
        [
            "LABORATORY RESULTS\n"
            "Test Result Units Reference Range Flag\n"
            "Complete Blood Count:\n"
            "WBC 12.4 10^3/uL 4.0-11.0 H\n"
            "Platelets 250 10^3/uL Reference range: 150-400 Flag: N\n"
        ]
    )

    assert report.lab_results == [
        LabResult(
            test="WBC", value="12.4", unit="10^3/uL", reference_range="4.0-11.0", flag=LabFlag.HIGH, page=1
        ),
        LabResult(
            test="Platelets",
            value="250",
            unit="10^3/uL",
            reference_range="150-400",
            flag=LabFlag.NORMAL,
            page=1,
        ),
    ]


# --- pages ------------------------------------------------------------------------------


def test_items_carry_their_page_across_a_two_page_report() -> None:
    report = parse_sample(pages=2)

    assert {d.page for d in report.diagnosis_details} == {1}
    assert {f.page for f in report.findings} == {1}
    assert {m.page for m in report.medications} == {2}
    assert {lab.page for lab in report.lab_results} == {2}
    # Page 1's footer ("Confidential - Page 1 of 2") does not run into the impression.
    assert report.impression == SampleReport().impression
    # The running header on page 2 ("Patient: ...  MRN: ...") is not a medication.
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

    assert report.report_type == "Discharge Summary"  # the first document's header wins
    assert {m.page for m in report.medications} == {2}
    assert report.lab_results[-1] == LabResult(
        test="Ferritin", value="12", unit="ng/mL", reference_range="15-150", flag=LabFlag.LOW, page=3
    )
    assert len(report.lab_results) == len(SampleReport().lab_results) + 1


def test_page_furniture_and_continuation_headings_do_not_break_a_section() -> None:
    report = parse_report_text(
        [
            "Findings:\n- No pleural effusion.\nConfidential - Page 1 of 3",
            "This page intentionally left blank.\nPage 2 of 3",
            "Patient: Jane Q. Doe MRN: MRN-0048213\nFindings (continued)\n- No pneumothorax.\n(continued on next page)",
            "Impression:\nContinued improvement, see page 2\nConfidential - Page 4 of 4",
        ]
    )

    assert report.findings == [
        Finding(text="No pleural effusion.", page=1),
        Finding(text="No pneumothorax.", page=3),
    ]
    assert report.impression == "Continued improvement, see page 2"


# --- failures ---------------------------------------------------------------------------


def _pdf_without_pages() -> bytes:
    out = io.BytesIO()
    PdfWriter().write(out)
    return out.getvalue()


def _with_unknown_stream_filter() -> bytes:
    return make_report_pdf().replace(b"/FlateDecode", b"/FlateDecodX")


def _with_non_numeric_xref_entry() -> bytes:
    return make_report_pdf().replace(b"xref\n0 ", b"xref\n/a ", 1)


# Each kind of damage, by the pypdf failure it produces (see _PYPDF_FAILURES).
DAMAGED = {
    "garbage after the header (PdfStreamError)": make_corrupt_pdf,
    "empty file (EmptyFileError)": lambda: b"",
    "truncated file (PdfReadError)": lambda: make_report_pdf()[:1500],
    "no pages": _pdf_without_pages,
    "unknown stream filter (NotImplementedError)": _with_unknown_stream_filter,
    "non-numeric xref entry (TypeError)": _with_non_numeric_xref_entry,
}


@pytest.mark.parametrize("damage", DAMAGED)
def test_a_damaged_pdf_fails_as_unreadable(damage: str) -> None:
    error = parse_failure(DAMAGED[damage]())

    assert error.code == "pdf_unreadable"


def test_an_encrypted_pdf_fails_as_encrypted() -> None:
    assert parse_failure(make_encrypted_pdf()).code == "pdf_encrypted"


def test_a_scanned_pdf_without_text_fails_and_suggests_gemini() -> None:
    error = parse_failure(make_image_only_pdf(pages=2), make_image_only_pdf())

    assert error.code == "pdf_no_text"
    assert "Gemini" in error.message


def test_the_message_names_the_failing_document_by_position() -> None:
    error = parse_failure(make_report_pdf(), make_encrypted_pdf())

    assert (error.code, error.message) == (
        "pdf_encrypted",
        "document 2 is encrypted; upload it without password protection",
    )


@pytest.mark.parametrize(
    "documents",
    [
        (make_encrypted_pdf(),),
        (make_report_pdf(), _with_unknown_stream_filter()),
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


# --- the factory itself -----------------------------------------------------------------


@pytest.mark.parametrize("target", [2_500_000, 26_000_000])
def test_large_pdfs_come_close_to_the_requested_size(target: int) -> None:
    data = make_large_pdf(target)

    assert abs(len(data) - target) < target * 0.01
    assert parse(data).patient_name == "Jane Q. Doe"
