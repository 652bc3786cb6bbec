"""Use case: a parse message takes its job one attempt further, whatever else is going on."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from lib.domain import job_transitions
from lib.domain.errors import PermanentParseError, TransientParseError
from lib.domain.jobs import AttemptOutcome, Job, JobError, JobStatus
from lib.domain.parsing import ParseOutcome, ParseRequest
from lib.domain.report_schema import ParsedReport
from lib.services.parse import ParseResult, fail_poisoned, process_job
from tests.support.fakes.context import Fakes
from tests.support.jobs import T0, new_job

LEASE = timedelta(seconds=720)


def stored(fakes: Fakes, job: Job, *, blobs: bool = True) -> Job:
    """Insert ``job`` (and its files) as an upload would have."""
    fakes.register()
    fakes.jobs.insert(job)
    if blobs:
        for item in job.files:
            fakes.blobs.put(item.blob_name, b"%PDF-1.7 fake", sha256=item.sha256)
    return job


def current(fakes: Fakes, job: Job | str) -> Job:
    found = fakes.jobs.get(job if isinstance(job, str) else job.id)
    assert found is not None
    return found


def claimed_by(fakes: Fakes, job: Job, worker: str) -> Job:
    """``job`` as another worker claimed it, now."""
    change = job_transitions.claim(job, worker=worker, now=fakes.clock(), lease_for=LEASE)
    assert change is not None
    after = fakes.jobs.apply(change)
    assert after is not None
    return after


def test_a_job_is_claimed_parsed_and_completed(fakes: Fakes) -> None:
    job = stored(fakes, new_job())

    assert process_job(fakes.ctx, job.id) is ParseResult.COMPLETED

    done = current(fakes, job)
    assert done.status is JobStatus.COMPLETED and done.attempts == 1 and done.lease is None
    assert done.model == "fake-model" and done.completed_at == T0
    assert [(a.number, a.worker, a.outcome) for a in done.history] == [
        (1, "worker-test", AttemptOutcome.COMPLETED)
    ]
    assert fakes.reports.get_parsed_data(job.report_id) == ParsedReport(
        patient_name="Jane Q. Doe"
    ).model_dump(mode="json")
    assert fakes.parser.requests[0].documents == [b"%PDF-1.7 fake"]
    assert done.webhook is None and not fakes.webhook_queue.messages


def test_completion_of_a_job_with_a_webhook_url_queues_its_delivery(fakes: Fakes) -> None:
    job = stored(fakes, new_job(webhook_url="https://example.com/hook"))

    process_job(fakes.ctx, job.id)

    done = current(fakes, job)
    assert done.webhook is not None and done.webhook.event == "job.completed"
    assert [(m.job_id, m.message_id) for m in fakes.webhook_queue.messages] == [
        (job.id, done.webhook.message_id)
    ]


def test_a_transient_error_puts_the_job_back_with_a_delayed_message(fakes: Fakes) -> None:
    job = stored(fakes, new_job())
    fakes.parser.enqueue(TransientParseError("the model is busy", code="gemini_unavailable"))

    assert process_job(fakes.ctx, job.id) is ParseResult.RETRY_SCHEDULED

    pending = current(fakes, job)
    assert pending.status is JobStatus.PENDING and pending.attempts == 1 and pending.lease is None
    assert pending.history[-1].outcome is AttemptOutcome.RETRY
    assert pending.history[-1].error_code == "gemini_unavailable"
    (message,) = fakes.parse_queue.messages
    assert timedelta(seconds=5) <= message.delay <= timedelta(seconds=10)  # RETRY_BASE_SECONDS=10, jittered
    assert pending.next_attempt_at == T0 + message.delay
    assert fakes.reports.get_parsed_data(job.report_id) is None


def test_the_retry_message_claims_once_the_backoff_is_over_and_an_early_duplicate_does_not(
    fakes: Fakes,
) -> None:
    job = stored(fakes, new_job())
    fakes.parser.enqueue(TransientParseError("busy", code="gemini_unavailable"))
    process_job(fakes.ctx, job.id)
    (message,) = fakes.parse_queue.take()

    assert process_job(fakes.ctx, job.id) is ParseResult.SKIPPED  # a duplicate, long before it is due
    assert current(fakes, job).attempts == 1
    fakes.clock.advance(message.delay)
    assert process_job(fakes.ctx, job.id) is ParseResult.COMPLETED
    assert current(fakes, job).attempts == 2


def test_a_permanent_error_fails_the_job_at_once(fakes: Fakes) -> None:
    job = stored(fakes, new_job(max_attempts=3, webhook_url="https://example.com/hook"))
    fakes.parser.enqueue(PermanentParseError("the PDF is encrypted", code="pdf_encrypted"))

    assert process_job(fakes.ctx, job.id) is ParseResult.FAILED

    failed = current(fakes, job)
    assert failed.status is JobStatus.FAILED and failed.attempts == 1
    assert failed.error is not None and failed.error.code == "pdf_encrypted"
    assert failed.webhook is not None and failed.webhook.event == "job.failed"
    assert not fakes.parse_queue.messages


def test_a_missing_file_fails_the_job_permanently(fakes: Fakes) -> None:
    job = stored(fakes, new_job(), blobs=False)

    assert process_job(fakes.ctx, job.id) is ParseResult.FAILED
    assert current(fakes, job).error == JobError(
        "report_file_missing", "a file of this report is missing from storage"
    )


def test_a_transient_error_on_the_last_attempt_fails_the_job(fakes: Fakes) -> None:
    job = stored(fakes, new_job(attempts=2))
    fakes.parser.enqueue(TransientParseError("busy", code="gemini_unavailable"))

    assert process_job(fakes.ctx, job.id) is ParseResult.FAILED

    failed = current(fakes, job)
    assert failed.status is JobStatus.FAILED and failed.attempts == 3
    assert failed.error is not None and "gave up after 3 attempts" in failed.error.message


def test_an_unexpected_exception_fails_the_job_as_internal_error(fakes: Fakes) -> None:
    job = stored(fakes, new_job())
    fakes.parser.enqueue(RuntimeError("bug"))

    assert process_job(fakes.ctx, job.id) is ParseResult.FAILED
    error = current(fakes, job).error
    assert error is not None and error.code == "internal_error"


class TakenOverDuringParse:
    """A parser so slow that the lease expires and another worker takes the job over meanwhile."""

    def __init__(self, fakes: Fakes, job_id: str, *, other_finishes: bool) -> None:
        self.fakes, self.job_id, self.other_finishes = fakes, job_id, other_finishes

    def parse(self, request: ParseRequest) -> ParseOutcome:
        self.fakes.clock.advance(LEASE)
        other = replace(self.fakes.ctx, worker_id="worker-b", parser=self.fakes.parser)
        if self.other_finishes:
            assert process_job(other, self.job_id) is ParseResult.COMPLETED
        else:
            claimed_by(self.fakes, current(self.fakes, self.job_id), "worker-b")
        return ParseOutcome(ParsedReport(patient_name="stale"), model="stale-model")


@pytest.mark.parametrize("other_finishes", [True, False])
def test_a_worker_that_lost_its_lease_changes_nothing(fakes: Fakes, other_finishes: bool) -> None:
    job = stored(fakes, new_job())
    slow = replace(fakes.ctx, parser=TakenOverDuringParse(fakes, job.id, other_finishes=other_finishes))

    assert process_job(slow, job.id) is ParseResult.SKIPPED

    after = current(fakes, job)
    assert after.attempts == 2
    assert after.history[0].outcome is AttemptOutcome.LEASE_EXPIRED
    parsed = fakes.reports.get_parsed_data(job.report_id)
    if other_finishes:
        assert after.status is JobStatus.COMPLETED and after.model == "fake-model"
        assert parsed is not None and parsed["patient_name"] == "Jane Q. Doe"  # the winner's report
    else:
        assert after.status is JobStatus.PROCESSING
        assert parsed is None  # the stale attempt's report went with it


def test_messages_for_unknown_or_ended_jobs_change_nothing(fakes: Fakes) -> None:
    job = stored(fakes, new_job())
    process_job(fakes.ctx, job.id)
    done = current(fakes, job)

    assert process_job(fakes.ctx, "0" * 24) is ParseResult.SKIPPED
    assert process_job(fakes.ctx, job.id) is ParseResult.SKIPPED
    assert current(fakes, job) == done


def test_a_message_for_a_live_lease_waits_and_one_for_a_stuck_exhausted_job_ends_it(fakes: Fakes) -> None:
    job = claimed_by(fakes, stored(fakes, new_job(attempts=2)), "worker-that-dies")

    assert process_job(fakes.ctx, job.id) is ParseResult.SKIPPED
    fakes.clock.advance(LEASE)
    assert process_job(fakes.ctx, job.id) is ParseResult.FAILED

    failed = current(fakes, job)
    assert failed.error is not None and failed.error.code == "lease_expired"
    assert failed.history[-1].outcome is AttemptOutcome.LEASE_EXPIRED


def test_a_poison_message_fails_a_pending_job(fakes: Fakes) -> None:
    job = stored(fakes, new_job(webhook_url="https://example.com/hook"))

    assert fail_poisoned(fakes.ctx, job.id) is True

    failed = current(fakes, job)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.code == "poison_message"
    assert failed.webhook is not None and [m.job_id for m in fakes.webhook_queue.messages] == [job.id]
    assert fail_poisoned(fakes.ctx, job.id) is False
    assert fail_poisoned(fakes.ctx, "0" * 24) is False


def test_a_poison_message_leaves_a_job_another_worker_is_parsing(fakes: Fakes) -> None:
    job = claimed_by(fakes, stored(fakes, new_job()), "busy-worker")

    assert fail_poisoned(fakes.ctx, job.id) is False
    assert current(fakes, job).status is JobStatus.PROCESSING
