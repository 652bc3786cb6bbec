"""Plausibility: impossible values and units, flags against ranges, repeated tests."""

from __future__ import annotations

from collections.abc import Mapping

from lib.checks.labs import normalise_lab
from lib.checks.plausibility import lab_warnings
from lib.domain.report_schema import LabResult


def warnings_for(*results: Mapping[str, object]) -> list[tuple[str, str | None]]:
    labs = [normalise_lab(LabResult.model_validate(fields)) for fields in results]
    return [(warning.code, warning.path) for warning in lab_warnings(labs)]


def messages_for(*results: Mapping[str, object]) -> list[str]:
    labs = [normalise_lab(LabResult.model_validate(fields)) for fields in results]
    return [warning.message for warning in lab_warnings(labs)]


# --- implausible_value ---------------------------------------------------------------


def test_an_impossible_value_is_flagged_without_quoting_it() -> None:
    assert warnings_for({"test": "Potassium", "value": "45", "unit": "mmol/L"}) == [
        ("implausible_value", "/lab_results/0/value")
    ]
    (message,) = messages_for({"test": "K", "value": "45", "unit": "mmol/L"})
    assert message == "the value is outside what is physiologically possible for potassium"
    assert "45" not in message


def test_extreme_but_survivable_values_are_not_flagged() -> None:
    assert (
        warnings_for(
            {"test": "Potassium", "value": "9.8", "unit": "mmol/L"},
            {"test": "Sodium", "value": "101", "unit": "mmol/L"},
            {"test": "Glucose", "value": "1100", "unit": "mg/dL"},
            {"test": "Hemoglobin", "value": "3.1", "unit": "g/dL"},
            {"test": "AST", "value": "8500", "unit": "U/L"},
        )
        == []
    )


def test_limits_follow_the_unit() -> None:
    assert warnings_for({"test": "Glucose", "value": "180", "unit": "mmol/L"}) == [
        ("implausible_value", "/lab_results/0/value")
    ]
    assert warnings_for({"test": "Glucose", "value": "180", "unit": "mg/dL"}) == []
    assert warnings_for({"test": "Creatinine", "value": "88", "unit": "umol/L"}) == []


def test_without_a_unit_only_values_impossible_in_every_unit_are_flagged() -> None:
    assert warnings_for({"test": "Glucose", "value": "180"}) == []  # fine in mg/dL
    assert warnings_for({"test": "Potassium", "value": "45"}) == [
        ("implausible_value", "/lab_results/0/value")
    ]
    (message,) = messages_for({"test": "Glucose", "value": "-5"})
    assert message.endswith("in any unit it is reported in")


def test_a_comparator_widens_the_value() -> None:
    assert warnings_for({"test": "Troponin I", "value": "<0.01", "unit": "ng/mL"}) == []
    assert warnings_for({"test": "Potassium", "value": ">20", "unit": "mmol/L"}) == [
        ("implausible_value", "/lab_results/0/value")
    ]


def test_a_unit_that_does_not_fit_the_test_is_flagged() -> None:
    assert warnings_for({"test": "Potassium", "value": "4.1", "unit": "mg/dL"}) == [
        ("implausible_value", "/lab_results/0/unit")
    ]
    (message,) = messages_for({"test": "Potassium", "value": "4.1", "unit": "mg/dL"})
    assert message == "the unit is not one potassium is reported in (UCUM: mmol/L or meq/L)"


def test_every_unit_a_test_may_take_is_accepted() -> None:
    assert (
        warnings_for(
            {"test": "Potassium", "value": "4.1", "unit": "mEq/L"},
            {"test": "Glucose", "value": "0.95", "unit": "g/L"},
            {"test": "Hemoglobin", "value": "8.7", "unit": "mmol/L"},
            {"test": "TSH", "value": "2.1", "unit": "uIU/mL"},
            {"test": "WBC", "value": "7200", "unit": "cells/uL"},
            {"test": "Platelets", "value": "250", "unit": "10^9/L"},
            {"test": "HbA1c", "value": "48", "unit": "mmol/mol"},
            {"test": "INR", "value": "2.4"},
        )
        == []
    )


def test_a_shared_name_without_a_unit_is_not_judged() -> None:
    assert warnings_for({"test": "Neutrophils", "value": "4500"}) == []


def test_an_unknown_unit_or_test_is_not_judged() -> None:
    assert warnings_for({"test": "Potassium", "value": "4.1", "unit": "mg%"}) == []
    assert warnings_for({"test": "Zonulin", "value": "99999", "unit": "ng/mL"}) == []


def test_urine_results_are_not_judged_by_blood_limits() -> None:
    assert warnings_for({"test": "Urine potassium", "value": "60", "unit": "mmol/L"}) == []
    assert warnings_for({"test": "WBC", "value": "3", "unit": "/hpf"}) == []


# --- flag_mismatch -------------------------------------------------------------------


def test_a_printed_flag_against_the_range_is_flagged() -> None:
    assert warnings_for({"test": "K", "value": "4.0", "reference_range": "3.5-5.1", "flag": "high"}) == [
        ("flag_mismatch", "/lab_results/0/flag")
    ]
    assert warnings_for({"test": "K", "value": "5.9", "reference_range": "3.5-5.1", "flag": "low"}) == [
        ("flag_mismatch", "/lab_results/0/flag")
    ]
    assert warnings_for({"test": "K", "value": "5.9", "reference_range": "3.5-5.1", "flag": "normal"}) == [
        ("flag_mismatch", "/lab_results/0/flag")
    ]
    assert warnings_for({"test": "K", "value": "4.0", "reference_range": "3.5-5.1", "flag": "critical"}) == [
        ("flag_mismatch", "/lab_results/0/flag")
    ]


def test_flags_that_agree_or_cannot_be_judged_are_not_flagged() -> None:
    assert (
        warnings_for(
            {"test": "K", "value": "5.9", "reference_range": "3.5-5.1", "flag": "high"},
            {"test": "Na", "value": "128", "reference_range": "136-145", "flag": "critical"},
            {"test": "Glucose", "value": "98", "reference_range": "70-99", "flag": "normal"},
            {"test": "HIV", "value": "Reactive", "reference_range": "Non-reactive", "flag": "abnormal"},
            {"test": "Troponin I", "value": "<0.05", "reference_range": "<0.04", "flag": "normal"},
            {"test": "Bilirubin", "value": "0.2", "reference_range": "0.2-1.2", "flag": "low"},
            {
                "test": "LDL",
                "value": "3.9",
                "unit": "mmol/L",
                "reference_range": "<100 mg/dL",
                "flag": "high",
            },
        )
        == []
    )


def test_a_computed_flag_is_never_a_mismatch() -> None:
    assert warnings_for({"test": "K", "value": "5.9", "reference_range": "3.5-5.1"}) == []


# --- duplicate_result ----------------------------------------------------------------


def test_a_repeated_test_is_flagged_at_the_later_item_saying_the_values_agree() -> None:
    results = (
        {"test": "Potassium", "value": "4.1", "unit": "mmol/L"},
        {"test": "K", "value": "4.1", "unit": "mmol/L"},
    )
    assert warnings_for(*results) == [("duplicate_result", "/lab_results/1")]
    assert messages_for(*results) == ["the same test is reported earlier at /lab_results/0; the values agree"]


def test_a_repeat_with_another_value_says_they_differ() -> None:
    results = (
        {"test": "Troponin I", "value": "0.02", "unit": "ng/mL"},
        {"test": "Sodium", "value": "140"},
        {"test": "troponin i", "value": "0.31", "unit": "ng/mL"},
    )
    assert warnings_for(*results) == [("duplicate_result", "/lab_results/2")]
    assert messages_for(*results)[0].endswith("the values differ")


def test_unknown_tests_repeat_by_name_up_to_order_and_case() -> None:
    assert warnings_for({"test": "Zonulin, serum", "value": "30"}, {"test": "ZONULIN", "value": "30"}) == [
        ("duplicate_result", "/lab_results/1")
    ]


def test_the_same_value_in_two_units_or_in_two_specimens_is_no_repeat() -> None:
    assert (
        warnings_for(
            {"test": "Glucose", "value": "99", "unit": "mg/dL"},
            {"test": "Glucose", "value": "5.5", "unit": "mmol/L"},
            {"test": "Glucose", "value": "Negative"},
            {"test": "Troponin T", "value": "0.01", "unit": "ng/mL"},
            {"test": "Troponin I", "value": "0.01", "unit": "ng/mL"},
        )
        == []
    )


def test_three_reports_of_one_test_point_each_repeat_at_the_first() -> None:
    results = [{"test": "Hgb", "value": "12.1", "unit": "g/dL"}] * 3
    assert messages_for(*results) == [
        "the same test is reported earlier at /lab_results/0; the values agree",
        "the same test is reported earlier at /lab_results/0; the values agree",
    ]
