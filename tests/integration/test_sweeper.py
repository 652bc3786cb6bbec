"""The sweeper against real Azurite and a real MongoDB-wire server, with the clock as a parameter."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from azure.storage.queue import QueueClient
from pymongo import MongoClient

from lib.domain.jobs import AttemptOutcome, JobError, JobStatus
from lib.services.context import Context
from lib.services.parse import ParseResult, process_job
from lib.services.submit import submit_report
from lib.services.sweep import sweep
from lib.settings import Settings
from tests.conftest import Credentials
from tests.support.failpoints import FailPoints
from tests.support.functions import parse_queue_client
from tests.support.jobs import claim_job, fail_job, new_job, upload_form
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.integration

HOOK = "https://93.184.216.34/hook"


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_report_pdf(SampleReport())


def drain(queue: QueueClient) -> list[dict[str, Any]]:
    """Every visible message's body, removed from the queue."""
    bodies = []
    for message in queue.receive_messages(max_messages=32, visibility_timeout=30):
        bodies.append(json.loads(message.content))
        queue.delete_message(message)
    return bodies


def parsed_reports(settings: Settings, job_id: str) -> int:
    with MongoClient(settings.mongodb_uri) as client:
        return client[settings.mongodb_database]["parsed_reports"].count_documents({"job_id": job_id})


def webhook_queue(settings: Settings) -> QueueClient:
    return parse_queue_client(settings, settings.webhook_queue_name)


def test_a_crashed_workers_job_is_requeued_and_completes_exactly_once(
    ctx: Context, tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    submission = submit_report(
        ctx,
        tenant_id="tenant-001",
        project_id="project-001",
        api_key=tenant.api_key,
        read_form=upload_form(pdf),
        webhook_url=None,
    )
    queue = parse_queue_client(settings)
    drain(queue)
    crashed = claim_job(ctx.jobs, submission.job_id, "worker-that-dies", ctx.clock(), timedelta(seconds=60))
    assert crashed is not None

    later = ctx.clock() + timedelta(seconds=61)
    summary = sweep(ctx, later)

    assert summary == {"lease_expired": 1}
    job = ctx.jobs.get(submission.job_id)
    assert job is not None and job.status is JobStatus.PENDING and job.message_sent
    assert job.history[0].outcome is AttemptOutcome.LEASE_EXPIRED
    assert drain(queue) == [{"job_id": submission.job_id}]
    worker = replace(ctx, clock=lambda: later)
    assert process_job(worker, submission.job_id) is ParseResult.COMPLETED
    assert process_job(worker, submission.job_id) is ParseResult.SKIPPED
    done = ctx.jobs.get(submission.job_id)
    assert done is not None and done.status is JobStatus.COMPLETED and done.attempts == 2
    assert parsed_reports(settings, submission.job_id) == 1


def test_an_unsent_outbox_message_is_sent(ctx: Context, settings: Settings) -> None:
    now = ctx.clock()
    job = new_job(
        created_at=now - timedelta(minutes=2), updated_at=now - timedelta(minutes=2), next_attempt_at=now
    )
    ctx.jobs.insert(job)

    summary = sweep(ctx, now)

    assert summary == {"unsent_requeued": 1}
    assert drain(parse_queue_client(settings)) == [{"job_id": job.id}]
    stored = ctx.jobs.get(job.id)
    assert stored is not None and stored.message_sent


def test_a_fresh_upload_is_not_raced(ctx: Context, settings: Settings) -> None:
    now = ctx.clock()
    ctx.jobs.insert(new_job(created_at=now, updated_at=now, next_attempt_at=now))

    assert sweep(ctx, now + timedelta(seconds=5)) == {}


def test_a_lost_message_is_sent_again(ctx: Context, settings: Settings) -> None:
    now = ctx.clock()
    long_ago = now - timedelta(minutes=10)
    job = new_job(created_at=long_ago, updated_at=long_ago, message_sent=True, next_attempt_at=long_ago)
    ctx.jobs.insert(job)

    assert sweep(ctx, now) == {"lost_requeued": 1}
    assert drain(parse_queue_client(settings)) == [{"job_id": job.id}]
    assert sweep(ctx, now + timedelta(seconds=10)) == {}  # not again until it is stale again


def test_an_expired_lease_on_the_last_attempt_fails_the_job_and_notifies(
    ctx: Context, settings: Settings
) -> None:
    now = ctx.clock()
    job = new_job(created_at=now, updated_at=now, max_attempts=1, webhook_url=HOOK)
    ctx.jobs.insert(job)
    assert claim_job(ctx.jobs, job.id, "worker-that-dies", now, timedelta(seconds=60)) is not None

    assert sweep(ctx, now + timedelta(minutes=2)) == {"lease_expired": 1}

    failed = ctx.jobs.get(job.id)
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.code == "lease_expired"
    assert failed.webhook is not None and failed.webhook.event == "job.failed"
    assert drain(webhook_queue(settings)) == [{"job_id": job.id, "message_id": failed.webhook.message_id}]


def test_a_job_past_its_deadline_fails_and_notifies(ctx: Context, settings: Settings) -> None:
    now = ctx.clock()
    old = now - timedelta(minutes=61)
    job = new_job(created_at=old, updated_at=now, message_sent=True, next_attempt_at=now, webhook_url=HOOK)
    ctx.jobs.insert(job)

    assert sweep(ctx, now) == {"deadline_failed": 1}

    failed = ctx.jobs.get(job.id)
    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.code == "deadline_exceeded"
    assert failed.webhook is not None
    assert drain(webhook_queue(settings)) == [{"job_id": job.id, "message_id": failed.webhook.message_id}]


def test_an_unsent_webhook_is_sent(ctx: Context, settings: Settings) -> None:
    now = ctx.clock()
    job = new_job(created_at=now, updated_at=now, webhook_url=HOOK)
    ctx.jobs.insert(job)
    # Ended five minutes ago; its delivery message was never sent.
    fail_job(ctx.jobs, job.id, now - timedelta(minutes=5), JobError("poison_message", "crashed"))

    assert sweep(ctx, now) == {"webhooks_requeued": 1}

    stored = ctx.jobs.get(job.id)
    assert stored is not None and stored.webhook is not None and stored.webhook.message_sent
    assert drain(webhook_queue(settings)) == [{"job_id": job.id, "message_id": stored.webhook.message_id}]


def test_work_per_pass_is_bounded(ctx: Context, settings: Settings) -> None:
    ctx = replace(ctx, settings=settings.model_copy(update={"sweep_batch_size": 2}))
    now = ctx.clock()
    for _ in range(5):
        ctx.jobs.insert(new_job(created_at=now - timedelta(minutes=2), updated_at=now - timedelta(minutes=2)))

    assert sweep(ctx, now) == {"unsent_requeued": 2}
    assert sweep(ctx, now) == {"unsent_requeued": 2}
    assert sweep(ctx, now) == {"unsent_requeued": 1}


def test_one_bad_job_does_not_stop_the_batch(
    ctx: Context, settings: Settings, failpoints: FailPoints
) -> None:
    now = ctx.clock()
    long_ago = now - timedelta(minutes=2)
    jobs = [new_job(created_at=long_ago, updated_at=long_ago) for _ in range(3)]
    for job in jobs:
        ctx.jobs.insert(job)
    # The first job's write after its send fails: recording the re-send.
    failpoints.close_connection(["findAndModify"], times=1)

    summary = sweep(ctx, now)

    failpoints.clear()
    assert summary == {"errors": 1, "unsent_requeued": 2}
    assert sorted(body["job_id"] for body in drain(parse_queue_client(settings))) == sorted(
        job.id for job in jobs
    )


def test_a_refused_uploads_marker_is_left_alone(ctx: Context) -> None:
    now = ctx.clock()
    assert ctx.jobs.stored_or_refused("66f000000000000000000001", now) is False
    later = now + timedelta(days=2)

    found = [
        ctx.jobs.past_deadline(later, 10),
        ctx.jobs.expired_leases(later, 10),
        ctx.jobs.unsent(later, 10),
        ctx.jobs.overdue(later, 10),
        ctx.jobs.stalled_deliveries(later, later, 10),
    ]

    # None of the sweeper's queries matches it (a match would be skipped as unreadable, quietly).
    assert found == [[], [], [], [], []]
    assert sweep(ctx, later) == {}
