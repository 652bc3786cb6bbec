"""Patient names: family and given only when the printed form says which is which."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from lib.domain.report_schema import ParsedReport, Patient, Sex
from lib.fhir import report_bundle
from tests.unit.fhir.reports import job, resources


def _patient(report: ParsedReport) -> dict[str, Any]:
    return resources(report_bundle(report, job()), "Patient")[0]


@pytest.mark.parametrize(
    ("printed", "name"),
    [
        ("NOVAK, CHIARA", {"family": "NOVAK", "given": ["CHIARA"]}),
        ("de la Cruz, Maria Elena", {"family": "de la Cruz", "given": ["Maria", "Elena"]}),
        ("O'Brien-Smith,  Sean", {"family": "O'Brien-Smith", "given": ["Sean"]}),
        ("Chiara Novak", {}),
        ("Novak, Chiara J.", {}),
        ("Novak Jr, John", {}),
        ("Dr, Who", {}),
        ("Novak, Chiara, MD", {}),
        ("Novak", {}),
    ],
)
def test_family_and_given_only_from_family_comma_given(printed: str, name: dict[str, Any]) -> None:
    assert _patient(ParsedReport(patient=Patient(name=printed)))["name"] == [{"text": printed, **name}]


def test_the_top_level_name_when_the_patient_has_none() -> None:
    patient = _patient(ParsedReport(patient_name="Chiara Novak", patient=Patient(sex=Sex.OTHER)))
    assert patient["name"] == [{"text": "Chiara Novak"}]
    assert patient["gender"] == "other"


def test_nobody_named_gives_an_empty_patient() -> None:
    assert set(_patient(ParsedReport())) == {"resourceType", "id"}


def test_mrn_systems_differ_per_tenant_and_are_valid_urns() -> None:
    report = ParsedReport(patient=Patient(mrn="123"))
    first = resources(report_bundle(report, job()), "Patient")[0]["identifier"][0]["system"]
    other_job = dataclasses.replace(job(), tenant_id="north clinic/2")
    other = resources(report_bundle(report, other_job), "Patient")[0]["identifier"][0]["system"]
    assert first != other
    assert other == "urn:medical-report-parser:tenant:north%20clinic%2F2:mrn"
