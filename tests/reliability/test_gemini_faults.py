"""Gemini misbehaving, through the running host: each fault ends the job the way the README's
error table says, with every attempt on record and a parsed report only when it completed.

One host for the module; the Gemini stand-in is scripted per document, so each test's job
gets its own replies. ``GEMINI_TIMEOUT_SECONDS`` is 1 so a slow answer is a time-out.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import MongoClient

from tests.reliability.harness import (
    HostFactory,
    Scripted,
    ScriptedGemini,
    job_id_of,
    reports_per_job,
    status,
    upload,
    wait_until_ended,
)
from tests.support.app_host import AppHost, report_for, unique_patient
from tests.support.gemini_stub import GeminiReply
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.reliability

TIMEOUT_SECONDS = 1


@pytest.fixture(scope="module")
def stub(module_gemini: ScriptedGemini) -> ScriptedGemini:
    return module_gemini


@pytest.fixture(scope="module")
def app(module_gemini: ScriptedGemini, module_hosts: HostFactory) -> AppHost:
    return module_hosts(module_gemini, GEMINI_TIMEOUT_SECONDS=str(TIMEOUT_SECONDS))


def run_job(
    app: AppHost, stub: ScriptedGemini, mongo: MongoClient[dict[str, Any]], *replies: Scripted
) -> tuple[dict[str, Any], dict[str, Any], str]:
    """Upload a fresh report whose Gemini calls get ``replies`` (then a valid answer); wait for its end.

    Returns the stored job, the status answer and the patient's name.
    """
    patient = unique_patient()
    pdf = make_report_pdf(SampleReport(patient_name=patient))
    stub.script(pdf, *replies, then=GeminiReply.ok(report_for(patient)))
    job_id = job_id_of(upload(app, pdf))
    db = mongo[app.database]
    [job] = wait_until_ended(db, [job_id], timeout=60, what="the job to end").values()
    answer = status(app, job_id).json()
    assert answer["status"] == job["status"] and answer["attempts"] == job["attempts"] == len(job["history"])
    assert stub.calls_for(pdf) == job["attempts"]  # one Gemini call per attempt, none hidden inside one
    assert reports_per_job(db)[job_id] == (1 if job["status"] == "completed" else 0)
    return job, answer, patient


def outcomes(job: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(attempt["outcome"], attempt["error_code"]) for attempt in job["history"]]


def test_rate_limited_then_answered_completes_on_the_second_attempt(
    app: AppHost, stub: ScriptedGemini, mongo: MongoClient[dict[str, Any]]
) -> None:
    job, answer, patient = run_job(app, stub, mongo, GeminiReply.error(429))

    assert answer["status"] == "completed" and answer["attempts"] == 2
    assert answer["parsed_data"]["patient_name"] == patient
    assert outcomes(job) == [("retry", "gemini_rate_limited"), ("completed", None)]


def test_unavailable_on_every_attempt_fails_after_three(
    app: AppHost, stub: ScriptedGemini, mongo: MongoClient[dict[str, Any]]
) -> None:
    job, answer, _ = run_job(app, stub, mongo, *[GeminiReply.error(503)] * 3)

    assert answer["status"] == "failed" and answer["attempts"] == 3
    assert answer["error"]["code"] == "gemini_unavailable" and "parsed_data" not in answer
    assert outcomes(job) == [("retry", "gemini_unavailable")] * 2 + [("failed", "gemini_unavailable")]


def test_a_rejected_request_fails_at_once(
    app: AppHost, stub: ScriptedGemini, mongo: MongoClient[dict[str, Any]]
) -> None:
    job, answer, _ = run_job(app, stub, mongo, GeminiReply.error(400))

    assert answer["status"] == "failed" and answer["attempts"] == 1
    assert answer["error"]["code"] == "gemini_rejected"
    assert outcomes(job) == [("failed", "gemini_rejected")]


@pytest.mark.parametrize(
    "blocked",
    [GeminiReply.safety_block(), GeminiReply.prompt_blocked()],
    ids=["answer-withheld", "prompt-blocked"],
)
def test_a_safety_block_fails_at_once(
    app: AppHost, stub: ScriptedGemini, mongo: MongoClient[dict[str, Any]], blocked: GeminiReply
) -> None:
    job, answer, _ = run_job(app, stub, mongo, blocked)

    assert answer["status"] == "failed" and answer["attempts"] == 1
    assert answer["error"]["code"] == "gemini_safety_block"
    assert outcomes(job) == [("failed", "gemini_safety_block")]


@pytest.mark.parametrize(
    ("broken", "code"),
    [
        (GeminiReply.truncated(), "gemini_truncated"),
        (GeminiReply.text('{"patient_name": "Cut', finish_reason="STOP"), "gemini_invalid_output"),
        (GeminiReply.text('{"patient_name": 7}'), "gemini_invalid_output"),
        (
            GeminiReply.raw(b"<html>502 Bad Gateway</html>", status=502, content_type="text/html"),
            "gemini_unavailable",
        ),
    ],
    ids=["truncated-json", "invalid-json", "schema-mismatch", "proxy-error-page"],
)
def test_a_broken_answer_then_a_good_one_completes(
    app: AppHost, stub: ScriptedGemini, mongo: MongoClient[dict[str, Any]], broken: GeminiReply, code: str
) -> None:
    job, answer, patient = run_job(app, stub, mongo, broken)

    assert answer["status"] == "completed" and answer["attempts"] == 2
    assert answer["parsed_data"]["patient_name"] == patient
    assert outcomes(job) == [("retry", code), ("completed", None)]


def test_an_answer_slower_than_the_timeout_is_retried(
    app: AppHost, stub: ScriptedGemini, mongo: MongoClient[dict[str, Any]]
) -> None:
    job, answer, patient = run_job(app, stub, mongo, GeminiReply.slow(TIMEOUT_SECONDS + 2))

    assert answer["status"] == "completed" and answer["attempts"] == 2
    assert answer["parsed_data"]["patient_name"] == patient
    assert outcomes(job) == [("retry", "gemini_timeout"), ("completed", None)]
