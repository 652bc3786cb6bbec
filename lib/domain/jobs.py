"""Parsing jobs: their states, the transitions between them, and their retry policy.

::

    pending --claim--> processing --ok--> completed
       ^                  |  \\--permanent error, or attempts exhausted--> failed
       |--transient error, attempts left (re-enqueued with backoff)--/
    processing with an expired lease --claim again (takeover)--> processing
    pending --poison message / deadline--> failed

The store applies each transition as one conditional update whose filter names
the states it may start from (:data:`ALLOWED`), so two workers can never both own
a job and a duplicate queue message changes nothing.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from lib.domain.webhooks import WebhookDelivery


class JobStatus(str, Enum):
    """Where a job is in its life. ``completed`` and ``failed`` are final."""

    PENDING = "pending"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """Whether no transition leaves this state."""
        return not ALLOWED[self]


ALLOWED: dict[JobStatus, frozenset[JobStatus]] = {
    JobStatus.PENDING: frozenset({JobStatus.PROCESSING, JobStatus.FAILED}),
    # processing -> processing is a takeover of a job whose lease expired.
    JobStatus.PROCESSING: frozenset(
        {JobStatus.PROCESSING, JobStatus.PENDING, JobStatus.COMPLETED, JobStatus.FAILED}
    ),
    JobStatus.COMPLETED: frozenset(),
    JobStatus.FAILED: frozenset(),
}


def sources_of(target: JobStatus) -> tuple[JobStatus, ...]:
    """The states from which ``target`` may be reached, for a conditional update's filter."""
    return tuple(state for state, targets in ALLOWED.items() if target in targets)


class AttemptOutcome(str, Enum):
    """How one claim of a job ended."""

    COMPLETED = "completed"
    RETRY = "retry"
    FAILED = "failed"
    LEASE_EXPIRED = "lease_expired"


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
    """A parsing job as stored in ``parsing_jobs``."""

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
    webhook: WebhookDelivery | None = None

    @property
    def total_bytes(self) -> int:
        """Size of all the job's files together."""
        return sum(item.size_bytes for item in self.files)


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter between parse attempts.

    The n-th retry waits ``base * 2**(n-1)`` seconds, capped at ``cap``, then
    scaled by a random factor in [0.5, 1.0] so that jobs failing together do not
    come back together ("equal jitter").
    """

    base_seconds: float
    cap_seconds: float

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        """How long to wait after failed attempt number ``attempt`` (1-based)."""
        ceiling = min(self.cap_seconds, self.base_seconds * 2 ** (attempt - 1))
        return timedelta(seconds=ceiling * rng.uniform(0.5, 1.0))
