"""Medication route and frequency in the extraction rules' vocabulary."""

from __future__ import annotations

import pytest

from lib.checks.medications import normalise_medication
from lib.domain.report_schema import Medication

ROUTES = [
    "oral",
    "sublingual",
    "intravenous",
    "intramuscular",
    "subcutaneous",
    "inhaled",
    "topical",
    "transdermal",
    "rectal",
    "ophthalmic",
    "otic",
    "nasal",
]
FREQUENCIES = [
    "once daily",
    "twice daily",
    "three times daily",
    "four times daily",
    "every 15 minutes",
    "every 6 hours",
    "every 4-6 hours",
    "every 3 days",
    "every 2 weeks",
    "every other day",
    "at bedtime",
    "weekly",
    "once",
    "as needed",
    "every 4 hours as needed",
]


@pytest.mark.parametrize(
    ("route", "frequency", "expected"),
    [
        ("by mouth", "BID", ("oral", "twice daily")),
        ("PO", "q6h prn", ("oral", "every 6 hours as needed")),
        ("IV", "daily", ("intravenous", "once daily")),
        ("SC", "QHS", ("subcutaneous", "at bedtime")),
        ("via nebulizer", "every 4-6 hours as needed", ("inhaled", "every 4-6 hours as needed")),
    ],
)
def test_free_text_is_normalised(route: str, frequency: str, expected: tuple[str, str]) -> None:
    checked = normalise_medication(Medication(name="x", route=route, frequency=frequency))
    assert (checked.route, checked.frequency) == expected


def test_unknown_words_stay_as_they_are() -> None:
    medication = Medication(name="x", route="per G-tube", frequency="1-0-1")
    assert normalise_medication(medication) == medication


@pytest.mark.parametrize("route", ROUTES)
def test_every_route_of_the_vocabulary_stays_itself(route: str) -> None:
    assert normalise_medication(Medication(name="x", route=route)).route == route


@pytest.mark.parametrize("frequency", FREQUENCIES)
def test_every_frequency_of_the_vocabulary_stays_itself(frequency: str) -> None:
    assert normalise_medication(Medication(name="x", frequency=frequency)).frequency == frequency


def test_the_words_given_are_kept_in_an_empty_sig() -> None:
    checked = normalise_medication(Medication(name="Metformin", dose="500 mg", route="PO", frequency="BID"))
    assert checked.sig == "500 mg PO BID"


def test_a_printed_sig_is_never_replaced() -> None:
    checked = normalise_medication(
        Medication(name="Metformin", route="PO", sig="Metformin 500 mg PO BID with meals")
    )
    assert (checked.route, checked.sig) == ("oral", "Metformin 500 mg PO BID with meals")


def test_nothing_changes_when_nothing_needs_normalising() -> None:
    medication = Medication(name="Metformin", route="oral", frequency="twice daily")
    assert normalise_medication(medication).sig is None
