"""check_bundle: the value sets fhir.resources does not enforce, UCUM, and reference integrity."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest

from lib.fhir import check_bundle, report_bundle
from lib.fhir.codes import INTERPRETATION
from tests.unit.fhir.reports import full_report, job, resources, validate

Bundle = dict[str, Any]


@pytest.fixture(scope="module")
def good() -> Bundle:
    return report_bundle(full_report(), job())


def _first(bundle: Bundle, kind: str) -> dict[str, Any]:
    return resources(bundle, kind)[0]


def _set_status(kind: str, value: str) -> Callable[[Bundle], None]:
    def change(bundle: Bundle) -> None:
        _first(bundle, kind)["status"] = value

    return change


def _gender(bundle: Bundle) -> None:
    _first(bundle, "Patient")["gender"] = "robot"


def _interpretation(bundle: Bundle) -> None:
    _first(bundle, "Observation")["interpretation"][0]["coding"][0]["code"] = "HIGH"


def _display(bundle: Bundle) -> None:
    _first(bundle, "Observation")["interpretation"][0]["coding"][0]["display"] = "Very high"


def _verification(bundle: Bundle) -> None:
    _first(bundle, "Condition")["verificationStatus"]["coding"][0]["code"] = "probable"


def _foreign_system(bundle: Bundle) -> None:
    _first(bundle, "Observation")["code"]["coding"] = [{"system": "http://loinc.org", "code": "4548-4"}]


def _icd10(bundle: Bundle) -> None:
    _first(bundle, "Condition")["code"]["coding"][0]["code"] = "diabetes"


def _unit_system(bundle: Bundle) -> None:
    _first(bundle, "Observation")["valueQuantity"]["system"] = "http://example.org/units"


def _unit_code_alone(bundle: Bundle) -> None:
    del _first(bundle, "Observation")["referenceRange"][0]["low"]["system"]


def _comparator(bundle: Bundle) -> None:
    _first(bundle, "Observation")["valueQuantity"]["comparator"] = "~"


def _dangling(bundle: Bundle) -> None:
    _first(bundle, "Provenance")["target"][0]["reference"] = "urn:uuid:00000000-0000-4000-8000-000000000000"


def _entity_role(bundle: Bundle) -> None:
    _first(bundle, "Provenance")["entity"][0]["role"] = "origin"


def _duplicate(bundle: Bundle) -> None:
    bundle["entry"].append(copy.deepcopy(bundle["entry"][0]))


def _id_mismatch(bundle: Bundle) -> None:
    bundle["entry"][0]["resource"]["id"] = "patient-1"


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (
            _set_status("Observation", "done"),
            "entry[2](Observation).status: not in the Observation status value set",
        ),
        (_set_status("DiagnosticReport", "bogus"), "status: not in the DiagnosticReport status value set"),
        (
            _set_status("MedicationStatement", "taking"),
            "status: not in the MedicationStatement status value set",
        ),
        (_set_status("DocumentReference", "active"), "status: not in the DocumentReference status value set"),
        (
            _set_status("FamilyMemberHistory", "final"),
            "status: not in the FamilyMemberHistory status value set",
        ),
        (_gender, "gender: not in administrative-gender"),
        (_interpretation, "interpretation[0].coding[0]: not a code of"),
        (_display, "coding[0].display: not the official display"),
        (_verification, "verificationStatus.coding[0]: not a code of"),
        (_foreign_system, "code.coding[0]: a code system the export does not emit"),
        (_icd10, "code.coding[0]: not an ICD-10-CM code"),
        (_unit_system, "valueQuantity: a coded unit needs both system"),
        (_unit_code_alone, "referenceRange[0].low: a coded unit needs both system"),
        (_comparator, "valueQuantity.comparator: not in quantity-comparator"),
        (_dangling, "target[0].reference: does not resolve in the bundle"),
        (_entity_role, "entity[0].role: not in provenance-entity-role"),
        (_duplicate, "Bundle.entry: duplicate fullUrl"),
        (_id_mismatch, "entry[0](Patient).fullUrl: not urn:uuid:<resource id>"),
    ],
)
def test_each_wrong_code_or_reference_is_reported(
    good: Bundle, change: Callable[[Bundle], None], problem: str
) -> None:
    bundle = copy.deepcopy(good)
    change(bundle)
    problems = check_bundle(bundle)
    assert len(problems) == 1, problems
    assert problem in problems[0]


def test_fhir_resources_alone_would_let_a_bogus_status_through(good: Bundle) -> None:
    # The reason check_bundle exists: value sets are not part of the models' validation.
    bundle = copy.deepcopy(good)
    _set_status("Observation", "bogus")(bundle)
    _gender(bundle)
    validate(bundle)
    assert len(check_bundle(bundle)) == 2


def test_problems_never_carry_values(good: Bundle) -> None:
    bundle = copy.deepcopy(good)
    _first(bundle, "Condition")["code"]["coding"][0]["code"] = "SECRET-CODE"
    _first(bundle, "Patient")["gender"] = "SECRET-GENDER"
    assert not any("SECRET" in problem for problem in check_bundle(bundle))


def test_a_coding_carries_its_official_display() -> None:
    assert INTERPRETATION.coding("HH") == {
        "system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation",
        "code": "HH",
        "display": "Critical high",
    }
    with pytest.raises(KeyError):
        INTERPRETATION.coding("HHH")
