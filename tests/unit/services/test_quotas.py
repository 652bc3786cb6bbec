"""Use cases around quotas, on fakes: uploads refused past a tenant's limits (and only that
tenant's), the RateLimit headers of keyed answers, overrides, and the parse cap at claim time."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import azure.functions as func
import pytest

from functions.http_support import answer
from lib.domain.errors import AuthenticationFailed, InvalidRequest, NotFound, RateLimited
from lib.domain.jobs import Job, JobStatus, Lease
from lib.domain.quotas import Limits, TenantLimits, window_at
from lib.domain.uploads import UploadForm, UploadLimits
from lib.services import admin
from lib.services.parse import ParseResult, process_job
from lib.services.quotas import LimitCache, rate_limit_headers, request_scope
from lib.services.status import job_status
from lib.services.submit import Submission, submit_report
from tests.support.fakes.context import Fakes, build
from tests.support.fakes.quotas import FakeQuotas
from tests.support.jobs import T0, new_job, upload_form

TIGHT = {"RATE_UPLOADS_PER_MINUTE": "3", "MAX_JOBS_IN_FLIGHT": "5", "MAX_PARSES_PER_TENANT": "1"}


@pytest.fixture
def fakes() -> Fakes:
    return build(TIGHT)


def submit(fakes: Fakes, pdf: bytes, key: str, tenant_id: str = "tenant-001") -> Submission:
    return submit_report(
        fakes.ctx,
        tenant_id=tenant_id,
        project_id="project-001",
        api_key=key,
        read_form=upload_form(pdf),
        webhook_url=None,
    )


def jobs_of(fakes: Fakes, tenant_id: str) -> list[Job]:
    return [job for job in fakes.jobs.jobs.values() if job.tenant_id == tenant_id]


def test_uploads_past_the_per_minute_limit_are_refused_until_the_window_ends(
    fakes: Fakes, pdf: bytes
) -> None:
    key = fakes.register()
    fakes.clock.now = T0 + timedelta(seconds=20)
    for _ in range(3):
        submit(fakes, pdf, key)
    bodies_read: list[int] = []

    def read_form(limits: UploadLimits) -> UploadForm:
        bodies_read.append(1)
        return upload_form(pdf)(limits)

    with pytest.raises(RateLimited) as refused:
        submit_report(
            fakes.ctx,
            tenant_id="tenant-001",
            project_id="project-001",
            api_key=key,
            read_form=read_form,
            webhook_url=None,
        )
    assert refused.value.code == "rate_limited" and refused.value.http_status == 429
    assert refused.value.policy == "uploads" and refused.value.retry_after_seconds == 40
    assert not bodies_read  # refused before the body was decoded
    assert len(fakes.jobs.jobs) == 3 and len(fakes.blobs.blobs) == 3  # nothing of the 4th

    fakes.clock.advance(timedelta(seconds=40))  # the next window
    submit(fakes, pdf, key)
    assert len(fakes.jobs.jobs) == 4


def test_uploads_past_the_jobs_in_flight_limit_are_refused_without_using_an_upload_unit(
    fakes: Fakes, pdf: bytes
) -> None:
    key = fakes.register()
    for _ in range(5):
        fakes.jobs.insert(new_job(status=JobStatus.PROCESSING, attempts=1))
    fakes.jobs.insert(new_job(status=JobStatus.COMPLETED, attempts=1))  # ended: not in flight

    with pytest.raises(RateLimited) as refused:
        submit(fakes, pdf, key)
    assert refused.value.policy == "jobs-in-flight"
    assert refused.value.retry_after_seconds == fakes.ctx.settings.upload_retry_after_seconds
    assert fakes.quotas.uploads_in("tenant-001", window_at(fakes.clock())) == 0
    assert not fakes.blobs.blobs

    done = next(job for job in fakes.jobs.jobs.values() if job.status is JobStatus.PROCESSING)
    fakes.jobs.jobs[done.id] = replace(done, status=JobStatus.COMPLETED)  # one finishes
    submit(fakes, pdf, key)


def test_one_tenant_over_its_limits_leaves_the_others_alone(fakes: Fakes, pdf: bytes) -> None:
    key_a = fakes.register("tenant-a")
    key_b = fakes.register("tenant-b")
    for _ in range(3):
        submit(fakes, pdf, key_a, "tenant-a")
    with pytest.raises(RateLimited):
        submit(fakes, pdf, key_a, "tenant-a")
    for _ in range(3):
        submit(fakes, pdf, key_b, "tenant-b")
    assert len(jobs_of(fakes, "tenant-b")) == 3


def test_a_tenants_override_applies_and_a_reset_restores_the_defaults(fakes: Fakes, pdf: bytes) -> None:
    key = fakes.register()
    now = admin.set_tenant_limits(fakes.ctx, "tenant-001", uploads_per_minute=5)
    assert now == Limits(uploads_per_minute=5, jobs_in_flight=5, parses_at_once=1)
    now = admin.set_tenant_limits(fakes.ctx, "tenant-001", jobs_in_flight=50)
    assert now == Limits(5, 50, 1)  # the earlier override is kept
    for _ in range(5):
        submit(fakes, pdf, key)
    with pytest.raises(RateLimited):
        submit(fakes, pdf, key)

    assert admin.set_tenant_limits(fakes.ctx, "tenant-001", reset=True) == Limits(3, 5, 1)
    assert fakes.quotas.get_limits("tenant-001") == TenantLimits()


def test_overrides_need_a_known_tenant_and_sane_values(fakes: Fakes) -> None:
    with pytest.raises(NotFound):
        admin.set_tenant_limits(fakes.ctx, "nobody", uploads_per_minute=5)
    fakes.register()
    with pytest.raises(InvalidRequest, match="uploads_per_minute"):
        admin.set_tenant_limits(fakes.ctx, "tenant-001", uploads_per_minute=0)
    assert fakes.quotas.get_limits("tenant-001") == TenantLimits()


def test_an_upload_answer_reports_both_policies(fakes: Fakes, pdf: bytes) -> None:
    key = fakes.register()
    fakes.clock.now = T0 + timedelta(seconds=19)
    with request_scope() as seen:
        submit(fakes, pdf, key)
        headers = rate_limit_headers(fakes.ctx, seen)
    assert headers == {
        "RateLimit-Policy": '"uploads";q=3;w=60, "jobs-in-flight";q=5',
        "RateLimit": '"uploads";r=2;t=41, "jobs-in-flight";r=4',
    }


def test_a_refused_upload_answer_reports_the_exhausted_policy(fakes: Fakes, pdf: bytes) -> None:
    key = fakes.register()
    for _ in range(3):
        submit(fakes, pdf, key)
    with request_scope() as seen:
        with pytest.raises(RateLimited):
            submit(fakes, pdf, key)
        headers = rate_limit_headers(fakes.ctx, seen)
    assert headers["RateLimit"] == '"uploads";r=0;t=60, "jobs-in-flight";r=1'


def test_any_other_keyed_answer_reports_the_upload_window(fakes: Fakes, pdf: bytes) -> None:
    key = fakes.register()
    job_id = submit(fakes, pdf, key).job_id
    fakes.clock.advance(timedelta(seconds=15))
    with request_scope() as seen:
        job_status(fakes.ctx, api_key=key, job_id=job_id)
        headers = rate_limit_headers(fakes.ctx, seen)
    assert headers == {
        "RateLimit-Policy": '"uploads";q=3;w=60, "jobs-in-flight";q=5',
        "RateLimit": '"uploads";r=2;t=45',
    }
    with request_scope() as seen:  # an answer to the key that is an error still carries them
        with pytest.raises(NotFound):
            job_status(fakes.ctx, api_key=key, job_id="000000000000000000000000")
        assert rate_limit_headers(fakes.ctx, seen)["RateLimit"] == '"uploads";r=2;t=45'


def test_no_headers_without_a_key_that_checked_out(fakes: Fakes) -> None:
    fakes.register()
    with request_scope() as seen:
        with pytest.raises(AuthenticationFailed):
            job_status(fakes.ctx, api_key="mrp_000000000000_" + "x" * 43, job_id="x")
        assert rate_limit_headers(fakes.ctx, seen) == {}


def test_headers_are_left_out_when_the_quota_state_cannot_be_read(fakes: Fakes, pdf: bytes) -> None:
    key = fakes.register()
    job_id = submit(fakes, pdf, key).job_id
    with request_scope() as seen:
        job_status(fakes.ctx, api_key=key, job_id=job_id)
        fakes.quotas.down = True
        assert rate_limit_headers(fakes.ctx, seen) == {}


# -- the parse cap ---------------------------------------------------------------------------


def stored(fakes: Fakes, job: Job) -> Job:
    fakes.jobs.insert(job)
    for item in job.files:
        fakes.blobs.put(item.blob_name, b"%PDF-1.7 fake", sha256=item.sha256)
    return job


def job_of(fakes: Fakes, tenant_id: str, **changes: object) -> Job:
    job = new_job(next_attempt_at=T0, message_sent=True, message_sent_at=T0, **changes)
    blob = f"{tenant_id}/project-001/{job.id}/1.pdf"
    return replace(job, tenant_id=tenant_id, files=(replace(job.files[0], blob_name=blob),))


def test_a_tenant_at_its_parse_cap_waits_and_another_tenant_parses(fakes: Fakes) -> None:
    fakes.register("tenant-a")
    fakes.register("tenant-b")
    running = stored(fakes, job_of(fakes, "tenant-a", status=JobStatus.PROCESSING, attempts=1))
    waiting = stored(fakes, job_of(fakes, "tenant-a"))
    other = stored(fakes, job_of(fakes, "tenant-b"))

    assert process_job(fakes.ctx, waiting.id) is ParseResult.DEFERRED
    assert process_job(fakes.ctx, other.id) is ParseResult.COMPLETED

    held = fakes.jobs.jobs[waiting.id]
    assert held.status is JobStatus.PENDING and held.attempts == 0 and held.history == ()
    assert held.next_attempt_at is not None
    delay = held.next_attempt_at - T0
    assert timedelta(seconds=5) <= delay <= timedelta(seconds=10)  # PARSE_DEFER_SECONDS x 1-2
    (message,) = fakes.parse_queue.take()
    assert message.job_id == waiting.id and message.delay == delay

    fakes.jobs.jobs[running.id] = replace(running, status=JobStatus.COMPLETED, lease=None)
    assert process_job(fakes.ctx, waiting.id) is ParseResult.SKIPPED  # a duplicate: not due yet
    fakes.clock.advance(delay)
    assert process_job(fakes.ctx, waiting.id) is ParseResult.COMPLETED
    done = fakes.jobs.jobs[waiting.id]
    assert done.status is JobStatus.COMPLETED and done.attempts == 1  # the wait used no attempt


def test_a_tenants_own_parse_cap_overrides_the_default(fakes: Fakes) -> None:
    fakes.register("tenant-a")
    admin.set_tenant_limits(fakes.ctx, "tenant-a", parses_at_once=2)
    stored(fakes, job_of(fakes, "tenant-a", status=JobStatus.PROCESSING, attempts=1))
    second = stored(fakes, job_of(fakes, "tenant-a"))
    assert process_job(fakes.ctx, second.id) is ParseResult.COMPLETED


def test_an_expired_lease_is_taken_over_whatever_the_cap(fakes: Fakes) -> None:
    fakes.register("tenant-a")
    stored(fakes, job_of(fakes, "tenant-a", status=JobStatus.PROCESSING, attempts=1))
    dead = stored(
        fakes,
        job_of(
            fakes,
            "tenant-a",
            status=JobStatus.PROCESSING,
            attempts=1,
            lease=Lease("gone", "token", T0 - timedelta(seconds=1)),
        ),
    )
    assert process_job(fakes.ctx, dead.id) is ParseResult.COMPLETED


def test_the_limit_cache_remembers_overrides_until_they_change_here() -> None:
    quotas = FakeQuotas()
    ticks = [0.0]
    cache = LimitCache(quotas, 30, timer=lambda: ticks[0])
    quotas.limits["t"] = TenantLimits(uploads_per_minute=5)
    assert cache.get_limits("t").uploads_per_minute == 5
    quotas.limits["t"] = TenantLimits(uploads_per_minute=9)  # changed by another instance
    assert cache.get_limits("t").uploads_per_minute == 5
    ticks[0] = 31
    assert cache.get_limits("t").uploads_per_minute == 9
    cache.set_limits("t", TenantLimits(uploads_per_minute=2), T0)  # changed through this one
    assert cache.get_limits("t").uploads_per_minute == 2
    assert LimitCache(quotas, 0).get_limits("t").uploads_per_minute == 2


def test_the_http_glue_answers_429_with_retry_after_and_the_default_headers() -> None:
    def refused() -> func.HttpResponse:
        raise RateLimited("over", policy="uploads", retry_after_seconds=17)

    response = answer(refused)
    assert response.status_code == 429
    assert json.loads(response.get_body())["error"]["code"] == "rate_limited"
    assert response.headers["Retry-After"] == "17"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "RateLimit" not in response.headers  # no key checked out in this request
