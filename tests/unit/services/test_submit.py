"""Use case: submit a report. Accepted uploads are stored and queued; refused ones write nothing."""

from __future__ import annotations

from dataclasses import replace

import pytest

from lib.domain.errors import (
    AuthenticationFailed,
    DependencyUnavailable,
    InvalidRequest,
    NotFound,
    PayloadTooLarge,
    UnsupportedMediaType,
)
from lib.domain.jobs import Job, JobStatus
from lib.domain.uploads import UploadedFile, UploadForm
from lib.services.submit import Submission, submit_report
from tests.support.fakes.context import Fakes
from tests.support.fakes.jobs import FakeJobs
from tests.support.jobs import upload_form


def submit(fakes: Fakes, *documents: bytes, api_key: str | None, **options: str | None) -> Submission:
    return submit_report(
        fakes.ctx,
        tenant_id=str(options.get("tenant_id") or "tenant-001"),
        project_id=str(options.get("project_id") or "project-001"),
        api_key=api_key,
        read_form=upload_form(*documents),
        webhook_url=options.get("webhook_url"),
    )


def nothing_written(fakes: Fakes) -> bool:
    return not fakes.blobs.blobs and not fakes.jobs.jobs and not fakes.parse_queue.messages


def test_an_upload_is_stored_recorded_and_queued(fakes: Fakes, pdf: bytes) -> None:
    key = fakes.register()

    submission = submit(fakes, pdf, pdf, api_key=key, webhook_url="https://example.com/hook")

    job = fakes.jobs.jobs[submission.job_id]
    assert job.status is JobStatus.PENDING and job.attempts == 0 and job.max_attempts == 3
    assert job.webhook_url == "https://example.com/hook" and job.message_sent is True
    assert [item.size_bytes for item in job.files] == [len(pdf), len(pdf)]
    assert all(item.pages == 1 for item in job.files)
    assert sorted(fakes.blobs.blobs) == [item.blob_name for item in job.files]
    assert [message.job_id for message in fakes.parse_queue.messages] == [job.id]
    assert (submission.report_id, submission.files_uploaded) == (job.report_id, 2)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"api_key": None}, AuthenticationFailed),
        ({"api_key": "mrp_0123456789ab_" + "a" * 43}, AuthenticationFailed),
        ({"tenant_id": "tenant-002"}, NotFound),
        ({"project_id": "project-404"}, NotFound),
        ({"tenant_id": "../etc"}, NotFound),
        ({"webhook_url": "ftp://example.com/hook"}, InvalidRequest),
        ({"webhook_url": "https://127.0.0.1/hook"}, InvalidRequest),
    ],
)
def test_a_refused_request_writes_nothing(
    fakes: Fakes, pdf: bytes, change: dict[str, str | None], error: type[Exception]
) -> None:
    key = fakes.register()
    fakes.register("tenant-002", "project-001")
    options: dict[str, str | None] = {"api_key": key, **change}
    api_key = options.pop("api_key")

    with pytest.raises(error):
        submit(fakes, pdf, api_key=api_key, **options)

    assert nothing_written(fakes)


@pytest.mark.parametrize(
    ("documents", "error"),
    [
        ((b"not a pdf at all",), UnsupportedMediaType),
        ((), InvalidRequest),
        ((b"%PDF-1.7\n",) * 11, InvalidRequest),
    ],
)
def test_bad_files_are_refused_and_nothing_is_written(
    fakes: Fakes, documents: tuple[bytes, ...], error: type[Exception]
) -> None:
    key = fakes.register()

    with pytest.raises(error):
        submit(fakes, *documents, api_key=key)

    assert nothing_written(fakes)


def test_a_blob_outage_removes_the_blobs_already_written(fakes: Fakes, pdf: bytes) -> None:
    key = fakes.register()
    fakes.blobs.puts_left = 1

    with pytest.raises(DependencyUnavailable):
        submit(fakes, pdf, pdf, api_key=key)

    assert nothing_written(fakes)


def test_a_file_over_the_limit_is_refused(fakes: Fakes) -> None:
    small = fakes.with_settings(MAX_FILE_MB="1", MAX_UPLOAD_MB="2")
    key = small.register()

    with pytest.raises(PayloadTooLarge):
        submit(small, b"%PDF-1.7\n" + b"x" * 1_100_000, api_key=key)

    assert nothing_written(small)


class AppliedButUnanswered(FakeJobs):
    """An insert the database applied although the client saw a time-out."""

    def insert(self, job: Job) -> None:
        super().insert(job)
        raise DependencyUnavailable("mongodb")


class NeverApplied(FakeJobs):
    """An insert that timed out and was not applied (yet)."""

    def insert(self, job: Job) -> None:
        raise DependencyUnavailable("mongodb")


def test_an_unclear_insert_that_was_applied_is_accepted(fakes: Fakes, pdf: bytes) -> None:
    key = fakes.register()
    jobs = AppliedButUnanswered(fakes.jobs.jobs)
    fakes.ctx = replace(fakes.ctx, jobs=jobs)

    submission = submit(fakes, pdf, api_key=key)

    assert submission.job_id in fakes.jobs.jobs
    assert len(fakes.blobs.blobs) == 1
    assert [message.job_id for message in fakes.parse_queue.messages] == [submission.job_id]


def test_an_unclear_insert_that_was_not_applied_is_refused_and_its_id_marked(
    fakes: Fakes, pdf: bytes
) -> None:
    key = fakes.register()
    jobs = NeverApplied(fakes.jobs.jobs)
    fakes.ctx = replace(fakes.ctx, jobs=jobs)

    with pytest.raises(DependencyUnavailable):
        submit(fakes, pdf, api_key=key)

    assert nothing_written(fakes)
    assert len(jobs.refused) == 1  # a late insert of that id now fails


def test_a_queue_outage_after_the_insert_still_accepts_and_leaves_it_to_the_sweeper(
    fakes: Fakes, pdf: bytes
) -> None:
    key = fakes.register()
    fakes.parse_queue.down = True

    submission = submit(fakes, pdf, api_key=key)

    job = fakes.jobs.jobs[submission.job_id]
    assert job.status is JobStatus.PENDING and job.message_sent is False
    assert not fakes.parse_queue.messages


def test_an_upload_over_the_page_limit_is_refused(fakes: Fakes, pdf: bytes) -> None:
    few_pages = fakes.with_settings(MAX_PAGES="1")
    key = few_pages.register()

    with pytest.raises(PayloadTooLarge) as raised:
        submit(few_pages, pdf, pdf, api_key=key)

    assert raised.value.code == "too_many_pages"
    assert nothing_written(few_pages)


def test_the_webhook_url_may_come_as_a_form_field(fakes: Fakes, pdf: bytes) -> None:
    key = fakes.register()

    submission = submit_report(
        fakes.ctx,
        tenant_id="tenant-001",
        project_id="project-001",
        api_key=key,
        read_form=lambda _limits: UploadForm(
            (UploadedFile(pdf),), {"webhook_url": "https://example.com/form"}
        ),
        webhook_url=None,
    )

    assert fakes.jobs.jobs[submission.job_id].webhook_url == "https://example.com/form"
