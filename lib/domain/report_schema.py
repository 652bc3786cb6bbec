"""The ``parsed_data`` schema: what every parser returns and what clients receive.

The guide fixes two top-level fields, ``patient_name`` and ``diagnosis`` (a list
of strings); everything else adds detail. Every field is optional except
``diagnosis``, which may be empty. ``page`` fields are 1-based page numbers
counted across all files of a report, in upload order, where the parser knows them.

:class:`ReportContent` is also the ``response_schema`` sent to Gemini and the
validator of its answer, so it sticks to what Gemini's schema subset expresses:
strings, numbers, lists, nested objects, enums, nullable values. Warnings are ours,
never the model's: :class:`ParsedReport` adds them.
"""

from __future__ import annotations

from enum import Enum

from pydantic import BaseModel, ConfigDict, Field


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Sex(str, Enum):
    """Sex as stated in the report."""

    FEMALE = "female"
    MALE = "male"
    OTHER = "other"
    UNKNOWN = "unknown"


class LabFlag(str, Enum):
    """How a lab value compares to its reference range, as the report flags it."""

    NORMAL = "normal"
    LOW = "low"
    HIGH = "high"
    ABNORMAL = "abnormal"
    CRITICAL = "critical"


class Assertion(str, Enum):
    """What the report says of a mention: it is there, it is ruled out, suspected, past, or a relative's."""

    PRESENT = "present"
    NEGATED = "negated"
    POSSIBLE = "possible"
    HISTORICAL = "historical"
    FAMILY = "family"


class Comparator(str, Enum):
    """The comparison a lab value is printed with (``<0.5``)."""

    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="


class Patient(_Part):
    """Who the report is about."""

    name: str | None = Field(default=None, description="Full name as written in the report")
    date_of_birth: str | None = Field(
        default=None, description="Date of birth, ISO 8601 (YYYY-MM-DD) when the day is known"
    )
    sex: Sex | None = None
    mrn: str | None = Field(default=None, description="Medical record number")


class Diagnosis(_Part):
    """One diagnosis mention with its code, what the report asserts of it, and its source page."""

    description: str
    code: str | None = Field(default=None, description="ICD-10 code when the report states one")
    page: int | None = Field(default=None, ge=1)
    assertion: Assertion = Assertion.PRESENT
    code_description: str | None = Field(
        default=None, description="The code's official ICD-10-CM description, when the code is valid"
    )


class Finding(_Part):
    """One finding or observation."""

    text: str
    page: int | None = Field(default=None, ge=1)
    assertion: Assertion = Assertion.PRESENT


class Medication(_Part):
    """One medication, as prescribed or listed; ``route`` and ``frequency`` in our vocabulary."""

    name: str
    dose: str | None = Field(default=None, description="Amount and unit, e.g. '500 mg'")
    route: str | None = Field(default=None, description="e.g. 'oral', 'intravenous'")
    frequency: str | None = Field(default=None, description="e.g. 'twice daily'")
    page: int | None = Field(default=None, ge=1)
    sig: str | None = Field(default=None, description="The instructions as printed, e.g. '500 mg PO BID'")


class LabResult(_Part):
    """One laboratory measurement: as printed, and normalised where that is unambiguous."""

    test: str
    value: str | None = Field(default=None, description="The value as written, e.g. '7.2' or 'positive'")
    unit: str | None = None
    reference_range: str | None = Field(default=None, description="e.g. '4.0-5.6'")
    flag: LabFlag | None = None
    page: int | None = Field(default=None, ge=1)
    value_number: float | None = Field(default=None, description="The numeric value, comparator split out")
    comparator: Comparator | None = None
    unit_ucum: str | None = Field(
        default=None, description="The unit in UCUM, when the mapping is unambiguous"
    )
    flag_computed: bool = Field(
        default=False, description="True when the report printed no flag and it was computed from the range"
    )


class Provenance(_Part):
    """Where a fact was read: the page (1-based across all files), the exact text, and its box.

    ``bbox`` is ``[x0, y0, x1, y1]`` in PDF points on that page, origin at the top left;
    ``None`` when the text was found but not its position.
    """

    page: int = Field(ge=1)
    quote: str
    bbox: list[float] | None = Field(default=None, min_length=4, max_length=4)


class ReportWarning(_Part):
    """Something a client should know about a value, or about the report: a code, where, and why.

    ``path`` is an RFC 6901 JSON Pointer into ``parsed_data`` (``/patient/date_of_birth``),
    or ``None`` for the report as a whole. Messages never quote the report.
    """

    code: str
    path: str | None = None
    message: str


class ReportContent(_Part):
    """What a parser reads from a report (all of its files together); Gemini's response schema."""

    patient_name: str | None = Field(default=None, description="The patient's full name")
    diagnosis: list[str] = Field(default_factory=list, description="Diagnoses, one per item")
    patient: Patient | None = None
    report_type: str | None = Field(default=None, description="e.g. 'discharge summary', 'lab report'")
    report_date: str | None = Field(default=None, description="ISO 8601 date of the report")
    facility: str | None = None
    physician: str | None = None
    diagnosis_details: list[Diagnosis] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    impression: str | None = None
    medications: list[Medication] = Field(default_factory=list)
    lab_results: list[LabResult] = Field(default_factory=list)


class ParsedReport(ReportContent):
    """``parsed_data``: the report's content, where each fact was read, and the warnings raised.

    ``provenance`` maps RFC 6901 JSON Pointers of facts (``/patient_name``,
    ``/patient/date_of_birth``, ``/lab_results/3``) to their :class:`Provenance`.
    """

    provenance: dict[str, Provenance] = Field(default_factory=dict)
    warnings: list[ReportWarning] = Field(default_factory=list)
