"""Use cases around webhooks: send a delivery's message, deliver it, redeliver on request.

The rules are the domain's (:mod:`lib.domain.webhooks`, :mod:`lib.domain.webhook_outcomes`);
each use case reads, asks the domain for a change, and has the store apply it as one
conditional write. A change that no longer applies (a duplicate message, another
worker, a replaced delivery) ends the use case with :attr:`DeliveryResult.SKIPPED`.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from enum import Enum
from typing import Any

from lib.domain.backoff import Backoff
from lib.domain.errors import Conflict, DependencyUnavailable, NotFound
from lib.domain.jobs import Job, JobStatus
from lib.domain.tenants import Project
from lib.domain.webhook_outcomes import PostAnswer, TargetRefused, classify
from lib.domain.webhooks import (
    PayloadMode,
    RetryRules,
    WebhookDelivery,
    WebhookState,
    fail_poisoned,
    is_due,
    record_outcome,
    redelivery,
    start_attempt,
)
from lib.services.context import Context
from lib.services.fhir_export import fhir_bundle
from lib.services.lookup import live_job
from lib.services.presenter import present_job, present_thin

log = logging.getLogger(__name__)

# When the sweeper may assume an attempt's worker died: past the invocation's own limit
# (host.json functionTimeout, 10 min). The HTTP exchange itself ends much sooner, after
# 3 x WEBHOOK_TIMEOUT_SECONDS (lib/adapters/webhook_sender.py).
ATTEMPT_LIMIT = timedelta(minutes=12)


class DeliveryResult(str, Enum):
    """What one delivery message led to, for the queue trigger to log."""

    DELIVERED = "delivered"
    RETRY_SCHEDULED = "retry_scheduled"
    FAILED = "failed"
    SKIPPED = "skipped"


def retry_rules(ctx: Context) -> RetryRules:
    """How many attempts a delivery gets and the backoff between them, from the settings."""
    return RetryRules(
        ctx.settings.webhook_max_attempts, Backoff.webhook(ctx.settings.webhook_retry_base_seconds)
    )


def dispatch_delivery(ctx: Context, job: Job, delay: timedelta = timedelta(0)) -> bool:
    """Send the job's current delivery message, then record it as sent; ``False`` if the send failed.

    The delivery is already recorded on the job, so a failed send is re-sent by the sweeper.
    """
    return job.webhook is not None and _send(ctx, job.id, job.webhook, delay)


def _send(ctx: Context, job_id: str, delivery: WebhookDelivery, delay: timedelta) -> bool:
    if delivery.state is not WebhookState.PENDING:
        return False
    try:
        ctx.webhook_queue.send(job_id, delay, message_id=delivery.message_id)
    except DependencyUnavailable:
        log.warning("Webhook message for job %s not sent; the sweeper will send it", job_id)
        return False
    try:
        ctx.deliveries.mark_sent(job_id, delivery.message_id)
    except DependencyUnavailable:
        log.warning("Webhook message for job %s sent but not recorded as sent", job_id)
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
        parsed = ctx.reports.get_parsed_data(job.report_id) if job.status is JobStatus.COMPLETED else None
        body = present_job(job, parsed, include_webhook=False)
        if parsed is not None and project.output.fhir_in_webhooks:
            body["fhir"] = fhir_bundle(job, parsed)
    return json.dumps({"event": job.webhook.event, **body}, separators=(",", ":")).encode()


def deliver_webhook(ctx: Context, job_id: str, message_id: str) -> DeliveryResult:
    """Make one attempt at the delivery named by ``message_id`` and schedule what follows.

    A message of a delivery that was replaced (redelivery), has ended, is not due yet,
    or is being attempted by another worker changes nothing.
    """
    job = ctx.jobs.get(job_id)
    now = ctx.clock()
    if (
        job is None
        or job.webhook_url is None
        or job.webhook is None
        or not is_due(job.webhook, message_id, now)
    ):
        log.info("Webhook message %s for job %s skipped: not the current, due delivery", message_id, job_id)
        return DeliveryResult.SKIPPED
    started = ctx.deliveries.apply(job.id, start_attempt(job.webhook, now, ATTEMPT_LIMIT))
    if started is None:
        log.info("Webhook message %s for job %s skipped: attempt taken by another worker", message_id, job_id)
        return DeliveryResult.SKIPPED
    answer = _post(ctx, job, job.webhook_url, message_id)
    done = ctx.clock()
    change = record_outcome(
        started, classify(answer, done), answer.duration_ms, done, retry_rules(ctx), ctx.rng
    )
    recorded = ctx.deliveries.apply(job.id, change)
    if recorded is None:
        log.warning(
            "Webhook attempt %d for job %s ended, but its delivery had moved on", started.attempts, job.id
        )
        return DeliveryResult.SKIPPED
    return _after(ctx, job.id, recorded)


def _post(ctx: Context, job: Job, url: str, message_id: str) -> PostAnswer:
    now = ctx.clock()
    project = ctx.auth.project(job.tenant_id, job.project_id)
    secrets = project.signing_secrets(now) if project else []
    if project is None or not secrets:
        return TargetRefused("the project has no signing secret")
    payload = webhook_payload(ctx, job, project)
    return ctx.webhooks.post(url, message_id=message_id, payload=payload, secrets=secrets, now=now)


def _after(ctx: Context, job_id: str, delivery: WebhookDelivery) -> DeliveryResult:
    attempt = delivery.last_attempt
    assert attempt is not None
    if delivery.state is WebhookState.DELIVERED:
        return DeliveryResult.DELIVERED
    if delivery.state is WebhookState.PENDING:
        assert delivery.next_attempt_at is not None
        delay = delivery.next_attempt_at - attempt.at
        _send(ctx, job_id, delivery, delay)
        log.info(
            "Webhook for job %s: attempt %d failed; retry in %.0f s",
            job_id,
            attempt.number,
            delay.total_seconds(),
        )
        return DeliveryResult.RETRY_SCHEDULED
    log.warning(
        "Webhook for job %s failed for good after attempt %d (%s)", job_id, attempt.number, attempt.outcome
    )
    return DeliveryResult.FAILED


def redeliver(ctx: Context, *, api_key: str | None, job_id: str) -> dict[str, Any]:
    """Queue a fresh delivery (new ``webhook-id``) of an ended job's notification."""
    job = live_job(ctx, api_key, job_id)
    if job.webhook_url is None:
        raise Conflict("the job has no webhook_url", code="no_webhook_url")
    if not job.status.is_final:
        raise Conflict(
            "the job has not ended yet; its webhook goes out when it does", code="job_not_finished"
        )
    delivery = ctx.deliveries.apply(job.id, redelivery(job.status.value, ctx.clock()))
    if delivery is None:
        raise NotFound("job not found", code="job_not_found")
    _send(ctx, job.id, delivery, timedelta(0))
    log.info("Webhook redelivery %s queued for job %s", delivery.message_id, job.id)
    return {
        "success": True,
        "job_id": job.id,
        "webhook_id": delivery.message_id,
        "state": delivery.state.value,
    }


def fail_poisoned_delivery(ctx: Context, job_id: str, message_id: str) -> bool:
    """A delivery message kept crashing the worker: end that delivery as failed.

    ``False`` when the delivery had ended or been replaced already.
    """
    job = ctx.jobs.get(job_id)
    delivery = job.webhook if job else None
    failed = (
        delivery is not None
        and delivery.message_id == message_id
        and delivery.state is WebhookState.PENDING
        and ctx.deliveries.apply(job_id, fail_poisoned(delivery, message_id)) is not None
    )
    log.warning(
        "Poison webhook message for job %s: %s", job_id, "delivery failed" if failed else "already ended"
    )
    return failed
