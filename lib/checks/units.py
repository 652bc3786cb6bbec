"""Printed lab units to UCUM, where the mapping is unambiguous.

The printed unit is first given one spelling by
:func:`lib.extraction.lab_values.normalise_unit` (``mg/dl`` → ``mg/dL``, ``K/uL`` →
``10^3/µL``), then looked up in a curated table. A spelling not in the table gives
``None``: the checks then say nothing that depends on the unit.

Choices worth knowing

* Counts per volume have one UCUM form each, so equal quantities compare equal:
  ``10^3/µL``, ``K/uL`` and ``10^9/L`` → ``10*3/uL``; ``10^6/µL``, ``M/uL`` and
  ``10^12/L`` → ``10*6/uL``; cells per µL or mm³ → ``/uL``.
* ``mEq/L`` stays ``meq/L`` (not converted to ``mmol/L``: the factor depends on the ion).
* International units keep their prefix: ``µIU/mL`` → ``u[IU]/mL``, ``mIU/L`` →
  ``m[IU]/L``; ``U/L`` (enzyme units) and ``[IU]/L`` stay distinct spellings.
* Case is ignored only where no two table entries differ by case alone, so
  ``MG/DL`` reads as ``mg/dL``; no current entry is case-ambiguous.
* Not mapped, because they are ambiguous or not units of one quantity:
  ``mg%`` (mg/dL or a mass fraction), ``units``, ``ratio``, a unit with a method
  suffix (``ng/mL FEU``), anything unknown.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Final

from lib.extraction.lab_values import normalise_unit

__all__ = ["UNITY", "to_ucum"]

# What unitless tests (INR, pH, specific gravity) are measured in.
UNITY: Final = "1"

# Keys are normalise_unit() spellings.
_UCUM: Final[dict[str, str]] = {
    # substance and mass concentrations
    "mol/L": "mol/L",
    "mmol/L": "mmol/L",
    "µmol/L": "umol/L",
    "nmol/L": "nmol/L",
    "pmol/L": "pmol/L",
    "mmol/mol": "mmol/mol",
    "mEq/L": "meq/L",
    "g/dL": "g/dL",
    "g/L": "g/L",
    "mg/dL": "mg/dL",
    "mg/L": "mg/L",
    "µg/dL": "ug/dL",
    "µg/L": "ug/L",
    "µg/mL": "ug/mL",
    "ng/mL": "ng/mL",
    "ng/dL": "ng/dL",
    "ng/L": "ng/L",
    "pg/mL": "pg/mL",
    "mOsm/kg": "mosm/kg",
    "mOsm/kgH2O": "mosm/kg",
    # catalytic activity and international units
    "U/L": "U/L",
    "IU/L": "[IU]/L",
    "mU/L": "mU/L",
    "µU/mL": "uU/mL",
    "mIU/L": "m[IU]/L",
    "mIU/mL": "m[IU]/mL",
    "µIU/mL": "u[IU]/mL",
    # counts
    "10^3/µL": "10*3/uL",
    "10^9/L": "10*3/uL",
    "10^6/µL": "10*6/uL",
    "10^12/L": "10*6/uL",
    "/µL": "/uL",
    "cells/µL": "/uL",
    "/hpf": "/[HPF]",
    "/lpf": "/[LPF]",
    # fractions, sizes, pressures, times
    "%": "%",
    "L/L": "L/L",
    "fL": "fL",
    "pg": "pg",
    "mmHg": "mm[Hg]",
    "kPa": "kPa",
    "s": "s",
    "sec": "s",
    "secs": "s",
    "seconds": "s",
    "min": "min",
    "mm/h": "mm/h",
    "mm/hr": "mm/h",
    "mL/min/1.73m2": "mL/min/{1.73_m2}",
    "mL/min/1.73m²": "mL/min/{1.73_m2}",
}


def _case_free(table: dict[str, str]) -> dict[str, str]:
    """Lower-case spellings that lead to one UCUM unit only."""
    seen: dict[str, set[str]] = {}
    for spelling, ucum in table.items():
        seen.setdefault(spelling.lower(), set()).add(ucum)
    return {spelling: next(iter(ucums)) for spelling, ucums in seen.items() if len(ucums) == 1}


_UCUM_ANY_CASE: Final = _case_free(_UCUM)


# Reports repeat a few dozen spellings; caching them keeps a 60-result report within budget.
@lru_cache(maxsize=1024)
def to_ucum(printed: str | None) -> str | None:
    """The UCUM code of a printed unit (``mg/dl`` → ``mg/dL``, ``K/uL`` → ``10*3/uL``), or ``None``."""
    if not printed or not printed.strip():
        return None
    spelling = normalise_unit(printed)
    return _UCUM.get(spelling) or _UCUM_ANY_CASE.get(spelling.lower())
