"""Use cases: deliver a webhook message, redeliver on request, end a poisoned delivery (fakes only)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from lib.domain.errors import AuthenticationFailed, Conflict, NotFound
from lib.domain.jobs import Job, JobStatus
from lib.domain.tenants import Project
from lib.domain.webhook_outcomes import ReceiverAnswered, TargetRefused, TransportFailed
from lib.domain.webhooks import PayloadMode, WebhookDelivery, WebhookState, new_delivery, start_attempt
from lib.services.notify import (
    ATTEMPT_LIMIT,
    DeliveryResult,
    deliver_webhook,
    dispatch_delivery,
    fail_poisoned_delivery,
    redeliver,
)
from tests.support.fakes.context import Fakes
from tests.support.fakes.storage import SentMessage
from tests.support.jobs import T0, new_job

URL = "https://hooks.example/receive"


@pytest.fixture(autouse=True)
def api_key(fakes: Fakes) -> str:
    """tenant-001 with project-001 (one signing secret) and this key."""
    return fakes.register()


def ended(fakes: Fakes, *, status: JobStatus = JobStatus.COMPLETED, **changes: object) -> Job:
    """A stored job that ended with a webhook URL and a pending delivery (as the outbox wrote it)."""
    event = "job.completed" if status is JobStatus.COMPLETED else "job.failed"
    job = new_job(status=status, webhook_url=URL, webhook=new_delivery(event, T0), **changes)
    fakes.jobs.insert(job)
    return job


def delivery(fakes: Fakes, job: Job) -> WebhookDelivery:
    stored = fakes.jobs.get(job.id)
    assert stored is not None
    assert stored.webhook is not None
    return stored.webhook


def deliver(fakes: Fakes, job: Job) -> DeliveryResult:
    return deliver_webhook(fakes.ctx, job.id, delivery(fakes, job).message_id)


def due_messages(fakes: Fakes) -> list[SentMessage]:
    return fakes.webhook_queue.take()


def test_a_2xx_delivers_and_records_the_attempt(fakes: Fakes) -> None:
    job = ended(fakes)
    fakes.webhooks.enqueue(ReceiverAnswered(204, duration_ms=12))

    assert deliver(fakes, job) is DeliveryResult.DELIVERED

    done = delivery(fakes, job)
    assert (done.state, done.attempts, done.delivered_at, done.next_attempt_at) == (
        WebhookState.DELIVERED,
        1,
        T0,
        None,
    )
    assert [(a.number, a.outcome, a.status_code, a.duration_ms) for a in done.history] == [
        (1, "delivered", 204, 12)
    ]
    [request] = fakes.webhooks.requests
    assert (request.url, request.message_id) == (URL, done.message_id)
    assert request.secrets == ("whsec_" + "A" * 43,)
    body = json.loads(request.payload)
    assert (body["event"], body["job_id"], body["status"]) == ("job.completed", job.id, "completed")
    assert due_messages(fakes) == []


def test_a_failure_schedules_a_retry_after_the_backoff(fakes: Fakes) -> None:
    job = ended(fakes)
    fakes.webhooks.enqueue(ReceiverAnswered(500))

    assert deliver(fakes, job) is DeliveryResult.RETRY_SCHEDULED

    pending = delivery(fakes, job)
    assert (pending.state, pending.attempts, pending.message_sent) == (WebhookState.PENDING, 1, True)
    assert pending.next_attempt_at is not None
    wait = pending.next_attempt_at - T0
    assert timedelta(seconds=4) <= wait <= timedelta(seconds=6)  # 5 s ± 20 %
    assert due_messages(fakes) == [SentMessage(job.id, wait, pending.message_id)]
    assert pending.history[-1].error == "receiver answered 500"


def test_retry_after_sets_a_longer_wait(fakes: Fakes) -> None:
    job = ended(fakes)
    fakes.webhooks.enqueue(ReceiverAnswered(429, "120"))

    assert deliver(fakes, job) is DeliveryResult.RETRY_SCHEDULED

    assert delivery(fakes, job).next_attempt_at == T0 + timedelta(seconds=120)
    [message] = due_messages(fakes)
    assert message.delay == timedelta(seconds=120)


def test_the_next_attempt_follows_the_schedule(fakes: Fakes) -> None:
    job = ended(fakes)
    fakes.webhooks.enqueue(
        TransportFailed("connection refused"), ReceiverAnswered(503), ReceiverAnswered(200)
    )
    results = []
    for _ in range(3):
        results.append(deliver(fakes, job))
        pending = delivery(fakes, job)
        if pending.next_attempt_at is not None:
            fakes.clock.now = pending.next_attempt_at
    assert results == [
        DeliveryResult.RETRY_SCHEDULED,
        DeliveryResult.RETRY_SCHEDULED,
        DeliveryResult.DELIVERED,
    ]
    waits = [m.delay for m in due_messages(fakes)]
    assert timedelta(seconds=4) <= waits[0] <= timedelta(seconds=6)
    assert timedelta(seconds=24) <= waits[1] <= timedelta(seconds=36)  # the second step: 30 s ± 20 %
    assert [a.outcome for a in delivery(fakes, job).history] == ["retry", "retry", "delivered"]


def test_410_gone_fails_at_once(fakes: Fakes) -> None:
    job = ended(fakes)
    fakes.webhooks.enqueue(ReceiverAnswered(410))
    assert deliver(fakes, job) is DeliveryResult.FAILED
    failed = delivery(fakes, job)
    assert (failed.state, failed.next_attempt_at, failed.history[-1].outcome) == (
        WebhookState.FAILED,
        None,
        "gone",
    )
    assert due_messages(fakes) == []


def test_a_refused_target_fails_at_once(fakes: Fakes) -> None:
    job = ended(fakes)
    fakes.webhooks.enqueue(TargetRefused("webhook host resolves to a private address"))
    assert deliver(fakes, job) is DeliveryResult.FAILED
    assert delivery(fakes, job).history[-1].error == "webhook host resolves to a private address"


def test_an_unresolvable_host_is_retried(fakes: Fakes) -> None:
    job = ended(fakes)
    fakes.webhooks.enqueue(TargetRefused("webhook host could not be resolved", unresolvable=True))
    assert deliver(fakes, job) is DeliveryResult.RETRY_SCHEDULED


def test_a_project_without_a_signing_secret_is_refused_without_a_request(fakes: Fakes) -> None:
    job = ended(fakes)
    project = fakes.tenants.get_project("tenant-001", "project-001")
    assert project is not None
    fakes.tenants.projects["tenant-001", "project-001"] = replace(project, webhook_secrets=())
    assert deliver(fakes, job) is DeliveryResult.FAILED
    assert delivery(fakes, job).history[-1].error == "the project has no signing secret"
    assert fakes.webhooks.requests == []


def test_attempts_exhausted_fails(fakes: Fakes) -> None:
    few = fakes.with_settings(WEBHOOK_MAX_ATTEMPTS="2")
    job = ended(few)
    few.webhooks.default = ReceiverAnswered(500)
    assert deliver_webhook(few.ctx, job.id, delivery(few, job).message_id) is DeliveryResult.RETRY_SCHEDULED
    few.clock.now = T0 + timedelta(minutes=1)
    assert deliver_webhook(few.ctx, job.id, delivery(few, job).message_id) is DeliveryResult.FAILED
    failed = delivery(few, job)
    assert (failed.state, failed.attempts) == (WebhookState.FAILED, 2)
    assert len(few.webhooks.requests) == 2


def test_a_duplicate_message_changes_nothing(fakes: Fakes) -> None:
    job = ended(fakes)
    message_id = delivery(fakes, job).message_id
    assert deliver_webhook(fakes.ctx, job.id, message_id) is DeliveryResult.DELIVERED
    assert deliver_webhook(fakes.ctx, job.id, message_id) is DeliveryResult.SKIPPED
    assert len(fakes.webhooks.requests) == 1
    assert delivery(fakes, job).attempts == 1


def test_a_message_before_its_retry_is_due_is_skipped(fakes: Fakes) -> None:
    job = ended(fakes)
    fakes.webhooks.enqueue(ReceiverAnswered(503, "60"))
    deliver(fakes, job)
    fakes.clock.advance(timedelta(seconds=50))  # early by more than the clock slack (5 s)
    assert deliver(fakes, job) is DeliveryResult.SKIPPED
    fakes.clock.advance(timedelta(seconds=6))  # within the slack
    assert deliver(fakes, job) is DeliveryResult.DELIVERED
    assert len(fakes.webhooks.requests) == 2


def test_a_second_worker_cannot_start_the_same_attempt(fakes: Fakes) -> None:
    job = ended(fakes)
    before = delivery(fakes, job)

    def the_other_worker_meanwhile(*args: object, **kwargs: object) -> ReceiverAnswered:
        # While this attempt is out, a duplicate message arrives at another worker.
        assert deliver_webhook(fakes.ctx, job.id, before.message_id) is DeliveryResult.SKIPPED
        return ReceiverAnswered(204)

    fakes.webhooks.post = the_other_worker_meanwhile  # type: ignore[method-assign]
    assert deliver(fakes, job) is DeliveryResult.DELIVERED
    assert delivery(fakes, job).attempts == 1


def test_a_stale_message_of_a_replaced_delivery_changes_nothing(fakes: Fakes, api_key: str) -> None:
    job = ended(fakes)
    old = delivery(fakes, job).message_id
    answer = redeliver(fakes.ctx, api_key=api_key, job_id=job.id)
    assert answer["webhook_id"] != old
    assert deliver_webhook(fakes.ctx, job.id, old) is DeliveryResult.SKIPPED
    assert fakes.webhooks.requests == []
    assert deliver_webhook(fakes.ctx, job.id, answer["webhook_id"]) is DeliveryResult.DELIVERED


def test_an_attempt_whose_delivery_was_replaced_meanwhile_records_nothing(fakes: Fakes, api_key: str) -> None:
    job = ended(fakes)

    def redelivered_meanwhile(*args: object, **kwargs: object) -> ReceiverAnswered:
        redeliver(fakes.ctx, api_key=api_key, job_id=job.id)
        return ReceiverAnswered(204)

    fakes.webhooks.post = redelivered_meanwhile  # type: ignore[method-assign]
    assert deliver(fakes, job) is DeliveryResult.SKIPPED
    fresh = delivery(fakes, job)
    assert (fresh.state, fresh.attempts, fresh.history) == (WebhookState.PENDING, 0, ())


def test_unknown_jobs_and_messages_are_skipped(fakes: Fakes) -> None:
    assert deliver_webhook(fakes.ctx, "no-such-job", "msg_x") is DeliveryResult.SKIPPED
    job = ended(fakes)
    assert deliver_webhook(fakes.ctx, job.id, "msg_unknown") is DeliveryResult.SKIPPED
    assert fakes.webhooks.requests == []


def test_a_lost_attempt_can_be_made_again_after_the_attempt_limit(fakes: Fakes) -> None:
    job = ended(fakes)
    message_id = delivery(fakes, job).message_id
    # A worker counted attempt 1 and died before recording it.
    assert fakes.deliveries.apply(job.id, start_attempt(delivery(fakes, job), T0, ATTEMPT_LIMIT)) is not None
    assert deliver_webhook(fakes.ctx, job.id, message_id) is DeliveryResult.SKIPPED
    fakes.clock.now = T0 + ATTEMPT_LIMIT
    assert deliver_webhook(fakes.ctx, job.id, message_id) is DeliveryResult.DELIVERED
    assert [a.number for a in delivery(fakes, job).history] == [2]


def test_a_poisoned_delivery_fails_once(fakes: Fakes) -> None:
    job = ended(fakes)
    message_id = delivery(fakes, job).message_id
    assert fail_poisoned_delivery(fakes.ctx, job.id, "msg_other") is False
    assert fail_poisoned_delivery(fakes.ctx, job.id, message_id) is True
    assert delivery(fakes, job).state is WebhookState.FAILED
    assert fail_poisoned_delivery(fakes.ctx, job.id, message_id) is False
    assert fail_poisoned_delivery(fakes.ctx, "no-such-job", message_id) is False


def test_redeliver_queues_a_fresh_delivery(fakes: Fakes, api_key: str) -> None:
    job = ended(fakes, status=JobStatus.FAILED)
    fakes.webhooks.enqueue(ReceiverAnswered(204))
    deliver(fakes, job)
    fakes.clock.now = T0 + timedelta(hours=1)

    answer = redeliver(fakes.ctx, api_key=api_key, job_id=job.id)

    fresh = delivery(fakes, job)
    assert answer == {"success": True, "job_id": job.id, "webhook_id": fresh.message_id, "state": "pending"}
    assert (fresh.event, fresh.attempts, fresh.history, fresh.message_sent) == ("job.failed", 0, (), True)
    assert due_messages(fakes) == [SentMessage(job.id, timedelta(0), fresh.message_id)]


def test_redeliver_refusals(fakes: Fakes, api_key: str) -> None:
    job = ended(fakes)
    key = api_key
    with pytest.raises(AuthenticationFailed):
        redeliver(fakes.ctx, api_key=None, job_id=job.id)
    with pytest.raises(NotFound):
        redeliver(fakes.ctx, api_key=key, job_id="no-such-job")
    other = new_job(tenant_id="tenant-002", status=JobStatus.COMPLETED, webhook_url=URL)
    fakes.jobs.insert(other)
    with pytest.raises(NotFound):
        redeliver(fakes.ctx, api_key=key, job_id=other.id)
    no_url = new_job(status=JobStatus.COMPLETED)
    fakes.jobs.insert(no_url)
    with pytest.raises(Conflict) as caught:
        redeliver(fakes.ctx, api_key=key, job_id=no_url.id)
    assert caught.value.code == "no_webhook_url"
    running = new_job(status=JobStatus.PROCESSING, webhook_url=URL)
    fakes.jobs.insert(running)
    with pytest.raises(Conflict) as caught:
        redeliver(fakes.ctx, api_key=key, job_id=running.id)
    assert caught.value.code == "job_not_finished"


def test_a_failed_queue_send_leaves_the_delivery_for_the_sweeper(fakes: Fakes) -> None:
    job = ended(fakes)
    fakes.webhook_queue.down = True
    assert dispatch_delivery(fakes.ctx, job) is False
    assert delivery(fakes, job).message_sent is False
    fakes.webhook_queue.down = False
    assert dispatch_delivery(fakes.ctx, job) is True
    assert delivery(fakes, job).message_sent is True


def test_thin_payloads_carry_no_report(fakes: Fakes) -> None:
    job = ended(fakes)
    project = fakes.tenants.get_project("tenant-001", "project-001")
    assert isinstance(project, Project)
    assert fakes.tenants.set_webhook_payload("tenant-001", "project-001", PayloadMode.THIN)
    deliver(fakes, job)
    body = json.loads(fakes.webhooks.requests[0].payload)
    assert body["event"] == "job.completed"
    assert "parsed_data" not in body
