"""The migration guide's client examples, run against the app over real HTTP.

Each test is one of the guide's three client strategies (polling with ``requests``, a FastAPI
webhook receiver, aiohttp upload-and-wait) or its curl upload, changed only where a test must
(URL, key, file, a shorter poll interval, a deadline, closing the file it opens). The Gemini
stand-in answers every parse with a report for a patient name unique to the test.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests
import standardwebhooks
import uvicorn
from fastapi import FastAPI, Request
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

DEADLINE = 30.0  # seconds a job may take here (it takes about one)


@dataclass(frozen=True)
class Report:
    """A report PDF on disk and the patient the Gemini stand-in will find in it."""

    patient_name: str
    path: Path


@pytest.fixture
def report(gemini: GeminiStub, tmp_path: Path) -> Iterator[Report]:
    patient = unique_patient()
    gemini.reset()
    gemini.default = GeminiReply.ok(report_for(patient))
    path = tmp_path / "report.pdf"
    path.write_bytes(make_report_pdf(SampleReport(patient_name=patient)))
    yield Report(patient, path)
    gemini.reset()


def stored_job(mongo: MongoClient[dict[str, Any]], app: AppHost, job_id: str) -> dict[str, Any]:
    doc = job_document(mongo[app.database], job_id)
    assert doc is not None, f"job {job_id} is not in parsing_jobs"
    return doc


def assert_completed_and_stored(
    mongo: MongoClient[dict[str, Any]], app: AppHost, gemini: GeminiStub, job_id: str, report: Report
) -> dict[str, Any]:
    """The job document, its one parsed report, and the file the model was sent."""
    job = stored_job(mongo, app, job_id)
    assert job["status"] == "completed" and job["attempts"] == 1
    assert [attempt["outcome"] for attempt in job["history"]] == ["completed"]
    reports = list(mongo[app.database]["parsed_reports"].find({"job_id": job_id}))
    assert len(reports) == 1 and reports[0]["_id"] == job["report_id"]
    assert reports[0]["parsed_data"]["patient_name"] == report.patient_name
    # The uploaded bytes went through Blob Storage to the model unchanged.
    assert [request.pdfs for request in gemini.requests] == [[report.path.read_bytes()]]
    return job


def test_guide_option_1_polling_with_requests(
    app: AppHost, gemini: GeminiStub, report: Report, mongo: MongoClient[dict[str, Any]]
) -> None:
    # The guide's snippet; it leaves the file open, which warnings-as-errors does not forgive.
    with report.path.open("rb") as report_file:
        response = requests.post(
            app.reports_url,
            files={"file": report_file},
            headers={"X-API-Key": API_KEY},
        )
    assert response.status_code == 202, response.text
    job_id = response.json()["job_id"]
    assert response.headers["Location"] == f"/api/v1/job/status/{job_id}"

    deadline = time.monotonic() + DEADLINE
    while True:
        status = requests.get(app.status_url(job_id), headers={"X-API-Key": API_KEY}).json()

        if status["status"] == "completed":
            parsed_data = status["parsed_data"]
            break
        elif status["status"] == "failed":
            pytest.fail(f"Error: {status['message']} {status.get('error')}")
        else:
            assert time.monotonic() < deadline, f"job still {status['status']} after {DEADLINE:.0f} s"
            time.sleep(0.2)  # the guide checks every 5 seconds

    assert parsed_data["patient_name"] == report.patient_name
    assert status["attempts"] == 1 and status["job_id"] == job_id
    assert_completed_and_stored(mongo, app, gemini, job_id, report)


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]
    body: bytes


def guide_webhook_receiver(deliveries: queue.Queue[Delivery]) -> FastAPI:
    """The guide's FastAPI handler, recording what it got instead of printing it."""
    app = FastAPI()

    @app.post("/webhooks/parsing")
    async def parsing_webhook(request: Request) -> dict[str, bool]:
        """Receive parsing completion notification"""
        data = await request.json()

        job_id = data["job_id"]
        status = data["status"]

        if status == "completed":
            parsed_data = data["parsed_data"]
            print(f"Parsing complete! Job {job_id}: {len(parsed_data)} fields")
        elif status == "failed":
            print(f"Parsing failed: {data.get('error', 'Unknown error')}")
        deliveries.put(Delivery(dict(request.headers), await request.body()))

        return {"success": True}

    return app


@contextlib.contextmanager
def uvicorn_in_thread(app: FastAPI) -> Iterator[str]:
    """A real uvicorn server on 127.0.0.1 serving ``app``; yields its base URL and always stops it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        # ws="none": the receiver needs no websockets (and their library's import-time warnings).
        server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", ws="none"))
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="uvicorn", daemon=True)
        thread.start()
        try:
            wait_for(lambda: server.started or not thread.is_alive(), timeout=10, what="uvicorn to start")
            assert server.started, "uvicorn stopped while starting"
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(10)
            assert not thread.is_alive(), "uvicorn did not stop"
    finally:
        sock.close()


def test_guide_option_2_fastapi_webhook_receiver(
    app: AppHost, gemini: GeminiStub, report: Report, mongo: MongoClient[dict[str, Any]]
) -> None:
    deliveries: queue.Queue[Delivery] = queue.Queue()
    with uvicorn_in_thread(guide_webhook_receiver(deliveries)) as receiver_url:
        webhook_url = f"{receiver_url}/webhooks/parsing"
        with report.path.open("rb") as report_file:
            # As the guide's `curl -G --data-urlencode "webhook_url=..."` means it: a query parameter.
            response = requests.post(
                app.reports_url,
                params={"webhook_url": webhook_url},
                files={"file": report_file},
                headers={"X-API-Key": API_KEY},
            )
        assert response.status_code == 202, response.text
        job_id = response.json()["job_id"]
        assert response.json()["webhook_url"] == webhook_url

        try:
            delivery = deliveries.get(timeout=DEADLINE)
        except queue.Empty:
            pytest.fail(f"no webhook reached the FastAPI receiver within {DEADLINE:.0f} s")

    data = standardwebhooks.Webhook(webhook_secret(mongo[app.database])).verify(
        delivery.body, delivery.headers
    )
    assert data["event"] == "job.completed"
    assert data["job_id"] == job_id and data["status"] == "completed"
    assert data["parsed_data"]["patient_name"] == report.patient_name
    # "Same format as status endpoint response": the webhook body is the status answer plus the event.
    status = requests.get(app.status_url(job_id), headers={"X-API-Key": API_KEY}).json()
    assert status["parsed_data"] == data["parsed_data"]
    assert deliveries.empty()

    job = wait_for(
        lambda: (doc := stored_job(mongo, app, job_id))["webhook"]["state"] == "delivered" and doc,
        timeout=10,
        what="the delivery to be recorded",
    )
    assert job["webhook"]["message_id"] == delivery.headers["webhook-id"]
    assert job["webhook"]["attempts"] == 1
    assert_completed_and_stored(mongo, app, gemini, job_id, report)


async def upload_and_wait(app: AppHost, file_path: Path) -> dict[str, Any]:
    """The guide's Option 3, with this host's URLs and key and a 0.2 s poll."""
    async with aiohttp.ClientSession() as session:
        # Upload
        with open(file_path, "rb") as f:
            data = aiohttp.FormData()
            data.add_field("file", f, filename="report.pdf")

            async with session.post(app.reports_url, data=data, headers={"X-API-Key": API_KEY}) as resp:
                assert resp.status == 202, await resp.text()
                upload_result = await resp.json()
                job_id = upload_result["job_id"]

        # Poll until complete
        while True:
            async with session.get(app.status_url(job_id), headers={"X-API-Key": API_KEY}) as resp:
                status: dict[str, Any] = await resp.json()

            if status["status"] == "completed":
                return status
            elif status["status"] == "failed":
                raise Exception(f"Job failed: {status['message']}")

            await asyncio.sleep(0.2)


def test_guide_option_3_aiohttp_upload_and_wait(
    app: AppHost, gemini: GeminiStub, report: Report, mongo: MongoClient[dict[str, Any]]
) -> None:
    async def with_deadline() -> dict[str, Any]:
        async with asyncio.timeout(DEADLINE):
            return await upload_and_wait(app, report.path)

    status = asyncio.run(with_deadline())

    assert status["parsed_data"]["patient_name"] == report.patient_name
    assert_completed_and_stored(mongo, app, gemini, status["job_id"], report)


def test_the_guides_curl_upload_as_written_is_refused_by_curl(
    app: AppHost, report: Report, mongo: MongoClient[dict[str, Any]]
) -> None:
    """The guide's command combines ``-F`` (a multipart POST) with ``-G`` (data into a GET query).

    curl refuses that pair before sending anything: "You can only select one HTTP request
    method! You asked for both GET (-G, --get) and multipart formpost (-F, --form).", exit
    code 2 (``-s`` hides even the message). So the app never sees the upload and nothing is
    stored. The guide (and the README) should put the webhook URL in the query with
    ``--url-query`` (curl 7.87+), or send it as a form field: see the next test.
    """
    guide_command = [
        "curl", "-X", "POST", app.reports_url,
        "-F", f"file=@{report.path}",
        "-H", f"X-API-Key: {API_KEY}",
        "-G", "--data-urlencode", "webhook_url=https://webhook.example.com/reports",
    ]  # fmt: skip
    jobs = mongo[app.database]["parsing_jobs"]
    jobs_before = jobs.count_documents({})
    uploads_before = app.current_log().count("Executed 'Functions.upload_report'")

    quiet = subprocess.run(["curl", "-s", *guide_command[1:]], capture_output=True, timeout=30, check=False)
    loud = subprocess.run(guide_command, capture_output=True, timeout=30, check=False)

    assert (quiet.returncode, quiet.stdout, quiet.stderr) == (2, b"", b"")
    assert (loud.returncode, loud.stdout) == (2, b"")
    assert b"You can only select one HTTP request method" in loud.stderr
    assert app.current_log().count("Executed 'Functions.upload_report'") == uploads_before
    assert jobs.count_documents({}) == jobs_before


def test_curl_upload_with_the_webhook_url_as_a_query_parameter(
    app: AppHost, gemini: GeminiStub, report: Report, mongo: MongoClient[dict[str, Any]]
) -> None:
    """The guide's curl upload with ``--url-query`` in place of ``-G --data-urlencode``."""
    with WebhookReceiver() as receiver:
        webhook_url = f"{receiver.url}/reports?source=e2e&kind=report"
        result = subprocess.run(
            ["curl", "-s", "-X", "POST", app.reports_url, "-F", f"file=@{report.path}",
             "-H", f"X-API-Key: {API_KEY}", "--url-query", f"webhook_url={webhook_url}"],
            capture_output=True, timeout=30, check=True,
        )  # fmt: skip
        accepted = json.loads(result.stdout)
        assert accepted["success"] is True and accepted["status"] == "pending"
        assert accepted["webhook_url"] == webhook_url and accepted["files_uploaded"] == 1
        job_id = accepted["job_id"]

        [delivery] = wait_for(lambda: receiver.requests, timeout=DEADLINE, what="the webhook")

    payload = standardwebhooks.Webhook(webhook_secret(mongo[app.database])).verify(
        delivery.body, delivery.headers
    )
    assert delivery.method == "POST" and delivery.path == "/reports?source=e2e&kind=report"
    assert payload["event"] == "job.completed" and payload["job_id"] == job_id
    status = requests.get(app.status_url(job_id), headers={"X-API-Key": API_KEY}).json()
    assert status["status"] == "completed"
    assert_completed_and_stored(mongo, app, gemini, job_id, report)
