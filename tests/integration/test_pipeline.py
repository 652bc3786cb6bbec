"""The whole pipeline through the Blueprint functions: upload → queue → parse trigger → status.

Real Azurite, a real MongoDB-wire server, and the real google-genai client over
HTTP to a local Gemini stand-in. Queue messages are received from Azurite and
handed to the parse trigger as the host would, delays included.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from azure.functions.queue import QueueMessage
from pymongo import MongoClient

from functions.jobs_http import get_job_status
from functions.parse_queue import parse_job, parse_job_poison
from functions.reports_http import upload_report
from lib.settings import Settings
from tests.conftest import Credentials
from tests.support.functions import parse_queue_client, receive, status_request, upload_request
from tests.support.gemini_stub import SAMPLE_REPORT, GeminiReply, GeminiStub
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.integration


@pytest.fixture
def gemini(app_env: Callable[..., None]) -> Iterator[GeminiStub]:
    with GeminiStub() as stub:
        app_env(
            PARSER="gemini",
            GEMINI_API_KEY="test-key",
            GEMINI_BASE_URL=stub.base_url,
            GEMINI_TIMEOUT_SECONDS="5",
            RETRY_BASE_SECONDS="0.2",
            RETRY_MAX_SECONDS="1",
        )
        yield stub


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_report_pdf(SampleReport(patient_name="Jane Q. Doe"))


def upload(credentials: Credentials, pdf: bytes) -> str:
    response = upload_report(
        upload_request(credentials.tenant_id, credentials.project_id, [pdf], api_key=credentials.api_key)
    )
    assert response.status_code == 202
    job_id: str = json.loads(response.get_body())["job_id"]
    return job_id


def status(credentials: Credentials, job_id: str) -> dict[str, Any]:
    response = get_job_status(status_request(job_id, credentials.api_key))
    assert response.status_code == 200
    body: dict[str, Any] = json.loads(response.get_body())
    return body


def run_worker(settings: Settings, job_id: str, max_messages: int = 10) -> list[QueueMessage]:
    """Deliver parse messages to the trigger, as the host would, until the job has ended."""
    queue = parse_queue_client(settings)
    delivered = []
    while len(delivered) < max_messages and stored(settings, "parsing_jobs", _id=job_id)[0]["status"] not in (
        "completed",
        "failed",
    ):
        message = receive(queue, timeout=10.0)
        assert message is not None, "the job has not ended and no message is coming"
        parse_job(message)
        delivered.append(message)
    return delivered


def stored(settings: Settings, collection: str, **query: Any) -> list[dict[str, Any]]:
    with MongoClient(settings.mongodb_uri) as client:
        return list(client[settings.mongodb_database][collection].find(query))


def test_upload_to_completed_with_gemini(
    gemini: GeminiStub, tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    gemini.enqueue(GeminiReply.ok(SAMPLE_REPORT, prompt_tokens=1200, output_tokens=300))
    job_id = upload(tenant, pdf)

    run_worker(settings, job_id)

    body = status(tenant, job_id)
    assert body["status"] == "completed"
    assert body["message"] == "Parsing completed"
    assert body["parsed_data"]["patient_name"] == SAMPLE_REPORT["patient_name"]
    assert body["parsed_data"]["lab_results"][0]["flag"] == "high"
    assert body["attempts"] == 1 and body["completed_at"] is not None
    assert body["model"] == "gemini-3.5-flash"
    assert gemini.last_request is not None and gemini.last_request.pdfs == [pdf]
    [job] = stored(settings, "parsing_jobs")
    assert job["usage"] == {"prompt_tokens": 1200, "output_tokens": 300, "total_tokens": 1500}
    assert [a["outcome"] for a in job["history"]] == ["completed"]
    assert len(stored(settings, "parsed_reports", job_id=job_id)) == 1


def test_transient_errors_are_retried_until_success(
    gemini: GeminiStub, tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    gemini.enqueue(GeminiReply.error(503), GeminiReply.error(429), GeminiReply.ok(SAMPLE_REPORT))
    job_id = upload(tenant, pdf)

    delivered = run_worker(settings, job_id)

    body = status(tenant, job_id)
    assert body["status"] == "completed"
    assert body["attempts"] == 3
    assert len(delivered) == 3
    [job] = stored(settings, "parsing_jobs")
    assert [(a["outcome"], a["error_code"]) for a in job["history"]] == [
        ("retry", "gemini_unavailable"),
        ("retry", "gemini_rate_limited"),
        ("completed", None),
    ]
    assert len(stored(settings, "parsed_reports", job_id=job_id)) == 1


def test_always_transient_fails_after_max_attempts(
    gemini: GeminiStub, tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    gemini.enqueue(*[GeminiReply.error(503)] * 3)
    job_id = upload(tenant, pdf)

    run_worker(settings, job_id)

    body = status(tenant, job_id)
    assert body["status"] == "failed"
    assert body["attempts"] == 3
    assert body["error"]["code"] == "gemini_unavailable"
    assert "gave up after 3 attempts" in body["error"]["message"]
    assert body["failed_at"] is not None and "parsed_data" not in body
    assert len(gemini.requests) == 3


def test_permanent_error_fails_after_one_attempt(
    gemini: GeminiStub, tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    gemini.enqueue(GeminiReply.error(400))
    job_id = upload(tenant, pdf)

    run_worker(settings, job_id)

    body = status(tenant, job_id)
    assert body["status"] == "failed"
    assert body["attempts"] == 1
    assert body["error"]["code"] == "gemini_rejected"
    assert len(gemini.requests) == 1


def test_safety_block_fails_the_job(
    gemini: GeminiStub, tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    gemini.enqueue(GeminiReply.safety_block())
    job_id = upload(tenant, pdf)

    run_worker(settings, job_id)

    assert status(tenant, job_id)["error"]["code"] == "gemini_safety_block"


def test_duplicate_message_for_a_completed_job_changes_nothing(
    gemini: GeminiStub, tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    job_id = upload(tenant, pdf)
    run_worker(settings, job_id)
    before = stored(settings, "parsing_jobs")

    parse_job(QueueMessage(id="dup", body=json.dumps({"job_id": job_id}).encode(), dequeue_count=1))

    assert stored(settings, "parsing_jobs") == before
    assert len(gemini.requests) == 1


def test_poison_message_fails_a_pending_job_but_not_a_completed_one(
    gemini: GeminiStub, tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    done = upload(tenant, pdf)
    run_worker(settings, done)
    stuck = upload(tenant, pdf)

    for job_id in (done, stuck):
        parse_job_poison(QueueMessage(id="p", body=json.dumps({"job_id": job_id}).encode(), dequeue_count=1))

    assert status(tenant, done)["status"] == "completed"
    failed = status(tenant, stuck)
    assert failed["status"] == "failed"
    assert failed["error"]["code"] == "poison_message"


def test_foreign_messages_are_dropped(gemini: GeminiStub, tenant: Credentials, settings: Settings) -> None:
    for body in (b"not json", b'{"other": 1}', json.dumps({"job_id": "0" * 24}).encode()):
        parse_job(QueueMessage(id="x", body=body, dequeue_count=1))
        parse_job_poison(QueueMessage(id="x", body=body, dequeue_count=1))

    assert gemini.requests == []
    assert stored(settings, "parsing_jobs") == []


def test_local_parser_end_to_end(
    app_env: Callable[..., None], tenant: Credentials, settings: Settings, pdf: bytes
) -> None:
    app_env(PARSER="local")
    job_id = upload(tenant, pdf)

    run_worker(settings, job_id)

    body = status(tenant, job_id)
    assert body["status"] == "completed"
    assert body["model"] == "local-rules"
    assert body["parsed_data"]["patient_name"] == "Jane Q. Doe"
