"""Use case: offboarding a tenant removes every job, blob and report it has, and nothing of anyone else's."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from lib.domain import idempotency as keys
from lib.domain.errors import AuthenticationFailed, DependencyUnavailable, NotFound
from lib.domain.jobs import Job, StoredFile
from lib.domain.quotas import TenantLimits
from lib.services.parse import process_job
from lib.services.purge import delete_tenant
from lib.services.status import job_status
from tests.support.fakes.context import Fakes
from tests.support.jobs import new_job


def uploaded(fakes: Fakes, tenant_id: str) -> Job:
    """A job of ``tenant_id`` with its blob, parsed: a job, a blob and a report to remove."""
    job = new_job(tenant_id=tenant_id)
    blob = StoredFile(f"{tenant_id}/project-001/{job.id}/1.pdf", size_bytes=4, sha256="0")
    job = replace(job, files=(blob,))
    fakes.jobs.insert(job)
    fakes.blobs.put(blob.blob_name, b"%PDF", sha256=blob.sha256)
    process_job(fakes.ctx, job.id)
    return job


def test_deleting_a_tenant_removes_its_data_and_keys_and_keeps_everyone_elses(fakes: Fakes) -> None:
    key = fakes.register("tenant-001")
    fakes.register("tenant-002")
    gone = [uploaded(fakes, "tenant-001") for _ in range(3)]
    kept = uploaded(fakes, "tenant-002")
    fakes.blobs.put("tenant-001/project-001/crashed-upload/1.pdf", b"%PDF", sha256="0")
    now = fakes.ctx.clock()
    for tenant_id, job in (("tenant-001", gone[0]), ("tenant-002", kept)):
        fakes.quotas.set_limits(tenant_id, TenantLimits(uploads_per_minute=5), now)
        claim = keys.new_claim(
            tenant_id=tenant_id,
            key="key-1",
            fingerprint="f",
            job_id=job.id,
            token="t",
            now=now,
            lock_for=timedelta(seconds=60),
        )
        fakes.idempotency.insert(claim)

    purge = delete_tenant(fakes.ctx, "tenant-001", batch_size=2)

    assert (purge.jobs, purge.blobs) == (3, 4)
    assert list(fakes.jobs.jobs) == [kept.id]
    assert list(fakes.blobs.blobs) == [kept.files[0].blob_name]
    assert list(fakes.reports.reports) == [kept.report_id]
    assert all(job.report_id not in fakes.reports.reports for job in gone)
    assert not fakes.tenants.tenant_exists("tenant-001")
    assert list(fakes.quotas.limits) == ["tenant-002"]
    assert [tenant for tenant, _ in fakes.idempotency.records] == ["tenant-002"]
    with pytest.raises(AuthenticationFailed):
        job_status(fakes.ctx, api_key=key, job_id=gone[0].id)


def test_an_unknown_tenant_is_not_found(fakes: Fakes) -> None:
    with pytest.raises(NotFound):
        delete_tenant(fakes.ctx, "tenant-404")


def test_a_purge_interrupted_by_an_outage_finishes_when_run_again(fakes: Fakes) -> None:
    fakes.register("tenant-001")
    for _ in range(2):
        uploaded(fakes, "tenant-001")
    fakes.blobs.down = True

    with pytest.raises(DependencyUnavailable):
        delete_tenant(fakes.ctx, "tenant-001")
    fakes.blobs.down = False
    purge = delete_tenant(fakes.ctx, "tenant-001")

    assert purge.jobs == 2
    assert not fakes.jobs.jobs and not fakes.blobs.blobs and not fakes.reports.reports
