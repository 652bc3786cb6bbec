"""The HTTP glue's answer for a purged job: 410 with the error envelope, ``expired_at`` when it expired."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import azure.functions as func

from functions.http_support import answer
from lib.domain.errors import Gone


def raising(error: Exception) -> func.HttpResponse:
    def handler() -> func.HttpResponse:
        raise error

    return answer(handler)


def test_an_expired_job_answers_410_result_expired_with_when() -> None:
    expired_at = datetime(2026, 12, 1, 9, 30, 0, 250000, tzinfo=UTC)

    response = raising(
        Gone("removed at the end of the retention", code="result_expired", expired_at=expired_at)
    )

    assert response.status_code == 410
    assert json.loads(response.get_body()) == {
        "success": False,
        "error": {
            "code": "result_expired",
            "message": "removed at the end of the retention",
            "expired_at": "2026-12-01T09:30:00.250Z",
        },
    }


def test_a_deleted_job_answers_410_job_deleted_without_a_time() -> None:
    response = raising(Gone("the job was deleted", code="job_deleted"))

    assert response.status_code == 410
    assert json.loads(response.get_body())["error"] == {
        "code": "job_deleted",
        "message": "the job was deleted",
    }
