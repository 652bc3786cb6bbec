"""report_bundle: a realistic report, an empty one, every assertion, lab values, determinism, no bytes."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

import pytest
from fpdf import FPDF

from lib.domain.report_schema import (
    Assertion,
    Diagnosis,
    LabFlag,
    LabResult,
    Medication,
    ParsedReport,
    Patient,
    Provenance,
)
from lib.fhir import MAPPING_TABLE, JobFile, check_bundle, report_bundle
from lib.fhir.codes import ICD10CM, UCUM
from lib.fhir.extensions import FLAG_COMPUTED, PARSER_WARNING, SOURCE_LOCATION
from tests.unit.fhir.reports import by_url, full_report, job, resources, validate, walk


@pytest.fixture(scope="module")
def bundle() -> dict[str, Any]:
    return report_bundle(full_report(), job())


def _codes(concept: dict[str, Any]) -> list[str]:
    return [coding["code"] for coding in concept.get("coding", [])]


def _sub(extension: dict[str, Any]) -> dict[str, Any]:
    """A complex extension's parts by url, each the part's value (or its own parts)."""
    parts: dict[str, Any] = {}
    for part in extension["extension"]:
        value = [v for k, v in part.items() if k.startswith("value")]
        parts[part["url"]] = value[0] if value else _sub(part)
    return parts


def test_the_full_report_is_valid_fhir_and_passes_our_code_checks(bundle: dict[str, Any]) -> None:
    validate(bundle)
    assert check_bundle(bundle) == []
    assert bundle["type"] == "collection"
    assert bundle["timestamp"] == "2026-11-30T22:15:41.900Z"
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds == [
        "Patient",
        "DiagnosticReport",
        *["Observation"] * 7,
        *["Condition"] * 5,
        "FamilyMemberHistory",
        *["MedicationStatement"] * 2,
        *["DocumentReference"] * 2,
        *["Device"] * 2,
        *["Provenance"] * 8,
    ]


def test_the_patient_is_mapped_as_printed(bundle: dict[str, Any]) -> None:
    (patient,) = resources(bundle, "Patient")
    assert patient["name"] == [{"text": "NOVAK, Chiara", "family": "NOVAK", "given": ["Chiara"]}]
    assert patient["birthDate"] == "1961-07-04"
    assert patient["gender"] == "female"
    (mrn,) = patient["identifier"]
    assert mrn["value"] == "A817888-96"
    assert mrn["system"] == "urn:medical-report-parser:tenant:st-mary:mrn"
    assert _codes(mrn["type"]) == ["MR"]


def test_every_resource_about_the_patient_points_at_the_patient(bundle: dict[str, Any]) -> None:
    patient_url = bundle["entry"][0]["fullUrl"]
    for entry in bundle["entry"]:
        resource = entry["resource"]
        if resource["resourceType"] in {"Device", "Provenance", "Patient"}:
            continue
        subject = resource.get("subject") or resource["patient"]
        assert subject == {"reference": patient_url}


def test_the_diagnostic_report_holds_every_observation(bundle: dict[str, Any]) -> None:
    (report,) = resources(bundle, "DiagnosticReport")
    observations = [
        entry["fullUrl"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Observation"
    ]
    assert [item["reference"] for item in report["result"]] == observations
    assert report["status"] == "final"
    assert report["code"] == {"text": "Discharge summary"}
    assert report["effectiveDateTime"] == "2026-11-28"
    assert report["performer"] == [{"display": "St Mary's Hospital"}, {"display": "Dr. Anna Weber"}]
    assert report["conclusion"] == "Improving pneumonia; continue oral antibiotics."
    assert report["identifier"] == [
        {"system": "urn:medical-report-parser:report", "value": "5f1c2a9e0b7d4c3a8e6f1b2d"}
    ]


def test_lab_values_numeric_with_comparators_and_not_numeric(bundle: dict[str, Any]) -> None:
    hba1c, crp, potassium, culture, nitrite, egfr, troponin = resources(bundle, "Observation")
    assert hba1c["valueQuantity"] == {"value": 7.2, "unit": "%", "system": UCUM, "code": "%"}
    assert hba1c["referenceRange"] == [
        {
            "low": {"value": 4.0, "unit": "%", "system": UCUM, "code": "%"},
            "high": {"value": 5.6, "unit": "%", "system": UCUM, "code": "%"},
            "text": "4.0-5.6",
        }
    ]
    assert _codes(hba1c["interpretation"][0]) == ["H"]
    assert hba1c["code"] == {"text": "HbA1c"}
    assert hba1c["status"] == "final"
    assert _codes(hba1c["category"][0]) == ["laboratory"]
    assert hba1c["effectiveDateTime"] == "2026-11-28"
    # The printed unit stays the display; the UCUM code is the parser's.
    assert crp["valueQuantity"] == {
        "value": 0.5,
        "comparator": "<",
        "unit": "mg/dl",
        "system": UCUM,
        "code": "mg/dL",
    }
    # FHIR's high is inclusive: "<5.0" has no exact high, so it stays text.
    assert crp["referenceRange"] == [{"text": "<5.0"}]
    assert egfr["valueQuantity"] == {"value": 90, "comparator": ">", "unit": "mL/min/1.73m2"}
    assert culture["valueString"] == "Negative"
    assert culture["referenceRange"] == [{"text": "Negative"}]
    assert "interpretation" not in culture
    assert nitrite["valueString"] == "positive"
    assert _codes(nitrite["interpretation"][0]) == ["A"]
    assert _codes(troponin["dataAbsentReason"]) == ["unknown"]
    assert "valueQuantity" not in troponin and "valueString" not in troponin
    # Critical above the high limit: critical high.
    assert _codes(potassium["interpretation"][0]) == ["HH"]


def test_a_computed_flag_is_marked(bundle: dict[str, Any]) -> None:
    hba1c, crp = resources(bundle, "Observation")[:2]
    assert crp["interpretation"][0]["extension"] == [{"url": FLAG_COMPUTED, "valueBoolean": True}]
    assert "printed no flag" in crp["note"][0]["text"]
    assert "extension" not in hba1c["interpretation"][0]
    assert "note" not in hba1c


@pytest.mark.parametrize(
    ("value", "reference_range", "code"),
    [
        ("6.9", "3.5-5.1", "HH"),
        ("2.1", "3.5-5.1", "LL"),
        ("4.0", "3.5-5.1", "AA"),
        ("6.9", None, "AA"),
        (None, "3.5-5.1", "AA"),
    ],
)
def test_critical_is_high_or_low_only_when_the_side_is_certain(
    value: str | None, reference_range: str | None, code: str
) -> None:
    lab = LabResult(test="K", value=value, reference_range=reference_range, flag=LabFlag.CRITICAL)
    bundle = report_bundle(ParsedReport(lab_results=[lab]), job())
    (observation,) = resources(bundle, "Observation")
    assert _codes(observation["interpretation"][0]) == [code]


def test_every_assertion_kind(bundle: dict[str, Any]) -> None:
    diabetes, pneumonia, embolism, sepsis, infarction = resources(bundle, "Condition")
    statuses = [
        (_codes(item["verificationStatus"]), _codes(item.get("clinicalStatus", {})))
        for item in (diabetes, embolism, sepsis, infarction)
    ]
    assert statuses == [
        (["confirmed"], ["active"]),
        (["refuted"], []),
        (["unconfirmed"], ["active"]),
        (["confirmed"], ["inactive"]),
    ]
    assert diabetes["code"] == {
        "coding": [
            {"system": ICD10CM, "code": "E11.9", "display": "Type 2 diabetes mellitus without complications"}
        ],
        "text": "Type 2 diabetes mellitus",
    }
    # Printed without its dot: FHIR writes ICD-10-CM with it.
    assert _codes(pneumonia["code"]) == ["J18.9"]
    # A code the parser did not validate (no official description) is not emitted.
    assert sepsis["code"] == {"text": "Sepsis"}
    assert all(_codes(item["category"][0]) == ["encounter-diagnosis"] for item in (diabetes, sepsis))
    assert diabetes["recordedDate"] == "2026-11-28"
    (family,) = resources(bundle, "FamilyMemberHistory")
    assert family["status"] == "partial"
    assert _codes(family["relationship"]) == ["FAMMEMB"]
    assert family["condition"][0]["code"]["text"] == "Breast cancer"
    texts = [item["code"]["text"] for item in resources(bundle, "Condition")]
    assert "Breast cancer" not in texts


def test_the_plain_diagnosis_list_is_used_when_there_are_no_details() -> None:
    report = ParsedReport(
        diagnosis=["Hypertension"], provenance={"/diagnosis/0": Provenance(page=1, quote="HTN")}
    )
    bundle = report_bundle(report, job())
    (condition,) = resources(bundle, "Condition")
    assert condition["code"] == {"text": "Hypertension"}
    assert _codes(condition["verificationStatus"]) == ["confirmed"]
    (provenance,) = resources(bundle, "Provenance")
    assert provenance["target"] == [{"reference": bundle["entry"][2]["fullUrl"]}]
    assert check_bundle(bundle) == []


def test_medications(bundle: dict[str, Any]) -> None:
    metformin, amoxicillin = resources(bundle, "MedicationStatement")
    assert metformin["status"] == "unknown"
    assert metformin["medicationCodeableConcept"] == {"text": "Metformin"}
    assert metformin["dateAsserted"] == "2026-11-28"
    assert metformin["dosage"] == [
        {"text": "500 mg PO BID", "timing": {"code": {"text": "twice daily"}}, "route": {"text": "oral"}}
    ]
    assert amoxicillin["dosage"] == [{"text": "875 mg"}]


def test_files_are_referenced_with_their_sha256_never_in_hash(bundle: dict[str, Any]) -> None:
    first, second = resources(bundle, "DocumentReference")
    digest = base64.urlsafe_b64encode(bytes.fromhex("ab" * 32)).rstrip(b"=").decode()
    assert first["masterIdentifier"] == {"system": "urn:ietf:rfc:3986", "value": f"ni:///sha-256;{digest}"}
    assert first["identifier"] == [
        {"system": "urn:medical-report-parser:job-file", "value": "674b9f0c2e1d4a0012ab34cd/1"}
    ]
    assert first["status"] == "current"
    assert first["date"] == "2026-11-30T22:15:03.250Z"
    assert first["content"] == [{"attachment": {"contentType": "application/pdf", "size": 184_220}}]
    assert second["identifier"][0]["value"].endswith("/2")
    assert not any(key == "hash" for key, _ in walk(bundle))


def test_provenance_ties_each_fact_to_its_resource_file_page_and_quote(bundle: dict[str, Any]) -> None:
    urls = by_url(bundle)
    documents = [
        entry["fullUrl"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "DocumentReference"
    ]
    traced = {}
    pneumonia = resources(bundle, "Condition")[1]
    for provenance in resources(bundle, "Provenance"):
        (target,) = provenance["target"]
        (entity,) = provenance["entity"]
        assert entity["role"] == "source"
        assert provenance["recorded"] == "2026-11-30T22:15:41.900Z"
        assert [_codes(agent["type"]) for agent in provenance["agent"]] == [["assembler"], ["performer"]]
        (location,) = entity["extension"]
        assert location["url"] == SOURCE_LOCATION
        parts = _sub(location)
        traced[parts["pointer"]] = (
            urls[target["reference"]]["resourceType"],
            documents.index(entity["what"]["reference"]) + 1,
            parts["page"],
            parts["filePage"],
            parts.get("bbox"),
        )
        if parts["pointer"] == "/diagnosis/1":
            assert urls[target["reference"]] is pneumonia
    assert traced == {
        "/patient_name": ("Patient", 1, 1, 1, {"x0": 72.0, "y0": 90.5, "x1": 180.25, "y1": 102.0}),
        "/patient/date_of_birth": ("Patient", 1, 1, 1, None),
        "/report_date": ("DiagnosticReport", 1, 1, 1, None),
        # The plain list's item 1 is the detail with the same description.
        "/diagnosis/1": ("Condition", 1, 1, 1, None),
        "/diagnosis_details/0": ("Condition", 1, 1, 1, None),
        "/medications/0": ("MedicationStatement", 1, 3, 3, None),
        "/lab_results/2": ("Observation", 2, 4, 1, {"x0": 60, "y0": 300, "x1": 540, "y1": 312}),
        "/lab_results/5/unit": ("Observation", 2, 5, 2, None),
    }  # a finding, and a pointer to no lab result, have no Provenance


def test_without_page_counts_every_file_is_named_as_a_source() -> None:
    files = (JobFile(1, 10, "ab" * 32), JobFile(2, 20, "cd" * 32))
    report = ParsedReport(
        lab_results=[LabResult(test="K")], provenance={"/lab_results/0": Provenance(page=2, quote="K")}
    )
    bundle = report_bundle(report, job(files))
    (provenance,) = resources(bundle, "Provenance")
    assert len(provenance["entity"]) == 2
    assert all("filePage" not in _sub(entity["extension"][0]) for entity in provenance["entity"])
    assert check_bundle(bundle) == []


def test_warnings_go_on_the_resource_they_are_about(bundle: dict[str, Any]) -> None:
    egfr = resources(bundle, "Observation")[5]
    (report,) = resources(bundle, "DiagnosticReport")
    assert [_sub(item) for item in egfr["extension"]] == [
        {
            "code": "uncertain_unit",
            "path": "/lab_results/5/unit",
            "message": "the unit was read with low confidence",
        }
    ]
    assert [item["url"] for item in report["extension"]] == [PARSER_WARNING]
    assert _sub(report["extension"][0])["code"] == "unread_pages"


def test_an_empty_report_gives_a_patient_a_report_and_its_files() -> None:
    bundle = report_bundle(ParsedReport(patient_name="Chiara Novak"), job())
    validate(bundle)
    assert check_bundle(bundle) == []
    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert kinds == [
        "Patient",
        "DiagnosticReport",
        "DocumentReference",
        "DocumentReference",
        "Device",
        "Device",
    ]
    (patient,) = resources(bundle, "Patient")
    # "First Last" does not say which word is the family name.
    assert patient["name"] == [{"text": "Chiara Novak"}]
    (report,) = resources(bundle, "DiagnosticReport")
    assert report["code"] == {"text": "Medical report"}
    assert "result" not in report and "effectiveDateTime" not in report


def test_an_ambiguous_date_is_left_out() -> None:
    report = ParsedReport(
        report_date="03/04/2026",
        patient=Patient(name="Chiara Novak", date_of_birth="1961-02-30"),
        diagnosis=["Hypertension"],
        medications=[Medication(name="Ramipril")],
        lab_results=[LabResult(test="K", value="4.1")],
    )
    bundle = report_bundle(report, job())
    assert "birthDate" not in resources(bundle, "Patient")[0]
    assert not any(key in {"effectiveDateTime", "recordedDate", "dateAsserted"} for key, _ in walk(bundle))
    assert check_bundle(bundle) == []


def test_the_same_report_always_gives_the_same_bundle() -> None:
    first = report_bundle(full_report(), job())
    shuffled = full_report().model_copy(
        update={"provenance": dict(reversed(full_report().provenance.items()))}
    )
    assert report_bundle(shuffled, job()) == first
    assert json.dumps(report_bundle(full_report(), job())) == json.dumps(first)
    other = report_bundle(full_report(), job(report_id="another"))
    assert {e["fullUrl"] for e in other["entry"] if e["resource"]["resourceType"] != "Device"}.isdisjoint(
        e["fullUrl"] for e in first["entry"]
    )


def test_no_byte_of_the_pdf_is_in_the_bundle() -> None:
    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("Helvetica", size=12)
    pdf.cell(text="Potassium 6.9 mmol/L")
    data = bytes(pdf.output())
    files = (JobFile(1, len(data), hashlib.sha256(data).hexdigest(), pages=1),)
    text = json.dumps(report_bundle(full_report(), job(files)))
    assert "JVBER" not in text  # base64 of "%PDF"
    assert "%PDF" not in text
    assert base64.b64encode(data[:48]).decode() not in text
    attachments = [value for key, value in walk(json.loads(text)) if key == "attachment"]
    assert attachments == [{"contentType": "application/pdf", "size": len(data)}]
    assert not any(key == "data" for key, _ in walk(json.loads(text)))


def test_a_report_with_every_assertion_kind_only() -> None:
    details = [Diagnosis(description=kind.value, assertion=kind) for kind in Assertion]
    bundle = report_bundle(ParsedReport(diagnosis_details=details), job())
    validate(bundle)
    assert check_bundle(bundle) == []
    assert len(resources(bundle, "Condition")) == 4
    assert len(resources(bundle, "FamilyMemberHistory")) == 1


def test_the_mapping_table_names_every_resource_and_extension(bundle: dict[str, Any]) -> None:
    for kind in {entry["resource"]["resourceType"] for entry in bundle["entry"]}:
        assert f"`{kind}" in MAPPING_TABLE or f"`{kind}." in MAPPING_TABLE, kind
    for url in (SOURCE_LOCATION, PARSER_WARNING, FLAG_COMPUTED):
        assert url.rpartition("/")[2] in MAPPING_TABLE
