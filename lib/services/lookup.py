"""The job a client's request names: it must belong to the key's tenant, and still hold its data.

Every per-job route (status, FHIR, cancel, redeliver) starts here. A job of another
tenant answers like an unknown one (404 ``job_not_found``), so a key cannot learn
which job ids exist; a purged job answers 410: ``job_deleted`` when its client deleted
it, ``result_expired`` (with ``expired_at``) when its project's retention ended.
"""

from __future__ import annotations

from lib.domain.errors import Gone, NotFound
from lib.domain.jobs import Job, JobStatus
from lib.services.context import Context


def owned_job(ctx: Context, api_key: str | None, job_id: str) -> Job:
    """The key's tenant's job (a tombstone too); 401 for a bad key, 404 for an unknown or foreign job."""
    tenant_id = ctx.auth.tenant_of(api_key)
    job = ctx.jobs.get_for_tenant(job_id, tenant_id)
    if job is None:
        raise NotFound("job not found", code="job_not_found")
    return job


def live_job(ctx: Context, api_key: str | None, job_id: str) -> Job:
    """:func:`owned_job`, and 410 when the job has been purged."""
    job = owned_job(ctx, api_key, job_id)
    require_live(job)
    return job


def require_live(job: Job) -> None:
    """:class:`Gone` when ``job`` is a tombstone (``result_expired`` or ``job_deleted``)."""
    if job.status is not JobStatus.DELETED:
        return
    if job.expired_at is not None:
        raise Gone(
            "the job's data was removed at the end of its project's retention period",
            code="result_expired",
            expired_at=job.expired_at,
        )
    raise Gone("the job was deleted; its files and report are gone", code="job_deleted")
