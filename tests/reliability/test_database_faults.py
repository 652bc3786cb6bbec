"""MongoDB failing under the app: throttling (Cosmos DB's 16500 with ``RetryAfterMs``), dropped
connections, and the database process stopped for a few seconds.

The guarantees: an upload is accepted (the fault retried away) or refused with a JSON 503;
a refused upload leaves no blob and no job; a parse that meets a fault is retried (in
process, by a new attempt, or by the sweeper once its message is overdue); every accepted
job completes exactly once. Fail points are scoped to the app's connections, so the test's
own reads are never hit.
"""

from __future__ import annotations

import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from pymongo import MongoClient
from pymongo.database import Database

from lib.adapters.quota_store import QuotaStore
from lib.domain.quotas import window_at
from tests.reliability.harness import (
    EVERY_SECOND,
    AppFailPoints,
    DedicatedMongoDB,
    HostFactory,
    ScriptedGemini,
    assert_completed_once,
    assert_error_envelope,
    assert_no_orphan_blobs,
    blob_names_of,
    job_count,
    job_id_of,
    scale,
    upload,
    wait_until_ended,
)
from tests.support.app_host import TENANT, AppHost, report_for, unique_patient
from tests.support.gemini_stub import GeminiReply
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.reliability

# A parse message that meets an outage is dropped; the sweeper re-sends it once it is
# SWEEP_STALE_MESSAGE_SECONDS overdue. A claim whose worker lost the database mid-attempt is
# recovered when its lease runs out. Faults may cost attempts: allow plenty.
RECOVERY = {
    "SWEEP_SCHEDULE": EVERY_SECOND,
    "SWEEP_STALE_MESSAGE_SECONDS": "3",
    "LEASE_SECONDS": "5",
    "MAX_ATTEMPTS": "10",
}


class Reports:
    """Fresh reports, each answered by the Gemini stand-in with its own patient."""

    def __init__(self, gemini: ScriptedGemini) -> None:
        self.gemini = gemini
        self.patient_of: dict[bytes, str] = {}
        self._lock = threading.Lock()

    def new(self) -> bytes:
        patient = unique_patient()
        pdf = make_report_pdf(SampleReport(patient_name=patient))
        self.gemini.script(pdf, then=GeminiReply.ok(report_for(patient)))
        with self._lock:
            self.patient_of[pdf] = patient
        return pdf


@pytest.fixture(scope="module")
def app(module_gemini: ScriptedGemini, module_hosts: HostFactory) -> AppHost:
    """A host shared by the tests that leave it as they found it (every accepted job completed)."""
    return module_hosts(module_gemini, **RECOVERY)


def accepted_or_refused(response: requests.Response) -> str | None:
    """The job id of an accepted upload, ``None`` for a refused one; anything else fails the test."""
    if response.status_code == 202:
        return job_id_of(response)
    assert_error_envelope(response, 503)
    assert response.json()["error"]["code"] in ("dependency_unavailable", "dependency_throttled")
    assert response.headers["Retry-After"].isdigit()
    return None


def test_throttling_is_retried_in_process_and_answered_503_when_it_persists(
    app: AppHost,
    module_gemini: ScriptedGemini,
    app_failpoints: AppFailPoints,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    db = mongo[app.database]
    jobs_before = job_count(db)
    reports = Reports(module_gemini)
    accepted: dict[str, str] = {}

    app_failpoints.throttle(["insert"], times=3, retry_after_ms=20)  # fewer than the in-process retries
    pdf = reports.new()
    accepted[job_id_of(upload(app, pdf))] = reports.patient_of[pdf]

    app_failpoints.throttle(["insert"])  # throttled for as long as it takes
    refused = upload(app, reports.new())
    app_failpoints.clear()
    assert_error_envelope(refused, 503, "dependency_throttled")
    assert refused.headers["Retry-After"].isdigit()
    assert_no_orphan_blobs(app, db)  # its blob was written, then removed before the 503

    parsing = ["update", "findAndModify", "find", "aggregate"]
    app_failpoints.throttle(parsing, times=4, retry_after_ms=20)  # parsing throttled
    pdf = reports.new()
    accepted[job_id_of(upload(app, pdf))] = reports.patient_of[pdf]

    jobs = wait_until_ended(db, list(accepted), timeout=60)
    assert_completed_once(db, jobs, accepted)
    assert job_count(db) == jobs_before + len(accepted)
    assert_no_orphan_blobs(app, db)


def test_a_dropped_connection_at_upload_refuses_it_and_leaves_nothing(
    app: AppHost,
    module_gemini: ScriptedGemini,
    app_failpoints: AppFailPoints,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    db = mongo[app.database]
    jobs_before = job_count(db)
    reports = Reports(module_gemini)

    app_failpoints.drop_connections(["insert"], times=1)  # the job's insert, after its blob was written
    refused = upload(app, reports.new())
    app_failpoints.drop_connections(["find"], times=2)  # the API key look-up (a read may be retried once)
    answered = upload(app, reports.new())
    app_failpoints.clear()

    assert_error_envelope(refused, 503, "dependency_unavailable")
    job_ids = [job_id for job_id in [accepted_or_refused(answered)] if job_id]
    assert job_count(db) == jobs_before + len(job_ids)
    assert_no_orphan_blobs(app, db)
    jobs = wait_until_ended(db, job_ids, timeout=60)
    assert_completed_once(db, jobs)


def open_upload_counters(db: Database[dict[str, Any]]) -> None:
    """Open the dev tenant's upload counters of this minute and the next (their first upload inserts them)."""
    quotas, now = QuotaStore(db), datetime.now(UTC)
    for moment in (now, now + timedelta(seconds=60)):
        quotas.count_upload(TENANT, window_at(moment))


def test_an_insert_applied_after_its_time_out_leaves_no_job_behind(
    gemini: ScriptedGemini,
    make_host: HostFactory,
    app_failpoints: AppFailPoints,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    """The job's insert reaches the server late (a stalled network or server): the driver gives up
    at MONGODB_TIMEOUT_MS and the app answers 503 "nothing was stored" -- then the server runs the
    insert. The app marked the id refused before answering, so that late insert fails."""
    timeout_ms, late_ms = 1000, 2500
    app = make_host(gemini, MONGODB_TIMEOUT_MS=str(timeout_ms), **RECOVERY)
    db = mongo[app.database]

    open_upload_counters(db)  # so the blocked insert is the job's, not this minute's first counter
    app_failpoints.block(["insert"], milliseconds=late_ms, times=1)
    refused = upload(app, Reports(gemini).new())
    assert_error_envelope(refused, 503, "dependency_unavailable")
    time.sleep(late_ms / 1000 + 1)  # until the server has run the blocked insert (it sleeps, then applies it)

    assert blob_names_of(app) == []
    # Refused: no job, only the marker that took its id (and made the late insert fail).
    assert [doc["status"] for doc in db["parsing_jobs"].find({}, {"status": 1})] == ["refused"]


def test_random_database_faults_during_uploads_and_parses(
    gemini: ScriptedGemini,
    make_host: HostFactory,
    app_failpoints: AppFailPoints,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    """Fail points of every kind switched on and off at random while clients upload and workers parse."""
    uploads, clients = scale(24, 120), 4
    app = make_host(gemini, **RECOVERY)
    db = mongo[app.database]
    reports = Reports(gemini)
    pdfs = [reports.new() for _ in range(uploads)]
    chaos = random.Random(6)  # reproducible choice of faults; which request meets one is up to timing
    stop = threading.Event()

    def inject() -> None:
        commands = ["insert", "update", "findAndModify", "find", "aggregate", "delete"]
        while not stop.is_set():
            chosen = chaos.sample(commands, chaos.randint(1, 3))
            if chaos.random() < 0.5:
                app_failpoints.throttle(
                    chosen, times=chaos.randint(1, 6), retry_after_ms=chaos.randint(5, 50)
                )
            else:
                app_failpoints.drop_connections(chosen, times=chaos.randint(1, 3))
            stop.wait(chaos.uniform(0.05, 0.4))
        app_failpoints.clear()

    def client(share: list[bytes]) -> list[tuple[bytes, requests.Response]]:
        with requests.Session() as session:
            return [(pdf, upload(app, pdf, session=session)) for pdf in share]

    injector = threading.Thread(target=inject, name="fault-injector")
    injector.start()
    try:
        with ThreadPoolExecutor(clients) as pool:
            answers = [
                item
                for share in pool.map(client, [pdfs[i::clients] for i in range(clients)])
                for item in share
            ]
        time.sleep(2)  # faults go on while the last uploads are being parsed
    finally:
        stop.set()
        injector.join()

    accepted = {}
    for pdf, response in answers:
        job_id = accepted_or_refused(response)
        if job_id is not None:
            accepted[job_id] = reports.patient_of[pdf]
    assert accepted, "every upload was refused: the faults were too dense to test anything"
    jobs = wait_until_ended(db, list(accepted), timeout=scale(120, 300))
    assert_completed_once(db, jobs, accepted)
    assert job_count(db) == len(accepted)  # no job for a refused upload
    assert_no_orphan_blobs(app, db)


def test_the_database_process_stopped_and_restarted(
    durable_mongodb: DedicatedMongoDB,
    gemini: ScriptedGemini,
    make_host: HostFactory,
) -> None:
    before, during, after = scale(6, 30), scale(3, 10), scale(6, 30)
    app = make_host(gemini, mongodb_uri=durable_mongodb.uri, MONGODB_TIMEOUT_MS="2000", **RECOVERY)
    reports = Reports(gemini)
    accepted: dict[str, str] = {}

    def accept(pdf: bytes, session: requests.Session) -> None:
        accepted[job_id_of(upload(app, pdf, session=session))] = reports.patient_of[pdf]

    with requests.Session() as session:
        for _ in range(before):
            accept(reports.new(), session)
    durable_mongodb.stop()
    stopped = time.monotonic()
    with ThreadPoolExecutor(during) as pool:
        refused = list(pool.map(lambda pdf: upload(app, pdf), [reports.new() for _ in range(during)]))
    time.sleep(max(0.0, 4 - (time.monotonic() - stopped)))
    durable_mongodb.start()  # same port, same data
    with requests.Session() as session:
        for _ in range(after):
            accept(reports.new(), session)

    for response in refused:
        assert_error_envelope(response, 503, "dependency_unavailable")
    client: MongoClient[dict[str, Any]] = MongoClient(durable_mongodb.uri, tz_aware=True)
    with client:
        db = client[app.database]
        jobs = wait_until_ended(db, list(accepted), timeout=scale(120, 300))
        assert_completed_once(db, jobs, accepted)
        assert job_count(db) == before + after
        assert_no_orphan_blobs(app, db)
