"""Lab results: the number, comparator, UCUM unit and (when none was printed) flag, filled in.

Rules
* ``value_number`` and ``comparator`` come from the printed ``value`` by
  :func:`lib.extraction.lab_values.parse_value` (``<0.5`` → 0.5 and ``<``). A unit
  printed inside the value (``140 mmol/L``, as a model may return it) is split off;
  a flag glued to it (``5.8 H``) counts as printed.
* ``unit_ucum`` is the UCUM form of the printed ``unit`` (see :mod:`lib.checks.units`).
  Only when no unit is printed is the unit inside the value, then the one printed
  with the reference range, used instead. An unmapped unit gives ``None``.
* ``flag``: a printed flag is kept. Otherwise, when value and range are numeric and
  their units do not contradict each other, the flag is computed by
  :func:`lib.extraction.lab_values.flag_from_range` and ``flag_computed`` is set.
* These derived fields are ours: whatever a parser put in them is recomputed from the
  printed fields, so a model cannot claim a number, unit or computed flag the
  printed text does not support. A flag marked computed counts as not printed.
"""

from __future__ import annotations

import re
from functools import lru_cache

from lib.checks.units import to_ucum
from lib.domain.report_schema import Comparator, LabFlag, LabResult
from lib.extraction.lab_values import (
    LabValue,
    ReferenceRange,
    flag_from_range,
    looks_like_unit,
    normalise_unit,
    parse_range,
    parse_value,
)

__all__ = ["normalise_lab", "printed_flag", "reference_for", "value_of"]

# "140 mmol/L": the value, then a unit that starts with a letter, micro sign, slash or %.
_VALUE_AND_UNIT = re.compile(r"(?P<value>.*?\d)\s*(?P<unit>[A-Za-zµμ/%\[].*)")


def _split_unit(text: str, flag: LabValue | None) -> tuple[LabValue, str] | None:
    """``text`` as a number followed by a unit ("140 mmol/L"), keeping ``flag``'s glued flag."""
    split = _VALUE_AND_UNIT.fullmatch(text)
    if split is None or not looks_like_unit(split["unit"]):
        return None
    value = parse_value(split["value"])
    if value.number is None:
        return None
    if flag is not None:
        value = LabValue(value.text, value.number, value.comparator, flag.flag, flag.flag_text)
    return value, split["unit"]


def _read_value(text: str) -> tuple[LabValue, str | None]:
    """The printed value, and a unit printed inside it (or ``None``).

    The whole text is tried as number-and-unit before the flag is taken off, because
    the "L" of "mmol/L" would otherwise read as a glued "low" flag; then without the
    flag ("140 mmol/L H").
    """
    value = parse_value(text)
    if value.number is not None:
        return value, None
    split = _split_unit(re.sub(r"\s+", " ", text).strip(), None) or _split_unit(value.text, value)
    return split if split else (value, None)


# Reference ranges repeat across reports and are read twice per result (here and by the
# plausibility checks); they are not patient values, so caching them is harmless.
@lru_cache(maxsize=4096)
def _range(text: str) -> ReferenceRange | None:
    return parse_range(text)


def _units_agree(first: str, second: str) -> bool:
    """Whether two printed units name the same unit (by UCUM when both map, else by spelling)."""
    first_ucum, second_ucum = to_ucum(first), to_ucum(second)
    if first_ucum and second_ucum:
        return first_ucum == second_ucum
    return normalise_unit(first) == normalise_unit(second)


def reference_for(result: LabResult) -> ReferenceRange | None:
    """The printed reference range, or ``None`` when there is none or its unit contradicts the value's."""
    if not result.reference_range:
        return None
    reference = _range(result.reference_range)
    if reference is None or reference.unit is None:
        return reference
    if result.unit:
        agree = _units_agree(reference.unit, result.unit)
    else:
        # No unit column: the unit may have come from the value itself ("140 mmol/L").
        range_ucum = to_ucum(reference.unit)
        agree = range_ucum is None or result.unit_ucum is None or range_ucum == result.unit_ucum
    return reference if agree else None


def value_of(result: LabResult) -> LabValue | None:
    """The normalised value of a checked result as a :class:`LabValue`, or ``None`` if not numeric."""
    if result.value_number is None:
        return None
    comparator = result.comparator.value if result.comparator else None
    return LabValue(result.value or "", result.value_number, comparator, None, None)


def printed_flag(result: LabResult) -> LabFlag | None:
    """The flag the report printed: ``flag`` unless it was computed by us."""
    return None if result.flag_computed else result.flag


def normalise_lab(result: LabResult) -> LabResult:
    """The result with ``value_number``, ``comparator``, ``unit_ucum`` and a computed flag filled in."""
    value, unit_in_value = _read_value(result.value) if result.value else (None, None)
    if result.unit:
        unit_ucum = to_ucum(result.unit)
    else:
        reference = _range(result.reference_range) if result.reference_range else None
        unit_ucum = to_ucum(unit_in_value) or to_ucum(reference.unit if reference else None)
    numbers = {
        "value_number": value.number if value else None,
        "comparator": Comparator(value.comparator) if value and value.comparator else None,
        "unit_ucum": unit_ucum,
    }
    flag = printed_flag(result) or (value.flag if value else None)
    if flag is not None:
        return result.model_copy(update={**numbers, "flag": flag, "flag_computed": False})
    normalised = result.model_copy(update=numbers)
    numeric = value_of(normalised)
    reference = reference_for(normalised)
    computed = flag_from_range(numeric, reference) if numeric and reference else None
    return normalised.model_copy(update={"flag": computed, "flag_computed": computed is not None})
