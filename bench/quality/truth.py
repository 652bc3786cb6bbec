"""Ground truth for one report, in the parser's output vocabulary (``lib/domain/report_schema.py``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.quality.dates import DateTruth


@dataclass(frozen=True)
class LabTruth:
    """One printed lab result; ``flag`` is what the report prints, ``None`` when it prints none."""

    test: str
    value: str
    unit: str | None
    reference_range: str | None
    flag: str | None  # low | high | abnormal | critical | normal | None


@dataclass(frozen=True)
class MedicationTruth:
    """One medication as printed."""

    name: str
    dose: str | None
    route: str | None
    frequency: str | None


@dataclass(frozen=True)
class DiagnosisTruth:
    """One diagnosis the patient has, with its ICD-10-CM code when the report prints it."""

    description: str
    code: str | None


@dataclass(frozen=True)
class Identity:
    """Who the report is about, as printed (``sex`` normalised to female/male)."""

    name: str
    date_of_birth: DateTruth
    sex: str
    mrn: str


@dataclass
class Truth:
    """Everything a careful reader takes from one report."""

    family: str
    report_type: str
    report_date: DateTruth
    identity: Identity
    lab_results: list[LabTruth] = field(default_factory=list)
    medications: list[MedicationTruth] = field(default_factory=list)
    diagnosis: list[DiagnosisTruth] = field(default_factory=list)
    negated_mentions: list[str] = field(default_factory=list)

    def to_json(
        self, *, generator: str, pages: int, scanned: bool = False, twin_of: str | None = None
    ) -> dict[str, Any]:
        """The JSON written beside the PDF."""
        return {
            "patient_name": self.identity.name,
            "patient": {
                "name": self.identity.name,
                "date_of_birth": self.identity.date_of_birth,
                "sex": self.identity.sex,
                "mrn": self.identity.mrn,
            },
            "report_type": self.report_type,
            "report_date": self.report_date,
            "lab_results": [vars(item) for item in self.lab_results],
            "medications": [vars(item) for item in self.medications],
            "diagnosis": [vars(item) for item in self.diagnosis],
            "negated_mentions": list(self.negated_mentions),
            "family": self.family,
            "generator": generator,
            "scanned": scanned,
            "twin_of": twin_of,
            "pages": pages,
        }
