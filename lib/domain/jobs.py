"""Parsing jobs: their states, the allowed transitions, and the job record itself.

::

    pending --claim--> processing --ok--> completed
       ^                  |  \\--permanent error, or attempts exhausted--> failed
       |--transient error, attempts left (re-enqueued with backoff)--/
    processing with an expired lease --claim again (takeover)--> processing
    processing with an expired lease --sweeper--> pending (failed on its last attempt)
    pending/processing --deadline--> failed; pending or abandoned --poison message--> failed
    pending/processing --client cancels--> cancelled (a running parse's result is discarded)
    any state --client deletes, or the project's retention ends--> deleted (a tombstone)

Each transition (:mod:`lib.domain.job_transitions`) is a pure function from a job
to a :class:`Change`: the job as it will be, the fields that change, and what the
stored job must still be (:class:`Expect`). The store applies it as one conditional
write, so two workers can never both own a job and a duplicate queue message
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum

from lib.domain.parsing import TokenUsage
from lib.domain.webhooks import WebhookDelivery


class JobStatus(str, Enum):
    """Where a job is in its life. ``completed``, ``failed`` and ``cancelled`` are final.

    ``deleted`` is the tombstone a purge leaves (the client deleted the job, or its
    project's retention ended): ids, tenant, project and timestamps only. It is
    never shown as a status: the API answers 410 for it.
    """

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"
    DELETED = "deleted"

    @property
    def is_final(self) -> bool:
        """Whether the job's work has ended: no transition leaves this state but its purge."""
        return ALLOWED[self] <= {JobStatus.DELETED}


_PURGE = frozenset({JobStatus.DELETED})

ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.PROCESSING, JobStatus.FAILED, JobStatus.CANCELLED}) | _PURGE,
    # processing -> processing is a takeover of a job whose lease expired.
    JobStatus.PROCESSING: frozenset(
        {JobStatus.PROCESSING, JobStatus.PENDING, JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}
    )
    | _PURGE,
    JobStatus.COMPLETED: _PURGE,
    JobStatus.FAILED: _PURGE,
    JobStatus.CANCELLED: _PURGE,
    JobStatus.DELETED: frozenset(),
}


class AttemptOutcome(str, Enum):
    """How one claim of a job ended."""

    COMPLETED = "completed"
    RETRY = "retry"
    FAILED = "failed"
    LEASE_EXPIRED = "lease_expired"
    CANCELLED = "cancelled"


@dataclass(frozen=True)
class StoredFile:
    """One uploaded file as kept in Blob Storage; the client's file name is not kept.

    ``pages`` is its page count as counted at upload (``None`` for jobs stored before).
    """

    blob_name: str
    size_bytes: int
    sha256: str
    pages: int | None = None


@dataclass(frozen=True)
class JobError:
    """Why a job failed, or why its last attempt did: a stable code and a sentence."""

    code: str
    message: str


@dataclass(frozen=True)
class Attempt:
    """One claim of the job by a worker, as recorded in the job's history."""

    number: int
    worker: str
    started_at: datetime
    ended_at: datetime | None = None
    outcome: AttemptOutcome | None = None
    error_code: str | None = None


@dataclass(frozen=True)
class Lease:
    """Who owns a processing job, and until when. ``token`` is unique per claim."""

    owner: str
    token: str
    expires_at: datetime


@dataclass(frozen=True)
class Job:
    """A parsing job as stored in ``parsing_jobs``.

    ``usage`` and ``parse_ms`` are what the completing attempt's parse cost.
    ``cancelled_at`` is set when its client cancelled it; ``deleted_at`` when it
    became a tombstone, and ``expired_at`` too when that was its retention's end.
    """

    id: str
    report_id: str
    tenant_id: str
    project_id: str
    status: JobStatus
    files: tuple[StoredFile, ...]
    attempts: int
    max_attempts: int
    created_at: datetime
    updated_at: datetime
    webhook_url: str | None = None
    message_sent: bool = False
    message_sent_at: datetime | None = None
    lease: Lease | None = None
    next_attempt_at: datetime | None = None
    completed_at: datetime | None = None
    failed_at: datetime | None = None
    error: JobError | None = None
    history: tuple[Attempt, ...] = field(default_factory=tuple)
    model: str | None = None
    usage: TokenUsage | None = None
    parse_ms: int | None = None
    webhook: WebhookDelivery | None = None
    cancelled_at: datetime | None = None
    deleted_at: datetime | None = None
    expired_at: datetime | None = None

    @property
    def total_bytes(self) -> int:
        """Size of all the job's files together."""
        return sum(item.size_bytes for item in self.files)


@dataclass(frozen=True)
class Expect:
    """What the stored job must still be for a :class:`Change` to apply.

    Its status, and when given, its attempt count (every claim raises it, so it
    tells one pending or processing spell from the next) and its lease's token
    (only the current lease holder may end an attempt).
    """

    status: JobStatus
    attempts: int | None = None
    lease_token: str | None = None


@dataclass(frozen=True)
class Change:
    """One transition of a job: the job as it will be, the fields that change, the condition.

    ``fields`` names the :class:`Job` attributes the store writes; everything else
    stays as stored.
    """

    job: Job
    fields: frozenset[str]
    expect: Expect
    #: The job replaces the stored document whole: fields it does not name (another
    #: version's, or the patient data a purge removes) do not survive.
    replaces: bool = False

    @property
    def job_id(self) -> str:
        """The id of the job this change applies to."""
        return self.job.id
