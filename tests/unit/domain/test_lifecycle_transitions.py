"""The client's transitions: cancel (pending/processing -> cancelled) and the purge's tombstone."""

from __future__ import annotations

from dataclasses import fields
from datetime import timedelta

import pytest

from lib.domain import job_transitions as transitions
from lib.domain.jobs import Attempt, AttemptOutcome, Expect, Job, JobError, JobStatus, Lease, StoredFile
from lib.domain.parsing import TokenUsage
from lib.domain.webhooks import new_delivery
from tests.support.jobs import T0, new_job

LATER = T0 + timedelta(minutes=5)
HOOK = "https://hooks.example.com/parsed?patient=Jane-Doe"


def processing(**changes: object) -> Job:
    job = new_job(**changes)
    change = transitions.claim(job, worker="worker-a", now=T0, lease_for=timedelta(minutes=10))
    assert change is not None
    return change.job


def test_a_pending_job_is_cancelled_on_condition_of_its_state() -> None:
    job = new_job(next_attempt_at=T0)

    change = transitions.cancel(job, LATER)

    assert change is not None
    assert change.job.status is JobStatus.CANCELLED and change.job.status.is_final
    assert (change.job.cancelled_at, change.job.next_attempt_at, change.job.lease) == (LATER, None, None)
    assert change.expect == Expect(JobStatus.PENDING, attempts=0)
    assert change.job.webhook is None  # no webhook_url, no delivery


def test_cancelling_a_processing_job_ends_its_lease_and_closes_its_attempt() -> None:
    job = processing()
    assert job.lease is not None

    change = transitions.cancel(job, LATER)

    assert change is not None
    assert change.expect == Expect(JobStatus.PROCESSING, attempts=1)
    assert change.job.lease is None
    last = change.job.history[-1]
    assert (last.outcome, last.ended_at) == (AttemptOutcome.CANCELLED, LATER)
    # The worker's completion is conditional on the lease it held: it can no longer apply.
    completion = transitions.complete(job, LATER, model="m", usage=None, parse_ms=1)
    assert completion.expect.lease_token == job.lease.token != change.job.lease


def test_a_cancel_with_a_webhook_url_creates_the_job_cancelled_delivery() -> None:
    change = transitions.cancel(processing(webhook_url=HOOK), LATER)

    assert change is not None and change.job.webhook is not None
    assert (change.job.webhook.event, change.job.webhook.created_at) == ("job.cancelled", LATER)
    assert "webhook" in change.fields


@pytest.mark.parametrize(
    "status", [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.DELETED]
)
def test_an_ended_job_cannot_be_cancelled(status: JobStatus) -> None:
    assert transitions.cancel(new_job(status=status), LATER) is None


def test_a_cancelled_job_is_never_claimed_again() -> None:
    change = transitions.cancel(new_job(), LATER)
    assert change is not None

    assert transitions.claim(change.job, worker="w", now=LATER, lease_for=timedelta(minutes=1)) is None
    assert transitions.end_unclaimable(change.job, LATER) is None
    assert transitions.fail_unless_final(change.job, LATER, JobError("x", "y")) is None


def full_job() -> Job:
    """A completed job with every patient-bearing field set."""
    return new_job(
        status=JobStatus.COMPLETED,
        attempts=1,
        files=(StoredFile("tenant-001/project-001/x/1.pdf", 100, "ab" * 32, pages=2),),
        webhook_url=HOOK,
        error=JobError("parse_failed", "a message"),
        history=(Attempt(1, "worker-a", T0, LATER, AttemptOutcome.COMPLETED),),
        lease=Lease("worker-a", "token", LATER),
        model="gemini",
        usage=TokenUsage(10, 20),
        parse_ms=5,
        webhook=new_delivery("job.completed", T0),
        completed_at=LATER,
    )


def test_the_tombstone_keeps_ids_tenant_project_and_timestamps_only() -> None:
    job = full_job()

    change = transitions.tombstone(job, LATER)

    assert change is not None and change.replaces
    gone = change.job
    assert gone.status is JobStatus.DELETED and gone.deleted_at == LATER and gone.expired_at is None
    assert (gone.id, gone.report_id, gone.tenant_id, gone.project_id) == (
        job.id,
        job.report_id,
        job.tenant_id,
        job.project_id,
    )
    assert (gone.created_at, gone.completed_at, gone.updated_at) == (job.created_at, job.completed_at, LATER)
    assert gone.files == () and gone.history == ()
    for name in ("webhook_url", "error", "lease", "model", "usage", "parse_ms", "webhook"):
        assert getattr(gone, name) is None, name
    assert change.expect == Expect(JobStatus.COMPLETED, attempts=1)
    assert change.fields == {item.name for item in fields(Job)} - {"id"}


def test_a_retention_tombstone_records_when_it_expired() -> None:
    change = transitions.tombstone(new_job(), LATER, expired=True)

    assert change is not None
    assert (change.job.deleted_at, change.job.expired_at) == (LATER, LATER)


@pytest.mark.parametrize("status", [s for s in JobStatus if s is not JobStatus.DELETED])
def test_every_live_state_may_become_a_tombstone(status: JobStatus) -> None:
    change = transitions.tombstone(new_job(status=status), LATER)

    assert change is not None and change.expect.status is status


def test_a_tombstone_is_not_tombstoned_again_and_no_transition_applies_to_it() -> None:
    change = transitions.tombstone(processing(), LATER)
    assert change is not None
    gone = change.job

    assert transitions.tombstone(gone, LATER) is None
    assert transitions.cancel(gone, LATER) is None
    assert transitions.claim(gone, worker="w", now=LATER, lease_for=timedelta(minutes=1)) is None
    assert transitions.recover_expired(gone, LATER + timedelta(hours=1)) is None
    assert transitions.fail_poisoned(gone, LATER, JobError("x", "y")) is None
