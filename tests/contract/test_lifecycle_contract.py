"""The lifecycle's store methods, fake and MongoDB alike: project lists, retention, tombstones, purged reports."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from lib.domain import job_transitions as transitions
from lib.domain.jobs import Job, JobStatus
from lib.domain.listing import JobFilter, Position
from lib.domain.report_schema import ParsedReport
from lib.domain.webhooks import new_delivery
from tests.contract.conftest import JobBackend
from tests.support.jobs import T0, new_job

HOUR = timedelta(hours=1)
EVERY = JobFilter()


def inserted(backend: JobBackend, hours: int = 0, **changes: object) -> Job:
    job = new_job(created_at=T0 + hours * HOUR, **changes)
    backend.jobs.insert(job)
    return job


def listed(
    backend: JobBackend, where: JobFilter = EVERY, after: Position | None = None, limit: int = 10
) -> list[str]:
    return [job.id for job in backend.jobs.list_project("tenant-001", "project-001", where, after, limit)]


def tombstoned(backend: JobBackend, job: Job, *, expired: bool = False) -> Job:
    change = transitions.tombstone(job, T0 + HOUR, expired=expired)
    assert change is not None
    after = backend.jobs.apply(change)
    assert after is not None
    return after


def test_a_projects_list_is_newest_first_and_goes_on_strictly_after_a_position(backend: JobBackend) -> None:
    jobs = [inserted(backend, hours) for hours in range(4)]
    twins = sorted((inserted(backend, 9) for _ in range(2)), key=lambda job: job.id, reverse=True)
    expected = [job.id for job in twins] + [job.id for job in reversed(jobs)]

    assert listed(backend) == expected
    assert listed(backend, limit=3) == expected[:3]
    after_twin = Position(twins[0].created_at, twins[0].id)
    assert listed(backend, after=after_twin) == expected[1:]
    after_third = Position(jobs[2].created_at, jobs[2].id)
    assert listed(backend, after=after_third) == [jobs[1].id, jobs[0].id]


def test_a_projects_list_filters_and_skips_other_projects_tenants_and_tombstones(backend: JobBackend) -> None:
    pending = inserted(backend, 0)
    failed = inserted(backend, 1, status=JobStatus.FAILED)
    cancelled = inserted(backend, 2, status=JobStatus.CANCELLED)
    tombstoned(backend, inserted(backend, 3))
    inserted(backend, 4, project_id="project-002")
    inserted(backend, 5, tenant_id="tenant-002")

    assert listed(backend) == [cancelled.id, failed.id, pending.id]
    only = JobFilter(frozenset({JobStatus.FAILED, JobStatus.PENDING}))
    assert listed(backend, only) == [failed.id, pending.id]
    window = JobFilter(created_after=T0 + HOUR, created_before=T0 + 2 * HOUR)
    assert listed(backend, window) == [failed.id]


def test_the_retention_query_finds_a_projects_old_live_jobs_oldest_first(backend: JobBackend) -> None:
    old = [inserted(backend, hours, status=JobStatus.COMPLETED) for hours in (0, 1)]
    tombstoned(backend, inserted(backend, 2))
    inserted(backend, 3, project_id="project-002")
    inserted(backend, 10)  # too young

    due = backend.jobs.retention_due("tenant-001", "project-001", T0 + 5 * HOUR, 10)

    assert [job.id for job in due] == [job.id for job in old]
    assert len(backend.jobs.retention_due("tenant-001", "project-001", T0 + 5 * HOUR, 1)) == 1


def test_a_tombstone_replaces_the_job_whole_and_no_worker_write_matches_it(backend: JobBackend) -> None:
    job = inserted(
        backend, 0, webhook_url="https://hooks.example/x", webhook=new_delivery("job.completed", T0)
    )
    claim = transitions.claim(job, worker="w", now=T0, lease_for=HOUR)
    assert claim is not None
    running = backend.jobs.apply(claim)
    assert running is not None

    gone = tombstoned(backend, running, expired=True)

    assert backend.jobs.get(job.id) == gone
    assert (gone.status, gone.files, gone.webhook_url, gone.webhook, gone.history) == (
        JobStatus.DELETED,
        (),
        None,
        None,
        (),
    )
    assert (gone.expired_at, gone.deleted_at) == (T0 + HOUR, T0 + HOUR)
    completion = transitions.complete(running, T0 + HOUR, model="m", usage=None, parse_ms=1)
    assert backend.jobs.apply(completion) is None
    assert backend.jobs.apply(transitions.tombstone(running, T0 + 2 * HOUR)) is None  # type: ignore[arg-type]
    assert backend.jobs.existing_ids({job.id}) == set()  # a tombstone owns no files


def test_a_purged_report_is_gone_and_no_attempt_can_store_it_again(backend: JobBackend) -> None:
    job = new_job(attempts=1)
    assert backend.reports.save(job, ParsedReport(patient_name="Jane Q. Doe"), "m", T0)

    backend.reports.purge(job.report_id)

    assert backend.reports.get_parsed_data(job.report_id) is None
    for attempts in (1, 2, 1000):
        later = new_job(attempts=attempts)
        assert not backend.reports.save(replace(later, report_id=job.report_id), ParsedReport(), "m", T0)
    backend.reports.discard(job)  # the worker's clean-up leaves the marker alone
    assert not backend.reports.save(job, ParsedReport(), "m", T0)
    backend.reports.purge("never-written")  # purging a report no attempt wrote yet blocks it too
    assert not backend.reports.save(new_job(report_id="never-written", attempts=1), ParsedReport(), "m", T0)
