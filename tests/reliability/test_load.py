"""Load: many uploads from concurrent clients against one host; every one is parsed exactly once."""

from __future__ import annotations

import collections
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import requests
from pymongo import MongoClient

from tests.reliability.harness import (
    HostFactory,
    ScriptedGemini,
    assert_completed_once,
    assert_no_orphan_blobs,
    scale,
    status,
    upload,
    wait_until_ended,
)
from tests.support.app_host import report_for
from tests.support.gemini_stub import GeminiReply
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.reliability

UPLOADS = scale(100, 500)
CLIENTS = 16


def test_concurrent_uploads_are_each_accepted_once_and_parsed_once(
    gemini: ScriptedGemini, make_host: HostFactory, mongo: MongoClient[dict[str, Any]]
) -> None:
    # Each upload is a different report, and the stand-in answers each with its own patient,
    # so a result delivered to the wrong job would show.
    patients = [f"Load Patient {number:04d}" for number in range(UPLOADS)]
    pdfs = [make_report_pdf(SampleReport(patient_name=patient)) for patient in patients]
    for patient, pdf in zip(patients, pdfs, strict=True):
        gemini.script(pdf, then=GeminiReply.ok(report_for(patient)))
    app = make_host(gemini)
    db = mongo[app.database]

    def client(numbers: list[int]) -> list[tuple[int, int, Any]]:
        answers = []
        with requests.Session() as session:
            for number in numbers:
                response = upload(app, pdfs[number], session=session)
                body = (
                    response.json()
                    if response.headers.get("content-type", "").startswith("application/json")
                    else response.text
                )
                answers.append((number, response.status_code, body))
        return answers

    shares = [list(range(UPLOADS))[index::CLIENTS] for index in range(CLIENTS)]
    with ThreadPoolExecutor(CLIENTS) as pool:
        answers = [answer for share in pool.map(client, shares) for answer in share]

    codes = collections.Counter(code for _, code, _ in answers)
    assert codes == {202: UPLOADS}, (
        f"answers by status: {dict(codes)}; first refusals: {[a for a in answers if a[1] != 202][:5]}"
    )
    job_patient = {body["job_id"]: patients[number] for number, _, body in answers}
    assert len(job_patient) == UPLOADS, "two uploads were given the same job id"

    jobs = wait_until_ended(db, list(job_patient), timeout=scale(120, 600), what="every uploaded job to end")

    assert db["parsing_jobs"].count_documents({}) == UPLOADS  # nothing duplicated, nothing extra
    assert_completed_once(db, jobs, job_patient)
    assert all(doc["attempts"] == 1 for doc in jobs.values()), collections.Counter(
        d["attempts"] for d in jobs.values()
    )
    assert db["parsed_reports"].count_documents({}) == UPLOADS
    assert_no_orphan_blobs(app, db)
    parsed_twice = [
        patient for patient, pdf in zip(patients, pdfs, strict=True) if gemini.calls_for(pdf) != 1
    ]
    assert parsed_twice == [], "reports sent to Gemini more (or less) than once"
    for job_id, patient in list(job_patient.items())[:: max(1, UPLOADS // 25)]:  # the API says the same
        answer = status(app, job_id).json()
        assert answer["status"] == "completed" and answer["parsed_data"]["patient_name"] == patient
