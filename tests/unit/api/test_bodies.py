"""What the service really answers matches the document: bodies from the use cases, checked by JSON Schema.

The bodies come from the services over fakes (not from the models directly), and
are validated with ``jsonschema_rs`` against ``components/schemas`` of the
generated document, so a body a use case builds by hand, or a model the document
misdescribes, fails here.
"""

from __future__ import annotations

import json
from typing import Any

import jsonschema_rs
import pytest

from functions.http_support import error_response
from lib.api.openapi import openapi_document
from lib.domain.errors import PermanentParseError
from lib.domain.webhooks import PayloadMode
from lib.services.cancel import cancel_job
from lib.services.delete import delete_job
from lib.services.fhir_export import job_fhir
from lib.services.listing import list_jobs
from lib.services.notify import deliver_webhook, redeliver
from lib.services.parse import process_job
from lib.services.status import job_status
from tests.support.fakes.context import Fakes, build
from tests.support.jobs import new_job

URL = "https://receiver.example/hook"


def conforms(body: Any, schema_name: str) -> None:
    document = openapi_document()
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": document["components"]}
    errors = [str(error) for error in jsonschema_rs.Draft202012Validator(schema).iter_errors(body)]
    assert errors == [], (schema_name, errors)


def stored_job(fakes: Fakes, **changes: Any) -> str:
    job = new_job(**changes)
    fakes.jobs.insert(job)
    fakes.blobs.put(job.files[0].blob_name, b"%PDF-1.7", sha256=job.files[0].sha256)
    return job.id


@pytest.fixture
def fakes() -> Fakes:
    return build()


@pytest.fixture
def key(fakes: Fakes) -> str:
    return fakes.register()


def test_status_documents_of_every_state_conform(fakes: Fakes, key: str) -> None:
    pending = stored_job(fakes)
    completed = stored_job(fakes, webhook_url=URL)
    process_job(fakes.ctx, completed)
    failed = stored_job(fakes, webhook_url=URL)
    fakes.parser.enqueue(PermanentParseError("the PDF is damaged", code="pdf_unreadable"))
    process_job(fakes.ctx, failed)

    bodies = {
        job_id: job_status(fakes.ctx, api_key=key, job_id=job_id) for job_id in (pending, completed, failed)
    }

    assert [body["status"] for body in bodies.values()] == ["pending", "completed", "failed"]
    assert bodies[completed]["parsed_data"]["patient_name"] == "Jane Q. Doe"
    assert bodies[completed]["webhook"]["state"] == "pending"
    assert bodies[failed]["error"]["code"] == "pdf_unreadable"
    for body in bodies.values():
        conforms(body, "JobStatusBody")


@pytest.mark.parametrize("mode", [PayloadMode.FULL, PayloadMode.THIN])
def test_webhook_bodies_conform(fakes: Fakes, key: str, mode: PayloadMode) -> None:
    assert fakes.tenants.set_webhook_payload("tenant-001", "project-001", mode)
    job_id = stored_job(fakes, webhook_url=URL)
    process_job(fakes.ctx, job_id)
    job = fakes.jobs.get(job_id)
    assert job is not None and job.webhook is not None

    deliver_webhook(fakes.ctx, job_id, job.webhook.message_id)

    body = json.loads(fakes.webhooks.requests[0].payload)
    assert body["event"] == "job.completed"
    conforms(body, "WebhookFullBody" if mode is PayloadMode.FULL else "WebhookThinBody")


def test_the_redelivery_and_fhir_answers_conform(fakes: Fakes, key: str) -> None:
    job_id = stored_job(fakes, webhook_url=URL)
    process_job(fakes.ctx, job_id)

    conforms(redeliver(fakes.ctx, api_key=key, job_id=job_id), "RedeliveryAccepted")
    conforms(job_fhir(fakes.ctx, api_key=key, job_id=job_id), "FhirBundle")


def test_the_list_cancel_and_delete_answers_conform(fakes: Fakes, key: str) -> None:
    completed = stored_job(fakes, webhook_url=URL)
    process_job(fakes.ctx, completed)
    waiting, doomed = stored_job(fakes), stored_job(fakes)

    cancelled = cancel_job(fakes.ctx, api_key=key, job_id=waiting)
    deleted = delete_job(fakes.ctx, api_key=key, job_id=doomed)
    page = list_jobs(
        fakes.ctx, api_key=key, tenant_id="tenant-001", project_id="project-001", params={"limit": "2"}
    )

    assert (cancelled["status"], deleted["status"], len(page["jobs"])) == ("cancelled", "deleted", 2)
    assert page["next_cursor"] is None  # the deleted job is not listed: two jobs, one page
    conforms(cancelled, "JobCancelled")
    conforms(deleted, "JobDeleted")
    conforms(page, "JobListBody")


def test_the_error_envelope_conforms() -> None:
    response = error_response(404, "job_not_found", "job not found")

    conforms(json.loads(response.get_body()), "ErrorBody")


def test_a_body_with_an_undocumented_field_does_not_conform() -> None:
    # The check itself can fail: an answer growing a field the document lacks is caught.
    with pytest.raises(AssertionError):
        conforms({"success": False, "error": {"code": "x", "message": "y"}, "detail": "z"}, "ErrorBody")
