"""Ports for jobs, their parsed reports, and the sweeper's scan cursors.

:class:`Jobs` is implemented by :class:`lib.adapters.job_store.JobStore` (MongoDB)
and :class:`tests.support.fakes.jobs.FakeJobs`; :class:`Reports` by
:class:`lib.adapters.report_store.ReportStore` and
:class:`tests.support.fakes.jobs.FakeReports`; :class:`Cursors` by
:class:`lib.adapters.cursor_store.CursorStore` and
:class:`tests.support.fakes.jobs.FakeCursors`. ``tests/contract`` runs the same
tests against each pair.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from lib.domain.jobs import Change, Job
from lib.domain.listing import JobFilter, Position
from lib.domain.report_schema import ParsedReport


class Jobs(Protocol):
    """Jobs: read, inserted, changed by one conditional write, and found by the sweeper.

    Lists are oldest first (by ``created_at``) and at most ``limit`` long.
    """

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        ...

    def ping(self, timeout_seconds: float) -> None:
        """One cheap round trip to the store within ``timeout_seconds`` (the health check);
        :class:`lib.domain.errors.DependencyUnavailable` when it does not answer."""
        ...

    def get_for_tenant(self, job_id: str, tenant_id: str) -> Job | None:
        """The job, only if it belongs to ``tenant_id``; a foreign job looks like a missing one."""
        ...

    def insert(self, job: Job) -> None:
        """Store a new job; :class:`lib.domain.errors.Conflict` when its id is taken (by a refused marker)."""
        ...

    def stored_or_refused(self, job_id: str, now: datetime) -> bool:
        """After an unclear insert: ``True`` if the job is stored; else its id is marked refused (``False``)
        and an insert of it arriving later fails."""
        ...

    def apply(self, change: Change) -> Job | None:
        """Write ``change`` if the stored job still meets ``change.expect``; the job as stored after
        the write, or ``None`` when it does not (or the job is gone)."""
        ...

    def past_deadline(self, created_before: datetime, limit: int) -> list[Job]:
        """Pending or processing jobs created before ``created_before``."""
        ...

    def expired_leases(self, now: datetime, limit: int) -> list[Job]:
        """Processing jobs whose lease expired at or before ``now``."""
        ...

    def unsent(self, changed_before: datetime, limit: int) -> list[Job]:
        """Pending jobs whose message was never sent, last changed before ``changed_before``."""
        ...

    def overdue(self, due_before: datetime, limit: int) -> list[Job]:
        """Pending jobs whose sent message was due before ``due_before``."""
        ...

    def stalled_deliveries(self, unsent_before: datetime, due_before: datetime, limit: int) -> list[Job]:
        """Jobs whose pending webhook delivery was never sent (created before ``unsent_before``)
        or is overdue (sent, due before ``due_before``)."""
        ...

    def list_project(
        self, tenant_id: str, project_id: str, where: JobFilter, after: Position | None, limit: int
    ) -> list[Job]:
        """Up to ``limit`` of the project's jobs matching ``where`` (never tombstones), **newest first**
        by ``(created_at, id)``, starting strictly after ``after`` (``None``: the newest)."""
        ...

    def retention_due(
        self, tenant_id: str, project_id: str, created_before: datetime, limit: int
    ) -> list[Job]:
        """The project's jobs that are not tombstones, created before ``created_before``."""
        ...

    def of_tenant(self, tenant_id: str, limit: int) -> list[Job]:
        """Some of the tenant's jobs."""
        ...

    def existing_ids(self, job_ids: set[str]) -> set[str]:
        """Which of ``job_ids`` are stored jobs that own files (not refused markers, not tombstones)."""
        ...

    def delete(self, job_id: str) -> None:
        """Remove the job (nothing if it is gone)."""
        ...


class Reports(Protocol):
    """Parsed reports, one per job under its ``report_id``, each recording the attempt that wrote it."""

    def get_parsed_data(self, report_id: str) -> dict[str, Any] | None:
        """The stored ``parsed_data``, or ``None``."""
        ...

    def save(self, job: Job, report: ParsedReport, model: str, now: datetime) -> bool:
        """Store the report of ``job``'s current attempt (``job.attempts``), replacing one of the
        same or an earlier attempt; ``False`` when a later attempt's report is stored."""
        ...

    def discard(self, job: Job) -> None:
        """Remove the report only if ``job``'s current attempt wrote it."""
        ...

    def delete(self, report_id: str) -> None:
        """Remove the report, whoever wrote it."""
        ...

    def purge(self, report_id: str) -> None:
        """Remove the report for good: no attempt's :meth:`save` can store it again afterwards
        (the job was cancelled or deleted while a parse may still be running). A report imported
        from the old service takes the old document it came from with it (so does :meth:`delete`)."""
        ...

    def delete_legacy(self, tenant_id: str) -> None:
        """Remove the tenant's documents of the old service that were never imported."""
        ...


class Cursors(Protocol):
    """Named markers of where a long scan stopped."""

    def get(self, name: str) -> str | None:
        """The saved marker, or ``None`` (from the beginning)."""
        ...

    def put(self, name: str, marker: str | None) -> None:
        """Save the marker (``None``: start from the beginning next time)."""
        ...
