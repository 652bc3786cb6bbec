"""In-memory stand-in for :mod:`lib.ports.quotas`: :class:`FakeQuotas`.

It counts the jobs of the :class:`tests.support.fakes.jobs.FakeJobs` dict it is
given, as the real store counts ``parsing_jobs``. :attr:`FakeQuotas.down` stages an
outage (every call fails with :class:`DependencyUnavailable`).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Set
from datetime import datetime

from lib.domain.errors import DependencyUnavailable
from lib.domain.jobs import Job, JobStatus
from lib.domain.quotas import TenantLimits, Window

__all__ = ["FakeQuotas"]


class FakeQuotas:
    """The :class:`lib.ports.quotas.Quotas` port over dicts; ``counters`` by (tenant, window start)."""

    def __init__(self, jobs: Mapping[str, Job] | None = None) -> None:
        self.jobs: Mapping[str, Job] = jobs if jobs is not None else {}
        self.counters: dict[tuple[str, datetime], int] = {}
        self.limits: dict[str, TenantLimits] = {}
        self.down = False
        self._lock = threading.Lock()

    def count_upload(self, tenant_id: str, window: Window) -> int:
        self._check()
        with self._lock:
            key = (tenant_id, window.start)
            self.counters[key] = self.counters.get(key, 0) + 1
            return self.counters[key]

    def uploads_in(self, tenant_id: str, window: Window) -> int:
        self._check()
        return self.counters.get((tenant_id, window.start), 0)

    def count_jobs(self, tenant_id: str, statuses: Set[JobStatus], limit: int) -> int:
        self._check()
        found = sum(
            1 for job in list(self.jobs.values()) if job.tenant_id == tenant_id and job.status in statuses
        )
        return min(found, limit)

    def get_limits(self, tenant_id: str) -> TenantLimits:
        self._check()
        return self.limits.get(tenant_id, TenantLimits())

    def set_limits(self, tenant_id: str, limits: TenantLimits, now: datetime) -> None:
        self._check()
        self.limits[tenant_id] = limits

    def forget_limits(self, tenant_id: str) -> None:
        self._check()
        self.limits.pop(tenant_id, None)
        for key in [key for key in self.counters if key[0] == tenant_id]:
            del self.counters[key]

    def _check(self) -> None:
        if self.down:
            raise DependencyUnavailable("mongodb")
