"""The job, report and cursor ports: fake and MongoDB behave the same, transition by transition."""

from __future__ import annotations

import random
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from lib.domain import job_transitions as transitions
from lib.domain.backoff import Backoff
from lib.domain.errors import Conflict
from lib.domain.jobs import AttemptOutcome, Change, Expect, Job, JobError, JobStatus
from lib.domain.parsing import TokenUsage
from lib.domain.report_schema import ParsedReport
from lib.domain.webhooks import WebhookState
from tests.contract.conftest import JobBackend
from tests.support.jobs import T0, new_job

LEASE = timedelta(minutes=10)
BACKOFF = Backoff.exponential(10, 600)
ERROR = JobError("gemini_unavailable", "the model answered 503")


def claim(job: Job, worker: str = "worker-a", now: datetime = T0) -> Change:
    change = transitions.claim(job, worker=worker, now=now, lease_for=LEASE)
    assert change is not None
    return change


def inserted(backend: JobBackend, **changes: object) -> Job:
    job = new_job(**changes)
    backend.jobs.insert(job)
    return job


def claimed(backend: JobBackend, job: Job) -> Job:
    after = backend.jobs.apply(claim(job))
    assert after is not None
    return after


# -- reads and inserts -------------------------------------------------------------------


def test_a_job_round_trips_unchanged(backend: JobBackend) -> None:
    job = inserted(backend, webhook_url="https://example.com/hook", message_sent=True, next_attempt_at=T0)

    assert backend.jobs.get(job.id) == job
    assert backend.jobs.get("0" * 24) is None


def test_a_foreign_tenants_job_looks_missing(backend: JobBackend) -> None:
    job = inserted(backend)

    assert backend.jobs.get_for_tenant(job.id, "tenant-001") == job
    assert backend.jobs.get_for_tenant(job.id, "tenant-002") is None


def test_an_id_is_inserted_once(backend: JobBackend) -> None:
    job = inserted(backend)

    with pytest.raises(Conflict):
        backend.jobs.insert(job)


def test_an_unclear_insert_is_settled_one_way_or_the_other(backend: JobBackend) -> None:
    stored, lost = inserted(backend), new_job()

    assert backend.jobs.stored_or_refused(stored.id, T0) is True
    assert backend.jobs.stored_or_refused(lost.id, T0) is False
    with pytest.raises(Conflict):
        backend.jobs.insert(lost)  # the insert arriving late, after the upload was refused
    assert backend.jobs.get(stored.id) == stored
    assert backend.jobs.get(lost.id) is None
    assert backend.jobs.existing_ids({stored.id, lost.id}) == {stored.id}


# -- conditional writes ------------------------------------------------------------------


def test_a_claim_applies_once_and_returns_the_stored_job(backend: JobBackend) -> None:
    job = inserted(backend)
    first, second = claim(job, "worker-a"), claim(job, "worker-b")

    won = backend.jobs.apply(first)
    lost = backend.jobs.apply(second)

    assert won == first.job == backend.jobs.get(job.id)
    assert lost is None
    stored = backend.jobs.get(job.id)
    assert stored is not None and stored.lease is not None and stored.lease.owner == "worker-a"


def test_concurrent_claims_have_exactly_one_winner(backend: JobBackend) -> None:
    job = inserted(backend)
    changes = [claim(job, f"worker-{n}") for n in range(8)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(backend.jobs.apply, changes))

    assert sum(result is not None for result in results) == 1
    stored = backend.jobs.get(job.id)
    assert stored is not None and stored.attempts == 1 and len(stored.history) == 1


def test_a_change_to_a_missing_job_matches_nothing(backend: JobBackend) -> None:
    assert backend.jobs.apply(claim(new_job())) is None


def test_completion_by_the_lease_holder_writes_everything_it_names(backend: JobBackend) -> None:
    running = claimed(backend, inserted(backend, webhook_url="https://example.com/hook"))
    done = transitions.complete(
        running, T0 + timedelta(seconds=5), model="m", usage=TokenUsage(10, 20, 30), parse_ms=4200
    )

    stored = backend.jobs.apply(done)

    assert stored == done.job
    assert stored.status is JobStatus.COMPLETED and stored.usage == TokenUsage(10, 20, 30)
    assert stored.webhook is not None and stored.webhook.state is WebhookState.PENDING
    assert stored.history[-1].outcome is AttemptOutcome.COMPLETED


def test_a_stale_lease_holder_cannot_end_the_attempt(backend: JobBackend) -> None:
    first = claimed(backend, inserted(backend))
    later = T0 + LEASE + timedelta(seconds=1)
    second = backend.jobs.apply(claim(first, "worker-b", later))
    assert second is not None and second.attempts == 2

    assert backend.jobs.apply(transitions.complete(first, later, model="m", usage=None, parse_ms=1)) is None
    assert backend.jobs.apply(transitions.fail(first, later, ERROR)) is None
    done = backend.jobs.apply(transitions.complete(second, later, model="m", usage=None, parse_ms=1))
    assert done is not None and done.status is JobStatus.COMPLETED
    assert [a.outcome for a in done.history] == [AttemptOutcome.LEASE_EXPIRED, AttemptOutcome.COMPLETED]


def test_release_for_retry_then_claim_again(backend: JobBackend) -> None:
    running = claimed(backend, inserted(backend))
    released = backend.jobs.apply(
        transitions.release_for_retry(running, T0, ERROR, BACKOFF, random.Random(1))
    )
    assert released is not None and released.next_attempt_at is not None

    again = backend.jobs.apply(claim(released, "worker-b", released.next_attempt_at))

    assert again is not None and again.attempts == 2 and again.next_attempt_at is None
    assert [a.outcome for a in again.history] == [AttemptOutcome.RETRY, None]


def test_a_change_leaves_the_fields_it_does_not_name_as_stored(backend: JobBackend) -> None:
    job = inserted(backend, message_sent=True, next_attempt_at=T0)
    running = claimed(backend, job)
    # Meanwhile something else writes a field the change below does not name.
    assert running.lease is not None
    meanwhile = Expect(JobStatus.PROCESSING, lease_token=running.lease.token)
    backend.jobs.apply(Change(replace(running, model="written-meanwhile"), frozenset({"model"}), meanwhile))

    failed = backend.jobs.apply(transitions.fail(running, T0, ERROR))

    assert failed is not None and failed.model == "written-meanwhile"


def test_the_deadline_fails_a_job_in_the_state_it_was_found_in_only(backend: JobBackend) -> None:
    pending = inserted(backend)
    deadline = JobError("deadline_exceeded", "late")
    change = transitions.fail_unless_final(pending, T0, deadline)
    assert change is not None
    claimed(backend, pending)  # a worker claims it between the sweeper's read and its write

    assert backend.jobs.apply(change) is None
    stored = backend.jobs.get(pending.id)
    assert stored is not None and stored.status is JobStatus.PROCESSING


def test_recording_a_resend_never_overwrites_a_retry_scheduled_meanwhile(backend: JobBackend) -> None:
    job = inserted(backend, message_sent=True, next_attempt_at=T0)  # found overdue by the sweeper...
    running = claimed(backend, job)  # ...a worker takes the re-sent message first
    retry_at = T0 + timedelta(minutes=10)
    backend.jobs.apply(
        replace_due(transitions.release_for_retry(running, T0, ERROR, BACKOFF, random.Random(1)), retry_at)
    )

    assert backend.jobs.apply(transitions.resent(job, T0, T0)) is None

    stored = backend.jobs.get(job.id)
    assert stored is not None and stored.next_attempt_at == retry_at


def replace_due(change: Change, due: datetime) -> Change:
    return replace(change, job=replace(change.job, next_attempt_at=due))


def test_an_expired_lease_is_requeued_once(backend: JobBackend) -> None:
    running = claimed(backend, inserted(backend))
    change = transitions.recover_expired(running, T0 + LEASE)
    assert change is not None

    requeued = backend.jobs.apply(change)

    assert requeued is not None and requeued.status is JobStatus.PENDING and requeued.lease is None
    assert backend.jobs.apply(change) is None


# -- what the sweeper finds --------------------------------------------------------------


def test_the_sweeper_queries_find_what_they_name_oldest_first_and_bounded(backend: JobBackend) -> None:
    minute = timedelta(minutes=1)
    old, older = T0 - 2 * minute, T0 - 3 * minute
    unsent_new = inserted(backend, created_at=old, updated_at=old, message_sent=False)
    unsent_old = inserted(backend, created_at=older, updated_at=older, message_sent=False)
    overdue = inserted(backend, message_sent=True, next_attempt_at=T0 - minute)
    on_time = inserted(backend, message_sent=True, next_attempt_at=T0 + minute)
    running = claimed(backend, inserted(backend))
    ended = backend.jobs.apply(
        transitions.complete(
            claimed(backend, inserted(backend, webhook_url="https://x.example/h")),
            T0,
            model="m",
            usage=None,
            parse_ms=1,
        )
    )
    assert ended is not None

    assert [j.id for j in backend.jobs.unsent(T0, 10)] == [unsent_old.id, unsent_new.id]
    assert [j.id for j in backend.jobs.unsent(T0, 1)] == [unsent_old.id]
    assert [j.id for j in backend.jobs.overdue(T0, 10)] == [overdue.id]
    assert [j.id for j in backend.jobs.expired_leases(T0 + LEASE - minute, 10)] == []
    assert [j.id for j in backend.jobs.expired_leases(T0 + LEASE, 10)] == [running.id]
    deadline = {j.id for j in backend.jobs.past_deadline(T0 + minute, 10)}
    assert deadline == {unsent_new.id, unsent_old.id, overdue.id, on_time.id, running.id}
    assert [j.id for j in backend.jobs.stalled_deliveries(T0 + minute, T0, 10)] == [ended.id]
    assert backend.jobs.stalled_deliveries(T0, T0, 10) == []


def test_a_tenants_jobs_are_listed_and_deleted(backend: JobBackend) -> None:
    mine = [inserted(backend) for _ in range(3)]
    theirs = inserted(backend, tenant_id="tenant-002")

    assert {j.id for j in backend.jobs.of_tenant("tenant-001", 10)} == {j.id for j in mine}
    assert len(backend.jobs.of_tenant("tenant-001", 2)) == 2
    backend.jobs.delete(mine[0].id)
    backend.jobs.delete(mine[0].id)  # already gone: fine

    assert backend.jobs.get(mine[0].id) is None
    assert backend.jobs.existing_ids({j.id for j in mine} | {theirs.id}) == {
        mine[1].id,
        mine[2].id,
        theirs.id,
    }
    assert backend.jobs.existing_ids(set()) == set()


# -- reports -----------------------------------------------------------------------------


REPORT = ParsedReport(patient_name="Jane Q. Doe", diagnosis=["Type 2 diabetes"])


def test_a_report_is_stored_once_per_job_and_read_back(backend: JobBackend) -> None:
    job = claimed(backend, inserted(backend))

    assert backend.reports.save(job, REPORT, "m", T0)
    assert backend.reports.save(job, REPORT.model_copy(update={"patient_name": "Jane Doe"}), "m", T0)

    assert backend.reports.get_parsed_data(job.report_id) == {
        **REPORT.model_dump(mode="json"),
        "patient_name": "Jane Doe",
    }
    assert backend.reports.get_parsed_data("missing") is None


def test_an_earlier_attempt_never_replaces_or_removes_a_later_attempts_report(backend: JobBackend) -> None:
    first = claimed(backend, inserted(backend))
    second = replace(first, attempts=2)
    assert backend.reports.save(second, REPORT, "m", T0)

    assert backend.reports.save(first, REPORT.model_copy(update={"patient_name": "stale"}), "m", T0) is False
    backend.reports.discard(first)

    parsed = backend.reports.get_parsed_data(first.report_id)
    assert parsed is not None and parsed["patient_name"] == "Jane Q. Doe"
    backend.reports.discard(second)
    assert backend.reports.get_parsed_data(first.report_id) is None


def test_a_report_is_deleted_whoever_wrote_it(backend: JobBackend) -> None:
    job = claimed(backend, inserted(backend))
    backend.reports.save(job, REPORT, "m", T0)

    backend.reports.delete(job.report_id)
    backend.reports.delete(job.report_id)

    assert backend.reports.get_parsed_data(job.report_id) is None


# -- cursors -----------------------------------------------------------------------------


def test_a_cursor_is_saved_and_reset(backend: JobBackend) -> None:
    assert backend.cursors.get("orphan_blobs") is None
    backend.cursors.put("orphan_blobs", "marker-1")
    backend.cursors.put("other", "x")

    assert backend.cursors.get("orphan_blobs") == "marker-1"
    backend.cursors.put("orphan_blobs", None)
    assert backend.cursors.get("orphan_blobs") is None
    assert backend.cursors.get("other") == "x"
