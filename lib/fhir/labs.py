"""``Observation`` per lab result: value, reference range, interpretation.

The test is ``code.text`` as printed: no LOINC coding, because no LOINC table can
be shipped offline under its licence (and none is on PyPI), and a guessed code is
worse than none. The mapping does not re-read printed values: ``value_number``,
``comparator`` and ``unit_ucum`` are the parser's normalisation, and without
``value_number`` the value stays a string. The reference range has no structured
field in the schema, so it is read here, with the parser's own range reader.
"""

from __future__ import annotations

from typing import Any

from lib.domain.report_schema import LabFlag, LabResult
from lib.extraction.lab_values import ReferenceRange, flag_from_range, parse_range
from lib.fhir.codes import DATA_ABSENT_REASON, INTERPRETATION, OBSERVATION_CATEGORY, UCUM
from lib.fhir.datatypes import reference, text_concept
from lib.fhir.extensions import FLAG_COMPUTED
from lib.fhir.ids import Entry, Ids

__all__ = ["lab_entries"]

_INTERPRETATION = {LabFlag.NORMAL: "N", LabFlag.LOW: "L", LabFlag.HIGH: "H", LabFlag.ABNORMAL: "A"}
_CRITICAL = {LabFlag.LOW: "LL", LabFlag.HIGH: "HH"}
_COMPUTED_NOTE = (
    "The report printed no flag for this result; the interpretation was computed "
    "from the value and the printed reference range."
)


def lab_entries(labs: list[LabResult], ids: Ids, patient_url: str, effective: str | None) -> list[Entry]:
    """One Observation per lab result, keyed by its pointer ``/lab_results/<i>``."""
    return [
        ids.entry(f"/lab_results/{index}", "Observation", _observation(lab, patient_url, effective))
        for index, lab in enumerate(labs)
    ]


def _observation(lab: LabResult, patient_url: str, effective: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "final",
        "category": [OBSERVATION_CATEGORY.concept("laboratory")],
        "code": text_concept(lab.test),
        "subject": reference(patient_url),
    }
    if effective is not None:
        body["effectiveDateTime"] = effective
    body.update(_value(lab))
    if lab.flag is not None:
        interpretation: dict[str, Any] = INTERPRETATION.concept(_interpretation_code(lab, lab.flag))
        if lab.flag_computed:
            interpretation["extension"] = [{"url": FLAG_COMPUTED, "valueBoolean": True}]
            body["note"] = [{"text": _COMPUTED_NOTE}]
        body["interpretation"] = [interpretation]
    if lab.reference_range:
        body["referenceRange"] = [_reference_range(lab, lab.reference_range)]
    return body


def _quantity(value: float, unit: str | None, ucum: str | None) -> dict[str, Any]:
    quantity: dict[str, Any] = {"value": value}
    if unit is not None:
        quantity["unit"] = unit
    if ucum is not None:
        quantity["system"] = UCUM
        quantity["code"] = ucum
    return quantity


def _value(lab: LabResult) -> dict[str, Any]:
    if lab.value_number is not None:
        quantity = _quantity(lab.value_number, lab.unit or lab.unit_ucum, lab.unit_ucum)
        if lab.comparator is not None:
            quantity["comparator"] = lab.comparator.value
        return {"valueQuantity": quantity}
    if lab.value:
        return {"valueString": lab.value}
    # obs-6 allows neither; saying why there is no value keeps the test name from reading as a result.
    return {"dataAbsentReason": DATA_ABSENT_REASON.concept("unknown")}


def _interpretation_code(lab: LabResult, flag: LabFlag) -> str:
    """v3-ObservationInterpretation: critical is HH or LL when the side is certain, else AA."""
    if flag is not LabFlag.CRITICAL:
        return _INTERPRETATION[flag]
    side = flag_from_range(lab.value, lab.reference_range) if lab.value and lab.reference_range else None
    return _CRITICAL[side] if side is not None and side in _CRITICAL else "AA"


def _reference_range(lab: LabResult, printed: str) -> dict[str, Any]:
    """``referenceRange``: the text always; low and high when printed as inclusive numbers.

    FHIR's low and high are inclusive, so a strict bound ("<5.0") stays in the text only.
    """
    bounds: ReferenceRange | None = parse_range(printed)
    element: dict[str, Any] = {}
    if bounds is not None:
        unit = bounds.unit or lab.unit
        # The UCUM code belongs to the result's unit; a range printed in another unit has none.
        ucum = lab.unit_ucum if bounds.unit in (None, lab.unit) else None
        if bounds.low is not None and bounds.low_inclusive:
            element["low"] = _quantity(bounds.low, unit, ucum)
        if bounds.high is not None and bounds.high_inclusive:
            element["high"] = _quantity(bounds.high, unit, ucum)
    element["text"] = printed
    return element
