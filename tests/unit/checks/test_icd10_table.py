"""The committed ICD-10-CM table is exactly what ``tools.icd10_table`` derives from the library."""

from __future__ import annotations

from lib.checks.icd10 import TABLE_PATH, lookup
from tools.icd10_table import table_bytes


def test_the_committed_table_is_the_one_the_tool_writes_from_the_library() -> None:
    assert TABLE_PATH.read_bytes() == table_bytes()


def test_the_table_answers_like_the_code_set() -> None:
    leaf, category = lookup("E11.9"), lookup("E11")

    assert (
        leaf is not None
        and leaf.billable
        and leaf.description == "Type 2 diabetes mellitus without complications"
    )
    assert category is not None and not category.billable
    assert lookup("E11.99") is None
    assert lookup("S72.001A") is not None  # seventh-character codes are there
