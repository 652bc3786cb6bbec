"""check_report as a whole: a clean report stays clean, every code is documented, idempotence."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from lib.checks import WARNING_CODES, check_report
from lib.domain.report_schema import (
    Diagnosis,
    LabFlag,
    LabResult,
    Medication,
    ParsedReport,
    Patient,
    ReportWarning,
)


def clean_report() -> ParsedReport:
    """A realistic discharge summary with labs: nothing in it deserves a warning."""
    labs = [
        ("Sodium", "138", "mmol/L", "136-145", None),
        ("Potassium", "5.6", "mmol/L", "3.5-5.1", LabFlag.HIGH),
        ("Chloride", "101", "mmol/L", "98-107", None),
        ("CO2", "24", "mmol/L", "22-29", None),
        ("BUN", "18", "mg/dL", "7-20", None),
        ("Creatinine", "1.1", "mg/dL", "0.7-1.3", None),
        ("Glucose", "142", "mg/dL", "70-99", LabFlag.HIGH),
        ("Calcium", "9.4", "mg/dL", "8.6-10.3", None),
        ("WBC", "7.2", "K/uL", "4.0-11.0", None),
        ("Hemoglobin", "11.8", "g/dL", "13.5-17.5", LabFlag.LOW),
        ("Hematocrit", "35.4", "%", "41-53", LabFlag.LOW),
        ("Platelets", "250", "x10^3/uL", "150-400", None),
        ("MCV", "88", "fL", "80-100", None),
        ("Neutrophils", "62", "%", "40-70", None),
        ("Neutrophils, absolute", "4.5", "10^9/L", "1.8-7.7", None),
        ("HbA1c", "7.9", "%", "4.0-5.6", LabFlag.HIGH),
        ("TSH", "2.1", "uIU/mL", "0.4-4.0", None),
        ("Troponin I", "<0.01", "ng/mL", "<0.04", None),
        ("INR", "1.1", None, "0.8-1.2", None),
        ("LDL Cholesterol", "131", "mg/dL", "<100", LabFlag.HIGH),
        ("eGFR", ">60", "mL/min/1.73m2", ">60", None),
        ("Urine glucose", "Negative", None, "Negative", None),
        ("HIV 1/2 Ab", "Non-reactive", None, "Non-reactive", None),
    ]
    return ParsedReport(
        patient_name="Jane Example",
        diagnosis=["Type 2 diabetes mellitus", "Essential hypertension", "Hyperlipidaemia"],
        patient=Patient(name="Jane Example", date_of_birth="1958-03-14"),
        report_type="discharge summary",
        report_date="2026-11-20",
        diagnosis_details=[
            Diagnosis(description="Type 2 diabetes mellitus", code="E11.9"),
            Diagnosis(description="Essential hypertension", code="I10"),
            Diagnosis(description="Hyperlipidaemia", code="e785"),
            Diagnosis(description="Chest pain, ruled out ACS"),
        ],
        medications=[
            Medication(name="Metformin", dose="500 mg", route="PO", frequency="BID"),
            Medication(name="Lisinopril", dose="10 mg", route="oral", frequency="once daily"),
            Medication(name="Atorvastatin", dose="40 mg", route="by mouth", frequency="at bedtime"),
        ],
        lab_results=[
            LabResult(test=test, value=value, unit=unit, reference_range=reference, flag=flag)
            for test, value, unit, reference, flag in labs
        ],
    )


def messy_report() -> ParsedReport:
    """One fault of every kind the checks know."""
    return ParsedReport(
        patient=Patient(date_of_birth="2027-01-05"),
        report_date="2026-11-20",
        diagnosis_details=[
            Diagnosis(description="a", code="Q99.999"),
            Diagnosis(description="b", code="E11"),
        ],
        lab_results=[
            LabResult(test="Potassium", value="41", unit="mmol/L"),
            LabResult(test="Sodium", value="140", unit="mg/dL"),
            LabResult(test="Glucose", value="90", unit="mg/dL", reference_range="70-99", flag=LabFlag.HIGH),
            LabResult(test="Glucose", value="90", unit="mg/dL"),
        ],
    )


def test_a_clean_realistic_report_raises_no_warning() -> None:
    checked = check_report(clean_report())
    assert checked.warnings == []


def test_a_clean_report_is_normalised() -> None:
    checked = check_report(clean_report())
    assert checked.diagnosis_details[2].code == "E78.5"
    assert checked.diagnosis_details[0].code_description == "Type 2 diabetes mellitus without complications"
    assert [m.route for m in checked.medications] == ["oral", "oral", "oral"]
    assert checked.medications[0].frequency == "twice daily"
    platelets = checked.lab_results[11]
    assert (platelets.value_number, platelets.unit_ucum, platelets.flag, platelets.flag_computed) == (
        250.0,
        "10*3/uL",
        LabFlag.NORMAL,
        True,
    )


def test_every_code_is_documented_and_every_documented_code_can_be_raised() -> None:
    raised = {warning.code for warning in check_report(messy_report()).warnings}
    assert raised == set(WARNING_CODES)


def test_messages_never_quote_the_report() -> None:
    report = messy_report()
    printed = {lab.value for lab in report.lab_results} | {"Q99.999", "E11", "2027-01-05", "mg/dL"}
    for warning in check_report(report).warnings:
        for text in printed:
            assert not re.search(rf"(?<![\w.]){re.escape(str(text))}(?![\w.])", warning.message), warning


def test_existing_warnings_are_kept_first_and_not_repeated() -> None:
    earlier = ReportWarning(
        code="ocr_low_confidence", path="/lab_results/0", message="page 1 was read by OCR"
    )
    same = ReportWarning(code="date_order", path="/patient/date_of_birth", message="a parser's own note")
    checked = check_report(messy_report().model_copy(update={"warnings": [earlier, same]}))
    assert checked.warnings[:2] == [earlier, same]
    assert [w.code for w in checked.warnings].count("date_order") == 1


def test_the_input_is_not_changed() -> None:
    report = messy_report()
    before = report.model_dump()
    check_report(report)
    assert report.model_dump() == before


def test_checking_twice_changes_nothing() -> None:
    for report in (clean_report(), messy_report()):
        once = check_report(report)
        assert check_report(once) == once


_TESTS = st.sampled_from(
    ["Potassium", "K", "Sodium", "Glucose", "WBC", "Hgb", "Troponin I", "CO2", "Zonulin", "INR"]
)
_VALUES = st.one_of(
    st.none(),
    st.sampled_from(
        ["4.1", "41", "<0.01", ">20", "5.8 H", "140 mmol/L", "140 mmol/L L", "Negative", "1,234", "-3"]
    ),
    st.floats(min_value=-10, max_value=5000, allow_nan=False).map(lambda number: f"{number:.2f}"),
)
_UNITS = st.sampled_from([None, "mmol/L", "mg/dL", "K/uL", "g/dL", "mg%", "/hpf", "ng/mL", "mmHg"])
_RANGES = st.sampled_from([None, "3.5-5.1", "<0.04", ">60", "70-99 mg/dL", "Negative", "see note"])
_FLAGS = st.sampled_from([None, *LabFlag])
_LABS = st.builds(LabResult, test=_TESTS, value=_VALUES, unit=_UNITS, reference_range=_RANGES, flag=_FLAGS)
_CODES = st.sampled_from([None, "E11.9", "e119", "E11", "Q99.999", "see above", "ICD-10: I10"])
_MEDICATIONS = st.builds(
    Medication,
    name=st.just("x"),
    route=st.sampled_from([None, "PO", "by mouth", "oral", "per G-tube"]),
    frequency=st.sampled_from([None, "BID", "q6h prn", "twice daily", "1-0-1"]),
    sig=st.sampled_from([None, "", "500 mg PO BID"]),
)
_REPORTS = st.builds(
    ParsedReport,
    report_date=st.sampled_from([None, "2026-11-20", "20 Nov 2026"]),
    patient=st.builds(
        Patient, date_of_birth=st.sampled_from([None, "1950-01-01", "1890-01-01", "2027-01-01"])
    ),
    diagnosis_details=st.lists(st.builds(Diagnosis, description=st.just("d"), code=_CODES), max_size=4),
    lab_results=st.lists(_LABS, max_size=8),
    medications=st.lists(_MEDICATIONS, max_size=3),
)


@settings(max_examples=150, deadline=None, database=None)
@given(_REPORTS)
def test_check_report_is_idempotent(report: ParsedReport) -> None:
    once = check_report(report)
    assert check_report(once) == once
    assert len({(w.code, w.path) for w in once.warnings}) == len(once.warnings)
