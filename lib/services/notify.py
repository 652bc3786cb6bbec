"""Use cases around webhooks: send a delivery's message, deliver it, redeliver on request."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from enum import Enum
from typing import Any

from lib.adapters.job_store import CLOCK_SLACK
from lib.adapters.tenant_store import Project
from lib.adapters.webhook_sender import DeliveryOutcome, DeliveryResult, webhook_backoff
from lib.domain.errors import Conflict, DependencyUnavailable, NotFound
from lib.domain.jobs import Job, JobStatus
from lib.domain.webhooks import DeliveryAttempt, PayloadMode, WebhookState, event_for, new_delivery
from lib.services.context import Context
from lib.services.fhir_export import fhir_bundle
from lib.services.presenter import present_job, present_thin

log = logging.getLogger(__name__)

# The longest wait a receiver's Retry-After can impose (the last step of the schedule).
MAX_RETRY_AFTER = timedelta(hours=12)
# When the sweeper may assume an attempt's worker died: past the invocation's own limit
# (host.json functionTimeout, 10 min). The HTTP exchange itself ends much sooner, after
# 3 x WEBHOOK_TIMEOUT_SECONDS (lib/adapters/webhook_sender.py).
ATTEMPT_LIMIT = timedelta(minutes=12)


class DeliveryResultKind(str, Enum):
    """What one delivery message led to."""

    DELIVERED = "delivered"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    SKIPPED = "skipped"


def dispatch_delivery(ctx: Context, job: Job, delay: timedelta = timedelta(0)) -> bool:
    """Send the job's current delivery message, then record it as sent; ``False`` if the send failed.

    The delivery is already recorded on the job, so a failed send is re-sent by the sweeper.
    """
    delivery = job.webhook
    if delivery is None or delivery.state is not WebhookState.PENDING:
        return False
    try:
        ctx.webhook_queue.send(job.id, delay, message_id=delivery.message_id)
    except DependencyUnavailable:
        log.warning("Webhook message for job %s not sent; the sweeper will send it", job.id)
        return False
    try:
        ctx.deliveries.mark_sent(job.id, delivery.message_id)
    except DependencyUnavailable:
        log.warning("Webhook message for job %s sent but not recorded as sent", job.id)
    return True


def webhook_payload(ctx: Context, job: Job, project: Project) -> bytes:
    """The body of a job's webhook: the status document plus ``event`` (or the thin variant).

    A project that asks for it gets the completed report's FHIR Bundle too, as ``fhir``
    (never in thin bodies: the bundle is patient data).
    """
    assert job.webhook is not None
    if project.webhook_payload is PayloadMode.THIN:
        body = present_thin(job)
    else:
        parsed = ctx.jobs.get_parsed_data(job.report_id) if job.status is JobStatus.COMPLETED else None
        body = present_job(job, parsed, include_webhook=False)
        if parsed is not None and project.output.fhir_in_webhooks:
            body["fhir"] = fhir_bundle(job, parsed)
    return json.dumps({"event": job.webhook.event, **body}, separators=(",", ":")).encode()


def deliver_webhook(ctx: Context, job_id: str, message_id: str) -> DeliveryResultKind:
    """Make one attempt at the delivery named by ``message_id`` and schedule what follows.

    A message of a delivery that was replaced (redelivery), has ended, or is being
    attempted by another worker changes nothing.
    """
    job = ctx.jobs.get(job_id)
    delivery = job.webhook if job else None
    if job is None or job.webhook_url is None or delivery is None or delivery.message_id != message_id:
        log.info("Webhook message %s for job %s skipped: not the current delivery", message_id, job_id)
        return DeliveryResultKind.SKIPPED
    now = ctx.clock()
    if delivery.state is not WebhookState.PENDING:
        return DeliveryResultKind.SKIPPED
    if delivery.next_attempt_at is not None and delivery.next_attempt_at > now + CLOCK_SLACK:
        log.info(
            "Webhook message %s for job %s arrived before its attempt is due; skipped", message_id, job_id
        )
        return DeliveryResultKind.SKIPPED
    due_if_lost = now + ATTEMPT_LIMIT
    if not ctx.deliveries.start_attempt(job.id, message_id, delivery.attempts, due_if_lost):
        return DeliveryResultKind.SKIPPED
    number = delivery.attempts + 1
    project = ctx.tenants.get_project(job.tenant_id, job.project_id)
    secrets = project.signing_secrets(now) if project else []
    if project is None or not secrets:
        result = DeliveryResult(
            DeliveryOutcome.REFUSED, None, 0, "the project has no signing secret", None, None
        )
    else:
        payload = webhook_payload(ctx, job, project)
        result = ctx.webhooks.deliver(
            job.webhook_url, message_id=message_id, payload=payload, secrets=secrets, now=now
        )
    return _record(ctx, job, message_id, number, result)


def _record(
    ctx: Context, job: Job, message_id: str, number: int, result: DeliveryResult
) -> DeliveryResultKind:
    now = ctx.clock()
    attempt = DeliveryAttempt(
        number, now, result.outcome.value, result.status_code, result.error, result.duration_ms
    )
    if result.outcome is DeliveryOutcome.DELIVERED:
        ctx.deliveries.record(job.id, message_id, attempt, WebhookState.DELIVERED, None)
        return DeliveryResultKind.DELIVERED
    if result.outcome is DeliveryOutcome.RETRY and number < ctx.settings.webhook_max_attempts:
        delay = webhook_backoff(number, ctx.settings.webhook_retry_base_seconds, ctx.rng)
        if result.retry_after_seconds is not None:
            # Honoured, but never beyond the longest step of our own schedule.
            hint = min(result.retry_after_seconds, MAX_RETRY_AFTER.total_seconds())
            delay = max(delay, timedelta(seconds=hint))
        ctx.deliveries.record(job.id, message_id, attempt, WebhookState.PENDING, now + delay)
        updated = ctx.jobs.get(job.id)
        if updated is not None:
            dispatch_delivery(ctx, updated, delay)
        log.info(
            "Webhook for job %s: attempt %d failed; retry in %.0f s", job.id, number, delay.total_seconds()
        )
        return DeliveryResultKind.RETRY_SCHEDULED
    ctx.deliveries.record(job.id, message_id, attempt, WebhookState.FAILED, None)
    log.warning(
        "Webhook for job %s failed for good after attempt %d (%s)", job.id, number, result.outcome.value
    )
    return DeliveryResultKind.FAILED


def redeliver(ctx: Context, *, api_key: str | None, job_id: str) -> dict[str, Any]:
    """Queue a fresh delivery (new ``webhook-id``) of an ended job's notification."""
    tenant_id = ctx.auth.tenant_of(api_key)
    job = ctx.jobs.get_for_tenant(job_id, tenant_id)
    if job is None:
        raise NotFound("job not found", code="job_not_found")
    if job.webhook_url is None:
        raise Conflict("the job has no webhook_url", code="no_webhook_url")
    if not job.status.is_final:
        raise Conflict(
            "the job has not ended yet; its webhook goes out when it does", code="job_not_finished"
        )
    delivery = new_delivery(event_for(job.status is JobStatus.COMPLETED), ctx.clock())
    if not ctx.deliveries.replace(job.id, delivery):
        raise NotFound("job not found", code="job_not_found")
    updated = ctx.jobs.get(job.id)
    assert updated is not None
    dispatch_delivery(ctx, updated)
    log.info("Webhook redelivery %s queued for job %s", delivery.message_id, job.id)
    return {
        "success": True,
        "job_id": job.id,
        "webhook_id": delivery.message_id,
        "state": delivery.state.value,
    }


def fail_poisoned_delivery(ctx: Context, job_id: str, message_id: str) -> bool:
    """A delivery message kept crashing the worker: end that delivery as failed."""
    failed = ctx.deliveries.fail(job_id, message_id)
    log.warning(
        "Poison webhook message for job %s: %s", job_id, "delivery failed" if failed else "already ended"
    )
    return failed
