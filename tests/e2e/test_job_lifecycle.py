"""The job lifecycle over HTTP: a project's list page by page, cancel, delete -> 410."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from pymongo import MongoClient

from tests.support.app_host import (
    API_KEY,
    PROJECT,
    TENANT,
    AppHost,
    job_document,
    report_for,
    unique_patient,
    wait_for,
)
from tests.support.gemini_stub import GeminiReply, GeminiStub
from tests.support.pdf_factory import make_report_pdf

pytestmark = pytest.mark.e2e

HEADERS = {"X-API-Key": API_KEY}


def upload(app: AppHost) -> str:
    response = requests.post(
        app.reports_url, files={"file": ("r.pdf", make_report_pdf(), "application/pdf")}, headers=HEADERS
    )
    assert response.status_code == 202, response.text
    job_id: str = response.json()["job_id"]
    return job_id


def status_of(app: AppHost, job_id: str) -> requests.Response:
    return requests.get(app.status_url(job_id), headers=HEADERS)


def in_state(app: AppHost, job_id: str, state: str) -> bool:
    found: object = status_of(app, job_id).json().get("status")
    return found == state


def jobs_page(app: AppHost, **params: str) -> requests.Response:
    url = f"{app.url}/api/v1/tenants/{TENANT}/projects/{PROJECT}/jobs"
    return requests.get(url, params=params, headers=HEADERS)


def test_list_cancel_and_delete_over_http(
    app: AppHost, gemini: GeminiStub, mongo: MongoClient[dict[str, Any]]
) -> None:
    db = mongo[app.database]
    done = [upload(app) for _ in range(3)]
    for job_id in done:
        wait_for(lambda job_id=job_id: in_state(app, job_id, "completed"), timeout=60, what="a parse")  # type: ignore[misc]

    # Cancel: a slow parse is running when the client cancels; its result is discarded.
    patient = unique_patient()
    gemini.enqueue(GeminiReply.slow(3.0, GeminiReply.ok(report_for(patient))))
    running = upload(app)
    wait_for(lambda: in_state(app, running, "processing"), timeout=30, what="the slow parse to start")
    cancelled = requests.post(f"{app.url}/api/v1/job/{running}/cancel", headers=HEADERS)
    assert cancelled.status_code == 202 and cancelled.json()["status"] == "cancelled"
    wait_for(lambda: f"Job {running}: lease lost" in app.log_text(), timeout=30, what="the parse to end")
    assert status_of(app, running).json()["status"] == "cancelled"
    assert patient not in str(list(db["parsed_reports"].find()))
    again = requests.post(f"{app.url}/api/v1/job/{running}/cancel", headers=HEADERS)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "job_finished")

    # List: newest first, two at a time, the cursor until it is null.
    first = jobs_page(app, limit="2")
    assert first.status_code == 200 and first.headers["Content-Type"].startswith("application/json")
    second = jobs_page(app, limit="2", cursor=first.json()["next_cursor"])
    listed = [item["job_id"] for item in first.json()["jobs"] + second.json()["jobs"]]
    assert listed == [running, *reversed(done)]
    assert second.json()["next_cursor"] is None
    assert all("parsed_data" not in item for item in first.json()["jobs"] + second.json()["jobs"])
    assert [item["job_id"] for item in jobs_page(app, status="cancelled").json()["jobs"]] == [running]
    for params, code in (({"limit": "101"}, "invalid_query"), ({"cursor": "bogus"}, "invalid_cursor")):
        refused = jobs_page(app, **params)
        assert (refused.status_code, refused.json()["error"]["code"]) == (400, code)

    # Delete: 202, then 410 on every route; the files and the report are gone.
    victim = done[0]
    report_id = job_document(db, victim)["report_id"]  # type: ignore[index]
    deleted = requests.delete(f"{app.url}/api/v1/job/{victim}", headers=HEADERS)
    assert deleted.status_code == 202 and deleted.json()["status"] == "deleted"
    gone = status_of(app, victim)
    assert (gone.status_code, gone.json()["error"]["code"]) == (410, "job_deleted")
    fhir = requests.get(f"{app.url}/api/v1/job/{victim}/fhir", headers=HEADERS)
    assert fhir.status_code == 410
    assert requests.delete(f"{app.url}/api/v1/job/{victim}", headers=HEADERS).status_code == 202
    assert db["parsed_reports"].find_one({"_id": report_id, "parsed_data": {"$exists": True}}) is None
    assert (job_document(db, victim) or {}).get("files") == []
    assert victim not in [item["job_id"] for item in jobs_page(app).json()["jobs"]]
    unknown = requests.delete(f"{app.url}/api/v1/job/{'0' * 24}", headers=HEADERS)
    assert (unknown.status_code, unknown.json()["error"]["code"]) == (404, "job_not_found")
