"""ICD-10-CM: the written form, the code set, and loading it lazily, once, from any thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lib.checks.diagnoses import check_diagnosis
from lib.checks.icd10 import ICD10_CM_RELEASE, lookup, normalise_code
from lib.domain.report_schema import Diagnosis

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("E11.9", "E11.9"),
        ("e11.9", "E11.9"),
        ("E119", "E11.9"),
        (" e 11.9 ", "E11.9"),
        ("[E11.9]", "E11.9"),
        ("(I10)", "I10"),
        ("ICD-10: E11.65", "E11.65"),
        ("ICD-10-CM E78.5", "E78.5"),
        ("E11.", "E11"),
        ("s72001a", "S72.001A"),
        ("C84Z0", "C84.Z0"),
        ("O24.4", "O24.4"),
    ],
)
def test_codes_are_read_liberally(written: str, expected: str) -> None:
    assert normalise_code(written) == expected


@pytest.mark.parametrize(
    "written", ["", "see above", "E11.9, I10", "024.4", "12", "A00-A09", "E1", "E11.12345"]
)
def test_what_is_not_one_code_is_not_normalised(written: str) -> None:
    assert normalise_code(written) is None


def test_lookup_gives_the_official_description_and_billability() -> None:
    leaf = lookup("E11.9")
    assert leaf is not None
    assert leaf.description == "Type 2 diabetes mellitus without complications"
    assert leaf.billable
    category = lookup("E11")
    assert category is not None
    assert not category.billable
    assert lookup("Z99.999") is None


def test_the_release_is_stated() -> None:
    assert "April 2026" in ICD10_CM_RELEASE
    assert "1.5.0" in ICD10_CM_RELEASE


def test_a_valid_billable_code_gets_its_description_and_no_warning() -> None:
    checked, warnings = check_diagnosis(0, Diagnosis(description="type 2 diabetes", code="e119"))
    assert (checked.code, checked.code_description) == (
        "E11.9",
        "Type 2 diabetes mellitus without complications",
    )
    assert warnings == []


def test_a_category_is_valid_but_not_billable() -> None:
    checked, warnings = check_diagnosis(2, Diagnosis(description="type 2 diabetes", code="E11"))
    assert checked.code_description == "Type 2 diabetes mellitus"
    assert [(w.code, w.path) for w in warnings] == [("icd10_not_billable", "/diagnosis_details/2/code")]


def test_a_code_outside_the_code_set_is_invalid_and_loses_any_description() -> None:
    made_up = Diagnosis(description="x", code="z99999", code_description="A model's own wording")
    checked, warnings = check_diagnosis(1, made_up)
    assert (checked.code, checked.code_description) == ("Z99.999", None)
    assert [(w.code, w.path) for w in warnings] == [("icd10_invalid", "/diagnosis_details/1/code")]


def test_text_that_is_no_code_is_kept_as_printed_and_flagged() -> None:
    checked, warnings = check_diagnosis(0, Diagnosis(description="x", code="see above"))
    assert checked.code == "see above"
    assert [w.code for w in warnings] == ["icd10_invalid"]


def test_a_model_description_is_replaced_by_the_official_one() -> None:
    checked, _ = check_diagnosis(
        0, Diagnosis(description="htn", code="I10", code_description="High blood pressure")
    )
    assert checked.code_description == "Essential (primary) hypertension"


def test_no_code_means_no_warning_and_no_description() -> None:
    checked, warnings = check_diagnosis(0, Diagnosis(description="x", code_description="invented"))
    assert checked.code_description is None
    assert warnings == []


def test_the_code_set_loads_lazily_once_and_safely_from_many_threads() -> None:
    script = textwrap.dedent(
        """
        import sys, threading
        import lib.checks
        from lib.checks.icd10 import lookup
        assert "simple_icd_10_cm" not in sys.modules, "loaded at import time"
        results, errors = [], []
        def work():
            try:
                results.append(lookup("E11.9"))
            except Exception as exc:
                errors.append(exc)
        threads = [threading.Thread(target=work) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert not errors, errors
        assert len(results) == 8 and len(set(results)) == 1 and results[0].billable
        """
    )
    completed = subprocess.run(
        [sys.executable, "-W", "error", "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
