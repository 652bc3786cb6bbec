"""Webhook deliveries end to end: a real receiver over HTTP, real queues (Azurite), a real database."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import azure.functions as func
import pytest
import standardwebhooks
from azure.functions.queue import QueueMessage
from pymongo import MongoClient

from functions.jobs_http import redeliver_job_webhook
from functions.webhook_queue import deliver_job_webhook, deliver_job_webhook_poison
from lib.bootstrap import build_context
from lib.domain.tenants import new_webhook_secret
from lib.domain.webhooks import PayloadMode, WebhookState
from lib.fhir import check_bundle
from lib.services import admin
from lib.services.context import Context
from lib.services.notify import DeliveryResult, deliver_webhook
from lib.services.parse import ParseResult, process_job
from lib.services.submit import submit_report
from lib.settings import Settings
from tests.support.functions import parse_queue_client, receive
from tests.support.jobs import upload_form
from tests.support.pdf_factory import SampleReport, make_image_only_pdf, make_report_pdf
from tests.support.webhook_receiver import RecordedRequest, Reply, WebhookReceiver

pytestmark = pytest.mark.integration

PATIENT = "Jane Q. Doe"


@pytest.fixture
def hook_settings(app_settings: dict[str, str]) -> dict[str, str]:
    return {
        **app_settings,
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "WEBHOOK_RETRY_BASE_SECONDS": "0.05",
        "WEBHOOK_TIMEOUT_SECONDS": "1",
        "WEBHOOK_MAX_ATTEMPTS": "4",
    }


@pytest.fixture
def hctx(hook_settings: dict[str, str]) -> Iterator[Context]:
    settings = Settings.from_env(hook_settings)
    context = build_context(settings)
    yield context
    context.close()
    with MongoClient(settings.mongodb_uri) as client:
        client.drop_database(settings.mongodb_database)


@pytest.fixture
def project(hctx: Context) -> dict[str, str]:
    admin.create_tenant(hctx, "tenant-001", "T")
    secret = admin.create_project(hctx, "tenant-001", "project-001", "P")
    return {"secret": secret, "api_key": admin.create_api_key(hctx, "tenant-001")}


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with WebhookReceiver() as server:
        yield server


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return make_report_pdf(SampleReport(patient_name=PATIENT))


def finished_job(ctx: Context, project: dict[str, str], pdf: bytes, url: str) -> str:
    """Upload and parse a report; its job ends and its webhook delivery is queued."""
    submission = submit_report(
        ctx,
        tenant_id="tenant-001",
        project_id="project-001",
        api_key=project["api_key"],
        read_form=upload_form(pdf),
        webhook_url=url,
    )
    assert process_job(ctx, submission.job_id) is ParseResult.COMPLETED
    return submission.job_id


def run_deliveries(ctx: Context, job_id: str, limit: int = 10) -> list[DeliveryResult]:
    """Take delivery messages off the webhook queue, delays included, until the delivery ends."""
    queue = parse_queue_client(ctx.settings, ctx.settings.webhook_queue_name)
    results: list[DeliveryResult] = []
    while len(results) < limit:
        job = ctx.jobs.get(job_id)
        assert job is not None and job.webhook is not None
        if job.webhook.state is not WebhookState.PENDING:
            break
        message = receive(queue, timeout=10)
        assert message is not None, "the delivery is pending but no message came"
        body = json.loads(message.get_body())
        results.append(deliver_webhook(ctx, body["job_id"], body["message_id"]))
    return results


def verify(request: RecordedRequest, secret: str) -> dict[str, Any]:
    payload: dict[str, Any] = standardwebhooks.Webhook(secret).verify(request.body, request.headers)
    return payload


def test_a_completed_job_is_delivered_signed_with_the_status_body(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    job_id = finished_job(hctx, project, pdf, receiver.url + "/hooks")

    assert run_deliveries(hctx, job_id) == [DeliveryResult.DELIVERED]

    [request] = receiver.requests
    assert request.path == "/hooks"
    payload = verify(request, project["secret"])
    assert payload["event"] == "job.completed"
    assert payload["job_id"] == job_id and payload["status"] == "completed"
    assert payload["parsed_data"]["patient_name"] == PATIENT
    assert "webhook" not in payload
    job = hctx.jobs.get(job_id)
    assert job is not None and job.webhook is not None
    assert request.headers["webhook-id"] == job.webhook.message_id
    assert job.webhook.state is WebhookState.DELIVERED and job.webhook.attempts == 1
    assert job.webhook.history[0].status_code == 204


def test_a_project_that_asks_gets_the_fhir_bundle_in_its_webhooks_and_thin_bodies_never(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    admin.set_output_policy(hctx, "tenant-001", "project-001", fhir_in_webhooks=True)
    with_fhir = finished_job(hctx, project, pdf, receiver.url)
    run_deliveries(hctx, with_fhir)
    admin.set_webhook_payload(hctx, "tenant-001", "project-001", PayloadMode.THIN)
    thin = finished_job(hctx, project, pdf, receiver.url)
    run_deliveries(hctx, thin)

    full_body, thin_body = (verify(request, project["secret"]) for request in receiver.requests)

    bundle = full_body["fhir"]
    assert bundle["resourceType"] == "Bundle" and check_bundle(bundle) == []
    patients = [
        entry["resource"] for entry in bundle["entry"] if entry["resource"]["resourceType"] == "Patient"
    ]
    assert patients[0]["name"][0]["text"] == PATIENT
    assert "fhir" not in thin_body and "parsed_data" not in thin_body


def test_tampering_breaks_the_signature(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    job_id = finished_job(hctx, project, pdf, receiver.url)
    run_deliveries(hctx, job_id)
    [request] = receiver.requests
    hook = standardwebhooks.Webhook(project["secret"])

    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        hook.verify(request.body.replace(b"completed", b"failed"), request.headers)
    moved = {**request.headers, "webhook-timestamp": str(int(request.headers["webhook-timestamp"]) - 1)}
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        hook.verify(request.body, moved)
    with pytest.raises(standardwebhooks.webhooks.WebhookVerificationError):
        standardwebhooks.Webhook(new_webhook_secret()).verify(request.body, request.headers)


def test_server_errors_are_retried_with_the_same_webhook_id(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    receiver.enqueue(Reply(500), Reply(503), Reply(200))
    job_id = finished_job(hctx, project, pdf, receiver.url)

    results = run_deliveries(hctx, job_id)

    assert results == [DeliveryResult.RETRY_SCHEDULED] * 2 + [DeliveryResult.DELIVERED]
    ids = {request.headers["webhook-id"] for request in receiver.requests}
    assert len(receiver.requests) == 3 and len(ids) == 1
    for request in receiver.requests:
        verify(request, project["secret"])
    job = hctx.jobs.get(job_id)
    assert job is not None and job.webhook is not None
    assert [(a.number, a.status_code, a.outcome) for a in job.webhook.history] == [
        (1, 500, "retry"),
        (2, 503, "retry"),
        (3, 200, "delivered"),
    ]


def test_gone_stops_retrying(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    receiver.enqueue(Reply(410))
    job_id = finished_job(hctx, project, pdf, receiver.url)

    assert run_deliveries(hctx, job_id) == [DeliveryResult.FAILED]
    assert len(receiver.requests) == 1


def test_attempts_run_out(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    receiver.default = Reply(502)
    job_id = finished_job(hctx, project, pdf, receiver.url)

    results = run_deliveries(hctx, job_id)

    assert results == [DeliveryResult.RETRY_SCHEDULED] * 3 + [DeliveryResult.FAILED]
    job = hctx.jobs.get(job_id)
    assert job is not None and job.webhook is not None
    assert job.webhook.state is WebhookState.FAILED and job.webhook.attempts == 4


def test_a_receiver_that_is_down_gets_a_retry_scheduled(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    url = receiver.url
    receiver.stop()
    job_id = finished_job(hctx, project, pdf, url)
    queue = parse_queue_client(hctx.settings, hctx.settings.webhook_queue_name)
    message = receive(queue)
    assert message is not None
    body = json.loads(message.get_body())

    assert deliver_webhook(hctx, body["job_id"], body["message_id"]) is DeliveryResult.RETRY_SCHEDULED

    job = hctx.jobs.get(job_id)
    assert job is not None and job.webhook is not None
    assert job.webhook.state is WebhookState.PENDING and job.webhook.next_attempt_at is not None
    assert job.webhook.history[0].error == "connection refused"
    assert receive(queue) is not None  # the retry message, after its delay


def test_a_slow_receiver_times_out(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    receiver.enqueue(Reply(200, delay=3))
    job_id = finished_job(hctx, project, pdf, receiver.url)

    results = run_deliveries(hctx, job_id, limit=1)

    assert results == [DeliveryResult.RETRY_SCHEDULED]
    job = hctx.jobs.get(job_id)
    assert job is not None and job.webhook is not None
    error = job.webhook.history[0].error
    assert error is not None and "timeout" in error


def test_thin_payloads_carry_no_patient_data(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    admin.set_webhook_payload(hctx, "tenant-001", "project-001", PayloadMode.THIN)
    job_id = finished_job(hctx, project, pdf, receiver.url)

    run_deliveries(hctx, job_id)

    [request] = receiver.requests
    payload = verify(request, project["secret"])
    assert payload["job_id"] == job_id and payload["status"] == "completed"
    assert "parsed_data" not in payload
    assert PATIENT.encode() not in request.body


def test_a_failed_job_sends_job_failed(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver
) -> None:
    submission = submit_report(
        hctx,
        tenant_id="tenant-001",
        project_id="project-001",
        api_key=project["api_key"],
        read_form=upload_form(make_image_only_pdf()),
        webhook_url=receiver.url,
    )
    assert process_job(hctx, submission.job_id) is ParseResult.FAILED

    run_deliveries(hctx, submission.job_id)

    payload = verify(receiver.requests[0], project["secret"])
    assert payload["event"] == "job.failed"
    assert payload["error"]["code"] == "pdf_no_text"


def test_during_rotation_both_secrets_sign(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    new_secret = admin.rotate_webhook_secret(hctx, "tenant-001", "project-001", timedelta(hours=24))
    job_id = finished_job(hctx, project, pdf, receiver.url)

    run_deliveries(hctx, job_id)

    [request] = receiver.requests
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert verify(request, project["secret"])["job_id"] == job_id
    assert verify(request, new_secret)["job_id"] == job_id


def test_an_expired_old_secret_no_longer_signs(hctx: Context, project: dict[str, str]) -> None:
    new_secret = admin.rotate_webhook_secret(hctx, "tenant-001", "project-001", timedelta(hours=1))
    stored = hctx.tenants.get_project("tenant-001", "project-001")
    assert stored is not None

    later = datetime.now(UTC) + timedelta(hours=2)
    assert stored.signing_secrets(later) == [new_secret]


def test_concurrent_rotations_all_land(hctx: Context, project: dict[str, str]) -> None:
    with ThreadPoolExecutor(4) as pool:
        rotated = list(
            pool.map(
                lambda _: admin.rotate_webhook_secret(hctx, "tenant-001", "project-001", timedelta(hours=1)),
                range(4),
            )
        )
    stored = hctx.tenants.get_project("tenant-001", "project-001")
    assert stored is not None
    signing = stored.signing_secrets(datetime.now(UTC))
    assert sorted(signing) == sorted([*rotated, project["secret"]])  # no rotation lost another's secret


def test_an_address_that_turns_private_is_refused_at_delivery(
    hook_settings: dict[str, str],
    project: dict[str, str],
    receiver: WebhookReceiver,
    pdf: bytes,
    hctx: Context,
) -> None:
    job_id = finished_job(hctx, project, pdf, receiver.url)
    strict = build_context(Settings.from_env({**hook_settings, "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "false"}))
    try:
        assert run_deliveries(strict, job_id) == [DeliveryResult.FAILED]
    finally:
        strict.close()

    assert receiver.requests == []
    job = hctx.jobs.get(job_id)
    assert job is not None and job.webhook is not None
    assert job.webhook.history[0].outcome == "refused"


def test_a_duplicate_or_replaced_message_changes_nothing(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    job_id = finished_job(hctx, project, pdf, receiver.url)
    run_deliveries(hctx, job_id)
    job = hctx.jobs.get(job_id)
    assert job is not None and job.webhook is not None

    assert deliver_webhook(hctx, job_id, job.webhook.message_id) is DeliveryResult.SKIPPED
    assert deliver_webhook(hctx, job_id, "msg_unknown") is DeliveryResult.SKIPPED
    assert len(receiver.requests) == 1


# -- through the Blueprint functions -------------------------------------------------------


@pytest.fixture
def fn_env(app_env: Callable[..., None], hook_settings: dict[str, str]) -> None:
    app_env(**hook_settings)


def redeliver_request(job_id: str, api_key: str | None) -> func.HttpRequest:
    return func.HttpRequest(
        "POST",
        f"http://localhost/api/v1/job/{job_id}/webhook/redeliver",
        headers={"X-API-Key": api_key} if api_key else {},
        route_params={"job_id": job_id},
        body=b"",
    )


def test_redeliver_sends_a_fresh_delivery_through_the_functions(
    fn_env: None, hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    job_id = finished_job(hctx, project, pdf, receiver.url)
    queue = parse_queue_client(hctx.settings, hctx.settings.webhook_queue_name)
    first = receive(queue)
    assert first is not None
    deliver_job_webhook(first)

    response = redeliver_job_webhook(redeliver_request(job_id, project["api_key"]))

    assert response.status_code == 202
    body = json.loads(response.get_body())
    second = receive(queue)
    assert second is not None
    deliver_job_webhook(second)
    ids = [request.headers["webhook-id"] for request in receiver.requests]
    assert len(ids) == 2 and ids[0] != ids[1] == body["webhook_id"]


def test_redeliver_errors(fn_env: None, hctx: Context, project: dict[str, str], pdf: bytes) -> None:
    no_hook = submit_report(
        hctx,
        tenant_id="tenant-001",
        project_id="project-001",
        api_key=project["api_key"],
        read_form=upload_form(pdf),
        webhook_url=None,
    )
    pending = submit_report(
        hctx,
        tenant_id="tenant-001",
        project_id="project-001",
        api_key=project["api_key"],
        read_form=upload_form(pdf),
        webhook_url="https://93.184.216.34/hook",
    )
    process_job(hctx, no_hook.job_id)

    cases = [
        (no_hook.job_id, project["api_key"], 409, "no_webhook_url"),
        (pending.job_id, project["api_key"], 409, "job_not_finished"),
        ("0" * 24, project["api_key"], 404, "job_not_found"),
        (pending.job_id, None, 401, "missing_api_key"),
    ]
    for job_id, key, status, code in cases:
        response = redeliver_job_webhook(redeliver_request(job_id, key))
        assert (response.status_code, json.loads(response.get_body())["error"]["code"]) == (status, code)


def test_a_poisoned_delivery_message_fails_the_delivery(
    fn_env: None, hctx: Context, project: dict[str, str], pdf: bytes
) -> None:
    job_id = finished_job(hctx, project, pdf, "https://93.184.216.34/hook")
    job = hctx.jobs.get(job_id)
    assert job is not None and job.webhook is not None
    body = json.dumps({"job_id": job_id, "message_id": job.webhook.message_id}).encode()

    deliver_job_webhook_poison(QueueMessage(id="p", body=body, dequeue_count=5))

    failed = hctx.jobs.get(job_id)
    assert failed is not None and failed.webhook is not None
    assert failed.webhook.state is WebhookState.FAILED


def test_a_message_that_arrives_before_the_retry_is_due_waits(
    hctx: Context, project: dict[str, str], receiver: WebhookReceiver, pdf: bytes
) -> None:
    slow_schedule = replace(
        hctx, settings=hctx.settings.model_copy(update={"webhook_retry_base_seconds": 30.0})
    )
    receiver.enqueue(Reply(500))
    job_id = finished_job(slow_schedule, project, pdf, receiver.url)
    job = hctx.jobs.get(job_id)
    assert job is not None and job.webhook is not None
    message_id = job.webhook.message_id
    assert deliver_webhook(slow_schedule, job_id, message_id) is DeliveryResult.RETRY_SCHEDULED

    assert deliver_webhook(slow_schedule, job_id, message_id) is DeliveryResult.SKIPPED  # a duplicate, early
    assert len(receiver.requests) == 1
