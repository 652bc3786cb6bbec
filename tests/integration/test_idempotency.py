"""Idempotency-Key through the upload function, on real Azurite and a real MongoDB-wire server."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func
import pytest
from pymongo import MongoClient

from functions.reports_http import upload_report
from lib.adapters.idempotency_store import IdempotencyStore
from lib.adapters.indexes import IDEMPOTENCY_KEYS
from lib.domain import idempotency as keys
from lib.settings import Settings
from tests.conftest import Credentials
from tests.integration.test_upload_and_status import blob_names, messages, refused_markers, stored_jobs
from tests.support.failpoints import FailPoints
from tests.support.functions import multipart
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.integration

KEY = "3f1c9a0e-6d1b-4c55-9a39-0c2f1e7d5b11"


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_report_pdf(SampleReport())


def upload(
    tenant: Credentials, files: list[bytes], key: str | None = KEY, webhook_url: str | None = None
) -> func.HttpResponse:
    body, content_type = multipart(files)
    headers = {"Content-Type": content_type, "X-API-Key": tenant.api_key}
    if key is not None:
        headers["Idempotency-Key"] = key
    return upload_report(
        func.HttpRequest(
            "POST",
            f"http://localhost/api/v1/tenants/{tenant.tenant_id}/projects/{tenant.project_id}/reports",
            headers=headers,
            params={"webhook_url": webhook_url} if webhook_url else {},
            route_params={"tenant_id": tenant.tenant_id, "project_id": tenant.project_id},
            body=body,
        )
    )


def body_of(response: func.HttpResponse) -> dict[str, Any]:
    assert response.mimetype == "application/json"
    data: dict[str, Any] = json.loads(response.get_body())
    return data


def key_records(settings: Settings) -> list[dict[str, Any]]:
    with MongoClient(settings.mongodb_uri) as client:
        return list(client[settings.mongodb_database][IDEMPOTENCY_KEYS].find())


def test_a_repeat_answers_the_same_202_again_marked_replayed(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    first = upload(tenant, [pdf], webhook_url="https://93.184.216.34/hook")
    again = upload(tenant, [pdf], webhook_url="https://93.184.216.34/hook")

    assert first.status_code == again.status_code == 202
    assert again.get_body() == first.get_body()
    assert again.headers["Location"] == first.headers["Location"]
    assert again.headers["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first.headers
    [job] = stored_jobs(settings)
    assert job["_id"] == body_of(first)["job_id"]
    assert len(blob_names(settings)) == 1 and messages(settings) == 1
    [record] = key_records(settings)
    assert record["state"] == "completed" and record["job_id"] == job["_id"]
    assert KEY not in json.dumps(record, default=str)  # only its digest is kept


def test_the_key_on_other_content_is_422_and_writes_nothing(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    first = upload(tenant, [pdf])
    other = upload(tenant, [make_report_pdf(SampleReport(patient_name="John R. Roe"))])

    assert first.status_code == 202
    assert other.status_code == 422
    assert body_of(other) == {
        "success": False,
        "error": {"code": "idempotency_key_reused", "message": body_of(other)["error"]["message"]},
    }
    assert len(stored_jobs(settings)) == 1 and len(blob_names(settings)) == 1 and messages(settings) == 1


@pytest.mark.parametrize("key", ["", "k" * 256, "clé"])
def test_a_malformed_key_is_400_with_its_code(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes, key: str
) -> None:
    response = upload(tenant, [pdf], key=key)

    assert response.status_code == 400
    assert body_of(response)["error"]["code"] == "idempotency_key_invalid"
    assert stored_jobs(settings) == [] and key_records(settings) == []


def claimed_by_another_request(
    settings: Settings, tenant: Credentials, pdf: bytes, claimed_at: datetime, job_id: str
) -> None:
    """The record another request (maybe on another instance, maybe dead) left at its claim."""
    with MongoClient(settings.mongodb_uri, tz_aware=True) as client:
        store = IdempotencyStore(client[settings.mongodb_database])
        store.insert(
            keys.new_claim(
                tenant_id=tenant.tenant_id,
                key=KEY,
                fingerprint=keys.fingerprint(tenant.project_id, [hashlib.sha256(pdf).hexdigest()], None),
                job_id=job_id,
                token="the-first-request",
                now=claimed_at,
                lock_for=timedelta(seconds=settings.idempotency_lock_seconds),
            )
        )


def test_a_repeat_while_the_first_is_written_is_409_with_retry_after(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    claimed_by_another_request(settings, tenant, pdf, datetime.now(UTC), "6b0f71252601f669240ebb79")

    response = upload(tenant, [pdf])

    assert response.status_code == 409
    assert body_of(response)["error"]["code"] == "idempotency_in_progress"
    assert 1 <= int(response.headers["Retry-After"]) <= settings.idempotency_lock_seconds + 5
    assert stored_jobs(settings) == [] and blob_names(settings) == []


def test_a_repeat_after_a_dead_claimants_lock_takes_over_and_fences_its_job_id(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    dead_job = "6b0f71252601f669240ebb79"
    claimed_at = datetime.now(UTC) - timedelta(seconds=settings.idempotency_lock_seconds + 10)
    claimed_by_another_request(settings, tenant, pdf, claimed_at, dead_job)

    taken = upload(tenant, [pdf])

    assert taken.status_code == 202 and "Idempotent-Replayed" not in taken.headers
    job_id = body_of(taken)["job_id"]
    assert job_id != dead_job and [job["_id"] for job in stored_jobs(settings)] == [job_id]
    assert [marker["_id"] for marker in refused_markers(settings)] == [dead_job]
    [record] = key_records(settings)
    assert (record["state"], record["job_id"]) == ("completed", job_id)
    assert upload(tenant, [pdf]).get_body() == taken.get_body()


def test_simultaneous_repeats_make_one_job(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    # Another upload first, so the tenant's rate-limit counter of this minute exists: its first
    # upsert, racing, can come back empty from SecantusDB (see the idempotency notes).
    warm_up = upload(tenant, [make_report_pdf(SampleReport(patient_name="John R. Roe"))], key=None)
    assert warm_up.status_code == 202
    warm_up_job = body_of(warm_up)["job_id"]

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: upload(tenant, [pdf]), range(8)))

    [job] = [job for job in stored_jobs(settings) if job["_id"] != warm_up_job]
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(202) >= 1 and set(statuses) <= {202, 409}
    accepted = [body_of(response) for response in responses if response.status_code == 202]
    assert {body["job_id"] for body in accepted} == {job["_id"]}
    assert [r.status_code for r in responses if "Idempotent-Replayed" not in r.headers].count(202) == 1
    for response in responses:
        if response.status_code == 409:
            assert body_of(response)["error"]["code"] == "idempotency_in_progress"
            assert int(response.headers["Retry-After"]) >= 1
    assert len(blob_names(settings)) == 2 and messages(settings) == 2  # the warm-up's and the job's


def test_a_request_that_fails_after_its_claim_releases_the_key(
    app_env: Callable[..., None],
    tenant: Credentials,
    settings: Settings,
    pdf: bytes,
    failpoints: FailPoints,
) -> None:
    failpoints.close_connection(["update"], times=1)  # the claim's renewal, before the job insert
    try:
        refused = upload(tenant, [pdf])
    finally:
        failpoints.clear()
    assert refused.status_code == 503
    assert stored_jobs(settings) == [] and blob_names(settings) == [] and key_records(settings) == []

    retried = upload(tenant, [pdf])

    assert retried.status_code == 202 and "Idempotent-Replayed" not in retried.headers
    assert [job["_id"] for job in stored_jobs(settings)] == [body_of(retried)["job_id"]]
