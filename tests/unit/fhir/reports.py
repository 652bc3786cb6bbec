"""Reports and jobs for the FHIR tests, and the ``fhir.resources`` validation they share."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

from lib.domain.report_schema import (
    Assertion,
    Comparator,
    Diagnosis,
    Finding,
    LabFlag,
    LabResult,
    Medication,
    ParsedReport,
    Patient,
    Provenance,
    ReportWarning,
    Sex,
)
from lib.fhir import JobFacts, JobFile

CREATED = datetime(2026, 11, 30, 22, 15, 3, 250000, tzinfo=UTC)
COMPLETED = datetime(2026, 11, 30, 22, 15, 41, 900000, tzinfo=UTC)


def job(files: tuple[JobFile, ...] | None = None, report_id: str = "5f1c2a9e0b7d4c3a8e6f1b2d") -> JobFacts:
    """A completed job of two files (3 and 2 pages)."""
    return JobFacts(
        job_id="674b9f0c2e1d4a0012ab34cd",
        report_id=report_id,
        tenant_id="st-mary",
        project_id="discharge-import",
        created_at=CREATED,
        completed_at=COMPLETED,
        model="gemini-2.5-flash",
        files=files or (JobFile(1, 184_220, "ab" * 32, pages=3), JobFile(2, 52_001, "cd" * 32, pages=2)),
    )


def full_report() -> ParsedReport:
    """A discharge summary with every kind of fact, provenance and warnings."""
    return ParsedReport(
        patient_name="Chiara Novak",
        diagnosis=["Type 2 diabetes mellitus", "Community-acquired pneumonia"],
        patient=Patient(name="NOVAK, Chiara", date_of_birth="1961-07-04", sex=Sex.FEMALE, mrn="A817888-96"),
        report_type="Discharge summary",
        report_date="2026-11-28",
        facility="St Mary's Hospital",
        physician="Dr. Anna Weber",
        diagnosis_details=[
            Diagnosis(
                description="Type 2 diabetes mellitus",
                code="E11.9",
                code_description="Type 2 diabetes mellitus without complications",
                page=1,
            ),
            Diagnosis(
                description="Community-acquired pneumonia",
                code="J189",
                code_description="Pneumonia, unspecified organism",
                page=1,
            ),
            Diagnosis(description="Pulmonary embolism", assertion=Assertion.NEGATED, page=1),
            Diagnosis(description="Sepsis", code="A41.9", assertion=Assertion.POSSIBLE, page=1),
            Diagnosis(
                description="Myocardial infarction",
                code="I21.9",
                code_description="Acute myocardial infarction, unspecified",
                assertion=Assertion.HISTORICAL,
                page=2,
            ),
            Diagnosis(
                description="Breast cancer",
                code="C50.919",
                code_description="Malignant neoplasm of unspecified site of unspecified female breast",
                assertion=Assertion.FAMILY,
                page=2,
            ),
        ],
        findings=[Finding(text="Right lower lobe consolidation", page=2)],
        impression="Improving pneumonia; continue oral antibiotics.",
        medications=[
            Medication(
                name="Metformin",
                dose="500 mg",
                route="oral",
                frequency="twice daily",
                sig="500 mg PO BID",
                page=3,
            ),
            Medication(name="Amoxicillin", dose="875 mg", page=3),
        ],
        lab_results=[
            LabResult(
                test="HbA1c",
                value="7.2",
                value_number=7.2,
                unit="%",
                unit_ucum="%",
                reference_range="4.0-5.6",
                flag=LabFlag.HIGH,
                page=4,
            ),
            LabResult(
                test="CRP",
                value="<0.5",
                value_number=0.5,
                comparator=Comparator.LT,
                unit="mg/dl",
                unit_ucum="mg/dL",
                reference_range="<5.0",
                flag=LabFlag.NORMAL,
                flag_computed=True,
                page=4,
            ),
            LabResult(
                test="Potassium",
                value="6.9",
                value_number=6.9,
                unit="mmol/L",
                unit_ucum="mmol/L",
                reference_range="3.5-5.1",
                flag=LabFlag.CRITICAL,
                page=4,
            ),
            LabResult(test="Blood culture", value="Negative", reference_range="Negative", page=5),
            LabResult(test="Urine nitrite", value="positive", flag=LabFlag.ABNORMAL, page=5),
            LabResult(
                test="eGFR",
                value=">90",
                value_number=90,
                comparator=Comparator.GT,
                unit="mL/min/1.73m2",
                page=5,
            ),
            LabResult(test="Troponin I", page=5),
        ],
        provenance={
            "/patient_name": Provenance(page=1, quote="NOVAK, CHIARA", bbox=[72.0, 90.5, 180.25, 102.0]),
            "/patient/date_of_birth": Provenance(page=1, quote="DOB: 07/04/1961"),
            "/report_date": Provenance(page=1, quote="Date: 28 Nov 2026"),
            "/diagnosis/1": Provenance(page=1, quote="Community-acquired pneumonia (J18.9)"),
            "/diagnosis_details/0": Provenance(page=1, quote="Type 2 diabetes mellitus (E11.9)"),
            "/medications/0": Provenance(page=3, quote="Metformin 500 mg PO BID"),
            "/lab_results/10": Provenance(page=5, quote="no such lab"),
            "/lab_results/2": Provenance(
                page=4, quote="Potassium 6.9 mmol/L 3.5-5.1 HH", bbox=[60, 300, 540, 312]
            ),
            "/lab_results/5/unit": Provenance(page=5, quote="mL/min/1.73m2"),
            "/findings/0": Provenance(page=2, quote="Right lower lobe consolidation"),
        },
        warnings=[
            ReportWarning(
                code="uncertain_unit",
                path="/lab_results/5/unit",
                message="the unit was read with low confidence",
            ),
            ReportWarning(code="unread_pages", path=None, message="no text could be read on page(s) 6"),
        ],
    )


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    """The bundle's resources of one type, in order."""
    return [entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == kind]


def by_url(bundle: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Resources by fullUrl."""
    return {entry["fullUrl"]: entry["resource"] for entry in bundle["entry"]}


def validate(bundle: dict[str, Any]) -> None:
    """Validate every resource on its own and the bundle as a whole with ``fhir.resources`` (R4B)."""
    for entry in bundle["entry"]:
        resource = entry["resource"]
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
    get_fhir_model_class("Bundle").model_validate(bundle)


def walk(node: Any) -> Iterator[tuple[str, Any]]:
    """Every (key, value) pair anywhere in a JSON tree."""
    if isinstance(node, dict):
        for key, value in node.items():
            yield key, value
            yield from walk(value)
    elif isinstance(node, list):
        for item in node:
            yield from walk(item)
