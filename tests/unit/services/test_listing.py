"""Use case: a project's jobs, newest first, a page at a time (fakes only)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from lib.domain.errors import AuthenticationFailed, InvalidRequest, NotFound
from lib.domain.jobs import Job, JobStatus
from lib.services.delete import delete_job
from lib.services.listing import list_jobs
from lib.services.parse import process_job
from tests.support.fakes.context import Fakes
from tests.support.jobs import T0, new_job


@pytest.fixture
def key(fakes: Fakes) -> str:
    return fakes.register()


def add(fakes: Fakes, minutes: int, **changes: object) -> Job:
    job = new_job(created_at=T0 + timedelta(minutes=minutes), **changes)
    fakes.jobs.insert(job)
    return job


def page(fakes: Fakes, key: str, project_id: str = "project-001", **params: str) -> dict[str, Any]:
    return list_jobs(fakes.ctx, api_key=key, tenant_id="tenant-001", project_id=project_id, params=params)


def ids(body: dict[str, Any]) -> list[str]:
    return [item["job_id"] for item in body["jobs"]]


def test_jobs_come_newest_first_a_page_at_a_time_until_the_cursor_is_null(fakes: Fakes, key: str) -> None:
    jobs = [add(fakes, minutes) for minutes in range(5)]
    newest_first = [job.id for job in reversed(jobs)]

    first = page(fakes, key, limit="2")
    second = page(fakes, key, limit="2", cursor=first["next_cursor"])
    last = page(fakes, key, limit="2", cursor=second["next_cursor"])

    assert ids(first) + ids(second) + ids(last) == newest_first
    assert last["next_cursor"] is None and first["next_cursor"] != second["next_cursor"]
    assert ids(page(fakes, key)) == newest_first  # 20 by default: one page


def test_jobs_created_at_the_same_moment_are_paged_by_id_without_loss(fakes: Fakes, key: str) -> None:
    jobs = [add(fakes, 0) for _ in range(5)]

    seen: list[str] = []
    cursor: str | None = None
    while True:
        body = page(fakes, key, limit="2", **({"cursor": cursor} if cursor else {}))
        seen += ids(body)
        if (cursor := body["next_cursor"]) is None:
            break

    assert seen == sorted((job.id for job in jobs), reverse=True)


def test_uploads_during_paging_neither_repeat_nor_shift_a_page(fakes: Fakes, key: str) -> None:
    older = [add(fakes, minutes) for minutes in range(4)]
    first = page(fakes, key, limit="2")
    add(fakes, 10)
    add(fakes, 11)  # newer than everything listed: they belong before page one

    second = page(fakes, key, limit="2", cursor=first["next_cursor"])

    assert ids(first) + ids(second) == [job.id for job in reversed(older)]
    assert second["next_cursor"] is None


def test_items_are_status_documents_without_parsed_data(fakes: Fakes, key: str, pdf: bytes) -> None:
    job = add(fakes, 0)
    fakes.blobs.put(job.files[0].blob_name, pdf, sha256="0")
    process_job(fakes.ctx, job.id)

    [item] = page(fakes, key)["jobs"]

    assert (item["job_id"], item["status"], item["model"]) == (job.id, "completed", "fake-model")
    assert "parsed_data" not in item
    assert {"report_id", "attempts", "created_at", "files_uploaded", "webhook"} <= set(item)


def test_filters_by_status_and_creation_time(fakes: Fakes, key: str) -> None:
    a = add(fakes, 0, status=JobStatus.FAILED)
    b = add(fakes, 10, status=JobStatus.CANCELLED)
    c = add(fakes, 20)

    assert ids(page(fakes, key, status="failed,cancelled")) == [b.id, a.id]
    assert ids(page(fakes, key, status="pending")) == [c.id]
    window = {"created_after": "2026-11-28T12:10:00Z", "created_before": "2026-11-28T12:20:00Z"}
    assert ids(page(fakes, key, **window)) == [b.id]


def test_a_cursor_with_other_filters_or_a_forged_one_is_refused(fakes: Fakes, key: str) -> None:
    for minutes in range(3):
        add(fakes, minutes)
    cursor = page(fakes, key, limit="1")["next_cursor"]

    for params in ({"cursor": cursor, "status": "failed"}, {"cursor": cursor[:-3] + "AAA"}):
        with pytest.raises(InvalidRequest) as caught:
            page(fakes, key, **params)
        assert caught.value.code == "invalid_cursor" and caught.value.http_status == 400


@pytest.mark.parametrize("params", [{"limit": "101"}, {"limit": "0"}, {"status": "deleted"}, {"sort": "asc"}])
def test_a_malformed_query_is_400_invalid_query(fakes: Fakes, key: str, params: dict[str, str]) -> None:
    with pytest.raises(InvalidRequest) as caught:
        page(fakes, key, **params)

    assert caught.value.code == "invalid_query"


def test_only_the_projects_own_jobs_are_listed_and_never_tombstones(fakes: Fakes, key: str) -> None:
    fakes.register("tenant-001", "project-002")
    fakes.register("tenant-002", "project-001")
    mine = add(fakes, 0)
    deleted = add(fakes, 1)
    add(fakes, 2, project_id="project-002")
    add(fakes, 3, tenant_id="tenant-002")
    delete_job(fakes.ctx, api_key=key, job_id=deleted.id)

    assert ids(page(fakes, key)) == [mine.id]


def test_another_tenant_an_unknown_project_and_a_bad_key_are_refused(fakes: Fakes, key: str) -> None:
    other = fakes.register("tenant-002", "project-001")

    with pytest.raises(NotFound) as foreign:
        page(fakes, other)
    with pytest.raises(NotFound) as unknown:
        page(fakes, key, "project-404")
    with pytest.raises(NotFound):
        page(fakes, key, "../project")
    with pytest.raises(AuthenticationFailed):
        page(fakes, "")
    assert (foreign.value.code, unknown.value.code) == ("tenant_not_found", "project_not_found")
