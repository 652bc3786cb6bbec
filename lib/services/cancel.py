"""Use case: a client cancels a job that has not ended yet."""

from __future__ import annotations

import logging
from typing import Any

from lib.api.job_lifecycle import JobCancelled
from lib.api.models import dump
from lib.domain import job_transitions as transitions
from lib.domain.errors import Conflict
from lib.services.context import Context
from lib.services.lookup import live_job
from lib.services.notify import dispatch_delivery

log = logging.getLogger(__name__)

#: The cancel re-reads the job and tries again when a worker moved it on meanwhile.
CANCEL_TRIES = 5


def cancel_job(ctx: Context, *, api_key: str | None, job_id: str) -> dict[str, Any]:
    """Cancel a pending or processing job: the 202 body, or 404/409/410.

    The job becomes ``cancelled`` in one conditional write; when the worker's state
    changed in between (a claim, a retry), the job is read again and the cancel
    tried again. A parse already running is not interrupted: it finishes, but its
    completion matches nothing (its lease ended with the cancel) and its report is
    purged here, so none survives whichever of the two writes first. The webhook
    ``job.cancelled`` goes out when the job has a ``webhook_url``. A job that has
    ended answers 409 ``job_finished``; a purged one 410.
    """
    job = live_job(ctx, api_key, job_id)
    for _ in range(CANCEL_TRIES):
        now = ctx.clock()
        change = transitions.cancel(job, now)
        if change is None:
            raise Conflict(f"the job has already ended ({job.status.value})", code="job_finished")
        cancelled = ctx.jobs.apply(change)
        if cancelled is not None:
            break
        job = live_job(ctx, api_key, job_id)  # moved on meanwhile: decide again on what it is now
    else:
        raise Conflict("the job kept changing while being cancelled; try again", code="job_busy")
    ctx.reports.purge(cancelled.report_id)
    dispatch_delivery(ctx, cancelled)
    log.info("Job %s cancelled (was at attempt %d)", cancelled.id, cancelled.attempts)
    assert cancelled.cancelled_at is not None
    return dump(
        JobCancelled(
            job_id=cancelled.id,
            message="Job cancelled; a parse already running is discarded",
            cancelled_at=cancelled.cancelled_at,
        )
    )
