"""The :class:`lib.ports.quotas.Quotas` contract, against the fake and the MongoDB store.

The store must count exactly under concurrent increments from many threads (each
its own client, as separate instances would be), including the race of two first
increments of a window that both try to insert its counter.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta

import pytest
from pymongo import MongoClient
from pymongo.database import Database

from lib.adapters.job_store import JobStore
from lib.adapters.quota_store import QuotaStore
from lib.domain.jobs import JobStatus
from lib.domain.quotas import IN_FLIGHT, TenantLimits, window_at
from lib.ports.jobs import Jobs
from lib.ports.quotas import Quotas
from tests.contract.conftest import IMPLEMENTATIONS, Document, _is_real
from tests.support.fakes.jobs import FakeJobs
from tests.support.fakes.quotas import FakeQuotas
from tests.support.jobs import T0, new_job

THREADS = 8
PER_THREAD = 25


@dataclass
class QuotaBackend:
    """One implementation: the quota port, the jobs it counts, and a factory of more clients of it."""

    quotas: Quotas
    jobs: Jobs
    another: Callable[[], tuple[Quotas, Callable[[], None]]]


@pytest.fixture(params=IMPLEMENTATIONS)
def backend(request: pytest.FixtureRequest) -> QuotaBackend:
    if _is_real(request):
        db: Database[Document] = request.getfixturevalue("database")
        store = QuotaStore(db)
        store.ensure_indexes()
        uri: str = request.getfixturevalue("mongodb_uri")

        def another() -> tuple[Quotas, Callable[[], None]]:
            client: MongoClient[Document] = MongoClient(uri, tz_aware=True)
            return QuotaStore(client[db.name]), client.close

        return QuotaBackend(store, JobStore(db), another)
    jobs = FakeJobs()
    fake = FakeQuotas(jobs.jobs)
    return QuotaBackend(fake, jobs, lambda: (fake, lambda: None))


def test_an_upload_counter_counts_per_tenant_and_per_window(backend: QuotaBackend) -> None:
    quotas = backend.quotas
    window = window_at(T0)
    assert quotas.uploads_in("tenant-a", window) == 0
    assert [quotas.count_upload("tenant-a", window) for _ in range(3)] == [1, 2, 3]
    assert quotas.uploads_in("tenant-a", window) == 3
    assert quotas.count_upload("tenant-b", window) == 1  # another tenant: its own counter
    following = window_at(window.end)
    assert quotas.uploads_in("tenant-a", following) == 0
    assert quotas.count_upload("tenant-a", following) == 1
    assert quotas.uploads_in("tenant-a", window) == 3


@pytest.mark.parametrize("minute", [7, 8, 9])  # each a fresh window: the first increments race too
def test_concurrent_increments_from_many_clients_count_exactly(backend: QuotaBackend, minute: int) -> None:
    window = window_at(T0 + timedelta(minutes=minute))
    seen: list[int] = []
    lock = threading.Lock()
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def run() -> None:
        quotas, close = backend.another()
        try:
            start.wait()
            counts = [quotas.count_upload("tenant-a", window) for _ in range(PER_THREAD)]
            with lock:
                seen.extend(counts)
        except BaseException as exc:  # noqa: BLE001 - reported below, the test fails on it
            errors.append(exc)
        finally:
            close()

    threads = [threading.Thread(target=run) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    total = THREADS * PER_THREAD
    assert sorted(seen) == list(range(1, total + 1))  # every increment got its own count
    assert backend.quotas.uploads_in("tenant-a", window) == total


def test_jobs_are_counted_by_tenant_and_status_up_to_the_limit(backend: QuotaBackend) -> None:
    jobs, quotas = backend.jobs, backend.quotas
    for status, tenant in [
        (JobStatus.PENDING, "tenant-a"),
        (JobStatus.PENDING, "tenant-a"),
        (JobStatus.PROCESSING, "tenant-a"),
        (JobStatus.COMPLETED, "tenant-a"),
        (JobStatus.FAILED, "tenant-a"),
        (JobStatus.PROCESSING, "tenant-b"),
    ]:
        jobs.insert(replace(new_job(status=status), tenant_id=tenant))
    assert quotas.count_jobs("tenant-a", IN_FLIGHT, 100) == 3
    assert quotas.count_jobs("tenant-a", frozenset({JobStatus.PROCESSING}), 100) == 1
    assert quotas.count_jobs("tenant-a", IN_FLIGHT, 2) == 2  # stops at the limit
    assert quotas.count_jobs("tenant-b", IN_FLIGHT, 100) == 1
    assert quotas.count_jobs("tenant-c", IN_FLIGHT, 100) == 0


def test_limit_overrides_are_replaced_whole_and_forgotten_with_the_counters(backend: QuotaBackend) -> None:
    quotas = backend.quotas
    assert quotas.get_limits("tenant-a") == TenantLimits()
    quotas.set_limits("tenant-a", TenantLimits(uploads_per_minute=5, parses_at_once=2), T0)
    assert quotas.get_limits("tenant-a") == TenantLimits(5, None, 2)
    assert quotas.get_limits("tenant-b") == TenantLimits()
    quotas.set_limits("tenant-a", TenantLimits(jobs_in_flight=9), T0)
    assert quotas.get_limits("tenant-a") == TenantLimits(None, 9, None)

    window = window_at(T0)
    quotas.count_upload("tenant-a", window)
    quotas.count_upload("tenant-b", window)
    quotas.forget_limits("tenant-a")
    assert quotas.get_limits("tenant-a") == TenantLimits()
    assert quotas.uploads_in("tenant-a", window) == 0
    assert quotas.uploads_in("tenant-b", window) == 1
