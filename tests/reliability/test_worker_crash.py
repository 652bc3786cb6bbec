"""A worker that dies or hangs mid-parse: the lease runs out, the sweeper hands the job on, and
every job still completes exactly once, with the lost attempt on record.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pymongo import MongoClient

from tests.reliability.harness import (
    EVERY_SECOND,
    Hold,
    HostFactory,
    ScriptedGemini,
    assert_completed_once,
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

JOBS = scale(10, 50)
# A short lease so a dead worker's job is recovered quickly; a message the dead host had
# received but not started stays invisible in the queue, so the sweeper re-sends it once
# it is overdue (SWEEP_STALE_MESSAGE_SECONDS).
# The lease outlasts a new parse process's start (the forkserver and its preloaded modules, ~2 s here).
RECOVERY = {"LEASE_SECONDS": "6", "SWEEP_SCHEDULE": EVERY_SECOND, "SWEEP_STALE_MESSAGE_SECONDS": "3"}
# Sync functions share one thread pool (min(32, cpus + 4) threads, as in the Python worker), so
# parses hanging on Gemini would also hold up the uploads that follow them: room for both.
THREADS = {"PYTHON_THREADPOOL_THREAD_COUNT": "32"}


def worker_pid(attempt: dict[str, Any]) -> int:
    """The process id in a history entry's worker id (``host:pid:random``)."""
    return int(attempt["worker"].split(":")[-2])


def test_jobs_of_a_host_killed_mid_parse_complete_once_on_a_new_host(
    gemini: ScriptedGemini, make_host: HostFactory, mongo: MongoClient[dict[str, Any]]
) -> None:
    patients = [unique_patient() for _ in range(JOBS)]
    pdfs = [make_report_pdf(SampleReport(patient_name=patient)) for patient in patients]
    first_calls = gemini.gate()  # the first host's parses hang until it is dead
    for patient, pdf in zip(patients, pdfs, strict=True):
        answer = GeminiReply.ok(report_for(patient))
        gemini.script(pdf, Hold(first_calls, answer), then=answer)
    first = make_host(gemini, **RECOVERY, **THREADS)
    db = mongo[first.database]
    job_patient = {
        job_id_of(upload(first, pdf)): patient for patient, pdf in zip(patients, pdfs, strict=True)
    }

    in_flight = min(JOBS, 3)
    wait_for(
        lambda: sum(gemini.calls_for(pdf) for pdf in pdfs) >= in_flight,
        timeout=60,
        what=f"{in_flight} parses to be waiting on Gemini",
    )
    assert first.process is not None
    first_pid = first.process.pid
    first.kill()  # SIGKILL to the process group: no graceful anything
    first_calls.set()  # the dead host's parses answer into closed sockets; the next host's do not wait
    killed = {doc["_id"] for doc in db["parsing_jobs"].find({"status": "processing"}, {"_id": 1})}
    assert len(killed) >= in_flight

    second = make_host.again(first)  # another instance on the same database and queues
    jobs = wait_until_ended(
        db, list(job_patient), timeout=scale(90, 240), what="every job to end on the new host"
    )

    assert_completed_once(db, jobs, job_patient)
    assert db["parsing_jobs"].count_documents({}) == JOBS
    assert_no_orphan_blobs(second, db)
    for job_id, doc in jobs.items():
        history = doc["history"]
        # Every attempt but the last was lost with a worker (there is no other fault here) ...
        assert [attempt["outcome"] for attempt in history[:-1]] == ["lease_expired"] * (len(history) - 1), (
            history
        )
        # ... and each attempt the killed host had started ended as lease_expired.
        for attempt in history:
            if worker_pid(attempt) == first_pid:
                assert attempt["outcome"] == "lease_expired" and attempt["error_code"] == "lease_expired", (
                    history
                )
        assert worker_pid(history[-1]) != first_pid
        if job_id in killed:
            assert history[0]["outcome"] == "lease_expired" and doc["attempts"] >= 2, history
    answer = status(second, next(iter(killed))).json()
    assert answer["status"] == "completed" and answer["attempts"] >= 2


def test_a_hung_invocation_is_abandoned_and_the_sweeper_hands_its_job_on(
    gemini: ScriptedGemini, make_host: HostFactory, mongo: MongoClient[dict[str, Any]]
) -> None:
    """The process stays alive but one parse never returns: the lease runs out, the sweeper
    re-queues the job, a second attempt completes it, and when the hung call finally returns,
    its (different) result is dropped."""
    patient, impostor = unique_patient(), unique_patient()
    pdf = make_report_pdf(SampleReport(patient_name=patient))
    hang = gemini.gate()
    gemini.script(
        pdf, Hold(hang, GeminiReply.ok(report_for(impostor))), then=GeminiReply.ok(report_for(patient))
    )
    # The Gemini time-out is far longer than the lease: nothing but the lease ends the first attempt.
    app = make_host(gemini, **RECOVERY, GEMINI_TIMEOUT_SECONDS="600")
    db = mongo[app.database]

    job_id = job_id_of(upload(app, pdf))
    [job] = wait_until_ended(
        db, [job_id], timeout=60, what="the job to complete on its second attempt"
    ).values()

    assert job["status"] == "completed" and job["attempts"] == 2
    assert [(a["outcome"], a["error_code"]) for a in job["history"]] == [
        ("lease_expired", "lease_expired"),
        ("completed", None),
    ]
    assert gemini.calls_for(pdf) == 2

    hang.set()  # the abandoned invocation gets its answer at last
    wait_for(
        lambda: re.search(rf"Job {job_id}: lease lost during attempt 1; result dropped", app.current_log()),
        timeout=30,
        what="the late worker to drop its result",
    )
    after = db["parsing_jobs"].find_one({"_id": job_id})
    assert after == job  # the late worker changed nothing
    assert_completed_once(db, {job_id: after}, {job_id: patient})
    assert status(app, job_id).json()["parsed_data"]["patient_name"] == patient
