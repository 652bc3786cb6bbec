"""What a records system would get from each parse, beyond field accuracy.

- every fact accounted for: each fact the grounding step knows (``lib.grounding``'s
  pointers) has an entry in ``provenance`` or an ``ungrounded`` warning, never neither;
- a FHIR bundle that validates: the report's bundle (``lib.fhir``) passes the
  ``fhir.resources`` models (R4B, see ``lib/fhir``) and our own value-set checks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from fhir.resources.R4B.bundle import Bundle
from pydantic import ValidationError

from lib.domain.report_schema import ParsedReport
from lib.fhir import JobFacts, JobFile, check_bundle, report_bundle
from lib.grounding.pointers import facts_of

_WHEN = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class Audit:
    """One report's accounting: its facts, how many were grounded or flagged, and FHIR's verdict."""

    facts: int = 0
    grounded: int = 0
    ungrounded: int = 0
    unaccounted: list[str] = field(default_factory=list)
    fhir_problems: list[str] = field(default_factory=list)


def audit(report: ParsedReport, report_id: str) -> Audit:
    """Account for every fact of ``report`` and validate its FHIR bundle."""
    flagged = {item.path for item in report.warnings if item.code == "ungrounded"}
    result = Audit()
    for fact in facts_of(report):
        result.facts += 1
        if fact.pointer in report.provenance:
            result.grounded += 1
        elif fact.pointer in flagged or _under(fact.pointer, flagged):
            result.ungrounded += 1
        else:
            result.unaccounted.append(fact.pointer)
    job = JobFacts(
        report_id,
        report_id,
        "tenant-bench",
        "project-bench",
        _WHEN,
        _WHEN,
        "bench",
        (JobFile(1, 1, "0" * 64),),
    )
    bundle = report_bundle(report, job)
    result.fhir_problems = check_bundle(bundle)
    try:
        Bundle.model_validate(bundle)
    except ValidationError as exc:
        result.fhir_problems.append(f"fhir.resources: {exc.error_count()} error(s)")
    return result


def _under(pointer: str, flagged: set[str]) -> bool:
    """A fact flagged at one of its parts (a diagnosis whose code is ungrounded is still accounted for)."""
    return any(path.startswith(pointer + "/") for path in flagged)
