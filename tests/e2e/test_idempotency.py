"""Idempotency-Key as a client meets it over HTTP: simultaneous repeats, and a retry after a dropped connection."""

from __future__ import annotations

import hashlib
import socket
import threading
import uuid
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
from pymongo import MongoClient

from lib.adapters.indexes import IDEMPOTENCY_KEYS
from lib.domain import idempotency as keys
from tests.support.app_host import API_KEY, TENANT, AppHost, unique_patient, wait_for
from tests.support.functions import multipart
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.e2e


def jobs_of(mongo: MongoClient[dict[str, Any]], app: AppHost, pdf: bytes) -> list[dict[str, Any]]:
    """The stored jobs holding this very file (every test uploads a report of its own patient)."""
    query = {"files.sha256": hashlib.sha256(pdf).hexdigest(), "status": {"$ne": "refused"}}
    return list(mongo[app.database]["parsing_jobs"].find(query))


def post(app: AppHost, pdf: bytes, key: str) -> requests.Response:
    return requests.post(
        app.reports_url,
        files={"file": ("report.pdf", pdf, "application/pdf")},
        headers={"X-API-Key": API_KEY, "Idempotency-Key": key},
        timeout=60,
    )


def test_simultaneous_repeats_over_http_make_one_job_and_answer_it_or_409(
    app: AppHost, mongo: MongoClient[dict[str, Any]]
) -> None:
    # One upload first, so this minute's rate-limit counter exists before the burst (see the notes).
    assert post(app, make_report_pdf(SampleReport(patient_name=unique_patient())), str(uuid.uuid4())).ok
    pdf, key = make_report_pdf(SampleReport(patient_name=unique_patient())), str(uuid.uuid4())
    start = threading.Barrier(8)
    responses: list[requests.Response] = []

    def send() -> None:
        start.wait()
        responses.append(post(app, pdf, key))

    senders = [threading.Thread(target=send) for _ in range(8)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join()

    [job] = jobs_of(mongo, app, pdf)
    assert len(responses) == 8
    assert {response.status_code for response in responses} <= {202, 409}, [r.text for r in responses]
    accepted = [response for response in responses if response.status_code == 202]
    assert {response.json()["job_id"] for response in accepted} == {job["_id"]}
    assert len([r for r in accepted if "Idempotent-Replayed" not in r.headers]) == 1
    for response in responses:
        if response.status_code == 409:
            assert response.json()["error"]["code"] == "idempotency_in_progress"
            assert int(response.headers["Retry-After"]) >= 1

    replay = post(app, pdf, key)  # and once the burst is over, every repeat is the same answer
    assert replay.status_code == 202 and replay.headers["Idempotent-Replayed"] == "true"
    assert replay.json() == accepted[0].json()


def send_and_hang_up(app: AppHost, pdf: bytes, key: str) -> None:
    """The whole request on a raw socket, then the connection closed before a byte of the answer is read."""
    body, content_type = multipart([pdf])
    target = urlsplit(app.reports_url)
    head = (
        f"POST {target.path} HTTP/1.1\r\n"
        f"Host: {target.netloc}\r\n"
        f"X-API-Key: {API_KEY}\r\n"
        f"Idempotency-Key: {key}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    assert target.hostname is not None and target.port is not None
    with socket.create_connection((target.hostname, target.port), timeout=10) as connection:
        connection.sendall(head.encode("ascii") + body)


def test_a_retry_after_a_dropped_connection_gets_the_same_job(
    app: AppHost, mongo: MongoClient[dict[str, Any]]
) -> None:
    pdf, key = make_report_pdf(SampleReport(patient_name=unique_patient())), str(uuid.uuid4())
    records = mongo[app.database][IDEMPOTENCY_KEYS]
    record_id = f"{TENANT}:{keys.key_digest(key)}"

    send_and_hang_up(app, pdf, key)
    # The client cannot know whether its upload was taken; the server finished it regardless.
    wait_for(
        lambda: records.find_one({"_id": record_id, "state": "completed"}),
        timeout=30,
        what="the dropped upload to be stored",
    )
    retried = post(app, pdf, key)

    [job] = jobs_of(mongo, app, pdf)
    assert retried.status_code == 202, retried.text
    assert retried.headers["Idempotent-Replayed"] == "true"
    assert retried.json()["job_id"] == job["_id"]
    assert retried.headers["Location"] == f"/api/v1/job/status/{job['_id']}"

    reused = post(app, make_report_pdf(SampleReport(patient_name=unique_patient())), key)
    assert reused.status_code == 422 and reused.json()["error"]["code"] == "idempotency_key_reused"
    assert len(jobs_of(mongo, app, pdf)) == 1
