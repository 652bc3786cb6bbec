"""Diagnoses: section headings, list items, ICD-10-CM codes, assertion per item."""

from __future__ import annotations

import pytest

from lib.extraction.assertion import Assertion
from lib.extraction.diagnoses import (
    DiagnosisItem,
    DiagnosisSection,
    extract_code,
    read_diagnosis,
    section_for_heading,
    split_items,
)


@pytest.mark.parametrize(
    ("heading", "section"),
    [
        ("Diagnosis:", DiagnosisSection.DIAGNOSIS),
        ("DIAGNOSES", DiagnosisSection.DIAGNOSIS),
        ("Final Diagnosis", DiagnosisSection.DIAGNOSIS),
        ("Discharge Diagnoses:", DiagnosisSection.DIAGNOSIS),
        ("Principal Diagnosis", DiagnosisSection.DIAGNOSIS),
        ("Admitting Dx:", DiagnosisSection.DIAGNOSIS),
        ("Diagnosis (ICD-10)", DiagnosisSection.DIAGNOSIS),
        ("Today's Diagnoses", DiagnosisSection.DIAGNOSIS),
        ("Visit Diagnoses:", DiagnosisSection.DIAGNOSIS),
        ("Assessment", DiagnosisSection.ASSESSMENT),
        ("Assessment and Plan:", DiagnosisSection.ASSESSMENT),
        ("A/P", DiagnosisSection.ASSESSMENT),
        ("IMPRESSION:", DiagnosisSection.IMPRESSION),
        ("Conclusion", DiagnosisSection.IMPRESSION),
        ("Indication:", DiagnosisSection.INDICATION),
        ("Clinical Indication", DiagnosisSection.INDICATION),
        ("Problem List", DiagnosisSection.PROBLEM_LIST),
        ("Active Problems:", DiagnosisSection.PROBLEM_LIST),
        ("Clinical History:", DiagnosisSection.HISTORY),
        ("Past Medical History", DiagnosisSection.HISTORY),
        ("PMH:", DiagnosisSection.HISTORY),
        ("Diagnoses (continued)", DiagnosisSection.DIAGNOSIS),
        ("Medications", None),
        ("Plan", None),
        ("Diagnosis of diabetes was made in 2010", None),
    ],
)
def test_section_for_heading(heading: str, section: DiagnosisSection | None) -> None:
    assert section_for_heading(heading) is section


def test_split_numbered_items_and_join_wrapped_lines() -> None:
    lines = [
        "1. Type 2 diabetes mellitus (E11.9)",
        "2. Chronic kidney disease, stage 3a,",
        "   due to hypertension (N18.31)",
        "3) Hyperlipidemia",
    ]
    assert split_items(lines) == [
        "Type 2 diabetes mellitus (E11.9)",
        "Chronic kidney disease, stage 3a, due to hypertension (N18.31)",
        "Hyperlipidemia",
    ]


def test_an_unmarked_line_the_caller_calls_whole_is_an_item_when_the_one_above_is_too() -> None:
    lines = ["1. Aspirin 81 mg daily", "Amlodipine 5 mg daily", "with food", "3. Heparin 5000 units"]

    def whole(text: str) -> bool:
        return " mg " in f"{text} " or text.endswith("units")

    assert split_items(lines, whole=whole) == [
        "Aspirin 81 mg daily",
        "Amlodipine 5 mg daily with food",
        "Heparin 5000 units",
    ]
    assert split_items(lines) == ["Aspirin 81 mg daily Amlodipine 5 mg daily with food", "Heparin 5000 units"]


@pytest.mark.parametrize(
    "lines",
    [
        ["- Hypertension", "- Asthma"],
        ["* Hypertension", "* Asthma"],
        ["\u2022 Hypertension", "\u2022 Asthma"],
        ["a) Hypertension", "b) Asthma"],
        ["(1) Hypertension", "(2) Asthma"],
    ],
)
def test_split_bullets_and_letters(lines: list[str]) -> None:
    assert split_items(lines) == ["Hypertension", "Asthma"]


def test_a_line_after_an_item_closed_by_its_code_is_not_joined_to_it() -> None:
    lines = [
        "1. Type 2 diabetes mellitus with hyperglycemia (E11.65)",
        "No evidence of pulmonary embolism.",
        "2. Chronic kidney disease (N18.3)",
        "due to hypertension",
    ]
    assert split_items(lines) == [
        "Type 2 diabetes mellitus with hyperglycemia (E11.65)",
        "No evidence of pulmonary embolism.",
        "Chronic kidney disease (N18.3) due to hypertension",
    ]


def test_lines_without_markers_are_one_item_each() -> None:
    assert split_items(["Hypertension", "", "Asthma"]) == ["Hypertension", "Asthma"]


@pytest.mark.parametrize(
    ("item", "description", "code"),
    [
        ("Type 2 diabetes mellitus (E11.9)", "Type 2 diabetes mellitus", "E11.9"),
        ("Essential hypertension [I10]", "Essential hypertension", "I10"),
        ("CKD stage 3a (ICD-10: N18.31)", "CKD stage 3a", "N18.31"),
        ("Hip fracture, ICD-10-CM S72.001A, right", "Hip fracture, right", "S72.001A"),
        ("E11.9 - Type 2 diabetes mellitus", "Type 2 diabetes mellitus", "E11.9"),
        ("I10: Hypertension", "Hypertension", "I10"),
        (
            "N18.30 Chronic kidney disease stage 3 unspecified",
            "Chronic kidney disease stage 3 unspecified",
            "N18.30",
        ),
        ("Type 2 diabetes mellitus - E11.9", "Type 2 diabetes mellitus", "E11.9"),
        ("COVID-19 (U07.1)", "COVID-19", "U07.1"),
        ("Vitamin B12 deficiency", "Vitamin B12 deficiency", None),
        ("B12 deficiency anemia", "B12 deficiency anemia", None),
        ("Hypertension", "Hypertension", None),
    ],
)
def test_extract_code(item: str, description: str, code: str | None) -> None:
    assert extract_code(item) == (description, code)


@pytest.mark.parametrize(
    ("item", "assertion"),
    [
        ("Type 2 diabetes mellitus (E11.9)", Assertion.PRESENT),
        ("No evidence of pneumonia", Assertion.NEGATED),
        ("Rule out pulmonary embolism (I26.99)", Assertion.POSSIBLE),
        ("History of MI (I25.2)", Assertion.HISTORICAL),
        ("Family history of breast cancer (Z80.3)", Assertion.FAMILY),
    ],
)
def test_read_diagnosis_asserts_each_item(item: str, assertion: Assertion) -> None:
    read = read_diagnosis(item)
    assert read is not None
    assert read.assertion is assertion


def test_read_diagnosis_keeps_text_code_and_cues() -> None:
    assert read_diagnosis("Possible early appendicitis (K35.80)") == DiagnosisItem(
        text="Possible early appendicitis (K35.80)",
        description="Possible early appendicitis",
        code="K35.80",
        assertion=Assertion.POSSIBLE,
        cues=("Possible",),
    )


def test_history_section_makes_plain_items_historical() -> None:
    read = read_diagnosis("Asthma", DiagnosisSection.HISTORY)
    assert read is not None
    assert read.assertion is Assertion.HISTORICAL
    negated = read_diagnosis("No asthma", DiagnosisSection.HISTORY)
    assert negated is not None
    assert negated.assertion is Assertion.NEGATED


@pytest.mark.parametrize("item", ["None", "N/A", "(E11.9)", "-"])
def test_items_without_a_description(item: str) -> None:
    assert read_diagnosis(item) is None


@pytest.mark.parametrize(
    ("item", "description"),
    [
        ("Essential hypertension - Primary", "Essential hypertension"),
        (
            "Type 2 diabetes mellitus without complication (HCC)",
            "Type 2 diabetes mellitus without complication",
        ),
        ("Chronic kidney disease, stage 3a (CMS/HCC) (N18.31)", "Chronic kidney disease, stage 3a"),
        ("Primary hyperparathyroidism", "Primary hyperparathyroidism"),
        (
            "Secondary malignant neoplasm of liver - secondary",
            "Secondary malignant neoplasm of liver - secondary",
        ),
        ("Hypertension, primary", "Hypertension, primary"),
    ],
)
def test_a_visit_rank_or_risk_category_is_not_part_of_the_description(item: str, description: str) -> None:
    read = read_diagnosis(item)
    assert read is not None and read.description == description
