"""The job store's state transitions against a real MongoDB-wire server."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.errors import DuplicateKeyError

from lib.domain.errors import DependencyThrottled, LeaseLost
from lib.domain.jobs import AttemptOutcome, JobError, JobStatus
from lib.domain.parsing import TokenUsage
from lib.domain.report_schema import ParsedReport
from lib.services.context import Context
from tests.support.failpoints import FailPoints
from tests.support.jobs import T0, new_job

pytestmark = pytest.mark.integration

LEASE = timedelta(minutes=10)


def test_a_pending_job_is_claimed_once(ctx: Context) -> None:
    job = new_job()
    ctx.jobs.insert(job)

    claimed = ctx.jobs.claim(job.id, "worker-a", T0, LEASE)
    duplicate = ctx.jobs.claim(job.id, "worker-b", T0, LEASE)

    assert claimed is not None
    assert claimed.status is JobStatus.PROCESSING
    assert claimed.attempts == 1
    assert claimed.lease is not None and claimed.lease.owner == "worker-a"
    assert claimed.lease.expires_at == T0 + LEASE
    assert [(a.number, a.worker, a.started_at) for a in claimed.history] == [(1, "worker-a", T0)]
    assert claimed == ctx.jobs.get(job.id)  # the claim's view of the job is what is stored
    assert duplicate is None


def test_concurrent_claims_have_exactly_one_winner(ctx: Context) -> None:
    job = new_job()
    ctx.jobs.insert(job)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda n: ctx.jobs.claim(job.id, f"worker-{n}", T0, LEASE), range(8)))

    assert sum(result is not None for result in results) == 1
    stored = ctx.jobs.get(job.id)
    assert stored is not None and stored.attempts == 1 and len(stored.history) == 1


def test_completion_records_the_attempt_and_usage(ctx: Context) -> None:
    job = new_job()
    ctx.jobs.insert(job)
    claimed = ctx.jobs.claim(job.id, "worker-a", T0, LEASE)
    assert claimed is not None

    done = ctx.jobs.complete(
        claimed, T0 + timedelta(seconds=5), model="m", usage=TokenUsage(10, 20, 30), parse_ms=4200
    )

    assert done.status is JobStatus.COMPLETED
    assert done.completed_at == T0 + timedelta(seconds=5)
    assert done.lease is None
    assert done.model == "m"
    assert done.history[-1].outcome is AttemptOutcome.COMPLETED
    assert done.history[-1].ended_at == T0 + timedelta(seconds=5)
    assert ctx.jobs.claim(job.id, "worker-b", T0 + timedelta(hours=1), LEASE) is None


def test_a_stale_lease_holder_cannot_finish(ctx: Context) -> None:
    job = new_job()
    ctx.jobs.insert(job)
    first = ctx.jobs.claim(job.id, "worker-a", T0, LEASE)
    assert first is not None

    later = T0 + LEASE + timedelta(seconds=1)
    second = ctx.jobs.claim(job.id, "worker-b", later, LEASE)

    assert second is not None and second.attempts == 2
    assert second.history[0].outcome is AttemptOutcome.LEASE_EXPIRED
    assert second.history[0].error_code == "lease_expired"
    with pytest.raises(LeaseLost):
        ctx.jobs.complete(first, later, model="m", usage=None, parse_ms=1)
    with pytest.raises(LeaseLost):
        ctx.jobs.fail(first, later, JobError("x", "y"))
    assert ctx.jobs.complete(second, later, model="m", usage=None, parse_ms=1).status is JobStatus.COMPLETED


def test_a_live_lease_blocks_a_second_claim(ctx: Context) -> None:
    job = new_job()
    ctx.jobs.insert(job)
    assert ctx.jobs.claim(job.id, "worker-a", T0, LEASE) is not None

    assert ctx.jobs.claim(job.id, "worker-b", T0 + LEASE - timedelta(seconds=1), LEASE) is None


def test_release_for_retry_then_claim_again(ctx: Context) -> None:
    job = new_job(message_sent=True, message_sent_at=T0)
    ctx.jobs.insert(job)
    claimed = ctx.jobs.claim(job.id, "worker-a", T0, LEASE)
    assert claimed is not None

    retry_at = T0 + timedelta(seconds=30)
    released = ctx.jobs.release_for_retry(claimed, T0, JobError("gemini_unavailable", "503"), retry_at)

    assert released.status is JobStatus.PENDING
    assert released.next_attempt_at == retry_at
    assert (
        released.message_sent is True
    )  # recorded with the write; dispatch_job turns it back if the send fails
    assert released.history[0].outcome is AttemptOutcome.RETRY
    assert released.history[0].error_code == "gemini_unavailable"
    again = ctx.jobs.claim(job.id, "worker-b", retry_at, LEASE)
    assert again is not None and again.attempts == 2 and again.next_attempt_at is None


def test_no_claim_once_attempts_are_used_up(ctx: Context) -> None:
    job = new_job(max_attempts=1)
    ctx.jobs.insert(job)
    claimed = ctx.jobs.claim(job.id, "worker-a", T0, LEASE)
    assert claimed is not None

    assert ctx.jobs.claim(job.id, "worker-b", T0 + 2 * LEASE, LEASE) is None


def test_fail_unless_final_leaves_ended_jobs_alone(ctx: Context) -> None:
    pending, done = new_job(), new_job()
    ctx.jobs.insert(pending)
    ctx.jobs.insert(done)
    claimed = ctx.jobs.claim(done.id, "worker-a", T0, LEASE)
    assert claimed is not None
    ctx.jobs.complete(claimed, T0, model="m", usage=None, parse_ms=1)

    failed = ctx.jobs.fail_unless_final(pending.id, T0, JobError("poison_message", "crashed"))

    assert failed is not None and failed.status is JobStatus.FAILED
    assert failed.error == JobError("poison_message", "crashed")
    assert ctx.jobs.fail_unless_final(done.id, T0, JobError("poison_message", "crashed")) is None
    stored = ctx.jobs.get(done.id)
    assert stored is not None and stored.status is JobStatus.COMPLETED
    assert ctx.jobs.fail_unless_final("0" * 24, T0, JobError("poison_message", "crashed")) is None


def test_a_report_is_stored_once_per_job(ctx: Context, settings: Any) -> None:
    job = new_job()
    ctx.jobs.insert(job)
    report = ParsedReport(patient_name="Jane Q. Doe", diagnosis=["Type 2 diabetes"])

    ctx.jobs.save_parsed_report(job, report, "m", T0)
    ctx.jobs.save_parsed_report(job, replace_name(report, "Jane Doe"), "m", T0)

    with MongoClient(settings.mongodb_uri) as client:
        docs = list(client[settings.mongodb_database]["parsed_reports"].find({"job_id": job.id}))
    assert len(docs) == 1
    assert docs[0]["_id"] == job.report_id
    assert ctx.jobs.get_parsed_data(job.report_id) == {
        **report.model_dump(mode="json"),
        "patient_name": "Jane Doe",
    }


def test_get_for_tenant_hides_other_tenants_jobs(ctx: Context) -> None:
    job = new_job()
    ctx.jobs.insert(job)

    assert ctx.jobs.get_for_tenant(job.id, "tenant-001") is not None
    assert ctx.jobs.get_for_tenant(job.id, "tenant-002") is None


def test_throttling_is_retried_then_succeeds(ctx: Context, failpoints: FailPoints) -> None:
    job = new_job()
    failpoints.throttle(["insert"], times=2)

    ctx.jobs.insert(job)

    assert ctx.jobs.get(job.id) is not None


def test_persistent_throttling_becomes_dependency_throttled(ctx: Context, failpoints: FailPoints) -> None:
    failpoints.throttle(["find"], times=50)

    with pytest.raises(DependencyThrottled):
        ctx.jobs.get("0" * 24)


def replace_name(report: ParsedReport, name: str) -> ParsedReport:
    return report.model_copy(update={"patient_name": name})


def test_job_round_trips_unchanged(ctx: Context) -> None:
    job = new_job(webhook_url="https://example.com/hook")
    ctx.jobs.insert(job)

    assert ctx.jobs.get(job.id) == replace(job)


def test_indexes_declared_elsewhere_under_other_names_are_reused(ctx: Context, settings: Any) -> None:
    with MongoClient(settings.mongodb_uri) as client:
        jobs = client[settings.mongodb_database]["parsing_jobs"]
        jobs.drop_index("status_created")
        jobs.create_index([("status", 1), ("created_at", 1)], name="generated_by_infrastructure")

        ctx.jobs.ensure_indexes()
        ctx.jobs.ensure_indexes()

        names = {index["name"] for index in jobs.list_indexes()}
    assert "generated_by_infrastructure" in names
    assert "status_created" not in names
    assert {"tenant_created", "status_lease_expiry", "webhook_state_next"} <= names


def test_an_unclear_insert_is_settled_one_way_or_the_other(ctx: Context) -> None:
    jobs = ctx.jobs
    stored, lost = new_job(), new_job()
    jobs.insert(stored)
    now = stored.created_at

    assert jobs.stored_or_refused(stored.id, now) is True
    assert jobs.stored_or_refused(lost.id, now) is False
    with pytest.raises(DuplicateKeyError):
        jobs.insert(lost)  # the insert arriving late, after the upload was refused
    assert jobs.get(stored.id) == stored
    assert jobs.get(lost.id) is None


def test_recording_a_resend_never_overwrites_a_retry_scheduled_meanwhile(ctx: Context) -> None:
    job = new_job(message_sent=True, next_attempt_at=T0)
    ctx.jobs.insert(job)  # the sweeper found it overdue and is re-sending it (attempts 0)...
    claimed = ctx.jobs.claim(job.id, "worker-a", T0, LEASE)  # ...a worker takes that message first
    assert claimed is not None
    retry_at = T0 + timedelta(minutes=10)
    ctx.jobs.release_for_retry(claimed, T0, JobError("gemini_unavailable", "503"), retry_at)

    ctx.jobs.mark_resent(job, T0, T0)

    stored = ctx.jobs.get(job.id)
    assert stored is not None and stored.next_attempt_at == retry_at
