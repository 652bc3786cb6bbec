"""Use cases that remove patient data for good: a tenant's offboarding, and the blobs no job owns.

Every purge is bounded and resumable: it works in batches, each batch leaves the
stores consistent, and running it again after a crash goes on where it stopped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from lib.domain.errors import NotFound
from lib.domain.jobs import Job
from lib.services.context import Context

log = logging.getLogger(__name__)

ORPHAN_CURSOR = "orphan_blobs"


@dataclass(frozen=True)
class TenantPurge:
    """What deleting a tenant removed."""

    jobs: int
    blobs: int


def delete_tenant(ctx: Context, tenant_id: str, batch_size: int = 100) -> TenantPurge:
    """Offboard a tenant: refuse its keys at once, then remove every job, blob and report it has.

    The keys are revoked before anything is removed, and this process forgets them
    at once (other instances within ``AUTH_CACHE_SECONDS``). Jobs go ``batch_size``
    at a time, each with its blobs and parsed report; then any blob left under the
    tenant's prefix (an upload that crashed before its job was written); then the
    projects and the tenant itself, last, so that running this again after a crash
    finds the tenant and finishes the work. A tenant whose record is gone already
    (removed by hand) still has its jobs and blobs purged; :class:`NotFound` only
    when there is nothing of it at all.
    """
    key_ids = ctx.tenants.begin_deletion(tenant_id, ctx.clock())
    ctx.auth.forget_tenant(tenant_id, key_ids or [])
    jobs = blobs = 0
    while batch := ctx.jobs.of_tenant(tenant_id, batch_size):
        for job in batch:
            blobs += purge_job(ctx, job)
            jobs += 1
        log.info("Tenant %s: %d job(s) purged so far", tenant_id, jobs)
    while page := ctx.blobs.list_page(None, batch_size, prefix=f"{tenant_id}/").blobs:
        ctx.blobs.delete_all([blob.name for blob in page])
        blobs += len(page)
    if key_ids is None and jobs == blobs == 0:
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
    ctx.tenants.delete_tenant(tenant_id)
    log.info("Tenant %s deleted: %d job(s), %d blob(s)", tenant_id, jobs, blobs)
    return TenantPurge(jobs, blobs)


def purge_job(ctx: Context, job: Job) -> int:
    """Remove a job's blobs, then its report and the job; returns how many blobs it had."""
    ctx.blobs.delete_all([item.blob_name for item in job.files])
    ctx.reports.delete(job.report_id)
    ctx.jobs.delete(job.id)
    return len(job.files)


def remove_orphan_blobs(ctx: Context, now: datetime, limit: int) -> int:
    """Look at the next ``limit`` blobs; delete those older than the grace period that no job owns.

    An upload writes its blobs before its job, and one that dies in between leaves
    blobs nobody will read. The scan goes on from where the previous pass stopped,
    so each pass costs one listing page and one query however many blobs there are.
    """
    marker = ctx.cursors.get(ORPHAN_CURSOR)
    page = ctx.blobs.list_page(marker, limit)
    settled_before = now - timedelta(minutes=ctx.settings.orphan_blob_grace_minutes)
    owners = {blob.name: _job_id_of(blob.name) for blob in page.blobs if blob.last_modified <= settled_before}
    stored = ctx.jobs.existing_ids({owner for owner in owners.values() if owner is not None})
    orphans = [name for name, owner in owners.items() if owner is not None and owner not in stored]
    left = ctx.blobs.delete_quietly(orphans)
    if page.next_marker != marker:  # an idle pass over one page writes nothing
        ctx.cursors.put(ORPHAN_CURSOR, page.next_marker)
    return len(orphans) - len(left)


def _job_id_of(blob_name: str) -> str | None:
    """The job id in ``{tenant}/{project}/{job_id}/{n}.pdf``; ``None`` for a blob not laid out so."""
    parts = blob_name.split("/")
    return parts[2] if len(parts) == 4 and parts[3].endswith(".pdf") else None
