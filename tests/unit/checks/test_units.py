"""Printed units to UCUM: one spelling per unit, ambiguous spellings left alone."""

from __future__ import annotations

import pytest

from lib.checks import units
from lib.checks.units import to_ucum


@pytest.mark.parametrize(
    ("printed", "ucum"),
    [
        ("mmol/L", "mmol/L"),
        ("mmol/l", "mmol/L"),
        ("mg/dl", "mg/dL"),
        ("MG/DL", "mg/dL"),
        ("g/dL", "g/dL"),
        ("g/L", "g/L"),
        ("%", "%"),
        ("K/uL", "10*3/uL"),
        ("x10^3/µL", "10*3/uL"),
        ("10^9/L", "10*3/uL"),
        ("thou/uL", "10*3/uL"),
        ("M/uL", "10*6/uL"),
        ("10^12/L", "10*6/uL"),
        ("U/L", "U/L"),
        ("IU/L", "[IU]/L"),
        ("umol/L", "umol/L"),
        ("µmol/L", "umol/L"),
        ("μmol/L", "umol/L"),
        ("ng/ml", "ng/mL"),
        ("pg/mL", "pg/mL"),
        ("ng/dL", "ng/dL"),
        ("mcg/dL", "ug/dL"),
        ("mEq/L", "meq/L"),
        ("meq/l", "meq/L"),
        ("mmHg", "mm[Hg]"),
        ("fl", "fL"),
        ("pg", "pg"),
        ("sec", "s"),
        ("s", "s"),
        ("/mm3", "/uL"),
        ("cells/uL", "/uL"),
        ("uIU/mL", "u[IU]/mL"),
        ("mIU/L", "m[IU]/L"),
        ("mL/min/1.73 m2", "mL/min/{1.73_m2}"),
        ("mOsm/kg", "mosm/kg"),
        ("mm/hr", "mm/h"),
        ("/hpf", "/[HPF]"),
    ],
)
def test_unambiguous_units_map_to_ucum(printed: str, ucum: str) -> None:
    assert to_ucum(printed) == ucum


@pytest.mark.parametrize("printed", [None, "", "  ", "mg%", "units", "ratio", "ng/mL FEU", "furlongs", "H"])
def test_ambiguous_or_unknown_units_give_none(printed: str | None) -> None:
    assert to_ucum(printed) is None


def test_no_two_table_spellings_differ_by_case_alone() -> None:
    # The module promises case-insensitive reading loses nothing; a new entry that breaks it fails here.
    assert len(units._UCUM_ANY_CASE) == len({spelling.lower() for spelling in units._UCUM})
