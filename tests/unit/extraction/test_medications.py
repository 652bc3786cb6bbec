"""Medications: sig lines and table rows, route and frequency normalised, printed forms kept."""

from __future__ import annotations

import pytest

from lib.extraction.medications import (
    MedColumn,
    MedicationEntry,
    classify_medication_header,
    parse_sig,
    read_medication_row,
)


@pytest.mark.parametrize(
    ("sig", "name", "dose", "route", "frequency"),
    [
        ("Metformin 500 mg PO BID", "Metformin", "500 mg", "oral", "twice daily"),
        ("Lisinopril 10mg by mouth daily", "Lisinopril", "10 mg", "oral", "once daily"),
        ("Insulin glargine 20 units SC QHS", "Insulin glargine", "20 units", "subcutaneous", "at bedtime"),
        (
            "Albuterol 90 mcg/actuation 2 puffs inhaled q4h PRN wheeze",
            "Albuterol",
            "90 mcg/actuation",
            "inhaled",
            "every 4 hours as needed",
        ),
        ("Atorvastatin 40 mg tablet, take 1 tablet at bedtime", "Atorvastatin", "40 mg", None, "at bedtime"),
        (
            "Acetaminophen 500 mg 1-2 tabs PO q4-6h prn pain",
            "Acetaminophen",
            "500 mg",
            "oral",
            "every 4-6 hours as needed",
        ),
        ("Methotrexate 15 mg PO weekly", "Methotrexate", "15 mg", "oral", "weekly"),
        ("Methotrexate 15 mg by mouth once a week", "Methotrexate", "15 mg", "oral", "weekly"),
        ("Ceftriaxone 1 g IV q24h", "Ceftriaxone", "1 g", "intravenous", "every 24 hours"),
        (
            "Nitroglycerin 0.4 mg SL q5min PRN chest pain",
            "Nitroglycerin",
            "0.4 mg",
            "sublingual",
            "every 5 minutes as needed",
        ),
        (
            "Fentanyl 25 mcg/hr patch transdermal every 72 hours",
            "Fentanyl",
            "25 mcg/hr",
            "transdermal",
            "every 72 hours",
        ),
        ("Timolol 0.5% 1 drop in each eye twice daily", "Timolol", "0.5%", "ophthalmic", "twice daily"),
        ("Ciprofloxacin otic 4 drops in the left ear BID", "Ciprofloxacin", None, "otic", "twice daily"),
        ("Fluticasone 50 mcg 2 sprays in each nostril daily", "Fluticasone", "50 mcg", "nasal", "once daily"),
        ("Ceftriaxone 1 g IM once", "Ceftriaxone", "1 g", "intramuscular", "once"),
        (
            "Hydrocortisone 1% cream apply to affected area TID",
            "Hydrocortisone",
            "1%",
            "topical",
            "three times daily",
        ),
        ("Bisacodyl 10 mg PR daily as needed", "Bisacodyl", "10 mg", "rectal", "once daily as needed"),
        (
            "Ondansetron 4 mg orally every 8 hours as needed for nausea",
            "Ondansetron",
            "4 mg",
            "oral",
            "every 8 hours as needed",
        ),
        ("Omeprazole 20 mg p.o. q.d.", "Omeprazole", "20 mg", "oral", "once daily"),
        ("Prednisone 5 mg PO QID", "Prednisone", "5 mg", "oral", "four times daily"),
        ("Warfarin 5 mg every other day", "Warfarin", "5 mg", None, "every other day"),
        ("Simvastatin 20 mg daily at bedtime", "Simvastatin", "20 mg", None, "at bedtime"),
        ("Aspirin 81 mg", "Aspirin", "81 mg", None, None),
        ("Vitamin D3 1000 IU daily", "Vitamin D3", "1000 IU", None, "once daily"),
        (
            "metFORMIN 500 MG tablet Take 1 tablet (500 mg total) by mouth 2 (two) times daily with meals.",
            "metFORMIN",
            "500 MG",
            "oral",
            "twice daily",
        ),
        ("Prednisone 10 mg by mouth 3 times daily", "Prednisone", "10 mg", "oral", "three times daily"),
        (
            "Vitamin D 50,000 units PO three times a week",
            "Vitamin D",
            "50,000 units",
            "oral",
            "three times weekly",
        ),
        ("Cyanocobalamin 1000 mcg IM monthly", "Cyanocobalamin", "1000 mcg", "intramuscular", "monthly"),
        (
            "Fluticasone 50 mcg/spray 2 sprays each nostril daily",
            "Fluticasone",
            "50 mcg/spray",
            "nasal",
            "once daily",
        ),
        (
            "albuterol 108 (90 Base) MCG/ACT inhaler Inhale 2 puffs into the lungs every 6 (six) hours as needed",
            "albuterol",
            "108 MCG/ACT",
            "inhaled",
            "every 6 hours as needed",
        ),
    ],
)
def test_parse_sig(sig: str, name: str, dose: str | None, route: str | None, frequency: str | None) -> None:
    entry = parse_sig(sig)
    assert entry is not None
    assert (entry.name, entry.dose, entry.route, entry.frequency) == (name, dose, route, frequency)
    assert entry.sig == sig


def test_printed_forms_are_kept() -> None:
    entry = parse_sig("Albuterol 90 mcg/actuation 2 puffs inhaled q4h PRN wheeze")
    assert entry == MedicationEntry(
        name="Albuterol",
        dose="90 mcg/actuation",
        quantity="2 puffs",
        form="puffs",
        route="inhaled",
        route_text="inhaled",
        frequency="every 4 hours as needed",
        frequency_text="q4h PRN",
        as_needed_for="wheeze",
        sig="Albuterol 90 mcg/actuation 2 puffs inhaled q4h PRN wheeze",
    )


@pytest.mark.parametrize("sig", ["", "None", "No known medications", "NKDA", "500 mg PO BID"])
def test_lines_without_a_medication(sig: str) -> None:
    assert parse_sig(sig) is None


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        (
            ["Medication", "Dose", "Route", "Frequency", "Start Date"],
            (MedColumn.NAME, MedColumn.DOSE, MedColumn.ROUTE, MedColumn.FREQUENCY, MedColumn.OTHER),
        ),
        (["Sig", "Drug Name", "Strength"], (MedColumn.SIG, MedColumn.NAME, MedColumn.DOSE)),
        (["Directions", "Medicine", "Refills"], (MedColumn.SIG, MedColumn.NAME, MedColumn.OTHER)),
    ],
)
def test_classify_medication_header(header: list[str], columns: tuple[MedColumn, ...]) -> None:
    assert classify_medication_header(header) == columns


def test_row_with_columns_in_any_order() -> None:
    columns = classify_medication_header(["Frequency", "Route", "Dose", "Drug", "Prescriber"])
    entry = read_medication_row(["BID", "PO", "500 mg", "Metformin", "Dr Lee"], columns)
    assert entry is not None
    assert (entry.name, entry.dose, entry.route, entry.route_text, entry.frequency, entry.frequency_text) == (
        "Metformin",
        "500 mg",
        "oral",
        "PO",
        "twice daily",
        "BID",
    )


def test_row_reads_directions_for_what_columns_lack() -> None:
    columns = classify_medication_header(["Drug", "Strength", "Directions"])
    entry = read_medication_row(["Lisinopril 10 mg tablet", "10 mg", "Take 1 tablet by mouth daily"], columns)
    assert entry is not None
    assert (entry.name, entry.dose, entry.route, entry.frequency, entry.quantity) == (
        "Lisinopril",
        "10 mg",
        "oral",
        "once daily",
        "1 tablet",
    )


def test_row_without_columns_is_read_as_one_sig() -> None:
    entry = read_medication_row(["Metformin", "500 mg", "PO", "BID"])
    assert entry is not None
    assert (entry.name, entry.dose, entry.route, entry.frequency) == (
        "Metformin",
        "500 mg",
        "oral",
        "twice daily",
    )


def test_empty_row() -> None:
    assert read_medication_row(["", ""], (MedColumn.NAME, MedColumn.DOSE)) is None
