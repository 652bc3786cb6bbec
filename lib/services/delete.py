"""Use case: a client deletes a job, and with it everything of the report."""

from __future__ import annotations

from typing import Any

from lib.api.job_lifecycle import JobDeleted
from lib.api.models import dump
from lib.domain.errors import NotFound
from lib.services.context import Context
from lib.services.lookup import owned_job
from lib.services.purge import erase_job


def delete_job(ctx: Context, *, api_key: str | None, job_id: str) -> dict[str, Any]:
    """Purge the job whatever its state: the 202 body, or 404 for an unknown or foreign job.

    Its files, its report and every field that could carry patient data go; a
    tombstone with the ids, tenant, project and timestamps stays, so the status
    answers 410 ``job_deleted`` (see :func:`lib.services.purge.erase_job`). A job
    that is a tombstone already (deleted, or expired) answers 202 again and its
    removals are repeated: a client whose first DELETE got no answer can simply
    send it again, and a purge a crash cut short is finished.
    """
    job = owned_job(ctx, api_key, job_id)
    gone = erase_job(ctx, job, ctx.clock())
    if gone is None or gone.deleted_at is None:
        raise NotFound("job not found", code="job_not_found")
    return dump(
        JobDeleted(
            job_id=gone.id,
            message="Job deleted; its files and report have been removed",
            deleted_at=gone.deleted_at,
        )
    )
