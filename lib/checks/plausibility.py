"""Lab results that cannot be right: impossible values, wrong units, contradicting flags, repeats.

Rules (run on results already normalised by :mod:`lib.checks.labs`)

``implausible_value``
    For a test in :data:`lib.checks.lab_knowledge.LAB_TESTS`: a unit that maps to
    UCUM but is not one the test is reported in (path ``/lab_results/i/unit``); else
    a number outside the test's hard limits in its unit, or, when the unit is
    missing or unmapped, outside the limits of every unit the test is reported in
    (path ``/lab_results/i/value``). A comparator counts: ``<0.01`` is possible when
    anything below 0.01 is. Urine microscopy units (per HPF/LPF) and names of
    non-blood specimens are not judged.
``flag_mismatch``
    A printed flag against the flag the printed range gives (path
    ``/lab_results/i/flag``): high or low printed but the value is not on that side;
    normal printed but the value is outside the range; critical or abnormal printed
    but the value is inside it. Undecidable comparisons (qualitative values, a
    comparator straddling a bound, a range in another unit, a value equal to a
    bound, which labs count in or out of the range by their own convention) say nothing.
``duplicate_result``
    Two results of the same test: the same known test (synonyms agree: ``K`` and
    ``Potassium``), or for unknown tests the same name up to word order, case and
    blood-specimen words. They must also be in the same unit (or one has none) and
    of the same kind (both numeric or both words), because a report that prints a
    value in conventional and SI units, or a serum and a urine glucose, is not
    repeating itself. The path is the later result; the message says whether the
    values agree (a differing repeat may be a serial measurement).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from lib.checks.lab_knowledge import LabTest, identify_test, name_key
from lib.checks.labs import printed_flag, reference_for, value_of
from lib.checks.units import UNITY
from lib.checks.warning_codes import DUPLICATE_RESULT, FLAG_MISMATCH, IMPLAUSIBLE_VALUE
from lib.domain.report_schema import LabFlag, LabResult, ReportWarning
from lib.extraction.lab_values import flag_from_range, normalise_unit

__all__ = ["lab_warnings"]

# Units of urine microscopy: the test names (WBC, RBC) are shared with the blood count.
_NOT_JUDGED_UNITS: Final = frozenset({"/[HPF]", "/[LPF]"})

# For each printed flag, the computed flags that contradict it.
_CONTRADICTIONS: Final[dict[LabFlag, frozenset[LabFlag]]] = {
    LabFlag.HIGH: frozenset({LabFlag.NORMAL, LabFlag.LOW}),
    LabFlag.LOW: frozenset({LabFlag.NORMAL, LabFlag.HIGH}),
    LabFlag.NORMAL: frozenset({LabFlag.LOW, LabFlag.HIGH}),
    LabFlag.CRITICAL: frozenset({LabFlag.NORMAL}),
    LabFlag.ABNORMAL: frozenset({LabFlag.NORMAL}),
}


def _units_text(test: LabTest) -> str:
    units = ["no unit" if unit == UNITY else unit for unit in test.limits]
    return units[0] if len(units) == 1 else ", ".join(units[:-1]) + " or " + units[-1]


def _implausible(index: int, result: LabResult) -> ReportWarning | None:
    unit = result.unit_ucum
    if unit in _NOT_JUDGED_UNITS:
        return None
    test = identify_test(result.test, unit)
    if test is None:
        return None
    if unit is not None and unit not in test.limits:
        return ReportWarning(
            code=IMPLAUSIBLE_VALUE,
            path=f"/lab_results/{index}/unit",
            message=f"the unit is not one {test.label} is reported in (UCUM: {_units_text(test)})",
        )
    if result.value_number is None:
        return None
    comparator = result.comparator.value if result.comparator else None
    limits = test.limits[unit] if unit is not None else test.limits_in_any_unit()
    if limits.admits(result.value_number, comparator):
        return None
    where = "" if unit is not None or len(test.limits) == 1 else " in any unit it is reported in"
    return ReportWarning(
        code=IMPLAUSIBLE_VALUE,
        path=f"/lab_results/{index}/value",
        message=f"the value is outside what is physiologically possible for {test.label}{where}",
    )


def _flag_mismatch(index: int, result: LabResult) -> ReportWarning | None:
    printed = printed_flag(result)
    value, reference = value_of(result), reference_for(result)
    if printed is None or value is None or reference is None:
        return None
    if value.comparator is None and value.number in (reference.low, reference.high):
        # Whether a bound belongs to the range is a lab's convention: no ground for a warning.
        return None
    computed = flag_from_range(value, reference)
    if computed is None or computed not in _CONTRADICTIONS[printed]:
        return None
    return ReportWarning(
        code=FLAG_MISMATCH,
        path=f"/lab_results/{index}/flag",
        message="the flag printed with the value disagrees with the printed reference range",
    )


def _identity(result: LabResult) -> str:
    test = identify_test(result.test, result.unit_ucum)
    return f"test:{test.key}" if test else f"name:{name_key(result.test)}"


def _unit(result: LabResult) -> str | None:
    return result.unit_ucum or (normalise_unit(result.unit) if result.unit else None)


def _kind(result: LabResult) -> str | None:
    if result.value_number is not None:
        return "number"
    return "text" if result.value and result.value.strip() else None


def _same_value(first: LabResult, second: LabResult) -> bool:
    if first.value_number is not None or second.value_number is not None:
        return (first.value_number, first.comparator) == (second.value_number, second.comparator)
    return (
        " ".join((first.value or "").split()).casefold() == " ".join((second.value or "").split()).casefold()
    )


def _compatible(first: LabResult, second: LabResult) -> bool:
    units, kinds = (_unit(first), _unit(second)), (_kind(first), _kind(second))
    same_unit = None in units or units[0] == units[1]
    same_kind = None in kinds or kinds[0] == kinds[1]
    return same_unit and same_kind


def _duplicates(results: Sequence[LabResult]) -> list[ReportWarning]:
    warnings: list[ReportWarning] = []
    seen: dict[str, list[int]] = {}
    for index, result in enumerate(results):
        if not result.test.strip():
            continue
        earlier = seen.setdefault(_identity(result), [])
        first = next((i for i in earlier if _compatible(results[i], result)), None)
        earlier.append(index)
        if first is None:
            continue
        agreement = "the values agree" if _same_value(results[first], result) else "the values differ"
        warnings.append(
            ReportWarning(
                code=DUPLICATE_RESULT,
                path=f"/lab_results/{index}",
                message=f"the same test is reported earlier at /lab_results/{first}; {agreement}",
            )
        )
    return warnings


def lab_warnings(results: Sequence[LabResult]) -> list[ReportWarning]:
    """Every lab warning for a report's normalised results, in result order, duplicates last."""
    warnings = [
        warning
        for index, result in enumerate(results)
        for warning in (_implausible(index, result), _flag_mismatch(index, result))
        if warning is not None
    ]
    return warnings + _duplicates(results)
