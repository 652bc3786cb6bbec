"""Use case: a client asks how its job is doing."""

from __future__ import annotations

from typing import Any

from lib.domain.jobs import JobStatus
from lib.services.context import Context
from lib.services.lookup import live_job
from lib.services.presenter import present_job


def job_status(ctx: Context, *, api_key: str | None, job_id: str) -> dict[str, Any]:
    """The job's status document, if the key's tenant owns the job; else 404 as if it did not exist.

    A purged job answers 410 (``job_deleted``, or ``result_expired`` with ``expired_at``).
    """
    job = live_job(ctx, api_key, job_id)
    parsed = ctx.reports.get_parsed_data(job.report_id) if job.status is JobStatus.COMPLETED else None
    return present_job(job, parsed)
