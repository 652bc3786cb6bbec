"""The comparison rules: numbers exactly, words within one OCR edit, codes exactly."""

from __future__ import annotations

from decimal import Decimal

import pytest

from lib.grounding.text import code_key, numbers_in, parse_value, same_token, tokens


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7.2%", [(None, Decimal("7.2"))]),
        ("<0.5", [("<", Decimal("0.5"))]),
        ("\u22650.5", [(">=", Decimal("0.5"))]),
        ("1,200", [(None, Decimal("1200"))]),
        ("500mg", [(None, Decimal("500"))]),
        ("4.0-5.6", []),  # a range is not a value
        ("02/17/2026", []),  # nor a date
        ("150/95", []),  # nor a ratio
        ("E11.9", []),  # nor a code
        ("HbA1c", []),
    ],
)
def test_numbers_as_printed(text: str, expected: list[tuple[str | None, Decimal]]) -> None:
    assert [(comparator, value) for comparator, value, _ in numbers_in(text)] == expected


def test_values_compare_as_numbers_not_as_digits() -> None:
    assert parse_value("6.10") == (None, Decimal("6.1"))
    assert parse_value("61") != parse_value("6.1")
    assert parse_value("< 0.5") == ("<", Decimal("0.5"))
    assert parse_value("positive") is None


@pytest.mark.parametrize(
    ("wanted", "found", "same"),
    [
        ("glucose", "g1ucose", False),  # a digit is never a misread letter here
        ("haemoglobin", "hemoglobin", True),
        ("hypertension", "hypotension", False),  # two edits
        ("sodium", "sodiun", False),  # short words match exactly
        ("t4", "t3", False),
    ],
)
def test_one_edit_in_a_long_word(wanted: str, found: str, same: bool) -> None:
    assert same_token(wanted, found) is same


def test_tokens_and_codes() -> None:
    assert tokens("DOE, JANE (E11.9).") == ["doe", "jane", "e11.9"]
    assert code_key("e11.9") == code_key("E119") == "E119"
    assert code_key("E11.99") != code_key("E11.9")
    assert code_key("Glucose") is None
