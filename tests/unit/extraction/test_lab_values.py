"""Lab value parts: numbers, glued flags, units, reference ranges, printed and computed flags."""

from __future__ import annotations

import pytest

from lib.domain.report_schema import LabFlag
from lib.extraction.lab_values import (
    ReferenceRange,
    flag_from_range,
    looks_like_unit,
    normalise_unit,
    parse_flag,
    parse_number,
    parse_range,
    parse_value,
)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("5.8", 5.8),
        ("1,234", 1234.0),
        ("12,345.6", 12345.6),
        ("5,8", 5.8),
        (".5", 0.5),
        ("-2", -2.0),
        ("x", None),
    ],
)
def test_parse_number(text: str, number: float | None) -> None:
    assert parse_number(text) == number


@pytest.mark.parametrize(
    ("text", "value", "number", "comparator", "flag"),
    [
        ("5.8", "5.8", 5.8, None, None),
        ("5.8 H", "5.8", 5.8, None, LabFlag.HIGH),
        ("5.8H", "5.8", 5.8, None, LabFlag.HIGH),
        ("5.8 (H)", "5.8", 5.8, None, LabFlag.HIGH),
        ("*5.8", "5.8", 5.8, None, LabFlag.ABNORMAL),
        ("5.8*", "5.8", 5.8, None, LabFlag.ABNORMAL),
        ("↑5.8", "5.8", 5.8, None, LabFlag.HIGH),
        ("2.1 L", "2.1", 2.1, None, LabFlag.LOW),
        ("6.9 LL", "6.9", 6.9, None, LabFlag.CRITICAL),
        ("6.9 Critical", "6.9", 6.9, None, LabFlag.CRITICAL),
        ("<0.5", "<0.5", 0.5, "<", None),
        ("< 0.5", "<0.5", 0.5, "<", None),
        (">= 60", ">=60", 60.0, ">=", None),
        ("≥60", ">=60", 60.0, ">=", None),
        ("≤ 2", "<=2", 2.0, "<=", None),
        ("Positive", "Positive", None, None, None),
        ("Not detected", "Not detected", None, None, None),
        ("Positive H", "Positive", None, None, LabFlag.HIGH),
        ("Yellow", "Yellow", None, None, None),  # the "low" of a word is no flag
        ("Pale yellow", "Pale yellow", None, None, None),
    ],
)
def test_parse_value_splits_a_glued_flag(
    text: str, value: str, number: float | None, comparator: str | None, flag: LabFlag | None
) -> None:
    parsed = parse_value(text)
    assert (parsed.text, parsed.number, parsed.comparator, parsed.flag) == (value, number, comparator, flag)


@pytest.mark.parametrize(
    ("text", "flag"),
    [
        ("H", LabFlag.HIGH),
        ("High", LabFlag.HIGH),
        ("HI", LabFlag.HIGH),
        ("+ HIGH", LabFlag.HIGH),
        ("↑", LabFlag.HIGH),
        ("(H)", LabFlag.HIGH),
        ("L", LabFlag.LOW),
        ("low", LabFlag.LOW),
        ("↓", LabFlag.LOW),
        ("HH", LabFlag.CRITICAL),
        ("LL", LabFlag.CRITICAL),
        ("Critical", LabFlag.CRITICAL),
        ("CRIT", LabFlag.CRITICAL),
        ("Panic", LabFlag.CRITICAL),
        ("A", LabFlag.ABNORMAL),
        ("Abnormal", LabFlag.ABNORMAL),
        ("ABN", LabFlag.ABNORMAL),
        ("*", LabFlag.ABNORMAL),
        ("AH", LabFlag.HIGH),
        ("AL", LabFlag.LOW),
        ("*H", LabFlag.HIGH),
        ("H!", LabFlag.HIGH),
        ("Low*", LabFlag.LOW),
        ("!!", LabFlag.CRITICAL),
        ("N", LabFlag.NORMAL),
        ("Normal", LabFlag.NORMAL),
        ("h", None),
        ("", None),
        ("mg/dL", None),
    ],
)
def test_parse_flag(text: str, flag: LabFlag | None) -> None:
    assert parse_flag(text) is flag


@pytest.mark.parametrize(
    ("unit", "normalised"),
    [
        ("x10^3/uL", "10^3/µL"),
        ("x 10^3/uL", "10^3/µL"),
        ("10*3/uL", "10^3/µL"),
        ("x10E3/uL", "10^3/µL"),
        ("\u00d710\u00b3/\u00b5L", "10^3/\u00b5L"),
        ("K/uL", "10^3/µL"),
        ("thou/uL", "10^3/µL"),
        ("M/uL", "10^6/µL"),
        ("10^9/L", "10^9/L"),
        ("cells/mm3", "cells/µL"),
        ("mcg/dL", "µg/dL"),
        ("\u03bcg/L", "\u00b5g/L"),
        ("\u00b5g/L", "\u00b5g/L"),
        ("umol/L", "µmol/L"),
        ("uIU/mL", "µIU/mL"),
        ("U/L", "U/L"),
        ("mU/L", "mU/L"),
        ("IU/l", "IU/L"),
        ("mg/dl", "mg/dL"),
        ("mmol/l", "mmol/L"),
        ("gm/dL", "g/dL"),
        ("meq/l", "mEq/L"),
        ("fl", "fL"),
        ("mm Hg", "mmHg"),
        ("%", "%"),
        ("mL/min/1.73m2", "mL/min/1.73m2"),
    ],
)
def test_normalise_unit(unit: str, normalised: str) -> None:
    assert normalise_unit(unit) == normalised


@pytest.mark.parametrize(
    "text",
    ["mg/dL", "%", "x10^3/uL", "K/uL", "mmol/L", "IU/L", "/hpf", "fL", "mL/min/1.73m2", "mm/hr", "sec"],
)
def test_units_look_like_units(text: str) -> None:
    assert looks_like_unit(text)


@pytest.mark.parametrize("text", ["Potassium", "Negative", "H", "5.8", "3.5-5.1", "", "see comment below"])
def test_other_cells_do_not_look_like_units(text: str) -> None:
    assert not looks_like_unit(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3.5-5.1", ReferenceRange("3.5-5.1", 3.5, 5.1)),
        ("(3.5 - 5.1)", ReferenceRange("3.5 - 5.1", 3.5, 5.1)),
        ("[3.5\u20135.1]", ReferenceRange("3.5\u20135.1", 3.5, 5.1)),
        ("3.5 to 5.1", ReferenceRange("3.5 to 5.1", 3.5, 5.1)),
        ("-2.0 - 2.0", ReferenceRange("-2.0 - 2.0", -2.0, 2.0)),
        ("70-99 mg/dL", ReferenceRange("70-99 mg/dL", 70.0, 99.0, unit="mg/dL")),
        ("Ref: 12.0-16.0", ReferenceRange("12.0-16.0", 12.0, 16.0)),
        ("<5.0", ReferenceRange("<5.0", high=5.0, high_inclusive=False)),
        ("< 5.0", ReferenceRange("< 5.0", high=5.0, high_inclusive=False)),
        ("<=5.0", ReferenceRange("<=5.0", high=5.0)),
        ("\u22645.0", ReferenceRange("\u22645.0", high=5.0)),
        (">60", ReferenceRange(">60", low=60.0, low_inclusive=False)),
        ("Up to 40", ReferenceRange("Up to 40", high=40.0)),
        ("less than 5", ReferenceRange("less than 5", high=5.0, high_inclusive=False)),
        ("> OR = 60", ReferenceRange("> OR = 60", low=60.0)),
        ("<OR=1.0", ReferenceRange("<OR=1.0", high=1.0)),
        ("Negative", ReferenceRange("Negative")),
    ],
)
def test_parse_range(text: str, expected: ReferenceRange) -> None:
    assert parse_range(text) == expected


@pytest.mark.parametrize("text", ["", "banana", "5-3", "3.5-5.1 see note", "H"])
def test_not_a_range(text: str) -> None:
    assert parse_range(text) is None


@pytest.mark.parametrize(
    ("value", "reference", "flag"),
    [
        ("5.8", "3.5-5.1", LabFlag.HIGH),
        ("3.0", "3.5-5.1", LabFlag.LOW),
        ("4.2", "3.5-5.1", LabFlag.NORMAL),
        ("5.1", "3.5-5.1", LabFlag.NORMAL),
        ("5.0", "<5.0", LabFlag.HIGH),
        ("4.9", "<5.0", LabFlag.NORMAL),
        ("60", ">60", LabFlag.LOW),
        (">60", ">60", LabFlag.NORMAL),
        ("<0.01", "<0.04", LabFlag.NORMAL),
        ("<2", "1-5", None),
        (">10", "1-5", LabFlag.HIGH),
        ("Positive", "Negative", None),
        ("4.2", "Negative", None),
        ("5.8 H", "3.5-5.1", LabFlag.HIGH),
    ],
)
def test_flag_from_range(value: str, reference: str, flag: LabFlag | None) -> None:
    assert flag_from_range(value, reference) is flag
