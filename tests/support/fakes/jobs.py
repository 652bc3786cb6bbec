"""In-memory stand-ins for :mod:`lib.ports.jobs`: :class:`FakeJobs`, :class:`FakeReports`, :class:`FakeCursors`.

:class:`FakeJobs` keeps jobs in :attr:`FakeJobs.jobs`, a dict that
:class:`tests.support.fakes.webhooks.FakeDeliveries` shares (deliveries live on
the job, as in MongoDB).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, MutableMapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lib.domain.errors import Conflict, DependencyUnavailable
from lib.domain.jobs import Change, Expect, Job, JobStatus
from lib.domain.listing import JobFilter, Position
from lib.domain.report_schema import ParsedReport
from lib.domain.webhooks import WebhookState

__all__ = ["FakeCursors", "FakeJobs", "FakeReports", "StoredReport"]


class FakeJobs:
    """The :class:`lib.ports.jobs.Jobs` port over a dict; ``refused`` holds the refused uploads' ids."""

    def __init__(self, jobs: MutableMapping[str, Job] | None = None) -> None:
        self.jobs: MutableMapping[str, Job] = jobs if jobs is not None else {}
        self.refused: set[str] = set()
        self.down = False  # staged outage: ping fails with DependencyUnavailable
        self._lock = threading.Lock()

    def ping(self, timeout_seconds: float) -> None:
        if self.down:
            raise DependencyUnavailable("mongodb")

    def get(self, job_id: str) -> Job | None:
        return self.jobs.get(job_id)

    def get_for_tenant(self, job_id: str, tenant_id: str) -> Job | None:
        job = self.jobs.get(job_id)
        return job if job is not None and job.tenant_id == tenant_id else None

    def insert(self, job: Job) -> None:
        with self._lock:
            if job.id in self.jobs or job.id in self.refused:
                raise Conflict("the job id is taken", code="job_id_taken")
            self.jobs[job.id] = job

    def stored_or_refused(self, job_id: str, now: datetime) -> bool:
        with self._lock:
            if job_id in self.jobs:
                return True
            self.refused.add(job_id)
            return False

    def apply(self, change: Change) -> Job | None:
        with self._lock:
            stored = self.jobs.get(change.job_id)
            if stored is None or not _meets(stored, change.expect):
                return None
            if change.replaces:
                after = change.job
            else:
                after = dataclasses.replace(
                    stored, **{name: getattr(change.job, name) for name in change.fields}
                )
            self.jobs[stored.id] = after
            return after

    def past_deadline(self, created_before: datetime, limit: int) -> list[Job]:
        return self._find(lambda job: not job.status.is_final and job.created_at < created_before, limit)

    def expired_leases(self, now: datetime, limit: int) -> list[Job]:
        return self._find(
            lambda job: (
                job.status is JobStatus.PROCESSING and job.lease is not None and job.lease.expires_at <= now
            ),
            limit,
        )

    def unsent(self, changed_before: datetime, limit: int) -> list[Job]:
        return self._find(
            lambda job: (
                job.status is JobStatus.PENDING and not job.message_sent and job.updated_at < changed_before
            ),
            limit,
        )

    def overdue(self, due_before: datetime, limit: int) -> list[Job]:
        return self._find(
            lambda job: (
                job.status is JobStatus.PENDING
                and job.message_sent
                and job.next_attempt_at is not None
                and job.next_attempt_at < due_before
            ),
            limit,
        )

    def stalled_deliveries(self, unsent_before: datetime, due_before: datetime, limit: int) -> list[Job]:
        def stalled(job: Job) -> bool:
            delivery = job.webhook
            if delivery is None or delivery.state is not WebhookState.PENDING:
                return False
            if not delivery.message_sent:
                return delivery.created_at < unsent_before
            return delivery.next_attempt_at is not None and delivery.next_attempt_at < due_before

        return self._find(stalled, limit)

    def list_project(
        self, tenant_id: str, project_id: str, where: JobFilter, after: Position | None, limit: int
    ) -> list[Job]:
        def listed(job: Job) -> bool:
            return (
                (job.tenant_id, job.project_id) == (tenant_id, project_id)
                and job.status in where.statuses
                and (where.created_after is None or job.created_at >= where.created_after)
                and (where.created_before is None or job.created_at < where.created_before)
                and (after is None or (job.created_at, job.id) < (after.created_at, after.job_id))
            )

        found = sorted(
            (job for job in list(self.jobs.values()) if listed(job)),
            key=lambda job: (job.created_at, job.id),
            reverse=True,
        )
        return found[:limit]

    def retention_due(
        self, tenant_id: str, project_id: str, created_before: datetime, limit: int
    ) -> list[Job]:
        return self._find(
            lambda job: (
                (job.tenant_id, job.project_id) == (tenant_id, project_id)
                and job.status is not JobStatus.DELETED
                and job.created_at < created_before
            ),
            limit,
        )

    def of_tenant(self, tenant_id: str, limit: int) -> list[Job]:
        return self._find(lambda job: job.tenant_id == tenant_id, limit)

    def existing_ids(self, job_ids: set[str]) -> set[str]:
        return {
            job_id
            for job_id in job_ids
            if job_id in self.jobs and self.jobs[job_id].status is not JobStatus.DELETED
        }

    def delete(self, job_id: str) -> None:
        with self._lock:
            self.jobs.pop(job_id, None)

    def _find(self, matches: Callable[[Job], bool], limit: int) -> list[Job]:
        found = sorted(
            (job for job in list(self.jobs.values()) if matches(job)), key=lambda job: job.created_at
        )
        return found[:limit]


def _meets(job: Job, expect: Expect) -> bool:
    if job.status is not expect.status:
        return False
    if expect.attempts is not None and job.attempts != expect.attempts:
        return False
    return expect.lease_token is None or (job.lease is not None and job.lease.token == expect.lease_token)


@dataclass(frozen=True)
class StoredReport:
    """A report as :class:`FakeReports` keeps it."""

    job_id: str
    tenant_id: str
    attempt: int
    parsed_data: dict[str, Any]
    model: str
    created_at: datetime


class FakeReports:
    """The :class:`lib.ports.jobs.Reports` port over a dict keyed by report id."""

    def __init__(self) -> None:
        self.reports: dict[str, StoredReport] = {}
        #: Ids of purged reports: no attempt may store them again.
        self.purged: set[str] = set()
        self._lock = threading.Lock()

    def get_parsed_data(self, report_id: str) -> dict[str, Any] | None:
        stored = self.reports.get(report_id)
        return stored.parsed_data if stored else None

    def save(self, job: Job, report: ParsedReport, model: str, now: datetime) -> bool:
        with self._lock:
            current = self.reports.get(job.report_id)
            if job.report_id in self.purged or (current is not None and current.attempt > job.attempts):
                return False
            self.reports[job.report_id] = StoredReport(
                job.id, job.tenant_id, job.attempts, report.model_dump(mode="json"), model, now
            )
            return True

    def discard(self, job: Job) -> None:
        with self._lock:
            current = self.reports.get(job.report_id)
            if current is not None and current.attempt == job.attempts:
                del self.reports[job.report_id]

    def delete(self, report_id: str) -> None:
        self.reports.pop(report_id, None)

    def purge(self, report_id: str) -> None:
        with self._lock:
            self.reports.pop(report_id, None)
            self.purged.add(report_id)

    def delete_legacy(self, tenant_id: str) -> None:
        # Only the old service wrote such documents, and nothing in the port can: the fake holds
        # none. tests/integration/test_import_legacy.py checks the real store removes them.
        pass


class FakeCursors:
    """The :class:`lib.ports.jobs.Cursors` port over a dict."""

    def __init__(self) -> None:
        self.markers: dict[str, str | None] = {}

    def get(self, name: str) -> str | None:
        return self.markers.get(name)

    def put(self, name: str, marker: str | None) -> None:
        self.markers[name] = marker
