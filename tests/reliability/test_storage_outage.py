"""Azure Storage (Blob and Queue) down for a few seconds mid-run: uploads during the outage are
refused with a JSON 503 and leave nothing behind; every accepted job completes once it is back.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from pymongo import MongoClient

from tests.reliability.harness import (
    EVERY_SECOND,
    FULL,
    DedicatedAzurite,
    Hold,
    HostFactory,
    ScriptedGemini,
    assert_completed_once,
    assert_error_envelope,
    assert_no_orphan_blobs,
    job_id_of,
    scale,
    status,
    upload,
    wait_until_ended,
)
from tests.support.app_host import report_for, unique_patient, wait_for
from tests.support.gemini_stub import GeminiReply
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.reliability

BEFORE, DURING, AFTER = scale(6, 30), scale(3, 10), scale(6, 30)
OUTAGE_SECONDS = 5
RECOVERY = {
    "SWEEP_SCHEDULE": EVERY_SECOND,
    "SWEEP_STALE_MESSAGE_SECONDS": "3",
    "LEASE_SECONDS": "30",
    "MAX_ATTEMPTS": "5",  # an attempt that meets the outage is a transient failure
    # Parses held on Gemini must not take the threads the uploads during the outage need.
    "PYTHON_THREADPOOL_THREAD_COUNT": "32",
}


def test_uploads_during_a_storage_outage_get_503_and_every_accepted_job_completes(
    dedicated_azurite: DedicatedAzurite,
    gemini: ScriptedGemini,
    make_host: HostFactory,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    """Jobs accepted before the outage are mid-parse when it starts (their Gemini answers are held).

    CI lets the held answers go once storage is back; at full size they go during the outage, so
    those jobs complete while storage is down (recording the result needs MongoDB only).
    """
    app = make_host(gemini, storage_connection=dedicated_azurite.connection_string, **RECOVERY)
    db = mongo[app.database]
    patients: dict[bytes, str] = {}
    held = gemini.gate()

    def report(*gates: threading.Event) -> bytes:
        patient = unique_patient()
        pdf = make_report_pdf(SampleReport(patient_name=patient))
        answer = GeminiReply.ok(report_for(patient))
        gemini.script(pdf, *[Hold(gate, answer) for gate in gates], then=answer)
        patients[pdf] = patient
        return pdf

    with requests.Session() as session:
        before = [report(held) for _ in range(BEFORE)]
        job_patient = {job_id_of(upload(app, pdf, session=session)): patients[pdf] for pdf in before}
    wait_for(
        lambda: sum(gemini.calls_for(pdf) for pdf in before) >= min(BEFORE, 3),
        timeout=60,
        what="parses to be waiting on Gemini",
    )

    dedicated_azurite.stop()
    stopped = time.monotonic()
    with ThreadPoolExecutor(DURING) as pool:
        refused = list(pool.map(lambda pdf: upload(app, pdf), [report() for _ in range(DURING)]))
    still_answers = status(app, next(iter(job_patient)))  # the status lives in MongoDB alone
    if FULL:
        held.set()
    time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - stopped)))
    dedicated_azurite.start()  # same data folder, same ports
    held.set()

    for response in refused:
        assert_error_envelope(response, 503, "dependency_unavailable")
        assert response.headers["Retry-After"].isdigit()
    assert still_answers.status_code == 200, still_answers.text
    with requests.Session() as session:
        after = [report() for _ in range(AFTER)]
        job_patient |= {job_id_of(upload(app, pdf, session=session)): patients[pdf] for pdf in after}

    jobs = wait_until_ended(db, list(job_patient), timeout=scale(120, 300), what="every accepted job to end")
    assert_completed_once(db, jobs, job_patient)
    assert db["parsing_jobs"].count_documents({}) == BEFORE + AFTER  # no job for a refused upload
    assert_no_orphan_blobs(app, db)
