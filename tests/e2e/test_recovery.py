"""Work that outlives a failure: the host's poison queue, its timer, and a crash mid-parse.

Each test runs its own host (special settings; a crash). The poison test turns on a
server-wide SecantusDB fail point, so no other host may be running meanwhile: pytest
finishes the other modules' hosts before this module starts, and these tests run one host
at a time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from pymongo import MongoClient

from tests.support.app_host import (
    API_KEY,
    AppHost,
    MakeHost,
    job_document,
    report_for,
    unique_patient,
    wait_for,
)
from tests.support.failpoints import FailPoints
from tests.support.gemini_stub import GeminiReply, GeminiStub
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.e2e

EVERY_SECOND = "*/1 * * * * *"


@pytest.fixture
def gemini() -> Iterator[GeminiStub]:
    with GeminiStub() as stub:
        yield stub


def upload(app: AppHost, patient: str) -> str:
    response = requests.post(
        app.reports_url,
        files={
            "file": ("report.pdf", make_report_pdf(SampleReport(patient_name=patient)), "application/pdf")
        },
        headers={"X-API-Key": API_KEY},
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def status_of(app: AppHost, job_id: str) -> dict[str, Any]:
    response = requests.get(app.status_url(job_id), headers={"X-API-Key": API_KEY})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def status_when(app: AppHost, job_id: str, *states: str) -> Callable[[], dict[str, Any] | None]:
    """A probe for :func:`wait_for`: the job's status answer once it is in one of ``states``."""

    def probe() -> dict[str, Any] | None:
        status = status_of(app, job_id)
        return status if status["status"] in states else None

    return probe


def executions(log: str, function: str, outcome: str) -> int:
    """How many invocations of ``function`` the host logged with ``outcome`` (one line each)."""
    return len(re.findall(rf"Executed 'Functions\.{function}' \({outcome},", log))


def fail_next_claims(mongo: MongoClient[dict[str, Any]], times: int) -> None:
    """Answer the next ``times`` conditional writes (``findAndModify``, which every job transition is)
    with a server error the app does not know.

    Not an outage (a dropped connection or a time-out, which the parse trigger leaves to the
    sweeper): an unclassified ``OperationFailure`` escapes the claim and crashes the invocation.
    """
    mongo.admin.command(
        "configureFailPoint",
        "failCommand",
        mode={"times": times},
        data={"failCommands": ["findAndModify"], "errorCode": 2},  # BadValue
    )


def test_a_message_that_keeps_crashing_the_worker_is_poisoned_and_fails_its_job(
    make_host: MakeHost,
    gemini: GeminiStub,
    failpoints: FailPoints,
    mongo: MongoClient[dict[str, Any]],
) -> None:
    disabled = "AzureWebJobs.parse_job.Disabled"
    app = make_host(
        gemini,
        **{
            disabled: "true",  # the first run only takes the upload; its message waits in the queue
            "AzureFunctionsJobHost__extensions__queues__maxDequeueCount": "2",
            "SWEEP_SCHEDULE": EVERY_SECOND,
        },
    )
    parse_queue = app.settings["PARSE_QUEUE_NAME"]
    job_id = upload(app, unique_patient())
    assert status_of(app, job_id)["status"] == "pending"
    assert app.stop() == 0

    # A restart writes nothing (the dev tenant, project and key exist), so the only conditional
    # writes now are the claims of the two deliveries of the job's message: both crash the worker.
    fail_next_claims(mongo, times=2)
    del app.settings[disabled]
    app.start()

    failed = wait_for(status_when(app, job_id, "failed"), timeout=30, what="the job to fail")
    failpoints.clear()
    assert failed["error"]["code"] == "poison_message"
    job = job_document(mongo[app.database], job_id)
    assert job is not None and job["status"] == "failed" and job["error"]["code"] == "poison_message"
    assert job["attempts"] == 0 and job["history"] == []  # no claim ever went through
    assert gemini.requests == []

    log = app.current_log()
    assert executions(log, "parse_job", "Failed") == 2
    # Each was a crash: the database's error escaped the function (the host logs its traceback).
    assert len(re.findall(r"^pymongo\.errors\.OperationFailure: .*'code': 2\b", log, re.MULTILINE)) == 2
    assert f"has reached MaxDequeueCount of 2: moving it to queue '{parse_queue}-poison'" in log
    assert executions(log, "parse_job_poison", "Succeeded") == 1
    # The timer runs too (every second here); the host logs each invocation.
    wait_for(
        lambda: executions(app.current_log(), "sweep_stuck_work", "Succeeded") >= 1,
        timeout=10,
        what="the sweeper to run",
    )


def test_a_job_survives_a_host_crash_mid_parse(
    make_host: MakeHost, gemini: GeminiStub, mongo: MongoClient[dict[str, Any]]
) -> None:
    """The guide: "What happens if server restarts during parsing? ... Worker resumes processing"."""
    patient = unique_patient()
    answer = GeminiReply.ok(report_for(patient))
    gemini.default = answer
    gemini.enqueue(GeminiReply.slow(30, then=answer))  # the first call outlives its host
    # The lease outlasts a new parse process's start (the forkserver and its preloaded modules).
    app = make_host(gemini, LEASE_SECONDS="6", SWEEP_SCHEDULE=EVERY_SECOND)

    job_id = upload(app, patient)
    wait_for(
        lambda: status_of(app, job_id)["status"] == "processing" and len(gemini.requests) == 1,
        timeout=30,
        what="the first attempt to be waiting on Gemini",
    )
    app.kill()  # SIGKILL to the whole process group: no graceful anything
    assert not app.running

    app.start()  # a new process on the same database and queues
    done = wait_for(
        status_when(app, job_id, "completed", "failed"), timeout=30, what="the job to end after the restart"
    )

    assert done["status"] == "completed", done
    assert done["attempts"] == 2
    assert done["parsed_data"]["patient_name"] == patient
    job = job_document(mongo[app.database], job_id)
    assert job is not None
    assert [attempt["outcome"] for attempt in job["history"]] == ["lease_expired", "completed"]
    assert job["history"][0]["worker"] != job["history"][1]["worker"]
    reports = list(mongo[app.database]["parsed_reports"].find({"job_id": job_id}))
    assert len(reports) == 1 and reports[0]["_id"] == job["report_id"]
    assert len(gemini.requests) == 2
    assert app.stop() == 0  # the restarted host still stops cleanly
