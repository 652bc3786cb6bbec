"""Assertion (ConText): the shared phrase table, scopes, default targets, no logging of text."""

from __future__ import annotations

import logging

import pytest

from lib.extraction.assertion import Assertion, assertion_of, tokens
from tests.unit.extraction.assertion_cases import CASES


@pytest.mark.parametrize(("text", "target", "expected"), CASES)
def test_case_table(text: str, target: str, expected: str) -> None:
    assert assertion_of(text, target).assertion.value == expected


def test_the_table_is_large_enough_to_mean_something() -> None:
    assert len(CASES) >= 40
    assert {expected for _, _, expected in CASES} == {a.value for a in Assertion}


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        ("History of lung cancer in father", "lung cancer", Assertion.FAMILY),
        ("Breast cancer in maternal aunt", "Breast cancer", Assertion.FAMILY),
        ("Colon cancer (paternal grandfather)", "Colon cancer", Assertion.FAMILY),
        ("Diabetes in both parents", "Diabetes", Assertion.FAMILY),
        ("Pneumonia in the right lower lobe", "Pneumonia", Assertion.PRESENT),
        ("Diabetes in pregnancy", "Diabetes", Assertion.PRESENT),
        ("Asthma in child, well controlled", "Asthma", Assertion.PRESENT),  # a paediatric patient
    ],
)
def test_a_relative_named_after_the_finding_makes_it_family_history(
    text: str, target: str, expected: Assertion
) -> None:
    assert assertion_of(text, target).assertion is expected


def test_cues_and_span_are_reported() -> None:
    result = assertion_of("No evidence of pneumonia", "pneumonia")
    assert result.cues == ("No evidence of",)
    assert result.target == (15, 24)


def test_terminating_word_ends_the_scope() -> None:
    text = "No fever but productive cough"
    assert assertion_of(text, "fever").assertion is Assertion.NEGATED
    assert assertion_of(text, "productive cough").assertion is Assertion.PRESENT


def test_scope_ends_at_the_sentence() -> None:
    text = "No fever. Pneumonia in the right lower lobe."
    assert assertion_of(text, "Pneumonia").assertion is Assertion.PRESENT


def test_line_break_ends_the_sentence() -> None:
    text = "Denies chest pain\nAtrial fibrillation"
    assert assertion_of(text, "Atrial fibrillation").assertion is Assertion.PRESENT


def test_longer_trigger_wins_over_the_one_inside_it() -> None:
    assert assertion_of("No history of stroke", "stroke").assertion is Assertion.NEGATED


def test_pseudo_trigger_shields_its_words() -> None:
    assert assertion_of("Gram negative bacteremia", "bacteremia").assertion is Assertion.PRESENT
    assert (
        assertion_of("No change in the pulmonary nodule", "pulmonary nodule").assertion is Assertion.PRESENT
    )


def test_a_span_target() -> None:
    assert assertion_of("Rule out PE", (9, 11)).assertion is Assertion.POSSIBLE


def test_a_target_not_in_the_text_is_an_error() -> None:
    with pytest.raises(ValueError, match="not in text"):
        assertion_of("No fever", "cough")


@pytest.mark.parametrize(
    ("text", "mention", "expected"),
    [
        ("The patient was not febrile", "febrile", Assertion.NEGATED),
        ("No evidence of pneumonia", "pneumonia", Assertion.NEGATED),
        ("Family history: mother had ovarian cancer", "ovarian cancer", Assertion.FAMILY),
        ("Findings suggestive of pneumonia", "pneumonia", Assertion.POSSIBLE),
        ("Diabetes: no", "Diabetes", Assertion.NEGATED),
        ("Hypertension", "Hypertension", Assertion.PRESENT),
    ],
)
def test_default_target_is_the_first_content_run(text: str, mention: str, expected: Assertion) -> None:
    result = assertion_of(text)
    assert text[result.target[0] : result.target[1]].endswith(mention)
    assert result.assertion is expected


def test_empty_text_is_present_with_no_target() -> None:
    assert assertion_of("").assertion is Assertion.PRESENT


def test_tokens_keep_clinical_abbreviations_whole() -> None:
    assert [word for word, _, _ in tokens("s/p CABG, h/o MI; can't r/o PE 5.1")] == [
        "s/p", "cabg", ",", "h/o", "mi", ";", "can", "n't", "r/o", "pe", "5.1",
    ]  # fmt: skip


def test_no_patient_text_reaches_the_logs(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    assertion_of("Chiara Novak denies chest pain", "chest pain")
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "Novak" not in logged
    assert "chest" not in logged
