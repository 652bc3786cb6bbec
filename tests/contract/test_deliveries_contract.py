"""The :class:`lib.ports.webhooks.Deliveries` contract, run against the fake and the MongoDB store.

Deliveries live on their job, so each backend is a job store and a delivery store
over the same data (the real ones share a database, the fakes a dict).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from pymongo import MongoClient

from lib.adapters.delivery_store import DeliveryStore, delivery_from_doc, delivery_to_doc
from lib.adapters.job_store import JobStore
from lib.domain.backoff import Backoff
from lib.domain.jobs import Job, JobStatus
from lib.domain.webhook_outcomes import DeliveryOutcome, Verdict
from lib.domain.webhooks import (
    RetryRules,
    WebhookDelivery,
    WebhookState,
    fail_poisoned,
    new_delivery,
    record_outcome,
    redelivery,
    start_attempt,
)
from lib.ports.jobs import Jobs
from lib.ports.webhooks import Deliveries
from tests.support.fakes.jobs import FakeJobs
from tests.support.fakes.webhooks import FakeDeliveries
from tests.support.jobs import T0, new_job

URL = "https://hooks.example/receive"
LOST_AFTER = timedelta(minutes=12)
RULES = RetryRules(3, Backoff.webhook(5))


@dataclass
class Backend:
    jobs: Jobs
    deliveries: Deliveries

    def delivery(self, job_id: str) -> WebhookDelivery | None:
        job = self.jobs.get(job_id)
        assert job is not None
        return job.webhook


@pytest.fixture(params=["fake", "real"])
def backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    if request.param == "fake":
        jobs = FakeJobs()
        yield Backend(jobs, FakeDeliveries(jobs.jobs))
        return
    request.applymarker(pytest.mark.integration)
    uri = request.getfixturevalue("mongodb_uri")
    name = f"contract_deliveries_{uuid.uuid4().hex[:10]}"
    with MongoClient[dict[str, Any]](uri, tz_aware=True) as client:
        db = client[name]
        yield Backend(JobStore(db), DeliveryStore(db))
        client.drop_database(name)


def ended_job(backend: Backend, **changes: Any) -> Job:
    fields: dict[str, Any] = {
        "status": JobStatus.COMPLETED,
        "webhook_url": URL,
        "webhook": new_delivery("job.completed", T0),
        **changes,
    }
    job = new_job(**fields)
    backend.jobs.insert(job)
    return job


def current(backend: Backend, job: Job) -> WebhookDelivery:
    found = backend.delivery(job.id)
    assert found is not None
    return found


def test_starting_an_attempt_counts_it_once(backend: Backend) -> None:
    job = ended_job(backend)
    change = start_attempt(current(backend, job), T0, LOST_AFTER)

    after = backend.deliveries.apply(job.id, change)

    assert after is not None
    assert (after.attempts, after.next_attempt_at) == (1, T0 + LOST_AFTER)
    assert current(backend, job) == after
    assert backend.deliveries.apply(job.id, change) is None  # a second worker with the same read
    assert current(backend, job).attempts == 1


def test_recording_an_outcome_stores_the_attempt(backend: Backend) -> None:
    job = ended_job(backend)
    started = backend.deliveries.apply(job.id, start_attempt(current(backend, job), T0, LOST_AFTER))
    assert started is not None
    later = T0 + timedelta(seconds=3)
    verdict = Verdict(DeliveryOutcome.DELIVERED, 204)

    after = backend.deliveries.apply(
        job.id, record_outcome(started, verdict, 42, later, RULES, random.Random(1))
    )

    assert after is not None
    assert (after.state, after.delivered_at, after.next_attempt_at, after.message_sent) == (
        WebhookState.DELIVERED,
        later,
        None,
        True,
    )
    assert [(a.number, a.at, a.outcome, a.status_code, a.error, a.duration_ms) for a in after.history] == [
        (1, later, "delivered", 204, None, 42)
    ]
    assert current(backend, job) == after
    stored = backend.jobs.get(job.id)
    assert stored is not None
    assert (stored.status, stored.webhook_url, stored.attempts) == (job.status, URL, job.attempts)


def test_a_retry_keeps_the_history_and_waits(backend: Backend) -> None:
    job = ended_job(backend)
    rng = random.Random(1)
    for number in (1, 2):
        started = backend.deliveries.apply(job.id, start_attempt(current(backend, job), T0, LOST_AFTER))
        assert started is not None
        verdict = Verdict(DeliveryOutcome.RETRY, 500, "receiver answered 500")
        assert (
            backend.deliveries.apply(job.id, record_outcome(started, verdict, 1, T0, RULES, rng)) is not None
        )
        assert current(backend, job).attempts == number
    after = current(backend, job)
    assert after.state is WebhookState.PENDING
    assert [a.number for a in after.history] == [1, 2]
    assert after.next_attempt_at is not None and after.next_attempt_at > T0


def test_an_outcome_for_a_replaced_delivery_is_not_recorded(backend: Backend) -> None:
    job = ended_job(backend)
    started = backend.deliveries.apply(job.id, start_attempt(current(backend, job), T0, LOST_AFTER))
    assert started is not None
    fresh = backend.deliveries.apply(job.id, redelivery("completed", T0 + timedelta(seconds=1)))
    assert fresh is not None and fresh.message_id != started.message_id

    late = record_outcome(started, Verdict(DeliveryOutcome.DELIVERED, 200), 1, T0, RULES, random.Random(1))

    assert backend.deliveries.apply(job.id, late) is None
    assert current(backend, job) == fresh


def test_a_redelivery_needs_an_ended_job_with_a_webhook_url(backend: Backend) -> None:
    running = ended_job(backend, status=JobStatus.PROCESSING)
    silent = ended_job(backend, webhook_url=None, webhook=None)
    failed = ended_job(backend, status=JobStatus.FAILED)
    change = redelivery("failed", T0)

    assert backend.deliveries.apply(running.id, change) is None
    assert backend.deliveries.apply(silent.id, change) is None
    assert backend.deliveries.apply("no-such-job", change) is None
    after = backend.deliveries.apply(failed.id, change)
    assert after == change.delivery
    assert current(backend, failed) == change.delivery


def test_a_poisoned_delivery_fails_only_while_pending(backend: Backend) -> None:
    job = ended_job(backend)
    delivery = current(backend, job)
    assert backend.deliveries.apply(job.id, fail_poisoned(delivery, "msg_other")) is None
    failed = backend.deliveries.apply(job.id, fail_poisoned(delivery, delivery.message_id))
    assert failed is not None
    assert (failed.state, failed.next_attempt_at) == (WebhookState.FAILED, None)
    assert backend.deliveries.apply(job.id, fail_poisoned(delivery, delivery.message_id)) is None


def test_mark_sent_and_reschedule_touch_only_the_named_delivery(backend: Backend) -> None:
    job = ended_job(backend)
    delivery = current(backend, job)
    backend.deliveries.mark_sent(job.id, "msg_other")
    backend.deliveries.reschedule(job.id, "msg_other", T0 + timedelta(hours=1))
    assert current(backend, job) == delivery

    backend.deliveries.mark_sent(job.id, delivery.message_id)
    backend.deliveries.reschedule(job.id, delivery.message_id, T0 + timedelta(hours=1))
    after = current(backend, job)
    assert (after.message_sent, after.next_attempt_at) == (True, T0 + timedelta(hours=1))

    assert backend.deliveries.apply(job.id, fail_poisoned(after, after.message_id)) is not None
    backend.deliveries.reschedule(job.id, delivery.message_id, T0)  # ended: not rescheduled
    assert current(backend, job).next_attempt_at is None
    backend.deliveries.mark_sent("no-such-job", delivery.message_id)  # nothing to do, no error


def test_the_document_mapping_round_trips() -> None:
    delivery = new_delivery("job.failed", T0)
    started = start_attempt(delivery, T0, LOST_AFTER).delivery
    done = record_outcome(started, Verdict(DeliveryOutcome.GONE, 410, "gone"), 5, T0, RULES, random.Random(1))
    doc = delivery_to_doc(done.delivery)
    assert doc["state"] == "failed"
    assert doc["history"][0] == {
        "number": 1,
        "at": T0,
        "outcome": "gone",
        "status_code": 410,
        "error": "gone",
        "duration_ms": 5,
    }
    assert delivery_from_doc(doc) == done.delivery
    assert delivery_from_doc({**doc, "added_by_a_newer_version": 1}) == done.delivery


def test_a_cancelled_job_is_redelivered_like_an_ended_one_and_a_tombstone_never(backend: Backend) -> None:
    cancelled = ended_job(backend, status=JobStatus.CANCELLED, webhook=new_delivery("job.cancelled", T0))
    gone = ended_job(backend, status=JobStatus.DELETED, webhook_url=None, webhook=None)
    change = redelivery("cancelled", T0)

    assert backend.deliveries.apply(cancelled.id, change) == change.delivery
    assert change.delivery.event == "job.cancelled"
    assert backend.deliveries.apply(gone.id, change) is None
    backend.deliveries.mark_sent(gone.id, change.delivery.message_id)
    assert backend.jobs.get(gone.id) == gone
