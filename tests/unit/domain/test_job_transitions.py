"""The job's transitions, pure: what each one makes of a job, and the condition it writes under."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from lib.domain import job_transitions as transitions
from lib.domain.backoff import Backoff
from lib.domain.clock import CLOCK_SLACK
from lib.domain.errors import LeaseLost
from lib.domain.jobs import AttemptOutcome, Change, Expect, Job, JobError, JobStatus
from lib.domain.parsing import TokenUsage
from lib.domain.webhooks import WebhookState
from tests.support.jobs import T0, new_job

LEASE = timedelta(minutes=10)
BACKOFF = Backoff.exponential(10, 600)
ERROR = JobError("gemini_unavailable", "the model answered 503")


def claimed(job: Job | None = None) -> Job:
    """``job`` (a new pending one by default) as worker-a claimed it at :data:`T0`."""
    change = transitions.claim(job or new_job(), worker="worker-a", now=T0, lease_for=LEASE)
    assert change is not None
    return change.job


def test_a_claim_starts_an_attempt_under_a_new_lease_conditional_on_what_was_read() -> None:
    job = new_job(next_attempt_at=T0)

    change = transitions.claim(job, worker="worker-a", now=T0, lease_for=LEASE)

    assert change is not None
    assert change.expect == Expect(JobStatus.PENDING, attempts=0)
    after = change.job
    assert after.status is JobStatus.PROCESSING and after.attempts == 1
    assert (
        after.lease is not None and after.lease.owner == "worker-a" and after.lease.expires_at == T0 + LEASE
    )
    assert after.next_attempt_at is None and after.updated_at == T0
    assert [(a.number, a.worker, a.started_at, a.outcome) for a in after.history] == [
        (1, "worker-a", T0, None)
    ]
    assert {"status", "attempts", "lease", "history", "next_attempt_at", "updated_at"} == change.fields


def test_each_claim_has_its_own_lease_token() -> None:
    job = new_job()
    first = transitions.claim(job, worker="a", now=T0, lease_for=LEASE)
    second = transitions.claim(job, worker="a", now=T0, lease_for=LEASE)

    assert first is not None and second is not None
    assert first.job.lease is not None and second.job.lease is not None
    assert first.job.lease.token != second.job.lease.token


@pytest.mark.parametrize(
    ("job", "why"),
    [
        (new_job(attempts=3), "attempts used up"),
        (new_job(next_attempt_at=T0 + CLOCK_SLACK + timedelta(seconds=1)), "backoff not over"),
        (new_job(status=JobStatus.COMPLETED), "final"),
        (new_job(status=JobStatus.FAILED), "final"),
    ],
)
def test_no_claim_of_a_job_that_is_not_claimable(job: Job, why: str) -> None:
    assert transitions.claim(job, worker="w", now=T0, lease_for=LEASE) is None, why


def test_a_message_just_inside_the_clock_slack_claims() -> None:
    job = new_job(next_attempt_at=T0 + CLOCK_SLACK)

    assert transitions.claim(job, worker="w", now=T0, lease_for=LEASE) is not None


def test_a_live_lease_blocks_a_claim_and_an_expired_one_is_taken_over() -> None:
    running = claimed()

    assert (
        transitions.claim(running, worker="b", now=T0 + LEASE - timedelta(seconds=1), lease_for=LEASE) is None
    )
    later = T0 + LEASE
    takeover = transitions.claim(running, worker="b", now=later, lease_for=LEASE)

    assert takeover is not None
    assert takeover.expect == Expect(JobStatus.PROCESSING, attempts=1)
    first, second = takeover.job.history
    assert (first.outcome, first.error_code, first.ended_at) == (
        AttemptOutcome.LEASE_EXPIRED,
        "lease_expired",
        later,
    )
    assert (second.number, second.worker) == (2, "b")


def test_completion_is_the_lease_holders_and_records_the_cost() -> None:
    job = claimed()
    assert job.lease is not None

    change = transitions.complete(
        job, T0 + timedelta(seconds=5), model="m", usage=TokenUsage(1, 2, 3), parse_ms=42
    )

    assert change.expect == Expect(JobStatus.PROCESSING, lease_token=job.lease.token)
    done = change.job
    assert done.status is JobStatus.COMPLETED and done.lease is None
    assert (done.model, done.usage, done.parse_ms) == ("m", TokenUsage(1, 2, 3), 42)
    assert done.completed_at == T0 + timedelta(seconds=5)
    assert done.history[-1].outcome is AttemptOutcome.COMPLETED
    assert done.webhook is None and "webhook" not in change.fields


def test_a_final_transition_of_a_job_with_a_webhook_url_creates_its_delivery() -> None:
    job = claimed(new_job(webhook_url="https://example.com/hook"))

    done = transitions.complete(job, T0, model="m", usage=None, parse_ms=1)
    failed = transitions.fail(job, T0, JobError("pdf_encrypted", "encrypted"))

    assert "webhook" in done.fields
    assert done.job.webhook is not None and done.job.webhook.event == "job.completed"
    assert done.job.webhook.state is WebhookState.PENDING and done.job.webhook.next_attempt_at == T0
    assert failed.job.webhook is not None and failed.job.webhook.event == "job.failed"


def test_only_a_lease_holder_ends_an_attempt() -> None:
    with pytest.raises(LeaseLost):
        transitions.complete(new_job(), T0, model="m", usage=None, parse_ms=1)
    with pytest.raises(LeaseLost):
        transitions.fail(new_job(), T0, ERROR)


def test_a_transient_error_releases_the_job_for_a_retry_after_the_backoff() -> None:
    job = claimed()

    change = transitions.after_transient_error(job, T0, ERROR, BACKOFF, random.Random(1))

    after = change.job
    assert after.status is JobStatus.PENDING and after.lease is None
    assert after.next_attempt_at is not None
    assert T0 + timedelta(seconds=5) <= after.next_attempt_at <= T0 + timedelta(seconds=10)
    assert after.message_sent is True and after.message_sent_at == T0
    assert after.history[-1].outcome is AttemptOutcome.RETRY
    assert after.history[-1].error_code == "gemini_unavailable"
    assert after.error is None  # the job has not failed; the attempt's code is in the history


def test_a_transient_error_on_the_last_attempt_fails_the_job() -> None:
    job = claimed(new_job(attempts=2))

    change = transitions.after_transient_error(job, T0, ERROR, BACKOFF, random.Random(1))

    assert change.job.status is JobStatus.FAILED
    assert change.job.error == JobError(
        "gemini_unavailable", "the model answered 503; gave up after 3 attempts"
    )


def test_the_deadline_fails_any_unfinished_job_whoever_holds_it() -> None:
    running = claimed()
    assert running.lease is not None

    change = transitions.fail_unless_final(running, T0, JobError("deadline_exceeded", "late"))

    assert change is not None
    assert change.expect == Expect(JobStatus.PROCESSING, attempts=1, lease_token=running.lease.token)
    assert change.job.status is JobStatus.FAILED and change.job.lease is None
    assert change.job.history[-1].outcome is AttemptOutcome.FAILED
    assert transitions.fail_unless_final(change.job, T0, JobError("deadline_exceeded", "late")) is None


def test_a_poison_message_fails_a_pending_or_abandoned_job_but_not_a_leased_one() -> None:
    error = JobError("poison_message", "crashed")
    running = claimed()

    assert transitions.fail_poisoned(running, T0 + LEASE - timedelta(seconds=1), error) is None
    abandoned = transitions.fail_poisoned(running, T0 + LEASE, error)
    pending = transitions.fail_poisoned(new_job(), T0, error)

    assert abandoned is not None and abandoned.job.status is JobStatus.FAILED
    assert pending is not None and pending.expect == Expect(JobStatus.PENDING, attempts=0)
    assert transitions.fail_poisoned(abandoned.job, T0, error) is None


def test_an_expired_lease_is_requeued_due_now_or_failed_on_the_last_attempt() -> None:
    later = T0 + LEASE
    running = claimed()
    assert running.lease is not None

    assert transitions.recover_expired(running, later - timedelta(seconds=1)) is None
    requeued = transitions.recover_expired(running, later)
    last = transitions.recover_expired(claimed(new_job(attempts=2)), later)

    assert requeued is not None
    assert requeued.expect == Expect(JobStatus.PROCESSING, lease_token=running.lease.token)
    assert requeued.job.status is JobStatus.PENDING and requeued.job.next_attempt_at == later
    assert requeued.job.message_sent is True
    assert requeued.job.history[-1].outcome is AttemptOutcome.LEASE_EXPIRED
    assert last is not None and last.job.status is JobStatus.FAILED
    assert last.job.error is not None and last.job.error.code == "lease_expired"
    assert last.job.history[-1].outcome is AttemptOutcome.LEASE_EXPIRED


def test_a_message_for_a_stuck_job_with_no_attempts_left_ends_it() -> None:
    exhausted = new_job(attempts=3)
    abandoned = claimed(new_job(attempts=2))

    pending = transitions.end_unclaimable(exhausted, T0)
    lost = transitions.end_unclaimable(abandoned, T0 + LEASE)

    assert pending is not None and pending.job.error is not None
    assert pending.job.error.code == "attempts_exhausted"
    assert lost is not None and lost.job.error is not None and lost.job.error.code == "lease_expired"
    assert transitions.end_unclaimable(abandoned, T0) is None  # still leased
    assert transitions.end_unclaimable(new_job(), T0) is None  # attempts left


def test_message_bookkeeping_is_conditional_on_the_attempt_it_was_found_at() -> None:
    job = new_job(attempts=1, message_sent=True)

    unsent = transitions.message_unsent(job)
    resent = transitions.resent(job, T0, T0 + timedelta(seconds=30))

    assert unsent.expect == resent.expect == Expect(JobStatus.PENDING, attempts=1)
    assert unsent.fields == {"message_sent"} and unsent.job.message_sent is False
    assert resent.job.next_attempt_at == T0 + timedelta(seconds=30) and resent.job.message_sent_at == T0
    with pytest.raises(ValueError, match="pending"):
        transitions.message_unsent(claimed())


def test_a_change_names_exactly_the_fields_that_differ_or_are_set() -> None:
    change: Change = transitions.fail(claimed(), T0, ERROR)

    assert {"status", "lease", "updated_at", "history", "failed_at", "error"} == change.fields
