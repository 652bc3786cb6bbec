"""The port for per-tenant quota state: upload-window counters, job counts, limit overrides.

Implemented by :class:`lib.adapters.quota_store.QuotaStore` (MongoDB) and
:class:`tests.support.fakes.quotas.FakeQuotas`; ``tests/contract`` runs the same
tests against both. The rules (windows, limits, headers) are
:mod:`lib.domain.quotas`'.
"""

from __future__ import annotations

from collections.abc import Set
from datetime import datetime
from typing import Protocol

from lib.domain.jobs import JobStatus
from lib.domain.quotas import TenantLimits, Window


class Quotas(Protocol):
    """Counters and counts that every instance shares, each read or changed in one operation."""

    def count_upload(self, tenant_id: str, window: Window) -> int:
        """Add one upload to the tenant's counter for ``window``; the count including it.

        One atomic increment (an upsert for the window's first upload): concurrent
        calls from any number of instances each get a distinct count.
        """
        ...

    def uploads_in(self, tenant_id: str, window: Window) -> int:
        """The tenant's upload count for ``window`` (0 before its first upload)."""
        ...

    def count_jobs(self, tenant_id: str, statuses: Set[JobStatus], limit: int) -> int:
        """How many of the tenant's jobs are in ``statuses``, counting no further than ``limit``."""
        ...

    def get_limits(self, tenant_id: str) -> TenantLimits:
        """The tenant's overrides (all ``None`` when it has none)."""
        ...

    def set_limits(self, tenant_id: str, limits: TenantLimits, now: datetime) -> None:
        """Replace the tenant's overrides (all ``None``: back to the defaults)."""
        ...

    def forget_limits(self, tenant_id: str) -> None:
        """Remove the tenant's overrides and counters (the tenant is being deleted)."""
        ...
