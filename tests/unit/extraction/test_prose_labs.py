"""Lab results inside sentences: a known test, joining words, a value, a unit the test is reported in."""

from __future__ import annotations

import pytest

from lib.domain.report_schema import LabFlag
from lib.extraction.prose_labs import find_prose_results


def results(text: str) -> list[tuple[str, str | None, str | None, str | None, LabFlag | None, str]]:
    return [
        (
            found.reading.test,
            found.reading.value,
            found.reading.unit,
            found.reading.reference_range.text if found.reading.reference_range else None,
            found.reading.flag,
            text[found.start : found.end],
        )
        for found in find_prose_results(text)
    ]


def test_several_results_in_one_sentence_each_with_its_flag() -> None:
    text = "Potassium 5.9 mmol/L, high, and sodium 138 mmol/L."

    assert results(text) == [
        ("Potassium", "5.9", "mmol/L", None, LabFlag.HIGH, "Potassium 5.9 mmol/L, high"),
        ("sodium", "138", "mmol/L", None, None, "sodium 138 mmol/L"),
    ]


def test_joining_words_a_bracketed_range_and_a_comparator() -> None:
    text = "On admission her creatinine was 1.46 mg/dL (ref 0.6-1.3) and troponin I <0.01 ng/mL."

    assert results(text) == [
        ("creatinine", "1.46", "mg/dL", "0.6-1.3", None, "creatinine was 1.46 mg/dL (ref 0.6-1.3)"),
        ("troponin I", "<0.01", "ng/mL", None, None, "troponin I <0.01 ng/mL"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Started metformin 500 mg twice daily.",  # a drug is not a test
        "Continue vitamin D 1000 units daily.",  # a dose: vitamin D is not measured in units
        "BP 142/88 mmHg, HR 88 bpm.",  # vitals
        "Potassium was not checked.",  # no value
        "Glucose 5.4",  # no unit
    ],
)
def test_what_is_not_a_result(text: str) -> None:
    assert results(text) == []
