"""The client's view of a job: the status response (and, later, the webhook body)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.domain.jobs import Job, JobStatus
from lib.domain.uploads import MB
from lib.domain.webhooks import WebhookDelivery, WebhookState

_MESSAGES = {
    JobStatus.PENDING: "Parsing in progress",
    JobStatus.PROCESSING: "Parsing in progress",
    JobStatus.COMPLETED: "Parsing completed",
}


def present_job(
    job: Job, parsed_data: dict[str, Any] | None, *, include_webhook: bool = True
) -> dict[str, Any]:
    """The status document of a job; ``parsed_data`` only when completed, ``error`` only when failed.

    ``webhook`` describes the notification's delivery (omitted from the webhook body itself).
    """
    body = present_thin(job)
    body.update(
        max_attempts=job.max_attempts,
        files_uploaded=len(job.files),
        total_size_mb=round(job.total_bytes / MB, 3),
        webhook_url=job.webhook_url,
        updated_at=_iso(job.updated_at),
    )
    if job.status is JobStatus.PENDING and job.attempts > 0 and job.next_attempt_at is not None:
        body["next_attempt_at"] = _iso(job.next_attempt_at)
    if job.status is JobStatus.COMPLETED:
        body["model"] = job.model
        body["parsed_data"] = parsed_data
    if include_webhook:
        body["webhook"] = _webhook(job.webhook)
    return body


def present_thin(job: Job) -> dict[str, Any]:
    """Ids, status, timestamps and error only: the webhook body that carries no patient data."""
    body: dict[str, Any] = {
        "job_id": job.id,
        "report_id": job.report_id,
        "status": job.status.value,
        "message": _message(job),
        "attempts": job.attempts,
        "created_at": _iso(job.created_at),
        "completed_at": _iso(job.completed_at),
        "failed_at": _iso(job.failed_at),
    }
    if job.status is JobStatus.FAILED and job.error is not None:
        body["error"] = {"code": job.error.code, "message": job.error.message}
    return body


def _webhook(delivery: WebhookDelivery | None) -> dict[str, Any] | None:
    if delivery is None:
        return None
    last = delivery.last_attempt
    return {
        "state": delivery.state.value,
        "webhook_id": delivery.message_id,
        "event": delivery.event,
        "attempts": delivery.attempts,
        "last_attempt": None
        if last is None
        else {
            "at": _iso(last.at),
            "outcome": last.outcome,
            "status_code": last.status_code,
            "error": last.error,
            "duration_ms": last.duration_ms,
        },
        "next_attempt_at": _iso(delivery.next_attempt_at) if delivery.state is WebhookState.PENDING else None,
        "delivered_at": _iso(delivery.delivered_at),
    }


def _message(job: Job) -> str:
    if job.status is JobStatus.FAILED:
        return job.error.message if job.error else "Parsing failed"
    if job.status is JobStatus.PENDING and job.attempts > 0:
        return f"Parsing in progress: attempt {job.attempts + 1} of {job.max_attempts} is scheduled"
    return _MESSAGES[job.status]


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")
