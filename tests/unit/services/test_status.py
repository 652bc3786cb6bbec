"""Use cases: a job's status document, and its report as a FHIR Bundle, for its own tenant only."""

from __future__ import annotations

import pytest

from lib.domain.errors import AuthenticationFailed, Conflict, NotFound
from lib.services.fhir_export import job_fhir
from lib.services.parse import process_job
from lib.services.status import job_status
from tests.support.fakes.context import Fakes
from tests.support.jobs import new_job


def test_a_pending_job_reports_its_state_without_parsed_data(fakes: Fakes) -> None:
    key = fakes.register()
    job = new_job()
    fakes.jobs.insert(job)

    body = job_status(fakes.ctx, api_key=key, job_id=job.id)

    assert (body["job_id"], body["status"], body["attempts"]) == (job.id, "pending", 0)
    assert "parsed_data" not in body and "error" not in body


def test_a_completed_job_carries_its_parsed_data(fakes: Fakes) -> None:
    key = fakes.register()
    job = new_job()
    fakes.jobs.insert(job)
    fakes.blobs.put(job.files[0].blob_name, b"%PDF", sha256="0")
    process_job(fakes.ctx, job.id)

    body = job_status(fakes.ctx, api_key=key, job_id=job.id)

    assert body["status"] == "completed"
    assert body["parsed_data"]["patient_name"] == "Jane Q. Doe"
    assert body["model"] == "fake-model"


def test_another_tenants_job_is_not_found_and_a_bad_key_is_refused(fakes: Fakes) -> None:
    fakes.register()
    other_key = fakes.register("tenant-002", "project-001")
    job = new_job()
    fakes.jobs.insert(job)

    with pytest.raises(NotFound):
        job_status(fakes.ctx, api_key=other_key, job_id=job.id)
    with pytest.raises(NotFound):
        job_status(fakes.ctx, api_key=other_key, job_id="0" * 24)
    with pytest.raises(AuthenticationFailed):
        job_status(fakes.ctx, api_key=None, job_id=job.id)


def test_a_completed_job_exports_as_a_fhir_bundle(fakes: Fakes) -> None:
    key = fakes.register()
    job = new_job()
    fakes.jobs.insert(job)
    fakes.blobs.put(job.files[0].blob_name, b"%PDF", sha256="0")

    with pytest.raises(Conflict):
        job_fhir(fakes.ctx, api_key=key, job_id=job.id)
    process_job(fakes.ctx, job.id)
    bundle = job_fhir(fakes.ctx, api_key=key, job_id=job.id)

    assert bundle["resourceType"] == "Bundle"
    assert any(entry["resource"]["resourceType"] == "Patient" for entry in bundle["entry"])


def test_fhir_of_another_tenants_job_is_not_found(fakes: Fakes) -> None:
    fakes.register()
    other_key = fakes.register("tenant-002", "project-001")
    job = new_job()
    fakes.jobs.insert(job)

    with pytest.raises(NotFound):
        job_fhir(fakes.ctx, api_key=other_key, job_id=job.id)
