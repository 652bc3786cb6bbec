"""Use cases: cancel a job, delete it with its data, and the retention purge (fakes only)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from lib.domain.errors import AuthenticationFailed, Conflict, Gone, InvalidRequest, NotFound
from lib.domain.jobs import Job, JobStatus, StoredFile
from lib.domain.parsing import ParseOutcome, ParseRequest
from lib.domain.report_schema import ParsedReport
from lib.services import admin
from lib.services.cancel import cancel_job
from lib.services.delete import delete_job
from lib.services.fhir_export import job_fhir
from lib.services.notify import deliver_webhook, redeliver
from lib.services.parse import ParseResult, process_job
from lib.services.purge import RETENTION_CURSOR, expire_retained
from lib.services.status import job_status
from lib.services.sweep import sweep
from tests.support.fakes.context import Fakes
from tests.support.jobs import T0, claim_job, new_job

URL = "https://hooks.example/receive"


@pytest.fixture
def key(fakes: Fakes) -> str:
    return fakes.register()


def stored(fakes: Fakes, project_id: str = "project-001", **changes: object) -> Job:
    """A job with its blob in storage."""
    job = new_job(project_id=project_id, **changes)
    blob = StoredFile(f"tenant-001/{project_id}/{job.id}/1.pdf", size_bytes=4, sha256="ab" * 32)
    job = replace(job, files=(blob,))
    fakes.jobs.insert(job)
    fakes.blobs.put(blob.blob_name, b"%PDF", sha256=blob.sha256)
    return job


def gone_code(call: object) -> tuple[str, object]:
    assert callable(call)
    with pytest.raises(Gone) as caught:
        call()
    return caught.value.code, caught.value.expired_at


class Interrupting:
    """A parser during which something else happens to the job (on another instance)."""

    def __init__(self, during: object) -> None:
        self.during = during

    def parse(self, request: ParseRequest) -> ParseOutcome:
        assert callable(self.during)
        self.during()
        return ParseOutcome(ParsedReport(patient_name="Jane Q. Doe"), model="fake-model")


# -- cancel ------------------------------------------------------------------------------------


def test_cancelling_a_pending_job_answers_202_and_the_status_says_cancelled(fakes: Fakes, key: str) -> None:
    job = stored(fakes)

    body = cancel_job(fakes.ctx, api_key=key, job_id=job.id)

    assert body["success"] is True and (body["job_id"], body["status"]) == (job.id, "cancelled")
    status = job_status(fakes.ctx, api_key=key, job_id=job.id)
    assert status["status"] == "cancelled" and status["cancelled_at"] == "2026-11-28T12:00:00.000Z"
    assert "parsed_data" not in status and "error" not in status
    # The message still on the queue finds nothing to do.
    assert process_job(fakes.ctx, job.id) is ParseResult.SKIPPED
    assert fakes.jobs.jobs[job.id].status is JobStatus.CANCELLED and fakes.parser.requests == []


def test_a_cancelled_job_with_a_webhook_sends_job_cancelled(fakes: Fakes, key: str) -> None:
    job = stored(fakes, webhook_url=URL)

    cancel_job(fakes.ctx, api_key=key, job_id=job.id)

    [message] = fakes.webhook_queue.take()
    assert deliver_webhook(fakes.ctx, job.id, message.message_id or "").value == "delivered"
    [posted] = fakes.webhooks.requests
    sent = json.loads(posted.payload)
    assert (sent["event"], sent["status"], sent["job_id"]) == ("job.cancelled", "cancelled", job.id)
    # And it can be redelivered like any ended job's webhook.
    assert redeliver(fakes.ctx, api_key=key, job_id=job.id)["state"] == "pending"


def test_a_parse_running_when_its_job_is_cancelled_finishes_but_its_result_is_dropped(
    fakes: Fakes, key: str
) -> None:
    job = stored(fakes, webhook_url=URL)
    racing = replace(
        fakes.ctx, parser=Interrupting(lambda: cancel_job(fakes.ctx, api_key=key, job_id=job.id))
    )

    assert process_job(racing, job.id) is ParseResult.SKIPPED

    after = fakes.jobs.jobs[job.id]
    assert after.status is JobStatus.CANCELLED and after.completed_at is None
    assert job.report_id not in fakes.reports.reports  # no report survives
    assert after.webhook is not None and after.webhook.event == "job.cancelled"
    assert "parsed_data" not in job_status(fakes.ctx, api_key=key, job_id=job.id)


def test_a_report_written_before_the_cancel_is_purged_with_it(fakes: Fakes, key: str) -> None:
    job = stored(fakes)
    claimed = replace(fakes.jobs.jobs[job.id])
    process_job(fakes.ctx, job.id)  # completed: its report is stored
    fakes.jobs.jobs[job.id] = replace(fakes.jobs.jobs[job.id], status=JobStatus.PROCESSING)  # as if not yet
    assert claimed.report_id in fakes.reports.reports

    cancel_job(fakes.ctx, api_key=key, job_id=job.id)

    assert claimed.report_id not in fakes.reports.reports
    # A late save of any attempt cannot bring it back.
    assert not fakes.reports.save(replace(job, attempts=99), ParsedReport(), "m", T0)


@pytest.mark.parametrize("status", [JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED])
def test_an_ended_job_cannot_be_cancelled(fakes: Fakes, key: str, status: JobStatus) -> None:
    job = stored(fakes, status=status)

    with pytest.raises(Conflict) as caught:
        cancel_job(fakes.ctx, api_key=key, job_id=job.id)

    assert caught.value.code == "job_finished" and caught.value.http_status == 409
    assert fakes.jobs.jobs[job.id].status is status


def test_an_unknown_or_foreign_job_cannot_be_cancelled_and_a_key_is_needed(fakes: Fakes, key: str) -> None:
    other = fakes.register("tenant-002", "project-001")
    job = stored(fakes)

    for job_id, api_key in ((job.id, other), ("0" * 24, key)):
        with pytest.raises(NotFound) as caught:
            cancel_job(fakes.ctx, api_key=api_key, job_id=job_id)
        assert caught.value.code == "job_not_found"
    with pytest.raises(AuthenticationFailed):
        cancel_job(fakes.ctx, api_key=None, job_id=job.id)
    assert fakes.jobs.jobs[job.id].status is JobStatus.PENDING


def test_a_cancel_racing_a_claim_reads_again_and_cancels_the_processing_job(fakes: Fakes, key: str) -> None:
    job = stored(fakes)

    class ClaimFirst:
        """The job store, with a worker's claim landing between the cancel's read and its write."""

        def __init__(self) -> None:
            self.raced = False

        def __getattr__(self, name: str) -> object:
            return getattr(fakes.jobs, name)

        def apply(self, change: object) -> object:
            if not self.raced:
                self.raced = True
                assert claim_job(fakes.jobs, job.id, "worker-b", T0, timedelta(minutes=10)) is not None
            return fakes.jobs.apply(change)  # type: ignore[arg-type]

    racing = replace(fakes.ctx, jobs=ClaimFirst())  # type: ignore[arg-type]

    cancel_job(racing, api_key=key, job_id=job.id)

    after = fakes.jobs.jobs[job.id]
    assert (after.status, after.attempts, after.lease) == (JobStatus.CANCELLED, 1, None)
    assert after.history[-1].outcome is not None and after.history[-1].outcome.value == "cancelled"


# -- delete ------------------------------------------------------------------------------------


def test_deleting_a_completed_job_removes_its_files_report_and_details(fakes: Fakes, key: str) -> None:
    job = stored(fakes, webhook_url=URL)
    assert process_job(fakes.ctx, job.id) is ParseResult.COMPLETED
    fakes.clock.advance(timedelta(minutes=1))

    body = delete_job(fakes.ctx, api_key=key, job_id=job.id)

    assert (body["success"], body["job_id"], body["status"]) == (True, job.id, "deleted")
    assert body["deleted_at"] == "2026-11-28T12:01:00.000Z"
    assert fakes.blobs.blobs == {}
    assert fakes.reports.reports == {}
    gone = fakes.jobs.jobs[job.id]
    assert gone.status is JobStatus.DELETED and gone.deleted_at == fakes.clock.now
    assert (gone.files, gone.history, gone.webhook_url, gone.webhook, gone.model, gone.error) == (
        (),
        (),
        None,
        None,
        None,
        None,
    )
    assert "Jane" not in repr(gone)
    assert gone_code(lambda: job_status(fakes.ctx, api_key=key, job_id=job.id)) == ("job_deleted", None)


def test_a_deleted_job_answers_410_on_every_job_route(fakes: Fakes, key: str) -> None:
    job = stored(fakes, webhook_url=URL)
    process_job(fakes.ctx, job.id)
    delete_job(fakes.ctx, api_key=key, job_id=job.id)

    for route in (job_status, job_fhir, cancel_job, redeliver):
        code, _ = gone_code(lambda route=route: route(fakes.ctx, api_key=key, job_id=job.id))
        assert code == "job_deleted", route.__name__


def test_deleting_a_deleted_job_answers_202_again_and_finishes_what_was_left(fakes: Fakes, key: str) -> None:
    job = stored(fakes)
    first = delete_job(fakes.ctx, api_key=key, job_id=job.id)
    fakes.blobs.put(job.files[0].blob_name, b"%PDF", sha256="0")  # as if its delete had failed

    again = delete_job(fakes.ctx, api_key=key, job_id=job.id)

    assert again == first
    assert fakes.blobs.blobs == {}


def test_a_delete_cut_short_by_a_storage_outage_is_finished_by_the_next_one(fakes: Fakes, key: str) -> None:
    job = stored(fakes)
    fakes.blobs.down = True

    with pytest.raises(Exception, match="blob"):
        delete_job(fakes.ctx, api_key=key, job_id=job.id)
    assert gone_code(lambda: job_status(fakes.ctx, api_key=key, job_id=job.id))[0] == "job_deleted"

    fakes.blobs.down = False
    delete_job(fakes.ctx, api_key=key, job_id=job.id)
    assert fakes.blobs.blobs == {}


def test_an_unknown_or_foreign_job_cannot_be_deleted(fakes: Fakes, key: str) -> None:
    other = fakes.register("tenant-002", "project-001")
    job = stored(fakes)

    for job_id, api_key in ((job.id, other), ("0" * 24, key)):
        with pytest.raises(NotFound):
            delete_job(fakes.ctx, api_key=api_key, job_id=job_id)
    with pytest.raises(AuthenticationFailed):
        delete_job(fakes.ctx, api_key="mrp_nope", job_id=job.id)
    assert fakes.jobs.jobs[job.id].status is JobStatus.PENDING and len(fakes.blobs.blobs) == 1


def test_a_parse_running_when_its_job_is_deleted_brings_nothing_back(fakes: Fakes, key: str) -> None:
    job = stored(fakes, webhook_url=URL)
    racing = replace(
        fakes.ctx, parser=Interrupting(lambda: delete_job(fakes.ctx, api_key=key, job_id=job.id))
    )

    assert process_job(racing, job.id) is ParseResult.SKIPPED

    assert fakes.reports.reports == {} and fakes.blobs.blobs == {}
    gone = fakes.jobs.jobs[job.id]
    assert gone.status is JobStatus.DELETED and gone.webhook is None and gone.history == ()
    assert fakes.webhook_queue.take() == []


def test_a_deleted_jobs_leftover_blob_is_an_orphan_for_the_sweeper(fakes: Fakes, key: str) -> None:
    job = stored(fakes)
    delete_job(fakes.ctx, api_key=key, job_id=job.id)
    fakes.blobs.put(job.files[0].blob_name, b"%PDF", sha256="0")

    fakes.clock.advance(timedelta(hours=2))
    sweep(fakes.ctx, fakes.clock.now)

    assert fakes.blobs.blobs == {}


# -- retention ---------------------------------------------------------------------------------


def test_the_sweeper_purges_jobs_past_the_default_retention_and_status_says_result_expired(
    fakes: Fakes, key: str
) -> None:
    old = stored(fakes)
    process_job(fakes.ctx, old.id)
    young = stored(fakes, created_at=T0 + timedelta(days=5))
    now = fakes.clock.advance(timedelta(days=30, seconds=1))

    counts = sweep(fakes.ctx, now)

    assert counts["retention_purged"] == 1
    code, expired_at = gone_code(lambda: job_status(fakes.ctx, api_key=key, job_id=old.id))
    assert (code, expired_at) == ("result_expired", now)
    assert fakes.reports.reports == {}
    assert list(fakes.blobs.blobs) == [young.files[0].blob_name]
    assert job_status(fakes.ctx, api_key=key, job_id=young.id)["status"] == "failed"  # the deadline's
    # Deleting an expired job answers 202 (it is gone either way), and it stays "expired".
    delete_job(fakes.ctx, api_key=key, job_id=old.id)
    assert gone_code(lambda: job_status(fakes.ctx, api_key=key, job_id=old.id))[0] == "result_expired"


def test_a_projects_own_retention_wins_over_the_default(fakes: Fakes, key: str) -> None:
    fakes.register("tenant-001", "project-002")
    assert admin.set_retention(fakes.ctx, "tenant-001", "project-002", 7) == 7
    short, default = stored(fakes, "project-002"), stored(fakes)
    now = fakes.clock.advance(timedelta(days=8))

    assert expire_retained(fakes.ctx, now, 100).purged == 1

    assert fakes.jobs.jobs[short.id].expired_at == now
    assert fakes.jobs.jobs[default.id].status is JobStatus.PENDING
    assert admin.set_retention(fakes.ctx, "tenant-001", "project-002", None) == 30


def test_the_default_retention_is_a_setting(fakes: Fakes, key: str) -> None:
    job = stored(fakes)
    quick = fakes.with_settings(RETENTION_DAYS_DEFAULT="2")

    assert expire_retained(quick.ctx, T0 + timedelta(days=1), 100).purged == 0
    assert expire_retained(quick.ctx, T0 + timedelta(days=2, seconds=1), 100).purged == 1
    assert fakes.jobs.jobs[job.id].status is JobStatus.DELETED


def test_each_retention_pass_is_bounded_and_the_next_goes_on_where_it_stopped(fakes: Fakes, key: str) -> None:
    for project in ("project-002", "project-003"):
        fakes.register("tenant-001", project)
    jobs = [
        stored(fakes, project) for project in ("project-001", "project-002", "project-003") for _ in range(2)
    ]
    now = T0 + timedelta(days=31)

    passes = [expire_retained(fakes.ctx, now, 3).purged for _ in range(3)]

    assert passes == [3, 3, 0]
    assert all(fakes.jobs.jobs[job.id].status is JobStatus.DELETED for job in jobs)
    assert fakes.cursors.get(RETENTION_CURSOR) is None  # went round: the next pass starts over


def test_a_retention_purge_cut_short_leaves_a_tombstone_and_the_orphan_scan_finishes_it(
    fakes: Fakes, key: str
) -> None:
    job = stored(fakes)
    fakes.blobs.down = True

    counts = sweep(fakes.ctx, T0 + timedelta(days=31))

    assert counts["errors"] >= 1 and "retention_purged" not in counts
    assert fakes.jobs.jobs[job.id].status is JobStatus.DELETED  # the tombstone came first
    fakes.blobs.down = False
    # The file left behind belongs to no live job: the orphan scan of the next pass removes it.
    assert sweep(fakes.ctx, T0 + timedelta(days=31))["orphan_blobs_removed"] == 1
    assert fakes.blobs.blobs == {}


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_a_retention_out_of_range_is_refused(fakes: Fakes, key: str, days: int) -> None:
    with pytest.raises(InvalidRequest):
        admin.set_retention(fakes.ctx, "tenant-001", "project-001", days)


def test_the_retention_of_an_unknown_project_is_not_found(fakes: Fakes) -> None:
    with pytest.raises(NotFound):
        admin.set_retention(fakes.ctx, "tenant-001", "project-404", 10)
