"""The client's view of a job: the status response (and, later, the webhook body)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from lib.domain.jobs import Job, JobStatus
from lib.domain.uploads import MB

_MESSAGES = {
    JobStatus.PENDING: "Parsing in progress",
    JobStatus.PROCESSING: "Parsing in progress",
    JobStatus.COMPLETED: "Parsing completed",
}


def present_job(job: Job, parsed_data: dict[str, Any] | None) -> dict[str, Any]:
    """The status document of a job; ``parsed_data`` only when completed, ``error`` only when failed."""
    body: dict[str, Any] = {
        "job_id": job.id,
        "report_id": job.report_id,
        "status": job.status.value,
        "message": _message(job),
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "files_uploaded": len(job.files),
        "total_size_mb": round(job.total_bytes / MB, 3),
        "webhook_url": job.webhook_url,
        "created_at": _iso(job.created_at),
        "updated_at": _iso(job.updated_at),
        "completed_at": _iso(job.completed_at),
        "failed_at": _iso(job.failed_at),
    }
    if job.status is JobStatus.PENDING and job.next_attempt_at is not None:
        body["next_attempt_at"] = _iso(job.next_attempt_at)
    if job.status is JobStatus.COMPLETED:
        body["model"] = job.model
        body["parsed_data"] = parsed_data
    if job.status is JobStatus.FAILED and job.error is not None:
        body["error"] = {"code": job.error.code, "message": job.error.message}
    return body


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
