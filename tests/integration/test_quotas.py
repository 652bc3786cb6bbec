"""Quotas and fairness with two tenants, on real Azurite and a real MongoDB-wire server.

Tenant A bursts past its upload rate and its jobs-in-flight limit and gets 429s with
RateLimit headers, while tenant B's uploads are accepted; with one of A's parses
running, A's other jobs are deferred at claim time (no attempt used) while B's jobs
complete; then A's deferred jobs complete too. Uploads go through the Blueprint
function; parse messages are received from Azurite and handed to the parse use case,
delays included.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

import azure.functions as func
import pytest
from pymongo import MongoClient
from pymongo.database import Database

from functions.reports_http import upload_report
from lib.domain.parsing import ParseOutcome, ParseRequest
from lib.domain.quotas import TenantLimits, window_at
from lib.services import admin
from lib.services.context import Context
from lib.services.parse import ParseResult, process_job
from lib.settings import Settings
from tests.support.fakes.context import FakeParser
from tests.support.functions import parse_queue_client, receive, upload_request
from tests.support.pdf_factory import SampleReport, make_report_pdf
from tools.services import PROJECT_ROOT

pytestmark = pytest.mark.integration

REMAINING = re.compile(r'"([a-z-]+)";r=(\d+)')

QUOTA_ENV = {
    "RATE_UPLOADS_PER_MINUTE": "3",
    "MAX_JOBS_IN_FLIGHT": "50",
    "MAX_PARSES_PER_TENANT": "1",
    "PARSE_DEFER_SECONDS": "0.3",
    "AUTH_CACHE_SECONDS": "0",  # the admin's override below applies to the app at once
}


@dataclass(frozen=True)
class Caller:
    tenant_id: str
    api_key: str


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_report_pdf(SampleReport(patient_name="Jane Q. Doe"))


@pytest.fixture
def quota_ctx(ctx: Context, app_env: Callable[..., None]) -> Context:
    """The test's context under the quota settings; the Blueprint functions run under them too."""
    app_env(**QUOTA_ENV)
    return replace(ctx, settings=Settings.from_env({**_environment(ctx.settings), **QUOTA_ENV}))


def _environment(settings: Settings) -> dict[str, str]:
    """The settings as the environment that gave them (the values pydantic reads back)."""
    values = settings.model_dump(by_alias=True, mode="json", exclude_none=True)
    return {
        name: str(value).lower() if isinstance(value, bool) else str(value) for name, value in values.items()
    }


def register(ctx: Context, tenant_id: str) -> Caller:
    admin.create_tenant(ctx, tenant_id, tenant_id)
    admin.create_project(ctx, tenant_id, "project-001", "Project")
    return Caller(tenant_id, admin.create_api_key(ctx, tenant_id))


def upload(caller: Caller, pdf: bytes) -> func.HttpResponse:
    response: func.HttpResponse = upload_report(
        upload_request(caller.tenant_id, "project-001", [pdf], api_key=caller.api_key)
    )
    return response


def job_id_of(response: func.HttpResponse) -> str:
    assert response.status_code == 202, response.get_body()
    job_id: str = json.loads(response.get_body())["job_id"]
    return job_id


def error_code(response: func.HttpResponse) -> str:
    code: str = json.loads(response.get_body())["error"]["code"]
    return code


def jobs(settings: Settings, **query: Any) -> list[dict[str, Any]]:
    client: MongoClient[dict[str, Any]]
    with MongoClient(settings.mongodb_uri) as client:
        return list(client[settings.mongodb_database]["parsing_jobs"].find(query))


def fresh_window() -> None:
    """Start the burst early in an upload window, so all of it falls in one."""
    now = datetime.now(UTC)
    left = window_at(now).reset_seconds(now)
    if left < 15:
        time.sleep(left)


class GatedParser:
    """Parses at once, except the first call, which waits until :meth:`release` (a slow parse)."""

    def __init__(self) -> None:
        self.inner = FakeParser()
        self.started = threading.Event()
        self._gate = threading.Event()
        self._first = True
        self._lock = threading.Lock()

    def parse(self, request: ParseRequest) -> ParseOutcome:
        with self._lock:
            first, self._first = self._first, False
        if first:
            self.started.set()
            assert self._gate.wait(30), "the test never released the slow parse"
        return self.inner.parse(request)

    def release(self) -> None:
        self._gate.set()


@pytest.fixture
def gated(quota_ctx: Context) -> Iterator[tuple[Context, GatedParser]]:
    parser = GatedParser()
    yield replace(quota_ctx, parser=parser), parser
    parser.release()


def test_a_bursting_tenant_is_limited_and_deferred_while_another_tenants_jobs_flow(
    gated: tuple[Context, GatedParser], pdf: bytes
) -> None:
    ctx, parser = gated
    settings = ctx.settings
    a, b = register(ctx, "tenant-a"), register(ctx, "tenant-b")
    fresh_window()

    # A's burst: three uploads per minute, then 429 with the headers saying why and until when.
    accepted_a = [upload(a, pdf) for _ in range(3)]
    assert [REMAINING.findall(r.headers["RateLimit"]) for r in accepted_a] == [
        [("uploads", "2"), ("jobs-in-flight", "49")],
        [("uploads", "1"), ("jobs-in-flight", "48")],
        [("uploads", "0"), ("jobs-in-flight", "47")],
    ]
    over = upload(a, pdf)
    assert over.status_code == 429 and error_code(over) == "rate_limited"
    assert over.headers["RateLimit-Policy"] == '"uploads";q=3;w=60, "jobs-in-flight";q=50'
    assert over.headers["RateLimit"].startswith('"uploads";r=0;t=')
    assert 1 <= int(over.headers["Retry-After"]) <= 60
    a_jobs = [job_id_of(r) for r in accepted_a]

    # B is not affected by A's burst.
    b_jobs = [job_id_of(upload(b, pdf)) for _ in range(2)]

    # A's own limits, raised for the rate and lowered for jobs in flight: now that one refuses.
    admin.set_tenant_limits(ctx, "tenant-a", uploads_per_minute=100, jobs_in_flight=3)
    full = upload(a, pdf)
    assert full.status_code == 429 and error_code(full) == "rate_limited"
    assert full.headers["RateLimit"].endswith('"jobs-in-flight";r=0')
    assert full.headers["Retry-After"] == str(settings.upload_retry_after_seconds)
    b_jobs.append(job_id_of(upload(b, pdf)))
    assert len(jobs(settings, tenant_id="tenant-a")) == 3  # nothing of the refused uploads

    # One of A's parses runs (and hangs on): A is at its cap of one parse at a time.
    slow = threading.Thread(target=process_job, args=(ctx, a_jobs[0]))
    slow.start()
    assert parser.started.wait(30)

    queue = parse_queue_client(settings)
    results: dict[str, list[ParseResult]] = {}

    def deliver_until(done: Callable[[], bool]) -> None:
        while not done():
            message = receive(queue, timeout=15)
            assert message is not None, "jobs are unfinished and no message is coming"
            job_id = json.loads(message.get_body())["job_id"]
            results.setdefault(job_id, []).append(process_job(ctx, job_id))

    def completed(job_ids: list[str]) -> bool:
        return all(job["status"] == "completed" for job in jobs(settings, _id={"$in": job_ids}))

    deliver_until(lambda: completed(b_jobs) and all(j in results for j in a_jobs[1:]))
    # B's jobs completed while A's parse was still running; A's others were held back.
    assert slow.is_alive()
    assert all(results[j][0] is ParseResult.DEFERRED for j in a_jobs[1:])
    assert all(ParseResult.COMPLETED in results[j] for j in b_jobs)
    waiting = jobs(settings, _id={"$in": a_jobs[1:]})
    assert all(job["status"] == "pending" and job["attempts"] == 0 for job in waiting)

    parser.release()
    slow.join(30)
    deliver_until(lambda: completed(a_jobs))
    # Deferred, not failed: every job of A completed on its first attempt.
    assert all(
        job["attempts"] == 1 and len(job["history"]) == 1 for job in jobs(settings, tenant_id="tenant-a")
    )

    # With A's jobs done, its in-flight quota has room again.
    job_id_of(upload(a, pdf))


def test_upload_counters_expire_and_jobs_are_counted_on_an_index(ctx: Context, settings: Settings) -> None:
    client: MongoClient[dict[str, Any]]
    with MongoClient(settings.mongodb_uri) as client:
        db: Database[dict[str, Any]] = client[settings.mongodb_database]
        ttl = [i for i in db["quota_windows"].list_indexes() if "expireAfterSeconds" in i]
        assert [(list(i["key"]), i["expireAfterSeconds"]) for i in ttl] == [(["expires_at"], 0)]
        keys = [list(i["key"]) for i in db["parsing_jobs"].list_indexes()]
        assert ["tenant_id", "status"] in keys


def test_the_admin_command_sets_and_resets_a_tenants_limits(
    app_settings: dict[str, str], settings: Settings, ctx: Context
) -> None:
    register(ctx, "tenant-a")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.admin", "set-tenant-limits", *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, **app_settings},
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    done = run("tenant-a", "--uploads-per-minute", "7", "--jobs-in-flight", "9")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == (
        f"tenant tenant-a: 7 uploads per minute, 9 jobs in flight, "
        f"{settings.max_parses_per_tenant} parses at once"
    )
    client: MongoClient[dict[str, Any]]
    with MongoClient(settings.mongodb_uri) as client:
        stored = client[settings.mongodb_database]["tenant_limits"].find_one({"_id": "tenant-a"})
    assert stored is not None and (stored["uploads_per_minute"], stored["jobs_in_flight"]) == (7, 9)

    assert run("tenant-a", "--parses-at-once", "2").stdout.strip().endswith("2 parses at once")
    assert ctx.quotas.get_limits("tenant-a") == TenantLimits(7, 9, 2)  # earlier values kept
    reset = run("tenant-a", "--reset")
    assert reset.returncode == 0 and f"{settings.rate_uploads_per_minute} uploads per minute" in reset.stdout

    refused = run("tenant-a", "--uploads-per-minute", "0")
    assert refused.returncode == 1 and "uploads_per_minute must be at least 1" in refused.stderr
    unknown = run("nobody", "--uploads-per-minute", "5")
    assert unknown.returncode == 1 and "tenant nobody not found" in unknown.stderr
