"""One report's parse against its truth: true/false positives and misses per field.

Single-valued fields (name, DOB, MRN, sex, report date, report type) count a right
answer as a true positive, a wrong one as a false positive *and* a miss, and no answer
as a miss. List fields (labs, medications, diagnoses) are matched one to one, greedily
in truth order; unmatched parsed items are false positives.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bench.quality.scoring import matching
from bench.quality.scoring.trust import Audit
from lib.domain.report_schema import ParsedReport

FIELDS = (
    "name",
    "dob",
    "mrn",
    "sex",
    "report_date",
    "report_type",
    "lab_test_value",
    "lab_test_value_flag",
    "medication",
    "diagnosis",
)

T = TypeVar("T")
P = TypeVar("P")


@dataclass
class Counts:
    """True positives, false positives and misses of one field."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    def __iadd__(self, other: Counts) -> Counts:
        self.tp, self.fp, self.fn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn
        return self

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        """Harmonic mean of precision and recall; 0 when nothing true was found, ``None`` when nothing was scored."""
        if self.tp == 0:
            return 0.0 if self.fp + self.fn else None
        return 2 * self.tp / (2 * self.tp + self.fp + self.fn)


@dataclass
class ReportResult:
    """How one parse scored; ``missed``/``extra`` list what was not found or not true, for debugging."""

    id: str
    family: str
    generator: str
    scanned: bool
    twin_of: str | None
    pages: int
    counts: dict[str, Counts] = field(default_factory=lambda: {name: Counts() for name in FIELDS})
    negated_as_diagnosis: list[str] = field(default_factory=list)
    ambiguous_dates: int = 0
    ambiguous_kept: int = 0
    error: str | None = None
    seconds: float = 0.0
    missed: dict[str, list[Any]] = field(default_factory=dict)
    extra: dict[str, list[Any]] = field(default_factory=dict)
    audit: Audit | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready summary."""
        return {
            "id": self.id,
            "family": self.family,
            "generator": self.generator,
            "scanned": self.scanned,
            "pages": self.pages,
            "error": self.error,
            "ms": round(self.seconds * 1000, 1),
            "counts": {name: vars(counts) for name, counts in self.counts.items()},
            "negated_as_diagnosis": self.negated_as_diagnosis,
            "ambiguous_kept": f"{self.ambiguous_kept}/{self.ambiguous_dates}",
            "missed": self.missed,
            "extra": self.extra,
        }


def _match(truths: Sequence[T], parsed: Sequence[P], same: Callable[[T, P], bool]) -> tuple[list[T], list[P]]:
    """Greedy one-to-one matching; returns the truths left unmatched and the parsed items left over."""
    left = list(parsed)
    missed = []
    for truth in truths:
        found = next((index for index, item in enumerate(left) if same(truth, item)), None)
        if found is None:
            missed.append(truth)
        else:
            left.pop(found)
    return missed, left


def _diagnoses(report: ParsedReport) -> list[tuple[str, str | None]]:
    """The guide's ``diagnosis`` strings, with codes taken from ``diagnosis_details`` where they match."""
    details = [(item.description, item.code) for item in report.diagnosis_details]
    if not report.diagnosis:
        return details
    out = []
    for text in report.diagnosis:
        code = next((code for desc, code in details if matching.condition_matches(desc, text)), None)
        out.append((text, code))
    return out


class _Scorer:
    def __init__(self, result: ReportResult) -> None:
        self.result = result

    def scalar(self, name: str, truth: Any, parsed: Any, ok: bool) -> None:
        counts = self.result.counts[name]
        if ok:
            counts.tp += 1
            return
        counts.fn += 1
        self.result.missed[name] = [truth]
        if parsed not in (None, ""):
            counts.fp += 1
            self.result.extra[name] = [parsed]

    def listed(
        self, name: str, truths: Sequence[T], parsed: Sequence[P], same: Callable[[T, P], bool]
    ) -> list[P]:
        missed, extra = _match(truths, parsed, same)
        counts = self.result.counts[name]
        counts.tp += len(truths) - len(missed)
        counts.fn += len(missed)
        counts.fp += len(extra)
        if missed:
            self.result.missed[name] = list(missed)
        if extra:
            self.result.extra[name] = list(extra)
        return extra


def score(truth: dict[str, Any], report: ParsedReport | None, result: ReportResult) -> ReportResult:
    """Fill ``result`` with the comparison of ``report`` (``None``: the parse failed) to ``truth``."""
    report = report or ParsedReport()
    scorer = _Scorer(result)
    patient = report.patient
    want = truth["patient"]
    name = report.patient_name or (patient.name if patient else None)
    dob = patient.date_of_birth if patient else None
    sex = patient.sex.value if patient and patient.sex else None
    mrn = patient.mrn if patient else None
    scorer.scalar("name", want["name"], name, matching.name_matches(want["name"], name))
    scorer.scalar("dob", want["date_of_birth"], dob, matching.date_matches(want["date_of_birth"], dob))
    scorer.scalar("mrn", want["mrn"], mrn, matching.mrn_matches(want["mrn"], mrn))
    scorer.scalar("sex", want["sex"], sex, want["sex"] == sex)
    scorer.scalar(
        "report_date",
        truth["report_date"],
        report.report_date,
        matching.date_matches(truth["report_date"], report.report_date),
    )
    scorer.scalar(
        "report_type",
        truth["report_type"],
        report.report_type,
        matching.report_type_matches(truth["report_type"], report.report_type),
    )
    for value, parsed in ((want["date_of_birth"], dob), (truth["report_date"], report.report_date)):
        if isinstance(value, dict):
            result.ambiguous_dates += 1
            result.ambiguous_kept += matching.date_matches(value, parsed)

    # The truth is the flag as printed: one the pipeline computed from the range is not read.
    labs = [
        (item.test, item.value, item.flag.value if item.flag and not item.flag_computed else None)
        for item in report.lab_results
    ]
    lab_truths = [(item["test"], item["value"], item["flag"]) for item in truth["lab_results"]]
    scorer.listed(
        "lab_test_value",
        lab_truths,
        labs,
        lambda t, p: matching.test_matches(t[0], p[0]) and matching.value_matches(t[1], p[1]),
    )
    scorer.listed(
        "lab_test_value_flag",
        lab_truths,
        labs,
        lambda t, p: (
            matching.test_matches(t[0], p[0])
            and matching.value_matches(t[1], p[1])
            and matching.flag_matches(t[2], p[2])
        ),
    )
    meds = [(item.name, item.dose) for item in report.medications]
    med_truths = [(item["name"], item["dose"]) for item in truth["medications"]]
    scorer.listed(
        "medication",
        med_truths,
        meds,
        lambda t, p: matching.drug_matches(t[0], p[0]) and matching.dose_matches(t[1], p[1]),
    )
    dx_truths = [(item["description"], item["code"]) for item in truth["diagnosis"]]
    extra = scorer.listed("diagnosis", dx_truths, _diagnoses(report), matching.diagnosis_matches)
    for text, _ in extra:
        if any(matching.condition_matches(mention, text) for mention in truth["negated_mentions"]):
            result.negated_as_diagnosis.append(text)
    return result
