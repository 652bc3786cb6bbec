"""Use case: a client asks for a completed job's report as a FHIR R4 Bundle."""

from __future__ import annotations

from typing import Any

from lib.domain.errors import Conflict
from lib.domain.jobs import Job, JobStatus
from lib.domain.report_schema import ParsedReport
from lib.fhir import JobFacts, report_bundle
from lib.services.context import Context
from lib.services.lookup import live_job


def job_fhir(ctx: Context, *, api_key: str | None, job_id: str) -> dict[str, Any]:
    """The job's report as a FHIR Bundle: 404 for a job of another tenant, 409 until it completed,
    410 once it has been purged."""
    job = live_job(ctx, api_key, job_id)
    parsed = ctx.reports.get_parsed_data(job.report_id) if job.status is JobStatus.COMPLETED else None
    if parsed is None:
        raise Conflict(
            f"the job is {job.status.value}: a FHIR bundle exists once it has completed",
            code="job_not_completed",
        )
    return fhir_bundle(job, parsed)


def fhir_bundle(job: Job, parsed_data: dict[str, Any]) -> dict[str, Any]:
    """The FHIR Bundle of a completed job's stored ``parsed_data``."""
    pages = [item.pages for item in job.files]
    known = [count for count in pages if count is not None]
    facts = JobFacts.from_job(job, pages=known if len(known) == len(pages) else None)
    return report_bundle(ParsedReport.model_validate(parsed_data), facts)
