"""Building jobs for store and service tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from bson import ObjectId

from lib.domain import job_transitions
from lib.domain.jobs import Job, JobError, JobStatus, StoredFile
from lib.domain.uploads import UploadedFile, UploadForm, UploadLimits
from lib.ports.jobs import Jobs

T0 = datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


def new_job(**changes: Any) -> Job:
    """A pending job of tenant-001/project-001 with one file, created at :data:`T0`."""
    job_id = str(ObjectId())
    job = Job(
        id=job_id,
        report_id=str(ObjectId()),
        tenant_id="tenant-001",
        project_id="project-001",
        status=JobStatus.PENDING,
        files=(
            StoredFile(blob_name=f"tenant-001/project-001/{job_id}/1.pdf", size_bytes=100, sha256="0" * 64),
        ),
        attempts=0,
        max_attempts=3,
        created_at=T0,
        updated_at=T0,
    )
    return replace(job, **changes)


def upload_form(*documents: bytes) -> Callable[[UploadLimits], UploadForm]:
    """A ``read_form`` for :func:`lib.services.submit.submit_report`: these files, no fields."""
    return lambda _limits: UploadForm(tuple(UploadedFile(data) for data in documents), {})


def claim_job(jobs: Jobs, job_id: str, worker: str, now: datetime, lease_for: timedelta) -> Job | None:
    """Claim a stored job as a worker would (read, then the conditional claim); ``None`` if not claimable."""
    job = jobs.get(job_id)
    change = job_transitions.claim(job, worker=worker, now=now, lease_for=lease_for) if job else None
    return jobs.apply(change) if change else None


def fail_job(jobs: Jobs, job_id: str, now: datetime, error: JobError) -> Job | None:
    """Fail a stored job from outside its lease (as the deadline does); ``None`` if it had ended."""
    job = jobs.get(job_id)
    change = job_transitions.fail_unless_final(job, now, error) if job else None
    return jobs.apply(change) if change else None
