"""What only the MongoDB job and report stores have: the stored form, indexes, throttling.

Everything the ports promise is in ``tests/contract`` (run against the fakes too).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from pymongo import MongoClient

from lib.adapters.indexes import JOB_INDEXES, ensure_indexes
from lib.domain import job_transitions as transitions
from lib.domain.errors import DependencyThrottled
from lib.domain.jobs import JobStatus
from lib.domain.report_schema import ParsedReport
from lib.services.context import Context
from lib.settings import Settings
from tests.support.failpoints import FailPoints
from tests.support.jobs import T0, new_job

pytestmark = pytest.mark.integration

LEASE = timedelta(minutes=10)


def raw(settings: Settings, collection: str, doc_id: str) -> dict[str, Any]:
    with MongoClient(settings.mongodb_uri, tz_aware=True) as client:
        doc = client[settings.mongodb_database][collection].find_one({"_id": doc_id})
    assert doc is not None
    return doc


def test_a_job_is_stored_with_bson_dates_and_plain_values(ctx: Context, settings: Settings) -> None:
    job = new_job(webhook_url="https://example.com/hook")
    ctx.jobs.insert(job)
    change = transitions.claim(job, worker="w", now=T0, lease_for=LEASE)
    assert change is not None and ctx.jobs.apply(change) is not None

    doc = raw(settings, "parsing_jobs", job.id)

    assert doc["status"] == "processing" and doc["attempts"] == 1
    assert isinstance(doc["created_at"], datetime) and isinstance(doc["lease"]["expires_at"], datetime)
    assert isinstance(doc["history"][0]["started_at"], datetime)
    assert doc["files"][0] == {
        "blob_name": job.files[0].blob_name,
        "size_bytes": 100,
        "sha256": "0" * 64,
        "pages": None,
    }


def test_documents_of_other_versions_stay_readable(ctx: Context, settings: Settings) -> None:
    job = new_job()
    ctx.jobs.insert(job)
    with MongoClient(settings.mongodb_uri) as client:
        jobs = client[settings.mongodb_database]["parsing_jobs"]
        # A newer version's field, and an older one's document without the optional ones.
        jobs.update_one(
            {"_id": job.id},
            {"$set": {"added_later": 1}, "$unset": {"usage": "", "parse_ms": "", "webhook": ""}},
        )

    assert ctx.jobs.get(job.id) == job


def test_a_report_of_a_version_that_did_not_record_attempts_is_replaced(
    ctx: Context, settings: Settings
) -> None:
    job = new_job(attempts=1)
    with MongoClient(settings.mongodb_uri) as client:
        client[settings.mongodb_database]["parsed_reports"].insert_one(
            {"_id": job.report_id, "job_id": job.id, "parsed_data": {"patient_name": "old"}}
        )

    assert ctx.reports.save(job, ParsedReport(patient_name="new"), "m", T0)

    parsed = ctx.reports.get_parsed_data(job.report_id)
    assert parsed is not None and parsed["patient_name"] == "new"
    assert raw(settings, "parsed_reports", job.report_id)["attempt"] == 1


def test_indexes_declared_elsewhere_under_other_names_are_reused(ctx: Context, settings: Settings) -> None:
    with MongoClient(settings.mongodb_uri) as client:
        db = client[settings.mongodb_database]
        jobs = db["parsing_jobs"]
        jobs.drop_index("status_created")
        jobs.create_index([("status", 1), ("created_at", 1)], name="generated_by_infrastructure")

        ensure_indexes(db, JOB_INDEXES)
        ensure_indexes(db, JOB_INDEXES)

        names = {index["name"] for index in jobs.list_indexes()}
    assert "generated_by_infrastructure" in names
    assert "status_created" not in names
    assert {"tenant_created", "status_lease_expiry", "webhook_state_next"} <= names


def test_throttling_is_retried_then_succeeds(ctx: Context, failpoints: FailPoints) -> None:
    job = new_job()
    failpoints.throttle(["insert"], times=2)

    ctx.jobs.insert(job)

    stored = ctx.jobs.get(job.id)
    assert stored is not None and stored.status is JobStatus.PENDING


def test_a_throttled_conditional_write_is_retried_then_applies(ctx: Context, failpoints: FailPoints) -> None:
    job = new_job()
    ctx.jobs.insert(job)
    change = transitions.claim(job, worker="w", now=T0, lease_for=LEASE)
    assert change is not None
    failpoints.throttle(["findAndModify"], times=2)

    assert ctx.jobs.apply(change) == change.job


def test_persistent_throttling_becomes_dependency_throttled(ctx: Context, failpoints: FailPoints) -> None:
    failpoints.throttle(["find"], times=50)

    with pytest.raises(DependencyThrottled):
        ctx.jobs.get("0" * 24)
