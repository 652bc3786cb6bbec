"""Use case: find work that got stuck and move it on, so every job and webhook reaches an end;
and purge the jobs whose project's retention has ended.

Run by a timer. Each pass is bounded (``SWEEP_BATCH_SIZE`` per kind of problem),
takes the time as a parameter, and goes on past a job it cannot handle. Re-sent
messages may duplicate one that was only slow: harmless, since claims and
delivery attempts are conditional writes.
"""

from __future__ import annotations

import logging
import traceback
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta

from lib.domain import job_transitions as transitions
from lib.domain.jobs import Job, JobError
from lib.services.context import Context
from lib.services.dispatch import dispatch_job
from lib.services.notify import dispatch_delivery
from lib.services.purge import expire_retained, remove_orphan_blobs

log = logging.getLogger(__name__)

# A message sent this recently may still be on its way: the outbox's own send is not raced.
OUTBOX_GRACE = timedelta(seconds=30)


def sweep(ctx: Context, now: datetime) -> dict[str, int]:
    """One pass of the sweeper; returns how many jobs each action touched (and ``errors``)."""
    settings = ctx.settings
    limit = settings.sweep_batch_size
    stale_before = now - timedelta(seconds=settings.sweep_stale_message_seconds)
    counts: Counter[str] = Counter()

    def each(action: str, jobs: list[Job], handle: Callable[[Job], bool]) -> None:
        for job in jobs:
            try:
                if handle(job):
                    counts[action] += 1
            except Exception as exc:  # noqa: BLE001 - one bad job must not stop the batch
                counts["errors"] += 1
                log.error(
                    "Sweeper: %s of job %s failed with %s\n%s",
                    action,
                    job.id,
                    type(exc).__name__,
                    "".join(traceback.format_tb(exc.__traceback__)),
                )

    deadline = now - timedelta(minutes=settings.job_deadline_minutes)
    each(
        "deadline_failed",
        ctx.jobs.past_deadline(deadline, limit),
        lambda job: _fail_past_deadline(ctx, job, now),
    )
    each("lease_expired", ctx.jobs.expired_leases(now, limit), lambda job: _recover_expired(ctx, job, now))
    each("unsent_requeued", ctx.jobs.unsent(now - OUTBOX_GRACE, limit), lambda job: _resend(ctx, job, now))
    each("lost_requeued", ctx.jobs.overdue(stale_before, limit), lambda job: _resend(ctx, job, now))
    each(
        "webhooks_requeued",
        ctx.jobs.stalled_deliveries(now - OUTBOX_GRACE, stale_before, limit),
        lambda job: _resend_delivery(ctx, job, now),
    )
    try:
        retention = expire_retained(ctx, now, limit)
        if retention.purged:
            counts["retention_purged"] = retention.purged
        if retention.errors:
            counts["errors"] += retention.errors
    except Exception as exc:  # noqa: BLE001 - the job work above is done; the next pass tries again
        counts["errors"] += 1
        log.error("Sweeper: retention pass failed with %s", type(exc).__name__)
    try:
        if removed := remove_orphan_blobs(ctx, now, limit):
            counts["orphan_blobs_removed"] = removed
    except Exception as exc:  # noqa: BLE001 - the job work above is done; the next pass tries again
        counts["errors"] += 1
        log.error("Sweeper: orphan blob scan failed with %s", type(exc).__name__)
    summary = dict(sorted(counts.items()))
    log.info(
        "Sweep done: %s", ", ".join(f"{key}={value}" for key, value in summary.items()) or "nothing to do"
    )
    return summary


def _fail_past_deadline(ctx: Context, job: Job, now: datetime) -> bool:
    minutes = ctx.settings.job_deadline_minutes
    error = JobError("deadline_exceeded", f"parsing did not finish within {minutes} minutes of the upload")
    change = transitions.fail_unless_final(job, now, error)
    failed = ctx.jobs.apply(change) if change else None
    if failed is None:
        return False
    dispatch_delivery(ctx, failed)
    return True


def _recover_expired(ctx: Context, job: Job, now: datetime) -> bool:
    """A worker vanished mid-parse: back to pending and re-queued, or failed if no attempts are left."""
    change = transitions.recover_expired(job, now)
    after = ctx.jobs.apply(change) if change else None
    if after is None:
        return False  # a worker or a claim moved it on meanwhile
    if after.status.is_final:
        dispatch_delivery(ctx, after)
    else:
        dispatch_job(ctx, after)
    return True


def _resend(ctx: Context, job: Job, now: datetime) -> bool:
    """Send the job's message again, delayed until it is due (a retry's backoff is kept)."""
    due = max(now, job.next_attempt_at or now)
    if not dispatch_job(ctx, job, due - now):
        return False
    ctx.jobs.apply(transitions.resent(job, now, due))
    return True


def _resend_delivery(ctx: Context, job: Job, now: datetime) -> bool:
    """Send a delivery's message again: one never sent when it is due, a lost one now."""
    delivery = job.webhook
    assert delivery is not None
    if delivery.message_sent:
        ctx.deliveries.reschedule(job.id, delivery.message_id, now)
        return dispatch_delivery(ctx, job)
    due = max(now, delivery.next_attempt_at or now)
    return dispatch_delivery(ctx, job, due - now)
