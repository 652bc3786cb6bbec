"""A webhook receiver that is down for a while, then up: every notification still arrives, signed,
and the retries of one delivery carry the same ``webhook-id`` (receivers deduplicate on it).
"""

from __future__ import annotations

import collections
import json
import threading
from http.server import ThreadingHTTPServer
from typing import Any

import pytest
import standardwebhooks
from pymongo import MongoClient
from pymongo.database import Database

from tests.reliability.harness import (
    EVERY_SECOND,
    HostFactory,
    ScriptedGemini,
    job_id_of,
    scale,
    status,
    upload,
)
from tests.support.app_host import AppHost, report_for, unique_patient, wait_for, webhook_secret
from tests.support.gemini_stub import GeminiReply
from tests.support.pdf_factory import SampleReport, make_report_pdf
from tests.support.webhook_receiver import RecordedRequest, Reply, WebhookReceiver

pytestmark = pytest.mark.reliability

JOBS = scale(5, 25)
SEND_TIMEOUT = 1  # WEBHOOK_TIMEOUT_SECONDS: a receiver slower than this is a failed attempt
# Retries 0.02 s, 0.12 s, 0.48 s, 2.4 s, 7.2 s ... apart (the README's schedule scaled down).
WEBHOOKS = {
    "WEBHOOK_RETRY_BASE_SECONDS": "0.02",
    "WEBHOOK_TIMEOUT_SECONDS": str(SEND_TIMEOUT),
    "SWEEP_SCHEDULE": EVERY_SECOND,
    "SWEEP_STALE_MESSAGE_SECONDS": "3",
}


class ReceiverOnPort(WebhookReceiver):
    """:class:`WebhookReceiver` on a chosen port: a receiver that comes back where it was."""

    def __init__(self, port: int) -> None:
        super().__init__()
        handler = self._server.RequestHandlerClass
        self._server.server_close()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), handler)
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)


@pytest.fixture(scope="module")
def app(module_gemini: ScriptedGemini, module_hosts: HostFactory) -> AppHost:
    return module_hosts(module_gemini, **WEBHOOKS)


def upload_jobs(app: AppHost, gemini: ScriptedGemini, webhook_url: str) -> dict[str, str]:
    """``JOBS`` uploads with ``webhook_url``; job id -> patient."""
    jobs = {}
    for _ in range(JOBS):
        patient = unique_patient()
        pdf = make_report_pdf(SampleReport(patient_name=patient))
        gemini.script(pdf, then=GeminiReply.ok(report_for(patient)))
        jobs[job_id_of(upload(app, pdf, params={"webhook_url": webhook_url}))] = patient
    return jobs


def webhooks(db: Database[dict[str, Any]], job_ids: list[str]) -> dict[str, dict[str, Any]]:
    return {
        doc["_id"]: doc.get("webhook") or {} for doc in db["parsing_jobs"].find({"_id": {"$in": job_ids}})
    }


def check_deliveries(
    db: Database[dict[str, Any]], jobs: dict[str, str], received: list[RecordedRequest]
) -> collections.Counter[str]:
    """Every job's notification arrived, verified with the project's secret; retries share one id.

    Returns how many requests each job's delivery took at the receiver.
    """
    verifier = standardwebhooks.Webhook(webhook_secret(db))
    by_job: dict[str, list[tuple[str, dict[str, Any]]]] = collections.defaultdict(list)
    for request in received:
        payload = verifier.verify(request.body, request.headers)  # raises unless signed with the secret
        assert json.loads(request.body) == payload
        by_job[payload["job_id"]].append((request.headers["webhook-id"], payload))
    assert set(by_job) == set(jobs), "a notification is missing, or one for an unknown job arrived"
    stored = webhooks(db, list(jobs))
    for job_id, deliveries in by_job.items():
        ids = {webhook_id for webhook_id, _ in deliveries}
        assert ids == {stored[job_id]["message_id"]}, f"retries of one delivery with different ids: {ids}"
        for _, payload in deliveries:
            assert payload["event"] == "job.completed" and payload["status"] == "completed"
            assert payload["parsed_data"]["patient_name"] == jobs[job_id]
        assert stored[job_id]["state"] == "delivered"
    return collections.Counter({job_id: len(deliveries) for job_id, deliveries in by_job.items()})


def test_a_receiver_that_is_down_then_back_gets_every_notification(
    app: AppHost, module_gemini: ScriptedGemini, mongo: MongoClient[dict[str, Any]]
) -> None:
    gemini = module_gemini
    db = mongo[app.database]
    down = WebhookReceiver()  # listens nowhere yet: its port is only reserved, then given up
    port = down.port
    down.stop()
    jobs = upload_jobs(app, gemini, f"http://127.0.0.1:{port}/hooks")

    wait_for(
        lambda: (
            all(hook.get("attempts", 0) >= 1 for hook in webhooks(db, list(jobs)).values())
            and len(webhooks(db, list(jobs))) == JOBS
        ),
        timeout=60,
        what="a refused delivery attempt for every job",
    )
    assert all(hook["state"] == "pending" for hook in webhooks(db, list(jobs)).values())

    with ReceiverOnPort(port) as receiver:
        wait_for(
            lambda: all(hook.get("state") == "delivered" for hook in webhooks(db, list(jobs)).values()),
            timeout=60,
            what="every notification to be delivered",
        )
        received = receiver.requests

    check_deliveries(db, jobs, received)
    for job_id in jobs:
        hook = status(app, job_id).json()["webhook"]
        assert hook["state"] == "delivered" and hook["attempts"] >= 2  # at least one refused, one delivered
        assert hook["delivered_at"] is not None


def test_a_receiver_answering_503_or_too_slowly_gets_every_notification_with_one_id_each(
    app: AppHost, module_gemini: ScriptedGemini, mongo: MongoClient[dict[str, Any]]
) -> None:
    gemini = module_gemini
    db = mongo[app.database]
    with WebhookReceiver() as receiver:
        # Overloaded for a while: 503s (one with Retry-After), and answers slower than the sender
        # waits; such an answer is a delivery the receiver saw but the sender counts as failed.
        slow = Reply(204, delay=SEND_TIMEOUT + 1)
        failures = [
            Reply(503),
            Reply.retry_after("1", status=503),
            slow,
            *[Reply(503)] * JOBS,
            slow,
            Reply(500),
        ]
        receiver.enqueue(*failures)
        jobs = upload_jobs(app, gemini, f"{receiver.url}/hooks")
        wait_for(
            lambda: (
                all(hook.get("state") == "delivered" for hook in webhooks(db, list(jobs)).values())
                and len(webhooks(db, list(jobs))) == JOBS
            ),
            timeout=90,
            what="every notification to be delivered",
        )
        received = receiver.requests

    per_job = check_deliveries(db, jobs, received)
    # Every scripted failure was retried: one success per job after all of them (more only if
    # a duplicate got through, which check_deliveries shows carries the delivery's one id).
    assert sum(per_job.values()) == len(received) >= JOBS + len(failures)
    duplicates = [job_id for job_id, count in per_job.items() if count > 1]
    assert duplicates, "no delivery was retried"
