"""Every warning code the checking layer emits, and what it means to a client.

:data:`WARNING_CODES` is public: the README renders it as the table of codes a
client may find in ``parsed_data.warnings``. Messages never quote the report;
the ``path`` (an RFC 6901 JSON Pointer) says which field to look at.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "DATE_ORDER",
    "DUPLICATE_RESULT",
    "FLAG_MISMATCH",
    "ICD10_INVALID",
    "ICD10_NOT_BILLABLE",
    "IMPLAUSIBLE_VALUE",
    "WARNING_CODES",
]

ICD10_INVALID: Final = "icd10_invalid"
ICD10_NOT_BILLABLE: Final = "icd10_not_billable"
IMPLAUSIBLE_VALUE: Final = "implausible_value"
FLAG_MISMATCH: Final = "flag_mismatch"
DATE_ORDER: Final = "date_order"
DUPLICATE_RESULT: Final = "duplicate_result"

WARNING_CODES: Final[dict[str, str]] = {
    ICD10_INVALID: (
        "A diagnosis code is not written as an ICD-10-CM code, or is not in the ICD-10-CM code set "
        "(CDC April 2026 release). It may be a misread, a WHO ICD-10 code, or another code system."
    ),
    ICD10_NOT_BILLABLE: (
        "A diagnosis code is a valid ICD-10-CM category or subcategory but not a billable code: "
        "it has more specific codes below it."
    ),
    IMPLAUSIBLE_VALUE: (
        "A lab value is outside what is physiologically possible for that test, or its unit is not "
        "one the test is reported in: most likely a misread value, decimal point or unit."
    ),
    FLAG_MISMATCH: (
        "The flag printed with a lab value (high, low, normal, abnormal, critical) disagrees with "
        "the reference range printed beside it."
    ),
    DATE_ORDER: (
        "The patient's date of birth is after the report date, or would make the patient older "
        "than 120 years at the report date."
    ),
    DUPLICATE_RESULT: (
        "The same lab test is reported more than once in the same unit; the message says whether "
        "the values agree. The path points at the later result."
    ),
}
