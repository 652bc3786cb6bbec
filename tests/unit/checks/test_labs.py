"""Lab normalisation: number and comparator, UCUM unit, and the computed flag."""

from __future__ import annotations

from lib.checks.labs import normalise_lab
from lib.domain.report_schema import Comparator, LabFlag, LabResult


def lab(**fields: object) -> LabResult:
    return LabResult.model_validate({"test": "Potassium", **fields})


def test_number_and_comparator_are_split_out() -> None:
    result = normalise_lab(lab(value="<0.5", unit="mg/L"))
    assert (result.value_number, result.comparator) == (0.5, Comparator.LT)
    assert result.value == "<0.5"


def test_a_decimal_comma_and_thousands_are_read() -> None:
    assert normalise_lab(lab(value="5,8")).value_number == 5.8
    assert normalise_lab(lab(value="1,234")).value_number == 1234.0


def test_a_qualitative_value_has_no_number() -> None:
    result = normalise_lab(lab(test="HIV", value="Non-reactive"))
    assert (result.value_number, result.comparator, result.flag) == (None, None, None)


def test_the_printed_unit_maps_to_ucum() -> None:
    assert normalise_lab(lab(value="7.2", unit="K/uL")).unit_ucum == "10*3/uL"
    assert normalise_lab(lab(value="7.2", unit="mg%")).unit_ucum is None


def test_a_unit_inside_the_value_is_read_when_no_unit_is_printed() -> None:
    result = normalise_lab(lab(test="Sodium", value="140 mmol/L"))
    assert (result.value_number, result.unit_ucum, result.flag) == (140.0, "mmol/L", None)


def test_the_unit_of_the_range_is_used_when_no_unit_is_printed() -> None:
    assert normalise_lab(lab(value="4.1", reference_range="3.5-5.1 mmol/L")).unit_ucum == "mmol/L"


def test_an_unmapped_printed_unit_is_not_replaced_by_the_range_unit() -> None:
    assert normalise_lab(lab(value="4.1", unit="mg%", reference_range="3.5-5.1 mmol/L")).unit_ucum is None


def test_without_a_printed_flag_it_is_computed_from_the_range() -> None:
    high = normalise_lab(lab(value="5.8", unit="mmol/L", reference_range="3.5-5.1"))
    assert (high.flag, high.flag_computed) == (LabFlag.HIGH, True)
    normal = normalise_lab(lab(value="<0.01", unit="ng/mL", reference_range="<0.04"))
    assert (normal.flag, normal.flag_computed) == (LabFlag.NORMAL, True)


def test_a_printed_flag_is_kept_even_when_the_range_disagrees() -> None:
    result = normalise_lab(lab(value="4.0", reference_range="3.5-5.1", flag="high"))
    assert (result.flag, result.flag_computed) == (LabFlag.HIGH, False)


def test_a_flag_glued_to_the_value_counts_as_printed() -> None:
    result = normalise_lab(lab(value="5.8 H", reference_range="3.5-5.1"))
    assert (result.value_number, result.flag, result.flag_computed) == (5.8, LabFlag.HIGH, False)


def test_the_l_of_a_unit_is_not_read_as_a_low_flag() -> None:
    result = normalise_lab(lab(test="Sodium", value="140 mmol/L", reference_range="136-145"))
    assert (result.flag, result.flag_computed) == (LabFlag.NORMAL, True)


def test_no_flag_is_computed_against_a_range_in_another_unit() -> None:
    result = normalise_lab(lab(test="Glucose", value="5.5", unit="mmol/L", reference_range="70-99 mg/dL"))
    assert (result.flag, result.flag_computed) == (None, False)


def test_no_flag_is_computed_without_a_numeric_range() -> None:
    result = normalise_lab(lab(value="4.0", reference_range="see note"))
    assert (result.flag, result.flag_computed) == (None, False)


def test_derived_fields_a_parser_filled_in_are_recomputed() -> None:
    claimed = lab(
        value="4.1", unit="mmol/L", value_number=41.0, unit_ucum="mg/dL", flag="high", flag_computed=True
    )
    result = normalise_lab(claimed)
    assert (result.value_number, result.unit_ucum, result.flag, result.flag_computed) == (
        4.1,
        "mmol/L",
        None,
        False,
    )


def test_normalising_twice_changes_nothing() -> None:
    once = normalise_lab(lab(value="5.8", unit="mmol/L", reference_range="3.5-5.1"))
    assert normalise_lab(once) == once
