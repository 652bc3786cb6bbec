"""The FHIR code systems and value sets the export emits, and :func:`check_bundle`.

``fhir.resources`` checks structure, cardinality and datatypes but not value sets
(``status="bogus"`` passes), so every code we emit comes from a table here and
:func:`check_bundle` checks a finished bundle against the same tables. Required
bindings (``status``, ``gender``, ``comparator``, ``entity.role``,
``deviceName.type``) carry their full R4 4.0.1 value set; for coded concepts
(``CodeableConcept.coding``) a system's table holds only the codes we emit, with
their official display, so a new code must be added here before it can be emitted.
Codes and displays are those of R4 4.0.1 (``terminology.hl7.org``), unchanged in R4B.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "CLINICAL_STATUS",
    "CONDITION_CATEGORY",
    "DATA_ABSENT_REASON",
    "ICD10CM",
    "IDENTIFIER_TYPE",
    "INTERPRETATION",
    "OBSERVATION_CATEGORY",
    "PARTICIPANT_TYPE",
    "ROLE_CODE",
    "UCUM",
    "VERIFICATION_STATUS",
    "CodeSystem",
    "check_bundle",
]

UCUM = "http://unitsofmeasure.org"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
_THO = "http://terminology.hl7.org/CodeSystem"


@dataclass(frozen=True)
class CodeSystem:
    """A code system's URL and the codes of it we emit, each with its official display."""

    url: str
    displays: Mapping[str, str]

    def coding(self, code: str) -> dict[str, str]:
        """A ``Coding``; a code missing from the table is a programming error (``KeyError``)."""
        return {"system": self.url, "code": code, "display": self.displays[code]}

    def concept(self, code: str) -> dict[str, Any]:
        """A ``CodeableConcept`` with that one coding."""
        return {"coding": [self.coding(code)]}


INTERPRETATION = CodeSystem(
    f"{_THO}/v3-ObservationInterpretation",
    {
        "N": "Normal",
        "L": "Low",
        "H": "High",
        "A": "Abnormal",
        "AA": "Critical abnormal",
        "HH": "Critical high",
        "LL": "Critical low",
    },
)
VERIFICATION_STATUS = CodeSystem(
    f"{_THO}/condition-ver-status",
    {"confirmed": "Confirmed", "unconfirmed": "Unconfirmed", "refuted": "Refuted"},
)
CLINICAL_STATUS = CodeSystem(f"{_THO}/condition-clinical", {"active": "Active", "inactive": "Inactive"})
CONDITION_CATEGORY = CodeSystem(f"{_THO}/condition-category", {"encounter-diagnosis": "Encounter Diagnosis"})
OBSERVATION_CATEGORY = CodeSystem(f"{_THO}/observation-category", {"laboratory": "Laboratory"})
IDENTIFIER_TYPE = CodeSystem(f"{_THO}/v2-0203", {"MR": "Medical record number"})
PARTICIPANT_TYPE = CodeSystem(
    f"{_THO}/provenance-participant-type", {"assembler": "Assembler", "performer": "Performer"}
)
DATA_ABSENT_REASON = CodeSystem(f"{_THO}/data-absent-reason", {"unknown": "Unknown"})
ROLE_CODE = CodeSystem(f"{_THO}/v3-RoleCode", {"FAMMEMB": "family member"})

_CODE_SYSTEMS: dict[str, CodeSystem] = {
    system.url: system
    for system in (
        INTERPRETATION,
        VERIFICATION_STATUS,
        CLINICAL_STATUS,
        CONDITION_CATEGORY,
        OBSERVATION_CATEGORY,
        IDENTIFIER_TYPE,
        PARTICIPANT_TYPE,
        DATA_ABSENT_REASON,
        ROLE_CODE,
    )
}

# Required bindings, full R4 4.0.1 value sets: ``status`` per resource type.
_STATUS: dict[str, frozenset[str]] = {
    "Observation": frozenset(
        {
            "registered",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    "DiagnosticReport": frozenset(
        {
            "registered",
            "partial",
            "preliminary",
            "final",
            "amended",
            "corrected",
            "appended",
            "cancelled",
            "entered-in-error",
            "unknown",
        }
    ),
    "MedicationStatement": frozenset(
        {"active", "completed", "entered-in-error", "intended", "stopped", "on-hold", "unknown", "not-taken"}
    ),
    "DocumentReference": frozenset({"current", "superseded", "entered-in-error"}),
    "FamilyMemberHistory": frozenset({"partial", "completed", "entered-in-error", "health-unknown"}),
}
_GENDER = frozenset({"male", "female", "other", "unknown"})
_COMPARATOR = frozenset({"<", "<=", ">=", ">"})
_ENTITY_ROLE = frozenset({"derivation", "revision", "quotation", "source", "removal"})
_DEVICE_NAME_TYPE = frozenset(
    {
        "udi-label-name",
        "user-friendly-name",
        "patient-reported-name",
        "manufacturer-name",
        "model-name",
        "other",
    }
)
_BUNDLE_TYPE = frozenset(
    {
        "document",
        "message",
        "transaction",
        "transaction-response",
        "batch",
        "batch-response",
        "history",
        "searchset",
        "collection",
    }
)
# ICD-10-CM in FHIR is written with its dot (E11.9); whether a code exists is checked upstream.
_ICD10CM_CODE = re.compile(r"[A-TV-Z][0-9][0-9AB](?:\.[0-9A-Z]{1,4})?")
_UUID_URL = re.compile(r"urn:uuid:([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})")
# Elements whose value is a Quantity (the only ones we emit): UCUM only.
_QUANTITY_KEYS = frozenset({"valueQuantity", "low", "high"})


def check_bundle(bundle: Mapping[str, Any]) -> list[str]:
    """Every problem with ``bundle``'s codes and references; an empty list when there is none.

    Checks the bundle type, that each entry has a unique ``urn:uuid`` fullUrl matching
    its resource id, the required-binding codes, every coding of a known system
    (and no coding of any other), UCUM on every Quantity, and that every
    ``reference`` resolves to a fullUrl in the bundle. Messages name paths and
    value sets, never values, so they are safe to log.
    """
    problems: list[str] = []
    if bundle.get("resourceType") != "Bundle" or bundle.get("type") not in _BUNDLE_TYPE:
        problems.append("Bundle: not a Bundle of a known type")
    entries = bundle.get("entry", [])
    urls = [entry.get("fullUrl") for entry in entries]
    if len(set(urls)) != len(urls):
        problems.append("Bundle.entry: duplicate fullUrl")
    known = set(urls)
    for index, entry in enumerate(entries):
        resource = entry.get("resource", {})
        where = f"entry[{index}]({resource.get('resourceType')})"
        match = _UUID_URL.fullmatch(str(entry.get("fullUrl")))
        if match is None or resource.get("id") != match[1]:
            problems.append(f"{where}.fullUrl: not urn:uuid:<resource id>")
        problems.extend(_check_bindings(where, resource))
        problems.extend(_check_node(where, resource, known))
    return problems


def _check_bindings(where: str, resource: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    kind = resource.get("resourceType", "")
    if kind in _STATUS and resource.get("status") not in _STATUS[kind]:
        problems.append(f"{where}.status: not in the {kind} status value set")
    if "gender" in resource and resource["gender"] not in _GENDER:
        problems.append(f"{where}.gender: not in administrative-gender")
    for number, entity in enumerate(resource.get("entity", [])):
        if entity.get("role") not in _ENTITY_ROLE:
            problems.append(f"{where}.entity[{number}].role: not in provenance-entity-role")
    for number, name in enumerate(resource.get("deviceName", [])):
        if name.get("type") not in _DEVICE_NAME_TYPE:
            problems.append(f"{where}.deviceName[{number}].type: not in device-nametype")
    return problems


def _check_node(path: str, node: Any, known: set[str]) -> list[str]:
    """Walk ``node``: codings, quantities and references, wherever they are."""
    problems: list[str] = []
    if isinstance(node, list):
        for number, item in enumerate(node):
            problems.extend(_check_node(f"{path}[{number}]", item, known))
        return problems
    if not isinstance(node, Mapping):
        return problems
    reference = node.get("reference")
    if isinstance(reference, str) and reference not in known:
        problems.append(f"{path}.reference: does not resolve in the bundle")
    for key, value in node.items():
        child = f"{path}.{key}"
        if key == "coding":
            for number, coding in enumerate(value):
                problems.extend(_check_coding(f"{child}[{number}]", coding))
        elif key in _QUANTITY_KEYS and isinstance(value, Mapping):
            problems.extend(_check_quantity(child, value))
        problems.extend(_check_node(child, value, known))
    return problems


def _check_coding(path: str, coding: Mapping[str, Any]) -> list[str]:
    system, code = coding.get("system"), coding.get("code")
    if system == ICD10CM:
        return (
            []
            if isinstance(code, str) and _ICD10CM_CODE.fullmatch(code)
            else [f"{path}: not an ICD-10-CM code"]
        )
    table = _CODE_SYSTEMS.get(str(system))
    if table is None:
        return [f"{path}: a code system the export does not emit"]
    if not isinstance(code, str) or code not in table.displays:
        return [f"{path}: not a code of {table.url}"]
    if "display" in coding and coding["display"] != table.displays[code]:
        return [f"{path}.display: not the official display"]
    return []


def _check_quantity(path: str, quantity: Mapping[str, Any]) -> list[str]:
    problems: list[str] = []
    # We code a unit with both system and code or not at all (qty-3 asks only for the system).
    if ("system" in quantity) != ("code" in quantity) or quantity.get("system", UCUM) != UCUM:
        problems.append(f"{path}: a coded unit needs both system {UCUM} and code")
    if "comparator" in quantity and quantity["comparator"] not in _COMPARATOR:
        problems.append(f"{path}.comparator: not in quantity-comparator")
    return problems
