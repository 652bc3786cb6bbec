"""Outages, races and hostile timing: jobs and deliveries still end, once, without leaking data."""

from __future__ import annotations

import json
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from azure.functions.queue import QueueMessage
from pymongo import MongoClient

from functions.parse_queue import parse_job
from lib.adapters.job_store import JobStore
from lib.adapters.storage import JobQueue, queue_service
from lib.bootstrap import context
from lib.domain.errors import DependencyUnavailable, TransientParseError
from lib.domain.jobs import Job, JobError, JobStatus
from lib.domain.parsing import ParseOutcome, ParseRequest
from lib.domain.report_schema import ParsedReport
from lib.services.context import Context
from lib.services.parse import ParseResult, fail_poisoned, process_job
from lib.services.submit import submit_report
from lib.services.sweep import sweep
from lib.settings import Settings
from tests.conftest import Credentials
from tests.support.failpoints import FailPoints
from tests.support.functions import parse_queue_client, receive
from tests.support.jobs import claim_job, fail_job, new_job, upload_form
from tests.support.pdf_factory import SampleReport, make_report_pdf
from tools.services import azurite_connection_string, free_port

pytestmark = pytest.mark.integration

PATIENT = "Jane Q. Doe"
LEASE = timedelta(minutes=10)


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_report_pdf(SampleReport(patient_name=PATIENT))


def reports(settings: Settings) -> list[dict[str, Any]]:
    with MongoClient(settings.mongodb_uri) as client:
        return list(client[settings.mongodb_database]["parsed_reports"].find())


class CallbackParser:
    """A parser that runs ``during`` (to stage a race) and then returns a report."""

    def __init__(self, during: Callable[[], None]) -> None:
        self.during = during

    def parse(self, request: ParseRequest) -> ParseOutcome:
        self.during()
        return ParseOutcome(ParsedReport(patient_name=PATIENT, diagnosis=["x"]), model="test")


def test_a_database_outage_at_claim_leaves_the_job_to_the_sweeper_not_the_poison_queue(
    app_env: Callable[..., None], tenant: Credentials, ctx: Context, failpoints: FailPoints, pdf: bytes
) -> None:
    now = ctx.clock()
    job = new_job(created_at=now, updated_at=now, message_sent=True, next_attempt_at=now)
    ctx.jobs.insert(job)
    context()  # connected before the outage
    failpoints.close_connection(["find", "update", "findAndModify"], times=50)

    parse_job(QueueMessage(id="m", body=json.dumps({"job_id": job.id}).encode(), dequeue_count=1))

    failpoints.clear()
    stored = ctx.jobs.get(job.id)
    assert stored is not None and stored.status is JobStatus.PENDING  # untouched, not failed
    assert sweep(ctx, ctx.clock() + timedelta(minutes=6)) == {"lost_requeued": 1}


def test_a_poison_message_does_not_fail_a_job_another_worker_is_parsing(ctx: Context) -> None:
    job = new_job()
    ctx.jobs.insert(job)
    assert claim_job(ctx.jobs, job.id, "busy-worker", ctx.clock(), LEASE) is not None

    assert fail_poisoned(ctx, job.id) is False

    stored = ctx.jobs.get(job.id)
    assert stored is not None and stored.status is JobStatus.PROCESSING


def test_a_duplicate_message_before_the_backoff_ends_waits(ctx: Context) -> None:
    now = ctx.clock()
    job = new_job(next_attempt_at=now + timedelta(minutes=2))
    ctx.jobs.insert(job)

    assert process_job(ctx, job.id) is ParseResult.SKIPPED
    assert claim_job(ctx.jobs, job.id, "w", now + timedelta(minutes=2), LEASE) is not None


def test_a_retry_is_not_resent_early_by_the_sweeper(ctx: Context, settings: Settings) -> None:
    now = ctx.clock()
    long_ago = now - timedelta(minutes=2)
    job = new_job(
        created_at=long_ago, updated_at=long_ago, attempts=1, next_attempt_at=now + timedelta(seconds=3)
    )
    ctx.jobs.insert(job)

    assert sweep(ctx, now) == {"unsent_requeued": 1}

    queue = parse_queue_client(settings)
    assert queue.receive_message() is None  # delayed until the backoff ends
    message = receive(queue, timeout=10)
    assert message is not None and json.loads(message.get_body()) == {"job_id": job.id}


def test_a_report_from_a_worker_that_lost_its_job_is_discarded(
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

    def deadline_passes() -> None:  # the sweeper fails the job while it is being parsed
        fail_job(ctx.jobs, submission.job_id, ctx.clock(), JobError("deadline_exceeded", "late"))

    racing = replace(ctx, parser=CallbackParser(deadline_passes))

    assert process_job(racing, submission.job_id) is ParseResult.SKIPPED
    stored = ctx.jobs.get(submission.job_id)
    assert stored is not None and stored.status is JobStatus.FAILED
    assert reports(settings) == []


def test_recording_a_failure_during_an_outage_does_not_chain_report_text(
    ctx: Context, failpoints: FailPoints
) -> None:
    job = new_job(files=())
    ctx.jobs.insert(job)

    def buggy_parse() -> None:  # the database goes away, then a parser bug quotes the report
        failpoints.close_connection(["findAndModify"], times=2)
        raise ValueError(f"invalid literal for int(): '{PATIENT}, DOB 1970-01-01'")

    with pytest.raises(DependencyUnavailable) as raised:
        process_job(replace(ctx, parser=CallbackParser(buggy_parse)), job.id)

    failpoints.clear()
    assert PATIENT not in "".join(traceback.format_exception(raised.value))


def test_an_insert_applied_despite_an_error_is_accepted_not_orphaned(
    ctx: Context, tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    class LostAnswer(JobStore):
        def insert(self, job: Job) -> None:
            super().insert(job)
            raise DependencyUnavailable("mongodb")

    client: MongoClient[dict[str, Any]] = MongoClient(settings.mongodb_uri, tz_aware=True)
    lossy = replace(ctx, jobs=LostAnswer(client[settings.mongodb_database]))

    submission = submit_report(
        lossy,
        tenant_id="tenant-001",
        project_id="project-001",
        api_key=tenant.api_key,
        read_form=upload_form(pdf),
        webhook_url=None,
    )

    client.close()
    assert ctx.jobs.get(submission.job_id) is not None
    assert process_job(ctx, submission.job_id) is ParseResult.COMPLETED  # its blob is still there


def test_an_unreadable_job_document_does_not_stop_the_sweeper(ctx: Context, settings: Settings) -> None:
    now = ctx.clock()
    long_ago = now - timedelta(minutes=2)
    good = new_job(created_at=long_ago, updated_at=long_ago)
    ctx.jobs.insert(good)
    with MongoClient(settings.mongodb_uri) as client:
        jobs = client[settings.mongodb_database]["parsing_jobs"]
        jobs.insert_one(
            {
                "_id": "broken",
                "status": "pending",
                "message_sent": False,
                "updated_at": long_ago,
                "created_at": long_ago - timedelta(seconds=1),
            }
        )
        jobs.update_one({"_id": good.id}, {"$set": {"files.0.added_by_a_newer_version": True}})

    assert sweep(ctx, now) == {"unsent_requeued": 1}


def test_a_lost_first_webhook_message_is_sent_again_once(ctx: Context, settings: Settings) -> None:
    now = ctx.clock()
    job = new_job(webhook_url="https://93.184.216.34/hook")
    ctx.jobs.insert(job)
    failed = fail_job(ctx.jobs, job.id, now - timedelta(minutes=10), JobError("x", "y"))
    assert failed is not None and failed.webhook is not None
    ctx.deliveries.mark_sent(job.id, failed.webhook.message_id)  # sent, then lost

    assert sweep(ctx, now) == {"webhooks_requeued": 1}
    assert sweep(ctx, now + timedelta(seconds=10)) == {}  # rescheduled: not again at once


def test_the_context_is_built_once_under_concurrency(app_env: Callable[..., None]) -> None:
    with ThreadPoolExecutor(8) as pool:
        built = list(pool.map(lambda _: context(), range(16)))

    assert all(item is built[0] for item in built)


def test_an_upload_whose_process_died_before_the_send_is_sent_once_overdue(
    ctx: Context, settings: Settings
) -> None:
    """The job is stored as sent (the request sends right after the insert); the send never happened."""
    now = ctx.clock()
    job = new_job(created_at=now, updated_at=now, message_sent=True, message_sent_at=now, next_attempt_at=now)
    ctx.jobs.insert(job)
    stale = timedelta(seconds=settings.sweep_stale_message_seconds)

    early = sweep(ctx, now + stale - timedelta(seconds=1))
    overdue = sweep(ctx, now + stale + timedelta(seconds=1))

    assert (early, overdue) == ({}, {"lost_requeued": 1})
    message = receive(parse_queue_client(settings))
    assert message is not None and json.loads(message.get_body())["job_id"] == job.id


def test_a_retry_whose_message_cannot_be_sent_is_marked_unsent_for_the_sweeper(
    ctx: Context, settings: Settings, azurite: Any, pdf: bytes
) -> None:
    job = new_job()
    ctx.jobs.insert(job)
    ctx.blobs.put(job.files[0].blob_name, pdf, sha256=job.files[0].sha256)
    no_queue = azurite_connection_string(azurite.ports["blob"], free_port())
    down = JobQueue(
        queue_service(settings.model_copy(update={"storage_connection_string": no_queue})),
        settings.parse_queue_name,
    )

    def unavailable() -> None:
        raise TransientParseError("Gemini answered 503", code="gemini_unavailable")

    worker = replace(ctx, parse_queue=down, parser=CallbackParser(unavailable))

    assert process_job(worker, job.id) is ParseResult.RETRY_SCHEDULED

    stored = ctx.jobs.get(job.id)
    assert stored is not None and stored.status is JobStatus.PENDING and stored.message_sent is False
