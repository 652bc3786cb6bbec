"""Use case: accept a report upload and queue it for parsing."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from bson import ObjectId

from lib.adapters.local_parser import inspect_pdf
from lib.domain.errors import DependencyUnavailable, InvalidRequest, PermanentParseError
from lib.domain.jobs import Job, JobStatus, StoredFile
from lib.domain.uploads import MB, UploadedFile, check_files, check_resource_id, check_webhook_url
from lib.domain.webhook_urls import check_webhook_target
from lib.services.context import Context
from lib.services.dispatch import dispatch_job

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Submission:
    """What the client is told about its accepted upload."""

    job_id: str
    report_id: str
    files_uploaded: int
    total_size_mb: float
    webhook_url: str | None


def status_path(job_id: str) -> str:
    """The status URL path of a job (the ``Location`` of an accepted upload)."""
    return f"/api/v1/job/status/{job_id}"


def submit_report(
    ctx: Context,
    *,
    tenant_id: str,
    project_id: str,
    api_key: str | None,
    files: Sequence[UploadedFile],
    webhook_url: str | None,
) -> Submission:
    """Check the request, store the files, record the job, queue it.

    Order matters: blobs, then the job (the outbox record), then the message. A
    refused request writes nothing; a storage or database failure before the job
    is recorded removes the blobs already written and raises
    :class:`DependencyUnavailable`. Once the job is recorded the upload is
    accepted even if the message cannot be sent now: the sweeper sends it.
    """
    check_resource_id(tenant_id, "tenant")
    check_resource_id(project_id, "project")
    ctx.auth.require_tenant(api_key, tenant_id)
    ctx.auth.require_project(tenant_id, project_id)
    check_files(files, ctx.upload_limits)
    webhook_url = check_webhook_url(webhook_url)
    if webhook_url is not None:
        check_webhook_target(webhook_url, ctx.settings.webhook_policy, ctx.resolve)
    for number, item in enumerate(files, start=1):
        try:
            inspect_pdf(item.data)
        except PermanentParseError as exc:
            raise InvalidRequest(f"file {number}: {exc.message}", code=exc.code) from None

    now = ctx.clock()
    job_id, report_id = str(ObjectId()), str(ObjectId())
    stored = tuple(
        StoredFile(
            blob_name=f"{tenant_id}/{project_id}/{job_id}/{number}.pdf",
            size_bytes=len(item.data),
            sha256=hashlib.sha256(item.data).hexdigest(),
        )
        for number, item in enumerate(files, start=1)
    )
    job = Job(
        id=job_id,
        report_id=report_id,
        tenant_id=tenant_id,
        project_id=project_id,
        status=JobStatus.PENDING,
        files=stored,
        attempts=0,
        max_attempts=ctx.settings.max_attempts,
        created_at=now,
        updated_at=now,
        webhook_url=webhook_url,
        next_attempt_at=now,
    )
    _store_files_and_job(ctx, job, files)
    dispatch_job(ctx, job_id)
    log.info("Job %s accepted: %d file(s), %d bytes", job_id, len(stored), job.total_bytes)
    return Submission(job_id, report_id, len(stored), round(job.total_bytes / MB, 3), webhook_url)


def _store_files_and_job(ctx: Context, job: Job, files: Sequence[UploadedFile]) -> None:
    """Write the blobs, then the job; on failure leave no blob behind that no job points to."""
    written: list[str] = []
    try:
        for meta, item in zip(job.files, files, strict=True):
            ctx.blobs.put(meta.blob_name, item.data, sha256=meta.sha256)
            written.append(meta.blob_name)
        ctx.jobs.insert(job)
    except BaseException as exc:
        if isinstance(exc, DependencyUnavailable) and written and _inserted_after_all(ctx, job.id):
            log.warning("Job %s: the insert answered with an error but was applied; accepted", job.id)
            return
        left = ctx.blobs.delete_quietly(written)
        if left:
            # Unreferenced and private; no client ever learns their names.
            log.error("Upload for job %s refused; %d orphan blob(s) could not be removed", job.id, len(left))
        raise


def _inserted_after_all(ctx: Context, job_id: str) -> bool:
    """Whether an insert whose answer was lost (a time-out) reached the database after all."""
    try:
        return ctx.jobs.get(job_id) is not None
    except DependencyUnavailable:
        return False
