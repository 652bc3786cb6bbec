"""Removing patient data for good: a tenant's offboarding, and blobs that no job owns.

Against real Azurite and a real MongoDB-wire server. Each test that scans the
container gets a container of its own, since the emulator outlives every test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import MongoClient

from lib.adapters.local_parser import LocalReportParser
from lib.adapters.report_pipeline import ReportPipeline
from lib.adapters.storage import ReportBlobs
from lib.bootstrap import build_context
from lib.domain.errors import AuthenticationFailed, DependencyUnavailable, NotFound
from lib.domain.parsing import ParseOutcome, ParseRequest
from lib.services import admin
from lib.services.context import Context
from lib.services.parse import ParseResult, process_job
from lib.services.purge import delete_tenant
from lib.services.submit import submit_report
from lib.services.sweep import sweep
from lib.settings import Settings
from tests.support.jobs import upload_form
from tests.support.pdf_factory import make_report_pdf

pytestmark = pytest.mark.integration

PDF = make_report_pdf()
GONE, KEPT = "tenant-gone", "tenant-kept"


@pytest.fixture
def own_ctx(app_settings: dict[str, str]) -> Iterator[Context]:
    settings = Settings.from_env({**app_settings, "AZURE_CONTAINER_NAME": f"purge-{uuid.uuid4().hex[:12]}"})
    context = build_context(settings, parser=ReportPipeline())
    yield context
    context.close()
    with MongoClient(settings.mongodb_uri) as client:
        client.drop_database(settings.mongodb_database)


def register(ctx: Context, tenant_id: str) -> str:
    admin.create_tenant(ctx, tenant_id, tenant_id)
    admin.create_project(ctx, tenant_id, "project-1", "p")
    return admin.create_api_key(ctx, tenant_id)


def upload(ctx: Context, tenant_id: str, key: str, documents: int = 1) -> str:
    submission = submit_report(
        ctx,
        tenant_id=tenant_id,
        project_id="project-1",
        api_key=key,
        read_form=upload_form(*[PDF] * documents),
        webhook_url=None,
    )
    return submission.job_id


def everything_of(ctx: Context, tenant_id: str) -> dict[str, Any]:
    """Every trace of a tenant: documents by collection, and blob names."""
    with MongoClient(ctx.settings.mongodb_uri) as client:
        db = client[ctx.settings.mongodb_database]
        found: dict[str, Any] = {
            name: list(db[name].find({"tenant_id": tenant_id}))
            for name in ("parsing_jobs", "parsed_reports", "projects")
        }
        found["tenants"] = list(db["tenants"].find({"_id": tenant_id}))
    found["blobs"] = [blob.name for blob in ctx.blobs.list_page(None, 1000, prefix=f"{tenant_id}/").blobs]
    return found


def test_deleting_a_tenant_refuses_its_keys_at_once_and_leaves_nothing_of_it(own_ctx: Context) -> None:
    gone_key, kept_key = register(own_ctx, GONE), register(own_ctx, KEPT)
    jobs = [upload(own_ctx, GONE, gone_key, documents=2) for _ in range(5)]
    assert process_job(own_ctx, jobs[0]) is ParseResult.COMPLETED  # a parsed report exists
    own_ctx.blobs.put(f"{GONE}/project-1/{uuid.uuid4().hex}/1.pdf", PDF, sha256="0")  # a crashed upload's
    kept_job = upload(own_ctx, KEPT, kept_key)
    assert own_ctx.auth.tenant_of(gone_key) == GONE  # cached on this instance now

    purged = delete_tenant(own_ctx, GONE, batch_size=2)

    assert (purged.jobs, purged.blobs) == (5, 11)
    with pytest.raises(AuthenticationFailed):
        own_ctx.auth.tenant_of(gone_key)
    assert everything_of(own_ctx, GONE) == {
        "parsing_jobs": [],
        "parsed_reports": [],
        "projects": [],
        "tenants": [],
        "blobs": [],
    }
    assert own_ctx.auth.tenant_of(kept_key) == KEPT
    assert own_ctx.jobs.get(kept_job) is not None
    assert len(everything_of(own_ctx, KEPT)["blobs"]) == 1


@dataclass
class FailingDeletes:
    """Blob deletes that fail after ``allowed`` calls, as during a storage outage."""

    blobs: ReportBlobs
    allowed: int

    def delete_all(self, names: list[str]) -> None:
        if self.allowed <= 0:
            raise DependencyUnavailable("blob")
        self.allowed -= 1
        self.blobs.delete_all(names)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.blobs, name)


def test_a_purge_cut_short_by_an_outage_finishes_when_run_again(own_ctx: Context) -> None:
    key = register(own_ctx, GONE)
    for _ in range(4):
        upload(own_ctx, GONE, key)
    flaky = replace(own_ctx, blobs=FailingDeletes(own_ctx.blobs, allowed=2))  # type: ignore[arg-type]

    with pytest.raises(DependencyUnavailable):
        delete_tenant(flaky, GONE, batch_size=1)
    halfway = everything_of(own_ctx, GONE)
    assert len(halfway["parsing_jobs"]) == 2  # two purged, whole; the rest untouched
    with pytest.raises(AuthenticationFailed):
        own_ctx.auth.tenant_of(key)  # refused from the first step on

    delete_tenant(own_ctx, GONE)

    assert not any(everything_of(own_ctx, GONE).values())


def test_deleting_an_unknown_tenant_is_not_found(own_ctx: Context) -> None:
    with pytest.raises(NotFound):
        delete_tenant(own_ctx, "tenant-never")


class PurgesWhileParsing:
    """A parse during which the tenant is offboarded (the purge runs on another instance)."""

    def __init__(self, ctx: Context, tenant_id: str) -> None:
        self.ctx, self.tenant_id = ctx, tenant_id

    def parse(self, request: ParseRequest) -> ParseOutcome:
        outcome = LocalReportParser().parse(request)
        delete_tenant(self.ctx, self.tenant_id)
        return outcome


def test_a_parse_in_flight_when_its_tenant_is_deleted_brings_nothing_back(own_ctx: Context) -> None:
    key = register(own_ctx, GONE)
    job_id = upload(own_ctx, GONE, key)
    racing = replace(own_ctx, parser=PurgesWhileParsing(own_ctx, GONE))

    assert process_job(racing, job_id) is ParseResult.SKIPPED

    assert not any(everything_of(own_ctx, GONE).values())


def test_the_admin_service_keeps_a_revoked_key_revoked_when_it_is_registered_again(own_ctx: Context) -> None:
    # What ./scripts/dev does on every start with DEV_API_KEY.
    key = "mrp_0000000000de_local-development-key-not-for-production---"
    admin.create_tenant(own_ctx, "tenant-dev", "dev")
    admin.register_api_key(own_ctx, "tenant-dev", key)
    admin.revoke_api_key(own_ctx, key.split("_")[1])

    admin.register_api_key(own_ctx, "tenant-dev", key)

    with pytest.raises(AuthenticationFailed):
        own_ctx.auth.tenant_of(key)


# -- blobs no job owns ----------------------------------------------------------------------------


def swept(ctx: Context, after: timedelta, batch: int = 100) -> dict[str, int]:
    settings = ctx.settings.model_copy(update={"sweep_batch_size": batch})
    return sweep(replace(ctx, settings=settings), datetime.now(UTC) + after)


def blob_names(ctx: Context) -> set[str]:
    return {blob.name for blob in ctx.blobs.list_page(None, 1000).blobs}


def test_the_sweeper_removes_blobs_no_job_owns_once_they_are_older_than_the_grace_period(
    own_ctx: Context,
) -> None:
    key = register(own_ctx, GONE)
    owned = upload(own_ctx, GONE, key)
    orphan = f"{GONE}/project-1/{uuid.uuid4().hex[:24]}/1.pdf"
    refused_id = uuid.uuid4().hex[:24]
    own_ctx.jobs.stored_or_refused(refused_id, datetime.now(UTC))  # a refused upload's marker
    refused = f"{GONE}/project-1/{refused_id}/1.pdf"
    foreign = "not-our-layout.txt"
    for name in (orphan, refused, foreign):
        own_ctx.blobs.put(name, PDF, sha256="0")
    grace = timedelta(minutes=own_ctx.settings.orphan_blob_grace_minutes)

    early = swept(own_ctx, after=grace - timedelta(minutes=5))
    assert "orphan_blobs_removed" not in early
    assert {orphan, refused} <= blob_names(own_ctx)

    late = swept(own_ctx, after=grace + timedelta(minutes=5))

    assert late["orphan_blobs_removed"] == 2
    assert blob_names(own_ctx) == {f"{GONE}/project-1/{owned}/1.pdf", foreign}


def test_each_pass_looks_at_one_page_and_the_next_pass_goes_on_from_there(own_ctx: Context) -> None:
    for _ in range(5):
        own_ctx.blobs.put(f"t/p/{uuid.uuid4().hex[:24]}/1.pdf", PDF, sha256="0")
    later = timedelta(days=1)

    removed = [swept(own_ctx, after=later, batch=2).get("orphan_blobs_removed", 0) for _ in range(3)]

    assert removed == [2, 2, 1]
    assert blob_names(own_ctx) == set()
