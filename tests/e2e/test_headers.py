"""Headers as a client meets them over real HTTP: ``Retry-After`` on the upload's 202,
``Cache-Control: no-store`` on answers that can carry patient data, ``X-Content-Type-Options:
nosniff`` on every app answer, and the RateLimit headers on every answer to a key, up to the
429 of an upload past the tenant's rate."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from typing import Any

import pytest
import requests

from lib.domain.quotas import window_at
from tests.support.app_host import API_KEY, PROJECT, TENANT, AppHost, MakeHost, wait_for
from tests.support.gemini_stub import GeminiStub
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.e2e

KEY = {"X-API-Key": API_KEY}
POLICY = '"uploads";q=2;w=60, "jobs-in-flight";q=1000'
UPLOADS_LEFT = re.compile(r'^"uploads";r=(\d+);t=(\d+)')


def assert_private(response: requests.Response) -> None:
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def uploads_state(response: requests.Response) -> tuple[int, int]:
    """``r`` and ``t`` of the uploads policy, checking the headers' shape on the way."""
    assert response.headers["RateLimit-Policy"] == POLICY
    found = UPLOADS_LEFT.match(response.headers["RateLimit"])
    assert found is not None, response.headers["RateLimit"]
    assert 1 <= int(found[2]) <= 60
    return int(found[1]), int(found[2])


def uploads_left(response: requests.Response) -> int:
    return uploads_state(response)[0]


def upload(app: AppHost, pdf: bytes) -> requests.Response:
    return requests.post(app.reports_url, files={"file": ("r.pdf", pdf, "application/pdf")}, headers=KEY)


def test_headers_on_every_answer(make_host: MakeHost, gemini: GeminiStub) -> None:
    app = make_host(gemini, RATE_UPLOADS_PER_MINUTE="2", UPLOAD_RETRY_AFTER_SECONDS="3")
    pdf = make_report_pdf(SampleReport(patient_name="Jane Q. Doe"))
    now = datetime.now(UTC)
    if window_at(now).reset_seconds(now) < 20:  # both uploads and the refusal in one window
        time.sleep(window_at(now).reset_seconds(now))

    accepted = upload(app, pdf)
    assert accepted.status_code == 202
    assert accepted.headers["Retry-After"] == "3"  # UPLOAD_RETRY_AFTER_SECONDS
    assert_private(accepted)
    assert uploads_left(accepted) == 1
    assert accepted.headers["RateLimit"].endswith('"jobs-in-flight";r=999')
    job_id = accepted.json()["job_id"]

    def completed() -> requests.Response | None:
        answer = requests.get(app.status_url(job_id), headers=KEY)
        return answer if answer.json()["status"] == "completed" else None

    status = wait_for(completed, timeout=60, what="the job to complete")
    assert_private(status)
    assert "parsed_data" in status.json()
    assert uploads_left(status) == 1  # a status answer reads the window; it uses none of it

    keyed: dict[str, requests.Response] = {
        "fhir": requests.get(f"{app.url}/api/v1/job/{job_id}/fhir", headers=KEY),
        "list": requests.get(f"{app.url}/api/v1/tenants/{TENANT}/projects/{PROJECT}/jobs", headers=KEY),
        "redeliver": requests.post(f"{app.url}/api/v1/job/{job_id}/webhook/redeliver", headers=KEY),
        "cancel": requests.post(f"{app.url}/api/v1/job/{job_id}/cancel", headers=KEY),
        "unknown job": requests.get(app.status_url("0" * 24), headers=KEY),
    }
    assert keyed["fhir"].status_code == 200 and keyed["list"].status_code == 200
    assert keyed["cancel"].status_code == 409 and keyed["unknown job"].status_code == 404
    for name, answer in keyed.items():
        assert_private(answer)
        assert uploads_left(answer) == 1, name

    deleted = requests.delete(f"{app.url}/api/v1/job/{job_id}", headers=KEY)
    assert deleted.status_code == 202
    assert_private(deleted)
    assert uploads_left(deleted) == 1

    assert upload(app, pdf).status_code == 202
    refused = upload(app, pdf)
    assert refused.status_code == 429
    body: dict[str, Any] = refused.json()
    assert body["success"] is False and body["error"]["code"] == "rate_limited"
    assert_private(refused)
    remaining, reset = uploads_state(refused)
    assert remaining == 0 and int(refused.headers["Retry-After"]) == reset  # retry when the window resets

    anonymous = requests.get(app.status_url(job_id))
    assert anonymous.status_code == 401
    assert_private(anonymous)
    assert "RateLimit" not in anonymous.headers and "RateLimit-Policy" not in anonymous.headers

    for public in ("health", "openapi.json"):
        answer = requests.get(f"{app.url}/api/{public}")
        assert answer.status_code == 200
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert "RateLimit" not in answer.headers
