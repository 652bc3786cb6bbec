"""Upload and status through the Blueprint functions, on real Azurite and a real MongoDB-wire server."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import azure.functions as func
import pytest
from azure.storage.blob import BlobServiceClient
from pymongo import MongoClient

from functions.jobs_http import get_job_status
from functions.reports_http import upload_report
from lib.bootstrap import context
from lib.domain.quotas import window_at
from lib.services import admin
from lib.settings import Settings
from tests.conftest import Credentials
from tests.support.failpoints import FailPoints
from tests.support.functions import parse_queue_client, queued_count, status_request, upload_request
from tests.support.pdf_factory import SampleReport, make_corrupt_pdf, make_encrypted_pdf, make_report_pdf
from tools.services import azurite_connection_string, free_port

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_report_pdf(SampleReport())


def body_of(response: func.HttpResponse) -> dict[str, Any]:
    assert response.mimetype == "application/json"
    data: dict[str, Any] = json.loads(response.get_body())
    return data


def blob_names(settings: Settings) -> list[str]:
    container = BlobServiceClient.from_connection_string(
        settings.storage_connection_string
    ).get_container_client(settings.container_name)
    if not container.exists():
        return []
    return [blob.name for blob in container.list_blobs()]


def stored_jobs(settings: Settings) -> list[dict[str, Any]]:
    """The jobs; a refused upload's marker (status ``refused``) is not one."""
    with MongoClient(settings.mongodb_uri) as client:
        return list(client[settings.mongodb_database]["parsing_jobs"].find({"status": {"$ne": "refused"}}))


def refused_markers(settings: Settings) -> list[dict[str, Any]]:
    with MongoClient(settings.mongodb_uri) as client:
        return list(client[settings.mongodb_database]["parsing_jobs"].find({"status": "refused"}))


def messages(settings: Settings) -> int:
    queue = parse_queue_client(settings)
    return queued_count(queue) if queue_exists(queue) else 0


def queue_exists(queue: Any) -> bool:
    try:
        queue.get_queue_properties()
    except Exception:  # noqa: BLE001 - ResourceNotFoundError: never created
        return False
    return True


def assert_nothing_written(settings: Settings) -> None:
    assert blob_names(settings) == []
    assert stored_jobs(settings) == []
    assert messages(settings) == 0


def test_upload_is_accepted_stored_and_queued(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    response = upload_report(
        upload_request(
            tenant.tenant_id,
            tenant.project_id,
            [pdf],
            api_key=tenant.api_key,
            params={"webhook_url": "https://93.184.216.34/reports"},
        )
    )

    body = body_of(response)
    assert response.status_code == 202
    assert body["success"] is True
    assert body["status"] == "pending"
    assert body["message"] == "Report upload successful. Parsing will begin shortly."
    assert body["files_uploaded"] == 1
    assert body["total_size_mb"] == round(len(pdf) / 1024 / 1024, 3)
    assert body["webhook_url"] == "https://93.184.216.34/reports"
    assert response.headers["Location"] == f"/api/v1/job/status/{body['job_id']}"
    assert blob_names(settings) == [f"tenant-001/project-001/{body['job_id']}/1.pdf"]
    [job] = stored_jobs(settings)
    assert job["_id"] == body["job_id"] and job["report_id"] == body["report_id"]
    assert job["status"] == "pending" and job["message_sent"] is True
    assert job["files"][0]["size_bytes"] == len(pdf)
    assert messages(settings) == 1
    message = parse_queue_client(settings).receive_message()
    assert json.loads(message.content) == {"job_id": body["job_id"]}


def test_several_files_and_a_form_field_webhook(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    response = upload_report(
        upload_request(
            tenant.tenant_id,
            tenant.project_id,
            [pdf, pdf],
            api_key=tenant.api_key,
            fields={"webhook_url": "https://93.184.216.34:8443/hook"},
        )
    )

    body = body_of(response)
    assert response.status_code == 202
    assert body["files_uploaded"] == 2
    assert body["webhook_url"] == "https://93.184.216.34:8443/hook"
    assert sorted(blob_names(settings)) == [
        f"tenant-001/project-001/{body['job_id']}/1.pdf",
        f"tenant-001/project-001/{body['job_id']}/2.pdf",
    ]


def test_status_of_a_pending_job(app_env: Callable[..., None], tenant: Credentials, pdf: bytes) -> None:
    job_id = body_of(
        upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))
    )["job_id"]

    response = get_job_status(status_request(job_id, tenant.api_key))

    body = body_of(response)
    assert response.status_code == 200
    assert body["job_id"] == job_id
    assert body["status"] == "pending"
    assert body["message"] == "Parsing in progress"
    assert body["attempts"] == 0 and body["max_attempts"] == 3
    assert body["created_at"].endswith("Z") and body["completed_at"] is None
    assert "parsed_data" not in body and "error" not in body


def test_status_hides_other_tenants_jobs(
    app_env: Callable[..., None], tenant: Credentials, pdf: bytes
) -> None:
    job_id = body_of(
        upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))
    )["job_id"]
    ctx = context()
    admin.create_tenant(ctx, "tenant-002", "Other")
    other_key = admin.create_api_key(ctx, "tenant-002")

    foreign = get_job_status(status_request(job_id, other_key))
    unknown = get_job_status(status_request("0" * 24, tenant.api_key))

    assert foreign.status_code == unknown.status_code == 404
    assert (
        body_of(foreign)
        == body_of(unknown)
        == {
            "success": False,
            "error": {"code": "job_not_found", "message": "job not found"},
        }
    )


@pytest.mark.parametrize(
    ("api_key", "code"),
    [
        (None, "missing_api_key"),
        ("not-a-key", "invalid_api_key"),
        ("mrp_0123456789ab_" + "x" * 43, "invalid_api_key"),
    ],
)
def test_status_needs_a_valid_key(
    app_env: Callable[..., None], tenant: Credentials, api_key: str | None, code: str
) -> None:
    response = get_job_status(status_request("0" * 24, api_key))

    assert response.status_code == 401
    assert body_of(response)["error"]["code"] == code


def test_a_revoked_key_stops_working(app_env: Callable[..., None], tenant: Credentials, pdf: bytes) -> None:
    key_id = tenant.api_key.split("_")[1]
    admin.revoke_api_key(context(), key_id)

    response = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))

    assert response.status_code == 401


def test_a_key_revoked_through_this_process_stops_at_once_though_it_was_cached(
    app_env: Callable[..., None], tenant: Credentials, pdf: bytes
) -> None:
    accepted = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))
    admin.revoke_api_key(context(), tenant.api_key.split("_")[1])

    refused = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))

    assert (accepted.status_code, refused.status_code) == (202, 401)


BAD_UPLOADS: list[tuple[str, dict[str, Any], int, str]] = [
    ("no file", {"files": []}, 400, "missing_file"),
    ("empty file", {"files": [b""]}, 400, "empty_file"),
    ("not a pdf", {"files": [b"GIF89a not a pdf at all"]}, 415, "not_a_pdf"),
    ("pdf after junk window", {"files": [b"x" * 2000 + b"%PDF-1.7"]}, 415, "not_a_pdf"),
    ("encrypted pdf", {"files": ["encrypted"]}, 400, "pdf_encrypted"),
    ("corrupt pdf", {"files": ["corrupt"]}, 400, "pdf_unreadable"),
    ("one file too large", {"files": ["big"]}, 413, "file_too_large"),
    ("all files too large", {"files": ["medium"] * 3}, 413, "upload_too_large"),
    ("too many files", {"files": ["pdf"] * 4}, 400, "too_many_files"),
    ("webhook not http", {"params": {"webhook_url": "ftp://example.com/x"}}, 400, "invalid_webhook_url"),
    ("webhook relative", {"params": {"webhook_url": "/hooks"}}, 400, "invalid_webhook_url"),
    (
        "webhook bad port",
        {"params": {"webhook_url": "https://example.com:99999/"}},
        400,
        "invalid_webhook_url",
    ),
    ("unknown project", {"project": "project-404"}, 404, "project_not_found"),
    ("malformed project", {"project": "..%2Fetc"}, 404, "project_not_found"),
    ("other tenant's path", {"tenant": "tenant-002"}, 404, "tenant_not_found"),
    ("missing key", {"api_key": None}, 401, "missing_api_key"),
    ("wrong key", {"api_key": "mrp_0123456789ab_" + "A" * 43}, 401, "invalid_api_key"),
]


@pytest.mark.parametrize(
    ("case", "request_parts", "status", "code"), BAD_UPLOADS, ids=[c[0] for c in BAD_UPLOADS]
)
def test_bad_uploads_are_refused_and_write_nothing(
    app_env: Callable[..., None],
    tenant: Credentials,
    settings: Settings,
    pdf: bytes,
    case: str,
    request_parts: dict[str, Any],
    status: int,
    code: str,
) -> None:
    app_env(MAX_FILE_MB="0.2", MAX_UPLOAD_MB="0.5", MAX_FILES="3")
    samples = {
        "pdf": pdf,
        "encrypted": make_encrypted_pdf(),
        "corrupt": make_corrupt_pdf(),
        "big": pdf + b"\0" * 250_000,
        "medium": pdf + b"\0" * 180_000,
    }
    files = [samples[item] if isinstance(item, str) else item for item in request_parts.get("files", ["pdf"])]

    response = upload_report(
        upload_request(
            request_parts.get("tenant", tenant.tenant_id),
            request_parts.get("project", tenant.project_id),
            files,
            api_key=request_parts.get("api_key", tenant.api_key),
            params=request_parts.get("params"),
        )
    )

    body = body_of(response)
    assert response.status_code == status, body
    assert body["success"] is False
    assert body["error"]["code"] == code
    assert body["error"]["message"]
    assert_nothing_written(settings)


def open_upload_counters(tenant_id: str) -> None:
    """Open the tenant's upload counters of this minute and the next, before an insert fault starts.

    The first upload of a minute inserts its counter (``lib/adapters/quota_store.py``); a fault
    on ``insert`` meant for the job must not land there instead.
    """
    ctx = context()
    now = ctx.clock()
    for moment in (now, now + timedelta(seconds=60)):
        ctx.quotas.count_upload(tenant_id, window_at(moment))


def test_database_down_at_insert_is_503_and_leaves_no_blob(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes, failpoints: FailPoints
) -> None:
    context()  # connect and create indexes before the fault starts
    open_upload_counters("tenant-001")
    failpoints.close_connection(["insert"], times=20)

    response = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))

    failpoints.clear()
    assert response.status_code == 503
    assert body_of(response)["error"]["code"] == "dependency_unavailable"
    assert_nothing_written(settings)
    # The insert may have been applied without an answer: its id is taken, so it cannot land later.
    [marker] = refused_markers(settings)
    assert set(marker) == {"_id", "status", "created_at", "updated_at"}


def test_an_insert_applied_but_answered_with_an_error_is_accepted(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes, failpoints: FailPoints
) -> None:
    context()
    open_upload_counters("tenant-001")
    failpoints.write_concern_timeout(["insert"], times=1)

    response = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))

    failpoints.clear()
    assert response.status_code == 202
    [job] = stored_jobs(settings)
    assert job["_id"] == body_of(response)["job_id"]
    assert job["message_sent"] is True
    assert blob_names(settings) == [job["files"][0]["blob_name"]]
    assert refused_markers(settings) == []


def test_a_refused_uploads_marker_is_never_a_job(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes, failpoints: FailPoints
) -> None:
    ctx = context()
    open_upload_counters("tenant-001")
    failpoints.close_connection(["insert"], times=1)
    refused = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))
    failpoints.clear()
    [marker] = refused_markers(settings)

    status = get_job_status(status_request(marker["_id"], api_key=tenant.api_key))

    assert refused.status_code == 503
    assert ctx.jobs.get(marker["_id"]) is None
    assert (status.status_code, body_of(status)["error"]["code"]) == (404, "job_not_found")


def test_database_throttling_at_insert_is_503_with_retry_after(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes, failpoints: FailPoints
) -> None:
    context()
    failpoints.throttle(["insert"], times=100, retry_after_ms=20)

    response = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))

    failpoints.clear()
    assert response.status_code == 503
    assert body_of(response)["error"]["code"] == "dependency_throttled"
    assert response.headers["Retry-After"] == "1"
    assert_nothing_written(settings)


def test_brief_throttling_is_absorbed(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes, failpoints: FailPoints
) -> None:
    context()
    failpoints.throttle(["insert"], times=2)

    response = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))

    assert response.status_code == 202
    assert len(stored_jobs(settings)) == 1


def test_blob_storage_down_is_503_and_writes_no_job(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    app_env(AZURE_STORAGE_CONNECTION_STRING=azurite_connection_string(free_port(), free_port()))

    response = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))

    assert response.status_code == 503
    assert body_of(response)["error"]["code"] == "dependency_unavailable"
    assert response.headers["Retry-After"] == "5"
    assert stored_jobs(settings) == []


def test_queue_down_after_the_job_is_stored_still_accepts(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes, azurite: Any
) -> None:
    blob_port = azurite.ports["blob"]
    app_env(AZURE_STORAGE_CONNECTION_STRING=azurite_connection_string(blob_port, free_port()))

    response = upload_report(upload_request("tenant-001", "project-001", [pdf], api_key=tenant.api_key))

    assert response.status_code == 202
    [job] = stored_jobs(settings)
    assert job["message_sent"] is False  # the outbox record the sweeper re-sends from
