"""The test table: names and synonyms, specimens, and the consistency of units and limits."""

from __future__ import annotations

import pytest

from lib.checks import units
from lib.checks.lab_knowledge import LAB_TESTS, identify_test, name_key
from lib.checks.units import UNITY


@pytest.mark.parametrize(
    ("printed", "unit", "key"),
    [
        ("Potassium", "mmol/L", "potassium"),
        ("K", None, "potassium"),
        ("K+", None, "potassium"),
        ("S-Potassium", None, "potassium"),
        ("Potassium, serum", None, "potassium"),
        ("Potassium (K)", None, "potassium"),
        ("Na", None, "sodium"),
        ("Hgb", None, "haemoglobin"),
        ("Haemoglobin", None, "haemoglobin"),
        ("Hemoglobin A1c", None, "hba1c"),
        ("HbA1c", None, "hba1c"),
        ("Protein, Total", None, "total protein"),
        ("T4, Free", None, "free t4"),
        ("ALT (SGPT)", None, "alt"),
        ("PT/INR", None, "inr"),
        ("hs-TnI", None, "troponin i"),
        ("Neutrophils", "%", "neutrophils %"),
        ("Neutrophils", "10*3/uL", "neutrophils count"),
        ("CO2", "mmol/L", "bicarbonate"),
        ("CO2", "mm[Hg]", "pco2"),
    ],
)
def test_names_find_their_test(printed: str, unit: str | None, key: str) -> None:
    test = identify_test(printed, unit)
    assert test is not None
    assert test.key == key


@pytest.mark.parametrize(
    "printed",
    [
        "Urine potassium",
        "Sodium, urine",
        "U-Sodium",
        "CSF glucose",
        "24h urine protein",
        "Pleural fluid LDH",
        "Vibes",
    ],
)
def test_other_specimens_and_unknown_names_find_nothing(printed: str) -> None:
    assert identify_test(printed, None) is None


@pytest.mark.parametrize(
    ("printed", "unit"), [("CO2", None), ("Neutrophils", None), ("Neutrophils", "mg/dL")]
)
def test_a_shared_name_without_a_telling_unit_is_no_test(printed: str, unit: str | None) -> None:
    assert identify_test(printed, unit) is None


def test_name_key_ignores_order_case_and_blood_words() -> None:
    assert name_key("Protein, Total (serum)") == name_key("total PROTEIN serum")


def test_the_table_is_broad_enough() -> None:
    assert len(LAB_TESTS) >= 50
    assert len({test.key for test in LAB_TESTS}) == len(LAB_TESTS)


def test_every_unit_a_test_allows_is_one_the_unit_table_can_produce() -> None:
    producible = set(units._UCUM.values()) | {UNITY}
    for test in LAB_TESTS:
        assert set(test.limits) <= producible, test.key


def test_limits_are_ordered_and_cover_zero_width_nowhere() -> None:
    for test in LAB_TESTS:
        for unit, limits in test.limits.items():
            assert limits.low < limits.high, (test.key, unit)


def test_a_name_shared_by_tests_is_told_apart_by_disjoint_units() -> None:
    by_name: dict[str, list[set[str]]] = {}
    for test in LAB_TESTS:
        for name in {name_key(name) for name in test.names}:
            by_name.setdefault(name, []).append(set(test.limits))
    for name, unit_sets in by_name.items():
        seen: set[str] = set()
        for unit_set in unit_sets:
            assert not (seen & unit_set), name
            seen |= unit_set
