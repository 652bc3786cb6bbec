"""Use cases that remove patient data for good: one job (deleted, or at its retention's end),
a tenant's offboarding, and the blobs no job owns.

Every purge is bounded and resumable: it works in batches, each batch leaves the
stores consistent, and running it again after a crash goes on where it stopped.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from lib.domain import job_transitions as transitions
from lib.domain.errors import Conflict, NotFound
from lib.domain.jobs import Job
from lib.services.context import Context

log = logging.getLogger(__name__)

ORPHAN_CURSOR = "orphan_blobs"
RETENTION_CURSOR = "retention_projects"
#: A tombstone's write re-reads the job and tries again when a worker moved it on meanwhile.
TOMBSTONE_TRIES = 5
#: Blobs listed (and deleted) per round when a job's files are removed.
BLOB_PAGE = 100


def erase_job(ctx: Context, job: Job, now: datetime, *, expired: bool = False) -> Job | None:
    """Turn the job into a tombstone, then remove its report and files; the tombstone, or ``None``.

    Order: the tombstone first (one conditional write that replaces the document, so
    the status answers 410 at once and no worker's write can match the job again),
    then the report (replaced by a marker no parse attempt can overwrite, so a parse
    still running cannot bring it back), then every blob under the job's prefix (and
    any the job named). Running it again on a tombstone repeats the removals: after a
    crash halfway, a second DELETE, or the next retention pass finishes the work.
    ``None`` when the job is not stored at all.
    """
    current: Job | None = job
    for _ in range(TOMBSTONE_TRIES):
        if current is None:
            return None
        change = transitions.tombstone(current, now, expired=expired)
        if change is None:
            break  # a tombstone already: finish the removals
        after = ctx.jobs.apply(change)
        if after is not None:
            current = after
            break
        current = ctx.jobs.get(job.id)  # a worker or the sweeper moved it on: read it again
    else:
        raise Conflict("the job kept changing while being deleted; try again", code="job_busy")
    if current is None:
        return None
    ctx.reports.purge(job.report_id)
    ctx.idempotency.forget_job(job.tenant_id, job.id)  # its stored 202 names the webhook URL
    _delete_files(ctx, job)
    log.info("Job %s purged (%s)", job.id, "retention" if expired else "deleted")
    return current


@dataclass(frozen=True)
class RetentionPass:
    """What one retention pass did: jobs purged, and jobs whose purge failed (tried again next pass)."""

    purged: int = 0
    errors: int = 0


def expire_retained(ctx: Context, now: datetime, limit: int) -> RetentionPass:
    """Purge, as a delete does, jobs older than their project's retention; at most ``limit`` per pass.

    A project keeps its jobs ``retention_days`` days from their upload, or
    ``RETENTION_DAYS_DEFAULT``. The pass walks the projects from where the previous
    one stopped (a cursor), at most ``limit`` of them, with one index-backed query
    each; once ``limit`` jobs were purged it stops, and the next pass starts again
    with the project it stopped in. After the last project it starts over.
    """
    marker = ctx.cursors.get(RETENTION_CURSOR)
    start = _project_of(marker)
    projects = ctx.tenants.projects_page(start, limit)
    budget, purged, errors = limit, 0, 0
    done = start
    for project in projects:
        days = project.retention_days or ctx.settings.retention_days_default
        due = ctx.jobs.retention_due(
            project.tenant_id, project.project_id, now - timedelta(days=days), budget
        )
        for job in due:
            try:
                erase_job(ctx, job, now, expired=True)
                purged += 1
            except Exception as exc:  # noqa: BLE001 - one job must not stop the pass; it is due again next time
                errors += 1
                log.error("Retention purge of job %s failed with %s", job.id, type(exc).__name__)
        budget -= len(due)
        if budget <= 0 or errors:
            break  # this project may have more: the next pass starts with it again
        done = (project.tenant_id, project.project_id)
    else:
        if len(projects) < limit:
            done = None  # every project seen: the next pass starts over
    following = None if done is None else f"{done[0]}/{done[1]}"
    if following != marker:
        ctx.cursors.put(RETENTION_CURSOR, following)
    return RetentionPass(purged, errors)


def _project_of(marker: str | None) -> tuple[str, str] | None:
    """The ``(tenant_id, project_id)`` of a retention cursor (ids cannot contain ``/``)."""
    if not marker or "/" not in marker:
        return None
    tenant_id, project_id = marker.split("/", 1)
    return tenant_id, project_id


def _delete_files(ctx: Context, job: Job) -> None:
    """Every blob of the job: those it names, and any under ``{tenant}/{project}/{job_id}/``."""
    ctx.blobs.delete_all([item.blob_name for item in job.files])
    prefix = f"{job.tenant_id}/{job.project_id}/{job.id}/"
    while page := ctx.blobs.list_page(None, BLOB_PAGE, prefix=prefix).blobs:
        ctx.blobs.delete_all([blob.name for blob in page])


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
    ctx.idempotency.forget_tenant(tenant_id)
    ctx.quotas.forget_limits(tenant_id)
    ctx.reports.delete_legacy(tenant_id)
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
