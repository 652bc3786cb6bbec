"""The job's transitions, as pure functions: a job (as read) in, a :class:`~lib.domain.jobs.Change` out.

Each function decides from the job alone whether the transition may happen, what
the job becomes (status, lease, attempt history, the outbox's webhook delivery)
and what the stored job must still be for the change to apply. The time is a
parameter. The store writes the change as one conditional update; when the
condition no longer holds (another worker, message or sweep got there first) the
write matches nothing and the caller is told.

``None`` means "nothing to do" (the job is not in a state this transition starts
from); :class:`~lib.domain.errors.LeaseLost` means the caller believed it held a
lease that the job does not have.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from lib.domain.backoff import Backoff
from lib.domain.clock import CLOCK_SLACK
from lib.domain.errors import LeaseLost
from lib.domain.jobs import (
    ALLOWED,
    Attempt,
    AttemptOutcome,
    Change,
    Expect,
    Job,
    JobError,
    JobStatus,
    Lease,
)
from lib.domain.parsing import TokenUsage
from lib.domain.webhooks import event_for, new_delivery

LEASE_EXPIRED = "lease_expired"


def claimable(job: Job, now: datetime) -> bool:
    """Whether a worker may claim the job at ``now``.

    It needs an attempt left, and either to be pending and due (a duplicate message
    arriving before its backoff ended waits for its own; :data:`CLOCK_SLACK` allows
    for the clocks of the workers and the queue), or to be processing under a lease
    that has expired (its worker died: a takeover).
    """
    if job.attempts >= job.max_attempts:
        return False
    if job.status is JobStatus.PENDING:
        return job.next_attempt_at is None or job.next_attempt_at <= now + CLOCK_SLACK
    return _lease_expired(job, now)


def claim(job: Job, *, worker: str, now: datetime, lease_for: timedelta) -> Change | None:
    """pending -> processing, or a takeover of an expired lease; ``None`` when not :func:`claimable`.

    Starts attempt ``attempts + 1`` under a new lease (its token unique per claim);
    a takeover first marks the vanished worker's attempt ``lease_expired``.
    Conditional on the status and attempt count read, so of two concurrent claims
    exactly one applies.
    """
    if not claimable(job, now):
        return None
    history = list(job.history)
    if job.status is JobStatus.PROCESSING and history:
        history[-1] = _ended(history[-1], now, AttemptOutcome.LEASE_EXPIRED, LEASE_EXPIRED)
    number = job.attempts + 1
    history.append(Attempt(number=number, worker=worker, started_at=now))
    return _change(
        job,
        Expect(job.status, attempts=job.attempts),
        status=JobStatus.PROCESSING,
        attempts=number,
        lease=Lease(owner=worker, token=uuid.uuid4().hex, expires_at=now + lease_for),
        next_attempt_at=None,
        history=tuple(history),
        updated_at=now,
    )


def complete(job: Job, now: datetime, *, model: str, usage: TokenUsage | None, parse_ms: int) -> Change:
    """processing -> completed, by the lease holder; creates the webhook delivery when there is a URL."""
    return _end_attempt(
        job,
        now,
        JobStatus.COMPLETED,
        AttemptOutcome.COMPLETED,
        None,
        completed_at=now,
        error=None,
        model=model,
        usage=usage,
        parse_ms=parse_ms,
    )


def fail(job: Job, now: datetime, error: JobError) -> Change:
    """processing -> failed, by the lease holder (a permanent error, or no attempts left)."""
    return _end_attempt(job, now, JobStatus.FAILED, AttemptOutcome.FAILED, error, failed_at=now, error=error)


def release_for_retry(
    job: Job, now: datetime, error: JobError, backoff: Backoff, rng: random.Random
) -> Change:
    """processing -> pending after a transient error, due after the backoff for this attempt.

    The delayed message that brings it back is recorded as sent with the same write
    (it goes out next; a failed send is turned back by :func:`message_unsent`).
    """
    due = now + backoff.delay(job.attempts, rng)
    return _end_attempt(
        job,
        now,
        JobStatus.PENDING,
        AttemptOutcome.RETRY,
        error,
        next_attempt_at=due,
        message_sent=True,
        message_sent_at=now,
    )


def after_transient_error(
    job: Job, now: datetime, error: JobError, backoff: Backoff, rng: random.Random
) -> Change:
    """A transient error ends the lease holder's attempt: retry later while attempts remain, else fail."""
    if job.attempts >= job.max_attempts:
        final = JobError(error.code, f"{error.message}; gave up after {job.attempts} attempts")
        return fail(job, now, final)
    return release_for_retry(job, now, error, backoff, rng)


def fail_unless_final(job: Job, now: datetime, error: JobError) -> Change | None:
    """pending/processing -> failed whoever holds it (the deadline); ``None`` once it has ended.

    A running attempt is closed as failed; its worker's later writes find the lease gone.
    """
    if job.status.is_final:
        return None
    return _force_fail(job, now, error, AttemptOutcome.FAILED)


def fail_poisoned(job: Job, now: datetime, error: JobError) -> Change | None:
    """Fail a job whose message kept crashing the worker, unless a live lease holds it.

    A poison message must not fail a job that another message's worker is parsing
    right now: that worker ends it. ``None`` when the job has ended or is leased.
    """
    if job.status.is_final or (job.status is JobStatus.PROCESSING and not _lease_expired(job, now)):
        return None
    return _force_fail(job, now, error, AttemptOutcome.FAILED)


def recover_expired(job: Job, now: datetime) -> Change | None:
    """A processing job whose lease expired (its worker vanished): back to pending, due now.

    On its last attempt it fails instead (``lease_expired``). Either way the
    vanished attempt is marked ``lease_expired`` in the history. ``None`` when the
    job is not processing under an expired lease. Conditional on that lease's token,
    so a worker or claim that got there first wins.
    """
    if not _lease_expired(job, now):
        return None
    if job.attempts >= job.max_attempts:
        error = JobError(
            LEASE_EXPIRED, f"the worker stopped responding on the last of {job.max_attempts} attempts"
        )
        return _force_fail(job, now, error, AttemptOutcome.LEASE_EXPIRED)
    return _end_attempt(
        job,
        now,
        JobStatus.PENDING,
        AttemptOutcome.LEASE_EXPIRED,
        JobError(LEASE_EXPIRED, "the worker stopped responding"),
        next_attempt_at=now,
        message_sent=True,
        message_sent_at=now,
    )


def end_unclaimable(job: Job, now: datetime) -> Change | None:
    """A message found the job stuck with no attempts left: fail it now instead of waiting for the sweeper.

    That is a pending job whose attempts are used up, or a processing one whose last
    attempt's lease expired. ``None`` for every other job (final, leased, or not due yet).
    """
    expired = _lease_expired(job, now)
    if job.attempts < job.max_attempts or not (job.status is JobStatus.PENDING or expired):
        return None
    code = LEASE_EXPIRED if expired else "attempts_exhausted"
    error = JobError(code, f"parsing did not finish within {job.max_attempts} attempts")
    outcome = AttemptOutcome.LEASE_EXPIRED if expired else AttemptOutcome.FAILED
    return _force_fail(job, now, error, outcome)


def cancel(job: Job, now: datetime) -> Change | None:
    """pending/processing -> cancelled, at the client's request; ``None`` once the job has ended.

    A running attempt is closed as ``cancelled`` and its lease ends with it, so the
    worker's completion (conditional on that lease) matches nothing and its result is
    dropped. Conditional on the status and attempt count read (every claim raises
    the count), so a claim, a completion or a retry that got there first makes the
    caller read again. Creates the ``job.cancelled`` delivery when there is a URL.
    """
    if job.status.is_final:
        return None
    history = job.history
    if job.status is JobStatus.PROCESSING:
        history = _close_last(job, now, AttemptOutcome.CANCELLED, None)
    return _change(
        job,
        Expect(job.status, attempts=job.attempts),
        status=JobStatus.CANCELLED,
        cancelled_at=now,
        lease=None,
        next_attempt_at=None,
        updated_at=now,
        history=history,
        **_outbox(job, JobStatus.CANCELLED, now),
    )


def tombstone(job: Job, now: datetime, *, expired: bool = False) -> Change | None:
    """Any state -> deleted: the job keeps its ids, tenant, project and timestamps, nothing else.

    Gone are the files (blob names, sizes, hashes of patient documents), the webhook
    URL and its delivery, the error, the attempt history, the lease, the model and
    its usage. The write replaces the stored document whole, so a field this version
    does not know does not survive either. ``expired`` marks a purge at the end of
    the project's retention (``expired_at``) rather than a client's delete.
    Conditional on the status and attempt count read: a worker that moves the job
    on meanwhile makes the caller read again, and none of its writes (each
    conditional on a live status) can match a tombstone. ``None`` when the job is a
    tombstone already.
    """
    if job.status is JobStatus.DELETED:
        return None
    gone = Job(
        id=job.id,
        report_id=job.report_id,
        tenant_id=job.tenant_id,
        project_id=job.project_id,
        status=JobStatus.DELETED,
        files=(),
        attempts=job.attempts,
        max_attempts=job.max_attempts,
        created_at=job.created_at,
        updated_at=now,
        message_sent=job.message_sent,
        message_sent_at=job.message_sent_at,
        completed_at=job.completed_at,
        failed_at=job.failed_at,
        cancelled_at=job.cancelled_at,
        deleted_at=now,
        expired_at=now if expired else None,
    )
    if JobStatus.DELETED not in ALLOWED[job.status]:
        raise ValueError(f"no transition from {job.status.value} to deleted")
    fields = frozenset(name for name in Job.__dataclass_fields__ if name != "id")
    return Change(gone, fields, Expect(job.status, attempts=job.attempts), replaces=True)


def resent(job: Job, now: datetime, due: datetime) -> Change:
    """Record a re-sent message of a pending job and when it is due, so it is not re-sent too soon.

    Only while the job is still at the attempt it was found at: a worker that took
    the message and scheduled a retry meanwhile has recorded a later due time.
    """
    return _bookkeeping(job, message_sent=True, message_sent_at=now, next_attempt_at=due)


def message_unsent(job: Job) -> Change:
    """Record that the message a pending job was stored with could not be sent (the sweeper sends it)."""
    return _bookkeeping(job, message_sent=False)


def _bookkeeping(job: Job, **fields: Any) -> Change:
    if job.status is not JobStatus.PENDING:
        raise ValueError("only a pending job's message is sent")
    return _change(job, Expect(JobStatus.PENDING, attempts=job.attempts), **fields)


def _end_attempt(
    job: Job,
    now: datetime,
    target: JobStatus,
    outcome: AttemptOutcome,
    attempt_error: JobError | None,
    **fields: Any,
) -> Change:
    """The lease holder ends its attempt: conditional on the lease's token."""
    if job.status is not JobStatus.PROCESSING or job.lease is None:
        raise LeaseLost(job.id)
    return _change(
        job,
        Expect(JobStatus.PROCESSING, lease_token=job.lease.token),
        status=target,
        lease=None,
        updated_at=now,
        history=_close_last(job, now, outcome, attempt_error.code if attempt_error else None),
        **_outbox(job, target, now),
        **fields,
    )


def _force_fail(job: Job, now: datetime, error: JobError, outcome: AttemptOutcome) -> Change:
    """Fail a job from outside its lease: conditional on the state it was read in."""
    token = job.lease.token if job.status is JobStatus.PROCESSING and job.lease else None
    history = job.history
    if job.status is JobStatus.PROCESSING:
        history = _close_last(job, now, outcome, error.code)
    return _change(
        job,
        Expect(job.status, attempts=job.attempts, lease_token=token),
        status=JobStatus.FAILED,
        failed_at=now,
        error=error,
        lease=None,
        next_attempt_at=None,
        updated_at=now,
        history=history,
        **_outbox(job, JobStatus.FAILED, now),
    )


def _outbox(job: Job, target: JobStatus, now: datetime) -> dict[str, Any]:
    """The webhook delivery a final transition creates in the same write, when the job has a URL."""
    if not target.is_final or job.webhook_url is None:
        return {}
    return {"webhook": new_delivery(event_for(target.value), now)}


def _change(job: Job, expect: Expect, **fields: Any) -> Change:
    target = fields.get("status", job.status)
    if target is not job.status and target not in ALLOWED[job.status]:
        raise ValueError(f"no transition from {job.status.value} to {target.value}")
    return Change(replace(job, **fields), frozenset(fields), expect)


def _lease_expired(job: Job, now: datetime) -> bool:
    return job.status is JobStatus.PROCESSING and job.lease is not None and job.lease.expires_at <= now


def _close_last(
    job: Job, now: datetime, outcome: AttemptOutcome, error_code: str | None
) -> tuple[Attempt, ...]:
    if not job.history:
        return job.history
    return (*job.history[:-1], _ended(job.history[-1], now, outcome, error_code))


def _ended(attempt: Attempt, now: datetime, outcome: AttemptOutcome, error_code: str | None) -> Attempt:
    return replace(attempt, ended_at=now, outcome=outcome, error_code=error_code)
