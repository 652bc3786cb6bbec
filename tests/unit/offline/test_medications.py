"""Medication tables and sig lines."""

from __future__ import annotations

from lib.offline.facts import Findings
from lib.offline.medications import read_medications
from lib.offline.reading import sections
from tests.unit.offline.builders import document, heading, page, table


def meds(*items: object) -> list[tuple[str, str | None, str | None, str | None]]:
    findings = Findings()
    read_medications(sections(document(page(*items))), findings)  # type: ignore[arg-type]
    return [(m.entry.name, m.entry.dose, m.entry.route, m.entry.frequency) for m in findings.medications]


def test_a_table_in_any_column_order() -> None:
    rows = meds(
        table(
            [
                ["Frequency", "Dose", "Route", "Medication"],
                ["q6h PRN pain", "650 mg", "by mouth", "Acetaminophen"],
                ["QHS", "20 units", "SC", "Insulin glargine"],
            ]
        )
    )

    assert rows == [
        ("Acetaminophen", "650 mg", "oral", "every 6 hours as needed"),
        ("Insulin glargine", "20 units", "subcutaneous", "at bedtime"),
    ]


def test_sig_lines_in_a_medication_section() -> None:
    rows = meds(
        heading("Discharge Medications"),
        "1. Metformin 500 mg PO BID",
        "2. Albuterol HFA 90 mcg/actuation 2 puffs inhaled q4h PRN wheeze",
        "3. Enoxaparin 40 mg SC daily",
    )

    assert rows == [
        ("Metformin", "500 mg", "oral", "twice daily"),
        ("Albuterol HFA", "90 mcg/actuation", "inhaled", "every 4 hours as needed"),
        ("Enoxaparin", "40 mg", "subcutaneous", "once daily"),
    ]


def test_a_line_of_directions_belongs_to_the_drug_line_above_it() -> None:
    rows = meds(
        heading("Your Medication List"),
        "lisinopril 20 MG tablet",
        "Take 1 tablet (20 mg total) by mouth daily.",
        "atorvastatin (LIPITOR) 40 MG tablet",
        "Take 1 tablet (40 mg total) by mouth nightly.",
    )

    assert rows == [
        ("lisinopril", "20 MG", "oral", "once daily"),
        ("atorvastatin (LIPITOR)", "40 MG", "oral", "at bedtime"),
    ]


def test_a_unit_ocr_set_apart_goes_back_and_the_next_entry_stays_its_own() -> None:
    rows = meds(
        heading("Your medications"),
        "* Albuterol HFA 90 2 puffs inhaled q4h PRN wheeze",
        "mcg/actuation",
        "Acetaminophen 650mg oral q6h PRN pain",
    )

    assert rows == [
        ("Albuterol HFA", "90 mcg/actuation", "inhaled", "every 4 hours as needed"),
        ("Acetaminophen", "650 mg", "oral", "every 6 hours as needed"),
    ]


def test_an_inline_list_splits_at_semicolons() -> None:
    rows = meds("Medications: Lisinopril 10 mg daily; Atorvastatin 40 mg QHS")

    assert [row[:2] for row in rows] == [("Lisinopril", "10 mg"), ("Atorvastatin", "40 mg")]


def test_lines_outside_a_medication_section_are_not_medications() -> None:
    rows = meds(heading("Hospital Course"), "Started on metformin 500 mg BID with good effect.")

    assert rows == []


def test_none_and_allergy_lines_are_not_medications() -> None:
    rows = meds(heading("Home Medications"), "None", "NKDA")

    assert rows == []


def test_an_inline_list_splits_at_commas_only_between_whole_medications() -> None:
    rows = meds("Current medications: lisinopril 10 mg daily, metformin 500 mg BID and aspirin 81 mg daily.")

    assert [row[:2] for row in rows] == [
        ("lisinopril", "10 mg"),
        ("metformin", "500 mg"),
        ("aspirin", "81 mg"),
    ]


def test_a_comma_inside_one_medication_does_not_split_it() -> None:
    rows = meds(heading("Medications"), "Albuterol, 90 mcg inhaled q4h PRN")

    assert [row[:2] for row in rows] == [("Albuterol", "90 mcg")]


def test_an_item_whose_list_marker_was_lost_is_still_an_item_of_its_own() -> None:
    rows = meds(
        heading("Discharge Medications"),
        "1. Aspirin 81 mg oral QD",
        "Amlodipine 5 mg PO QD",
        "3. Heparin 5000 units SC q8h",
        "for 5 days",
    )

    assert [(name, dose) for name, dose, _, _ in rows] == [
        ("Aspirin", "81 mg"),
        ("Amlodipine", "5 mg"),
        ("Heparin", "5000 units"),
    ]
