"""Use case: a worker claims a job, parses its files, and records the outcome."""

from __future__ import annotations

import logging
import time
import traceback
from datetime import datetime, timedelta
from enum import Enum

from lib.domain.errors import LeaseLost, PermanentParseError, TransientError
from lib.domain.jobs import Job, JobError, JobStatus
from lib.domain.output_policy import OutputPolicy
from lib.domain.parsing import ParseRequest
from lib.services.context import Context
from lib.services.dispatch import dispatch_job
from lib.services.notify import dispatch_delivery

log = logging.getLogger(__name__)


class ParseResult(str, Enum):
    """What one delivery of a job's message led to."""

    COMPLETED = "completed"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    SKIPPED = "skipped"


def process_job(ctx: Context, job_id: str) -> ParseResult:
    """Claim the job and take it one attempt further.

    A message for a job that is unknown, final, leased to a live worker, or not due
    yet (a duplicate arriving before its backoff ended) changes nothing
    (``SKIPPED``). Transient errors put the job back to pending with a delayed
    message while attempts remain; permanent errors, and transient ones on the last
    attempt, fail it. A database error during the claim propagates to the caller.
    """
    now = ctx.clock()
    job = ctx.jobs.claim(job_id, ctx.worker_id, now, timedelta(seconds=ctx.settings.lease_seconds))
    if job is None:
        return _not_claimed(ctx, job_id, now)
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
        _discard_orphan_report(ctx, job)
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
    # Checked right before writing, so a worker whose job was taken over or failed
    # meanwhile does not overwrite the report of the worker that owns it now.
    ctx.jobs.ensure_leased(job)
    ctx.jobs.save_parsed_report(job, outcome.report, outcome.model, ctx.clock())
    done = ctx.jobs.complete(job, ctx.clock(), model=outcome.model, usage=outcome.usage, parse_ms=parse_ms)
    dispatch_delivery(ctx, done)
    log.info(
        "Job %s completed on attempt %d in %d ms (model %s)", job.id, job.attempts, parse_ms, outcome.model
    )


def _discard_orphan_report(ctx: Context, job: Job) -> None:
    """A report written by a worker that lost its lease is kept only if the job completed.

    A job deleted meanwhile (its tenant offboarded) keeps nothing: the report goes too.
    """
    current = ctx.jobs.get(job.id)
    if current is None or current.status is not JobStatus.COMPLETED:
        ctx.jobs.delete_parsed_report(job.report_id)


def _parse_request(ctx: Context, job: Job) -> ParseRequest:
    documents = [ctx.blobs.get(item.blob_name) for item in job.files]
    project = ctx.tenants.get_project(job.tenant_id, job.project_id)
    model = ctx.tenants.get_ai_model(project.ai_model_id) if project and project.ai_model_id else None
    return ParseRequest(
        documents=documents,
        model=model.model if model else None,
        prompt=model.prompt if model else None,
        policy=project.output if project else OutputPolicy(),
    )


def _retry_or_fail(ctx: Context, job: Job, error: JobError) -> ParseResult:
    if job.attempts >= job.max_attempts:
        final = JobError(error.code, f"{error.message}; gave up after {job.attempts} attempts")
        return _fail(ctx, job, final)
    now = ctx.clock()
    delay = ctx.retry_policy.delay(job.attempts, ctx.rng)
    ctx.jobs.release_for_retry(job, now, error, now + delay)
    log.info(
        "Job %s: attempt %d failed (%s); retry in %.1f s",
        job.id,
        job.attempts,
        error.code,
        delay.total_seconds(),
    )
    dispatch_job(ctx, job.id, delay)
    return ParseResult.RETRY_SCHEDULED


def _fail(ctx: Context, job: Job, error: JobError) -> ParseResult:
    dispatch_delivery(ctx, ctx.jobs.fail(job, ctx.clock(), error))
    log.info("Job %s failed on attempt %d (%s)", job.id, job.attempts, error.code)
    return ParseResult.FAILED


def _not_claimed(ctx: Context, job_id: str, now: datetime) -> ParseResult:
    """Nothing to do, unless the job is stuck with no attempts left: then it ends now."""
    job = ctx.jobs.get(job_id)
    if job is None:
        log.warning("Message for unknown job %s dropped", job_id)
        return ParseResult.SKIPPED
    expired = job.status is JobStatus.PROCESSING and job.lease is not None and job.lease.expires_at <= now
    if job.attempts >= job.max_attempts and (job.status is JobStatus.PENDING or expired):
        code = "lease_expired" if expired else "attempts_exhausted"
        error = JobError(code, f"parsing did not finish within {job.max_attempts} attempts")
        failed = ctx.jobs.fail_unless_final(job_id, now, error)
        if failed is not None:
            dispatch_delivery(ctx, failed)
            log.info("Job %s failed (%s)", job_id, code)
            return ParseResult.FAILED
    log.info("Message for job %s skipped: job is %s", job_id, job.status.value)
    return ParseResult.SKIPPED


def fail_poisoned(ctx: Context, job_id: str) -> bool:
    """The job's message kept crashing the worker: fail the job unless it already ended."""
    error = JobError("poison_message", "parsing crashed repeatedly; the report is kept, resubmit it")
    failed = ctx.jobs.fail_unless_final(job_id, ctx.clock(), error, unless_leased=True)
    if failed is not None:
        dispatch_delivery(ctx, failed)
    log.warning("Poison message for job %s: %s", job_id, "job failed" if failed else "job had already ended")
    return failed is not None
