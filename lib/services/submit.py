"""Use case: accept a report upload and queue it for parsing."""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bson import ObjectId

from lib.adapters.pdf_inspect import check_page_total, count_pages
from lib.domain.errors import DependencyThrottled, DependencyUnavailable
from lib.domain.jobs import Job, JobStatus, StoredFile
from lib.domain.uploads import (
    MB,
    UploadedFile,
    UploadForm,
    UploadLimits,
    check_files,
    check_resource_id,
)
from lib.domain.webhook_urls import check_webhook_url
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
    read_form: Callable[[UploadLimits], UploadForm],
    webhook_url: str | None,
) -> Submission:
    """Check the request, store the files, record the job, queue it.

    The cheap checks come first: the ids, the key and the project, from the
    headers and the route alone. Only then is the body decoded, by ``read_form``
    within the upload limits, so an anonymous or misdirected request costs O(1)
    whatever its body holds. ``webhook_url`` is the query parameter; without one,
    the form field of that name is used.

    Order of writes: blobs, then the job (the outbox record), then the message. A
    refused request writes nothing; a storage or database failure before the job
    is recorded removes the blobs already written and raises
    :class:`DependencyUnavailable`. Once the job is recorded the upload is
    accepted even if the message cannot be sent now: the sweeper sends it.
    """
    check_resource_id(tenant_id, "tenant")
    check_resource_id(project_id, "project")
    ctx.auth.require_tenant(api_key, tenant_id)
    ctx.auth.require_project(tenant_id, project_id)
    limits = ctx.settings.upload_limits
    form = read_form(limits)
    files = form.files
    check_files(files, limits)
    webhook_url = check_webhook_url(
        webhook_url or form.fields.get("webhook_url"), ctx.settings.webhook_policy, ctx.resolve
    )
    pages = [count_pages(item.data, f"file {number}") for number, item in enumerate(files, start=1)]
    check_page_total(pages, limits.max_pages)

    now = ctx.clock()
    # The report id is random: nothing about it follows from the job id (see the README).
    job_id, report_id = str(ObjectId()), secrets.token_hex(12)
    stored = tuple(
        StoredFile(
            blob_name=f"{tenant_id}/{project_id}/{job_id}/{number}.pdf",
            size_bytes=len(item.data),
            sha256=hashlib.sha256(item.data).hexdigest(),
            pages=count,
        )
        for number, (item, count) in enumerate(zip(files, pages, strict=True), start=1)
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
        message_sent=True,  # by this request, right after the insert (see dispatch_job)
        message_sent_at=now,
    )
    _store_files_and_job(ctx, job, files)
    dispatch_job(ctx, job)
    log.info("Job %s accepted: %d file(s), %d bytes", job_id, len(stored), job.total_bytes)
    return Submission(job_id, report_id, len(stored), round(job.total_bytes / MB, 3), webhook_url)


def _store_files_and_job(ctx: Context, job: Job, files: Sequence[UploadedFile]) -> None:
    """Write the blobs, then the job; on failure leave no blob behind that no job points to.

    An insert that fails without saying whether it was applied (a time-out, a dropped
    connection) is settled before answering: if the job is stored after all the
    upload is accepted; if not, its id is marked refused, so the insert cannot
    surface later as a job the client was told does not exist.
    """
    written: list[str] = []
    try:
        for meta, item in zip(job.files, files, strict=True):
            ctx.blobs.put(meta.blob_name, item.data, sha256=meta.sha256)
            written.append(meta.blob_name)
        ctx.jobs.insert(job)
    except BaseException as exc:
        if _unclear_insert(exc, written, job) and _stored_after_all(ctx, job):
            log.warning("Job %s: the insert answered with an error but was applied; accepted", job.id)
            return
        left = ctx.blobs.delete_quietly(written)
        if left:
            # Unreferenced and private; no client ever learns their names.
            log.error("Upload for job %s refused; %d orphan blob(s) could not be removed", job.id, len(left))
        raise


def _unclear_insert(exc: BaseException, written: list[str], job: Job) -> bool:
    """Whether the insert ran and failed in a way that may still have stored the job.

    Throttling (16500) is an answer: a throttled request is not run.
    """
    return (
        len(written) == len(job.files)
        and isinstance(exc, DependencyUnavailable)
        and not isinstance(exc, DependencyThrottled)
    )


def _stored_after_all(ctx: Context, job: Job) -> bool:
    """Whether the job is stored; ``False`` once its id is marked refused, or when that is unknown."""
    try:
        return ctx.jobs.stored_or_refused(job.id, ctx.clock())
    except Exception as exc:  # noqa: BLE001 - whatever went wrong, the upload is refused and its blobs go
        # The insert may yet be applied late (see "How it works" in the README).
        log.warning(
            "Job %s: refused without a marker (%s); a late insert of it would fail the job",
            job.id,
            type(exc).__name__,
        )
        return False
