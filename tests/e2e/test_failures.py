"""Error handling as a client meets it: a refused upload, and a job the model cannot serve."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import standardwebhooks
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient
from pymongo import MongoClient

from tests.support.app_host import (
    API_KEY,
    AppHost,
    job_document,
    report_for,
    unique_patient,
    wait_for,
    webhook_secret,
)
from tests.support.gemini_stub import GeminiReply, GeminiStub
from tests.support.pdf_factory import SampleReport, make_report_pdf
from tests.support.webhook_receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


def blob_names(app: AppHost) -> list[str]:
    container = ContainerClient.from_connection_string(
        app.settings["AZURE_STORAGE_CONNECTION_STRING"], app.settings["AZURE_CONTAINER_NAME"]
    )
    with container:
        try:
            return [blob.name for blob in container.list_blobs()]
        except ResourceNotFoundError:  # no upload has created the container yet
            return []


def test_a_file_that_is_not_a_pdf_is_refused_and_nothing_is_stored(
    app: AppHost, mongo: MongoClient[dict[str, Any]]
) -> None:
    jobs = mongo[app.database]["parsing_jobs"]
    jobs_before, blobs_before = jobs.count_documents({}), blob_names(app)

    response = requests.post(
        app.reports_url,
        files={"file": ("report.pdf", b"Patient: not really a PDF\n", "application/pdf")},
        headers={"X-API-Key": API_KEY},
    )

    assert response.status_code == 415
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["success"] is False and body["error"]["code"] == "not_a_pdf"
    assert jobs.count_documents({}) == jobs_before
    assert blob_names(app) == blobs_before


def test_gemini_unavailable_on_every_attempt_fails_the_job_and_says_so_by_webhook(
    app: AppHost, gemini: GeminiStub, mongo: MongoClient[dict[str, Any]]
) -> None:
    patient = unique_patient()
    gemini.reset()
    gemini.default = GeminiReply.ok(report_for(patient))  # what a 4th call would get: there is none
    gemini.enqueue(GeminiReply.error(503), GeminiReply.error(503), GeminiReply.error(503))
    with WebhookReceiver() as receiver:
        response = requests.post(
            app.reports_url,
            params={"webhook_url": f"{receiver.url}/hooks"},
            files={
                "file": ("report.pdf", make_report_pdf(SampleReport(patient_name=patient)), "application/pdf")
            },
            headers={"X-API-Key": API_KEY},
        )
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]

        [delivery] = wait_for(lambda: receiver.requests, timeout=30, what="the job.failed webhook")

    status = requests.get(app.status_url(job_id), headers={"X-API-Key": API_KEY}).json()
    assert status["status"] == "failed"
    assert status["error"]["code"] == "gemini_unavailable"
    assert status["attempts"] == 3 and status["max_attempts"] == 3
    assert status.get("parsed_data") is None

    payload = standardwebhooks.Webhook(webhook_secret(mongo[app.database])).verify(
        delivery.body, delivery.headers
    )
    assert payload["event"] == "job.failed" and payload["job_id"] == job_id
    assert payload["status"] == "failed" and payload["error"]["code"] == "gemini_unavailable"
    assert json.loads(delivery.body) == payload

    job = job_document(mongo[app.database], job_id)
    assert job is not None and job["status"] == "failed" and job["attempts"] == 3
    assert [(attempt["outcome"], attempt["error_code"]) for attempt in job["history"]] == [
        ("retry", "gemini_unavailable"),
        ("retry", "gemini_unavailable"),
        ("failed", "gemini_unavailable"),
    ]
    assert mongo[app.database]["parsed_reports"].count_documents({"job_id": job_id}) == 0
    assert len(gemini.requests) == 3 and gemini.pending == 0
