"""The quota rules: windows, limits, the RateLimit header values, the parse cap and deferral."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lib.domain.jobs import JobStatus, Lease
from lib.domain.quotas import (
    COUNTER_GRACE,
    InFlightUsage,
    Limits,
    TenantLimits,
    UploadUsage,
    defer,
    defer_delay,
    over_parse_cap,
    policy_header,
    ratelimit_header,
    window_at,
)
from tests.support.jobs import T0, new_job

DEFAULTS = Limits(uploads_per_minute=60, jobs_in_flight=100, parses_at_once=4)


def test_windows_are_aligned_to_the_minute_whatever_the_instance() -> None:
    at = datetime(2026, 11, 28, 12, 0, 41, 500_000, tzinfo=UTC)
    window = window_at(at)
    assert window.start == datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)
    assert window.end == datetime(2026, 11, 28, 12, 1, 0, tzinfo=UTC)
    assert window_at(window.end).start == window.end  # the end belongs to the next window
    assert window_at(window.end - timedelta(microseconds=1)) == window
    assert window.expires_at == window.end + COUNTER_GRACE


def test_reset_is_whole_seconds_to_the_window_end_and_never_zero() -> None:
    window = window_at(T0)
    assert window.reset_seconds(T0) == 60
    assert window.reset_seconds(T0 + timedelta(seconds=19)) == 41
    assert window.reset_seconds(T0 + timedelta(seconds=59, milliseconds=1)) == 1  # rounded up
    assert window.reset_seconds(T0 + timedelta(seconds=59, milliseconds=999)) == 1


def test_overrides_replace_only_the_limits_they_name() -> None:
    assert DEFAULTS.with_overrides(TenantLimits()) == DEFAULTS
    assert DEFAULTS.with_overrides(TenantLimits(uploads_per_minute=5)) == Limits(5, 100, 4)
    assert DEFAULTS.with_overrides(TenantLimits(jobs_in_flight=7, parses_at_once=1)) == Limits(60, 7, 1)


def test_merging_overrides_keeps_what_the_new_ones_leave_out() -> None:
    current = TenantLimits(uploads_per_minute=5, jobs_in_flight=50)
    assert current.merged(TenantLimits(jobs_in_flight=9)) == TenantLimits(5, 9, None)
    assert current.merged(TenantLimits()) == current


@pytest.mark.parametrize("field", ["uploads_per_minute", "jobs_in_flight", "parses_at_once"])
def test_a_limit_below_one_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match=field):
        TenantLimits(**{field: 0})


def test_the_upload_that_passes_the_limit_is_the_one_refused() -> None:
    assert not UploadUsage(count=60, limit=60, reset_seconds=3).exceeded
    over = UploadUsage(count=61, limit=60, reset_seconds=3)
    assert over.exceeded and over.remaining == 0
    assert UploadUsage(count=12, limit=60, reset_seconds=3).remaining == 48


def test_in_flight_is_full_at_the_limit() -> None:
    assert not InFlightUsage(count=99, limit=100).full
    assert InFlightUsage(count=100, limit=100).full
    assert InFlightUsage(count=100, limit=100).remaining == 0


def test_header_values_use_the_drafts_structured_field_syntax() -> None:
    assert policy_header(DEFAULTS) == '"uploads";q=60;w=60, "jobs-in-flight";q=100'
    uploads = UploadUsage(count=48, limit=60, reset_seconds=41)
    assert ratelimit_header(uploads) == '"uploads";r=12;t=41'
    assert ratelimit_header(uploads, InFlightUsage(3, 100)) == '"uploads";r=12;t=41, "jobs-in-flight";r=97'
    assert ratelimit_header(UploadUsage(70, 60, 5)) == '"uploads";r=0;t=5'  # never negative


def test_only_a_pending_job_is_held_back_and_only_at_the_cap() -> None:
    pending = new_job()
    assert not over_parse_cap(pending, running=3, cap=4)
    assert over_parse_cap(pending, running=4, cap=4)
    takeover = new_job(
        status=JobStatus.PROCESSING, attempts=1, lease=Lease("gone", "t", T0 - timedelta(seconds=1))
    )
    assert not over_parse_cap(takeover, running=9, cap=4)  # the dead worker's job is one of the 9


def test_deferral_moves_the_due_time_without_using_an_attempt() -> None:
    job = new_job(next_attempt_at=T0, attempts=1)
    now = T0 + timedelta(seconds=3)
    change = defer(job, now, timedelta(seconds=7))
    assert change is not None
    assert change.job.status is JobStatus.PENDING and change.job.attempts == 1
    assert change.job.next_attempt_at == now + timedelta(seconds=7)
    assert change.job.message_sent and change.job.message_sent_at == now and change.job.updated_at == now
    assert change.job.history == job.history
    assert change.fields == {"next_attempt_at", "message_sent", "message_sent_at", "updated_at"}
    assert change.expect.status is JobStatus.PENDING and change.expect.attempts == 1


@pytest.mark.parametrize("status", [s for s in JobStatus if s is not JobStatus.PENDING])
def test_only_a_pending_job_can_be_deferred(status: JobStatus) -> None:
    assert defer(new_job(status=status), T0, timedelta(seconds=5)) is None


def test_defer_delays_spread_between_one_and_two_times_the_base() -> None:
    rng = random.Random(3)
    delays = [defer_delay(5, rng).total_seconds() for _ in range(200)]
    assert all(5 <= delay <= 10 for delay in delays)
    assert max(delays) - min(delays) > 2.5  # spread out, not all alike
