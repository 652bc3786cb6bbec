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


class Patient(_Part):
    """Who the report is about."""

    name: str | None = Field(default=None, description="Full name as written in the report")
    date_of_birth: str | None = Field(
        default=None, description="Date of birth, ISO 8601 (YYYY-MM-DD) when the day is known"
    )
    sex: Sex | None = None
    mrn: str | None = Field(default=None, description="Medical record number")


class Diagnosis(_Part):
    """One diagnosis with its code and source page."""

    description: str
    code: str | None = Field(default=None, description="ICD-10 code when the report states one")
    page: int | None = Field(default=None, ge=1)


class Finding(_Part):
    """One finding or observation."""

    text: str
    page: int | None = Field(default=None, ge=1)


class Medication(_Part):
    """One medication, as prescribed or listed."""

    name: str
    dose: str | None = Field(default=None, description="Amount and unit, e.g. '500 mg'")
    route: str | None = Field(default=None, description="e.g. 'oral', 'IV'")
    frequency: str | None = Field(default=None, description="e.g. 'twice daily'")
    page: int | None = Field(default=None, ge=1)


class LabResult(_Part):
    """One laboratory measurement."""

    test: str
    value: str | None = Field(default=None, description="The value as written, e.g. '7.2' or 'positive'")
    unit: str | None = None
    reference_range: str | None = Field(default=None, description="e.g. '4.0-5.6'")
    flag: LabFlag | None = None
    page: int | None = Field(default=None, ge=1)


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
    """``parsed_data``: the report's content, plus the warnings the parse raised about it."""

    warnings: list[ReportWarning] = Field(default_factory=list)
