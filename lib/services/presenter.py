"""The client's view of a job: the status response and the webhook body.

Both are built through the answer models of :mod:`lib.api.models`, the same
classes the OpenAPI document is generated from.
"""

from __future__ import annotations

from typing import Any

from lib.api.models import (
    JobErrorBody,
    JobStatusBody,
    ThinJobBody,
    WebhookAttemptBody,
    WebhookStatusBody,
    dump,
)
from lib.domain.jobs import Job, JobStatus
from lib.domain.report_schema import ParsedReport
from lib.domain.uploads import MB
from lib.domain.webhooks import WebhookDelivery, WebhookState

_MESSAGES = {
    JobStatus.PENDING: "Parsing in progress",
    JobStatus.PROCESSING: "Parsing in progress",
    JobStatus.COMPLETED: "Parsing completed",
    JobStatus.CANCELLED: "Parsing cancelled by the client; no result is kept",
    JobStatus.DELETED: "Job deleted",
}


def present_job(
    job: Job, parsed_data: dict[str, Any] | None, *, include_webhook: bool = True
) -> dict[str, Any]:
    """The status document of a job; ``parsed_data`` only when completed, ``error`` only when failed.

    ``webhook`` describes the notification's delivery (omitted from the webhook body itself).
    """
    return dump(job_status_body(job, parsed_data, include_webhook=include_webhook))


def present_thin(job: Job) -> dict[str, Any]:
    """Ids, status, timestamps and error only: the webhook body that carries no patient data."""
    return dump(ThinJobBody(**_thin_fields(job)))


def job_status_body(
    job: Job, parsed_data: dict[str, Any] | None, *, include_webhook: bool = True
) -> JobStatusBody:
    """The status document of a job as its model (see :func:`present_job`)."""
    fields: dict[str, Any] = _thin_fields(job)
    fields.update(
        max_attempts=job.max_attempts,
        files_uploaded=len(job.files),
        total_size_mb=round(job.total_bytes / MB, 3),
        webhook_url=job.webhook_url,
        updated_at=job.updated_at,
    )
    if job.status is JobStatus.PENDING and job.attempts > 0 and job.next_attempt_at is not None:
        fields["next_attempt_at"] = job.next_attempt_at
    if job.status is JobStatus.COMPLETED:
        fields["model"] = job.model
        fields["parsed_data"] = None if parsed_data is None else ParsedReport.model_validate(parsed_data)
    if include_webhook:
        fields["webhook"] = _webhook(job.webhook)
    return JobStatusBody(**fields)


def list_item_body(job: Job) -> JobStatusBody:
    """A job as a project's list shows it: its status document without ``parsed_data``."""
    fields = job_status_body(job, None).model_dump(exclude_unset=True, exclude={"parsed_data"})
    return JobStatusBody.model_validate(fields)


def _thin_fields(job: Job) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "job_id": job.id,
        "report_id": job.report_id,
        "status": job.status,
        "message": _message(job),
        "attempts": job.attempts,
        "created_at": job.created_at,
        "completed_at": job.completed_at,
        "failed_at": job.failed_at,
    }
    if job.cancelled_at is not None:
        fields["cancelled_at"] = job.cancelled_at
    if job.status is JobStatus.FAILED and job.error is not None:
        fields["error"] = JobErrorBody(code=job.error.code, message=job.error.message)
    return fields


def _webhook(delivery: WebhookDelivery | None) -> WebhookStatusBody | None:
    if delivery is None:
        return None
    last = delivery.last_attempt
    return WebhookStatusBody(
        state=delivery.state,
        webhook_id=delivery.message_id,
        event=delivery.event,
        attempts=delivery.attempts,
        last_attempt=None
        if last is None
        else WebhookAttemptBody(
            at=last.at,
            outcome=last.outcome,
            status_code=last.status_code,
            error=last.error,
            duration_ms=last.duration_ms,
        ),
        next_attempt_at=delivery.next_attempt_at if delivery.state is WebhookState.PENDING else None,
        delivered_at=delivery.delivered_at,
    )


def _message(job: Job) -> str:
    if job.status is JobStatus.FAILED:
        return job.error.message if job.error else "Parsing failed"
    if job.status is JobStatus.PENDING and job.attempts > 0:
        return f"Parsing in progress: attempt {job.attempts + 1} of {job.max_attempts} is scheduled"
    return _MESSAGES[job.status]
