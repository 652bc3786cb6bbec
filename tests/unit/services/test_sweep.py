"""Use case: the sweeper's pass, with the time as a parameter. Every stuck job moves on, once."""

from __future__ import annotations

from datetime import timedelta

from lib.domain import job_transitions
from lib.domain.jobs import AttemptOutcome, Job, JobError, JobStatus
from lib.services.sweep import OUTBOX_GRACE, sweep
from tests.support.fakes.context import Fakes
from tests.support.jobs import T0, new_job

LEASE = timedelta(seconds=60)
HOUR = timedelta(hours=1)


def claimed(fakes: Fakes, job: Job) -> Job:
    fakes.jobs.insert(job)
    change = job_transitions.claim(job, worker="worker-that-dies", now=job.created_at, lease_for=LEASE)
    assert change is not None
    after = fakes.jobs.apply(change)
    assert after is not None
    return after


def current(fakes: Fakes, job: Job) -> Job:
    found = fakes.jobs.get(job.id)
    assert found is not None
    return found


def test_an_idle_pass_does_nothing(fakes: Fakes) -> None:
    assert sweep(fakes.ctx, T0) == {}
    assert not fakes.cursors.markers


def test_a_job_past_its_deadline_fails_and_its_webhook_is_queued(fakes: Fakes) -> None:
    job = new_job(webhook_url="https://example.com/hook", message_sent=True, next_attempt_at=T0 + 2 * HOUR)
    fakes.jobs.insert(job)
    fresh = new_job(
        created_at=T0 + HOUR, updated_at=T0 + HOUR, message_sent=True, next_attempt_at=T0 + 2 * HOUR
    )
    fakes.jobs.insert(fresh)

    counts = sweep(fakes.ctx, T0 + HOUR + timedelta(seconds=1))

    assert counts == {"deadline_failed": 1}
    failed = current(fakes, job)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.code == "deadline_exceeded"
    assert failed.webhook is not None
    assert [m.job_id for m in fakes.webhook_queue.messages] == [job.id]
    assert current(fakes, fresh).status is JobStatus.PENDING


def test_an_expired_lease_goes_back_to_pending_and_is_requeued(fakes: Fakes) -> None:
    job = claimed(fakes, new_job())
    later = T0 + LEASE

    assert sweep(fakes.ctx, later) == {"lease_expired": 1}

    requeued = current(fakes, job)
    assert requeued.status is JobStatus.PENDING and requeued.lease is None
    assert requeued.next_attempt_at == later and requeued.message_sent is True
    assert requeued.history[-1].outcome is AttemptOutcome.LEASE_EXPIRED
    assert [(m.job_id, m.delay) for m in fakes.parse_queue.messages] == [(job.id, timedelta(0))]


def test_an_expired_lease_on_the_last_attempt_fails_the_job(fakes: Fakes) -> None:
    job = claimed(fakes, new_job(attempts=2))

    assert sweep(fakes.ctx, T0 + LEASE) == {"lease_expired": 1}

    failed = current(fakes, job)
    assert failed.status is JobStatus.FAILED
    assert failed.error is not None and failed.error.code == "lease_expired"
    assert not fakes.parse_queue.messages


def test_a_live_lease_is_left_alone(fakes: Fakes) -> None:
    job = claimed(fakes, new_job())

    assert sweep(fakes.ctx, T0 + LEASE - timedelta(seconds=1)) == {}
    assert current(fakes, job).status is JobStatus.PROCESSING


def test_a_message_never_sent_is_sent_after_the_outbox_grace(fakes: Fakes) -> None:
    job = new_job(message_sent=False, next_attempt_at=T0)
    fakes.jobs.insert(job)

    assert sweep(fakes.ctx, T0 + OUTBOX_GRACE - timedelta(seconds=1)) == {}
    assert sweep(fakes.ctx, T0 + OUTBOX_GRACE + timedelta(seconds=1)) == {"unsent_requeued": 1}

    resent = current(fakes, job)
    assert resent.message_sent is True and resent.message_sent_at == T0 + OUTBOX_GRACE + timedelta(seconds=1)
    assert [m.job_id for m in fakes.parse_queue.messages] == [job.id]


def test_a_lost_message_is_sent_again_and_not_again_until_it_is_overdue_once_more(fakes: Fakes) -> None:
    job = new_job(message_sent=True, message_sent_at=T0, next_attempt_at=T0)
    fakes.jobs.insert(job)
    stale = timedelta(seconds=fakes.ctx.settings.sweep_stale_message_seconds)
    now = T0 + stale + timedelta(seconds=1)

    assert sweep(fakes.ctx, now) == {"lost_requeued": 1}
    assert sweep(fakes.ctx, now + timedelta(seconds=1)) == {}

    assert current(fakes, job).next_attempt_at == now
    assert len(fakes.parse_queue.messages) == 1


def test_a_resend_that_fails_is_counted_on_the_next_pass(fakes: Fakes) -> None:
    job = new_job(message_sent=False, next_attempt_at=T0)
    fakes.jobs.insert(job)
    fakes.parse_queue.down = True

    assert sweep(fakes.ctx, T0 + HOUR - timedelta(seconds=1)) == {}

    assert current(fakes, job).message_sent is False
    fakes.parse_queue.down = False
    assert sweep(fakes.ctx, T0 + HOUR - timedelta(seconds=1)) == {"unsent_requeued": 1}


def test_blobs_no_job_owns_are_removed_after_the_grace_period(fakes: Fakes) -> None:
    owned = new_job(status=JobStatus.COMPLETED)
    fakes.jobs.insert(owned)
    fakes.blobs.put(owned.files[0].blob_name, b"%PDF", sha256="0")
    orphan = "tenant-001/project-001/66f000000000000000000001/1.pdf"
    fakes.blobs.put(orphan, b"%PDF", sha256="0")
    fakes.blobs.put("not-laid-out-like-ours.txt", b"x", sha256="0")
    grace = timedelta(minutes=fakes.ctx.settings.orphan_blob_grace_minutes)

    young = sweep(fakes.ctx, T0 + grace - timedelta(seconds=1))
    settled = sweep(fakes.ctx, T0 + grace)

    assert young == {}
    assert settled == {"orphan_blobs_removed": 1}
    assert sorted(fakes.blobs.blobs) == sorted([owned.files[0].blob_name, "not-laid-out-like-ours.txt"])


def test_the_orphan_scan_goes_on_where_the_last_pass_stopped(fakes: Fakes) -> None:
    small = fakes.with_settings(SWEEP_BATCH_SIZE="2")
    names = [f"t/p/66f00000000000000000000{n}/1.pdf" for n in range(5)]
    for name in names:
        small.blobs.put(name, b"%PDF", sha256="0")
    later = T0 + 2 * HOUR

    passes = [sweep(small.ctx, later).get("orphan_blobs_removed", 0) for _ in range(3)]

    assert passes == [2, 2, 1]
    assert not small.blobs.blobs


def test_a_stalled_webhook_delivery_is_sent_again(fakes: Fakes) -> None:
    job = new_job(webhook_url="https://example.com/hook")
    fakes.jobs.insert(job)
    change = job_transitions.fail_unless_final(job, T0, JobError("poison_message", "x"))
    assert change is not None and fakes.jobs.apply(change) is not None

    counts = sweep(fakes.ctx, T0 + OUTBOX_GRACE + timedelta(seconds=1))

    assert counts == {"webhooks_requeued": 1}
    assert [m.job_id for m in fakes.webhook_queue.messages] == [job.id]
