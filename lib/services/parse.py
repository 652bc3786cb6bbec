"""Use case: a worker claims a job, parses its files, and records the outcome."""

from __future__ import annotations

import logging
import time
import traceback
from datetime import datetime, timedelta
from enum import Enum

from lib.domain import job_transitions as transitions
from lib.domain.errors import LeaseLost, PermanentParseError, TransientError
from lib.domain.jobs import Change, Job, JobError
from lib.domain.output_policy import OutputPolicy
from lib.domain.parsing import ParseRequest
from lib.services.context import Context
from lib.services.dispatch import dispatch_job
from lib.services.notify import dispatch_delivery
from lib.services.quotas import defer_over_cap

log = logging.getLogger(__name__)


class ParseResult(str, Enum):
    """What one delivery of a job's message led to (the parse trigger logs it)."""

    COMPLETED = "completed"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    SKIPPED = "skipped"
    #: The tenant already runs its cap of parses: the job waits, no attempt used.
    DEFERRED = "deferred"


def process_job(ctx: Context, job_id: str) -> ParseResult:
    """Claim the job and take it one attempt further.

    A message for a job that is unknown, final, leased to a live worker, or not due
    yet (a duplicate arriving before its backoff ended) changes nothing
    (``SKIPPED``). Transient errors put the job back to pending with a delayed
    message while attempts remain; permanent errors, and transient ones on the last
    attempt, fail it. A database error during the claim propagates to the caller.

    Round trips to the database on the way to ``COMPLETED``: the job's read and its
    claim, the report's write, the completion (plus the project's read).
    """
    now = ctx.clock()
    found = ctx.jobs.get(job_id)
    if found is None:
        log.warning("Message for unknown job %s dropped", job_id)
        return ParseResult.SKIPPED
    claim = transitions.claim(
        found, worker=ctx.worker_id, now=now, lease_for=timedelta(seconds=ctx.settings.lease_seconds)
    )
    if claim is not None and defer_over_cap(ctx, found, now):
        return ParseResult.DEFERRED
    job = ctx.jobs.apply(claim) if claim else None
    if job is None:
        return _not_claimed(ctx, found, now)
    log.info("Job %s claimed: attempt %d of %d", job.id, job.attempts, job.max_attempts)
    try:
        # The outcome is recorded outside _attempt's except blocks: an error while
        # recording must not carry the parse exception (whose message may quote the
        # report) along as its context.
        error, permanent = _attempt(ctx, job)
        if error is None:
            return ParseResult.COMPLETED
        if permanent:
            return _fail(ctx, job, error)
        return _retry_or_fail(ctx, job, error)
    except LeaseLost:
        log.warning("Job %s: lease lost during attempt %d; result dropped", job.id, job.attempts)
        return ParseResult.SKIPPED


def _attempt(ctx: Context, job: Job) -> tuple[JobError | None, bool]:
    """Parse and complete; ``(None, _)`` on success, else the error and whether it is permanent."""
    try:
        _parse_and_complete(ctx, job)
    except LeaseLost:
        # A report this attempt wrote goes with it; a later attempt's stays.
        ctx.reports.discard(job)
        raise
    except PermanentParseError as exc:
        return JobError(exc.code, exc.message), True
    except TransientError as exc:
        return JobError(exc.code, exc.message), False
    except Exception as exc:  # noqa: BLE001 - the job must end; see below
        # A bug, not a condition we know how to retry. Fail the job so it ends with a
        # clear state instead of hanging; log the type and frames only, since a
        # vendor exception's message may quote document content.
        log.error(
            "Job %s: unexpected %s during parsing\n%s",
            job.id,
            type(exc).__name__,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
        return JobError(
            "internal_error", "an unexpected error stopped parsing; the report is kept, resubmit it"
        ), True
    return None, False


def _parse_and_complete(ctx: Context, job: Job) -> None:
    request = _parse_request(ctx, job)
    started = time.monotonic()
    outcome = ctx.parser.parse(request)
    parse_ms = int((time.monotonic() - started) * 1000)
    # A worker whose job was taken over meanwhile cannot replace the report of the
    # attempt that owns it now: the write is conditional on the attempt number.
    if not ctx.reports.save(job, outcome.report, outcome.model, ctx.clock()):
        raise LeaseLost(job.id)
    change = transitions.complete(
        job, ctx.clock(), model=outcome.model, usage=outcome.usage, parse_ms=parse_ms
    )
    dispatch_delivery(ctx, _as_holder(ctx, change))
    log.info(
        "Job %s completed on attempt %d in %d ms (model %s)", job.id, job.attempts, parse_ms, outcome.model
    )


def _as_holder(ctx: Context, change: Change) -> Job:
    """Apply a lease holder's change; :class:`LeaseLost` when the lease is no longer its own."""
    done = ctx.jobs.apply(change)
    if done is None:
        raise LeaseLost(change.job_id)
    return done


def _parse_request(ctx: Context, job: Job) -> ParseRequest:
    documents = [ctx.blobs.get(item.blob_name) for item in job.files]
    project = ctx.auth.project(job.tenant_id, job.project_id)
    model = ctx.tenants.get_ai_model(project.ai_model_id) if project and project.ai_model_id else None
    return ParseRequest(
        documents=documents,
        model=model.model if model else None,
        prompt=model.prompt if model else None,
        policy=project.output if project else OutputPolicy(),
    )


def _retry_or_fail(ctx: Context, job: Job, error: JobError) -> ParseResult:
    now = ctx.clock()
    change = transitions.after_transient_error(job, now, error, ctx.parse_backoff, ctx.rng)
    after = _as_holder(ctx, change)
    if after.status.is_final:
        dispatch_delivery(ctx, after)
        log.info("Job %s failed on attempt %d (%s)", job.id, job.attempts, error.code)
        return ParseResult.FAILED
    delay = (after.next_attempt_at or now) - now
    log.info(
        "Job %s: attempt %d failed (%s); retry in %.1f s",
        job.id,
        job.attempts,
        error.code,
        delay.total_seconds(),
    )
    dispatch_job(ctx, after, delay)
    return ParseResult.RETRY_SCHEDULED


def _fail(ctx: Context, job: Job, error: JobError) -> ParseResult:
    dispatch_delivery(ctx, _as_holder(ctx, transitions.fail(job, ctx.clock(), error)))
    log.info("Job %s failed on attempt %d (%s)", job.id, job.attempts, error.code)
    return ParseResult.FAILED


def _not_claimed(ctx: Context, job: Job, now: datetime) -> ParseResult:
    """Nothing to do, unless the job is stuck with no attempts left: then it ends now."""
    change = transitions.end_unclaimable(job, now)
    failed = ctx.jobs.apply(change) if change else None
    if failed is not None:
        dispatch_delivery(ctx, failed)
        log.info("Job %s failed (%s)", job.id, failed.error.code if failed.error else "unknown")
        return ParseResult.FAILED
    log.info("Message for job %s skipped: job is %s", job.id, job.status.value)
    return ParseResult.SKIPPED


def fail_poisoned(ctx: Context, job_id: str) -> bool:
    """The job's message kept crashing the worker: fail the job unless it ended or a live lease holds it."""
    error = JobError("poison_message", "parsing crashed repeatedly; the report is kept, resubmit it")
    job = ctx.jobs.get(job_id)
    change = transitions.fail_poisoned(job, ctx.clock(), error) if job else None
    failed = ctx.jobs.apply(change) if change else None
    if failed is not None:
        dispatch_delivery(ctx, failed)
    log.warning("Poison message for job %s: %s", job_id, "job failed" if failed else "job had already ended")
    return failed is not None
