"""Medication ``route`` and ``frequency`` in the vocabulary of :mod:`lib.extraction.medications`.

A parser may give either field in any words ("by mouth", "PO", "BID", "q6h prn");
the same rules that read printed sigs map them to the vocabulary ("oral", "twice
daily", "every 6 hours as needed"). A value the rules do not recognise stays as it
is. When a field changes and the medication has no ``sig``, the words it had are
kept in ``sig`` (with the dose), so what the report said is not lost.
"""

from __future__ import annotations

from typing import Final

from lib.domain.report_schema import Medication
from lib.extraction.medications import MedicationEntry, parse_sig

__all__ = ["normalise_medication"]

# parse_sig reads whole medication lines and needs a name before the directions; this
# neutral one contains no route, frequency or dose words, so only the field's words count.
_PLACEHOLDER_NAME: Final = "medication"


def _read(text: str) -> MedicationEntry | None:
    return parse_sig(f"{_PLACEHOLDER_NAME} {text}")


def normalise_medication(medication: Medication) -> Medication:
    """The medication with ``route`` and ``frequency`` normalised where the rules recognise them."""
    route, frequency = medication.route, medication.frequency
    if route and route.strip() and (entry := _read(route)) and entry.route:
        route = entry.route
    if frequency and frequency.strip() and (entry := _read(frequency)) and entry.frequency:
        frequency = entry.frequency
    if (route, frequency) == (medication.route, medication.frequency):
        return medication
    sig = medication.sig
    if not (sig and sig.strip()):
        printed = (medication.dose, medication.route, medication.frequency)
        sig = " ".join(part.strip() for part in printed if part and part.strip())
    return medication.model_copy(update={"route": route, "frequency": frequency, "sig": sig})
