"""Deleting a job, cancelling it and its retention's end leave nothing of the report anywhere.

Against real Azurite and a real MongoDB-wire server: after the purge, every document of
every collection and every blob of the container is read and searched for what the
report held (its bytes' hash, its parsed values, the webhook URL).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from bson import json_util
from pymongo import MongoClient

from lib.adapters.local_parser import LocalReportParser
from lib.adapters.report_pipeline import ReportPipeline
from lib.bootstrap import build_context
from lib.domain.errors import Gone
from lib.domain.parsing import ParseOutcome, ParseRequest
from lib.services import admin
from lib.services.cancel import cancel_job
from lib.services.context import Context
from lib.services.delete import delete_job
from lib.services.parse import ParseResult, process_job
from lib.services.status import job_status
from lib.services.submit import submit_report
from lib.services.sweep import sweep
from lib.settings import Settings
from tests.support.jobs import upload_form
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.integration

PDF = make_report_pdf(SampleReport(patient_name="Jane Q. Doe"))
HOOK = "https://hooks.example.com/parsed?mrn=MRN-0048213"
TENANT, PROJECT = "tenant-purge", "project-1"


@pytest.fixture
def own_ctx(app_settings: dict[str, str]) -> Iterator[Context]:
    settings = Settings.from_env(
        {
            **app_settings,
            "AZURE_CONTAINER_NAME": f"jobpurge-{uuid.uuid4().hex[:12]}",
            "MONGODB_DATABASE": f"jobpurge_{uuid.uuid4().hex[:10]}",
        }
    )
    context = build_context(settings, parser=ReportPipeline(), resolver=lambda host, port: ["93.184.216.34"])
    yield context
    context.close()
    with MongoClient[dict[str, Any]](settings.mongodb_uri) as client:
        client.drop_database(settings.mongodb_database)


@pytest.fixture
def key(own_ctx: Context) -> str:
    admin.create_tenant(own_ctx, TENANT, TENANT)
    admin.create_project(own_ctx, TENANT, PROJECT, "p")
    return admin.create_api_key(own_ctx, TENANT)


def upload(ctx: Context, key: str) -> str:
    # With an Idempotency-Key: its record keeps the 202 (webhook URL included) for a day.
    submission = submit_report(
        ctx,
        tenant_id=TENANT,
        project_id=PROJECT,
        api_key=key,
        read_form=upload_form(PDF),
        webhook_url=HOOK,
        idempotency_key=uuid.uuid4().hex,
    )
    return submission.job_id


def strings_in(value: Any) -> set[str]:
    """Every string value of a parsed report long enough to be a fact, not a code."""
    if isinstance(value, str):
        return {value} if len(value) >= 6 else set()
    if isinstance(value, dict):
        return set().union(*(strings_in(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(strings_in(item) for item in value))
    return set()


def everything(ctx: Context) -> tuple[str, list[bytes]]:
    """Every document of every collection (as extended JSON), and the bytes of every blob."""
    with MongoClient[dict[str, Any]](ctx.settings.mongodb_uri, tz_aware=True) as client:
        db = client[ctx.settings.mongodb_database]
        documents = [json_util.dumps(doc) for name in db.list_collection_names() for doc in db[name].find()]
    blobs = [ctx.blobs.get(entry.name) for entry in ctx.blobs.list_page(None, 1000).blobs]
    return "\n".join(documents), blobs


def assert_nothing_of_the_report_remains(ctx: Context, needles: set[str]) -> None:
    documents, blobs = everything(ctx)
    found = sorted(needle for needle in needles if needle in documents)
    assert found == []
    assert blobs == []


def needles_of(ctx: Context, job_id: str) -> set[str]:
    """What identifies the report: its file's hash, its parsed values, the webhook URL, the patient."""
    job = ctx.jobs.get(job_id)
    assert job is not None
    parsed = ctx.reports.get_parsed_data(job.report_id) or {}
    found = {item.sha256 for item in job.files} | strings_in(parsed) | {HOOK, "Jane Q. Doe", "MRN-0048213"}
    return found


def test_deleting_a_parsed_job_leaves_nothing_of_the_report_in_mongodb_or_blob_storage(
    own_ctx: Context, key: str
) -> None:
    job_id = upload(own_ctx, key)
    assert process_job(own_ctx, job_id) is ParseResult.COMPLETED
    needles = needles_of(own_ctx, job_id)
    documents, blobs = everything(own_ctx)
    assert "Jane Q. Doe" in documents and HOOK in documents and blobs == [PDF]  # the search can find it
    assert len(needles) > 5

    delete_job(own_ctx, api_key=key, job_id=job_id)

    assert_nothing_of_the_report_remains(own_ctx, needles)
    with pytest.raises(Gone) as caught:
        job_status(own_ctx, api_key=key, job_id=job_id)
    assert caught.value.code == "job_deleted"


class DuringParse:
    """A parse during which something happens to its job on another instance."""

    def __init__(self, action: Callable[[], object]) -> None:
        self.action = action

    def parse(self, request: ParseRequest) -> ParseOutcome:
        outcome = LocalReportParser().parse(request)
        self.action()
        return outcome


def test_a_parse_in_flight_when_its_job_is_deleted_cannot_bring_its_data_back(
    own_ctx: Context, key: str
) -> None:
    job_id = upload(own_ctx, key)
    job = own_ctx.jobs.get(job_id)
    assert job is not None
    racing = replace(own_ctx, parser=DuringParse(lambda: delete_job(own_ctx, api_key=key, job_id=job_id)))

    assert (
        process_job(racing, job_id) is ParseResult.SKIPPED
    )  # the worker finished; its writes matched nothing

    assert_nothing_of_the_report_remains(own_ctx, {job.files[0].sha256, HOOK, "Jane Q. Doe", "MRN-0048213"})
    gone = own_ctx.jobs.get(job_id)
    assert gone is not None and gone.status.value == "deleted" and gone.completed_at is None


def test_a_parse_in_flight_when_its_job_is_cancelled_leaves_no_report(own_ctx: Context, key: str) -> None:
    job_id = upload(own_ctx, key)
    racing = replace(own_ctx, parser=DuringParse(lambda: cancel_job(own_ctx, api_key=key, job_id=job_id)))

    assert process_job(racing, job_id) is ParseResult.SKIPPED

    body = job_status(own_ctx, api_key=key, job_id=job_id)
    assert body["status"] == "cancelled" and "parsed_data" not in body
    documents, _ = everything(own_ctx)
    assert "Jane Q. Doe" not in documents and "MRN-0048213" not in documents.replace(HOOK, "")
    assert body["webhook"]["event"] == "job.cancelled"


def test_the_retention_purge_leaves_nothing_and_status_says_when_it_expired(
    own_ctx: Context, key: str
) -> None:
    admin.set_retention(own_ctx, TENANT, PROJECT, 1)
    job_id = upload(own_ctx, key)
    assert process_job(own_ctx, job_id) is ParseResult.COMPLETED
    needles = needles_of(own_ctx, job_id)
    now = own_ctx.clock() + timedelta(days=1, minutes=1)

    assert sweep(own_ctx, now)["retention_purged"] == 1

    assert_nothing_of_the_report_remains(own_ctx, needles)
    with pytest.raises(Gone) as caught:
        job_status(own_ctx, api_key=key, job_id=job_id)
    assert caught.value.code == "result_expired" and caught.value.expired_at is not None
    assert abs(caught.value.expired_at - now) < timedelta(milliseconds=1)
