"""Use case: a client asks how its job is doing."""

from __future__ import annotations

from typing import Any

from lib.domain.errors import NotFound
from lib.domain.jobs import JobStatus
from lib.services.context import Context
from lib.services.presenter import present_job


def job_status(ctx: Context, *, api_key: str | None, job_id: str) -> dict[str, Any]:
    """The job's status document, if the key's tenant owns the job; else 404 as if it did not exist."""
    tenant_id = ctx.auth.tenant_of(api_key)
    job = ctx.jobs.get_for_tenant(job_id, tenant_id)
    if job is None:
        raise NotFound("job not found", code="job_not_found")
    parsed = ctx.reports.get_parsed_data(job.report_id) if job.status is JobStatus.COMPLETED else None
    return present_job(job, parsed)
