"""The guide's option 2 against a real MongoDB-wire server: old reports imported as completed jobs.

The old documents are written the way the old service left them, beside reports of
the new service in the same ``parsed_reports`` collection.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from bson import ObjectId
from pymongo.database import Database

from lib.adapters.legacy_reports import LegacyReportSource
from lib.adapters.mongo_client import connect
from lib.domain.errors import DependencyUnavailable
from lib.domain.jobs import Job
from lib.legacy import Defaults, imported_ids
from lib.services.context import Context
from lib.services.fhir_export import job_fhir
from lib.services.import_legacy import ImportOptions, Outcome, import_legacy_reports
from lib.services.purge import delete_tenant, erase_job
from lib.services.status import job_status
from lib.services.submit import submit_report
from tests.conftest import Credentials
from tests.support.jobs import upload_form
from tests.support.pdf_factory import make_report_pdf
from tools.services import PROJECT_ROOT

pytestmark = pytest.mark.integration

OWNER = {"tenant_id": "tenant-001", "project_id": "project-001"}
FLAT = ObjectId("5f0000000000000000000001")
TOP_LEVEL = ObjectId("5f0000000000000000000002")
OBJECTS = ObjectId("5f0000000000000000000003")
NO_OWNER = ObjectId("5f0000000000000000000004")
GARBAGE = ObjectId("5f0000000000000000000005")
EMPTY = ObjectId("5f0000000000000000000006")
FOREIGN = ObjectId("5f0000000000000000000007")

OLD_DOCUMENTS: list[dict[str, Any]] = [
    {
        "_id": FLAT,
        **OWNER,
        "parsed_data": {
            "patient_name": "Jane Q. Doe",
            "date_of_birth": "03/14/1962",
            "diagnosis": ["Type 2 diabetes mellitus (E11.9)", "Hypertension"],
            "medications": ["Metformin 500 mg PO BID"],
            "lab_results": {"HbA1c": "7.2 % (4.0-5.6)"},
        },
        "model": "gemini-1.5-pro",
        "created_at": datetime(2024, 5, 21, 10, 0, tzinfo=UTC),
    },
    {"_id": TOP_LEVEL, **OWNER, "patient_name": "John Roe", "diagnoses": "Asthma; Hypertension"},
    {
        "_id": OBJECTS,
        **OWNER,
        "parsed_data": {
            "patient_name": "Ann Poe",
            "dob": "04/05/1970",
            "diagnosis": [{"description": "Hypertension", "code": "I10"}],
            "medications": [{"name": "Lisinopril", "dose": "10 mg", "frequency": "daily"}],
            "lab_results": [{"test": "Potassium", "value": 5.9, "unit": "mmol/L", "flag": "H"}],
            "blood_type": "O+",
        },
    },
    {"_id": NO_OWNER, "parsed_data": {"patient_name": "Max Moe", "diagnosis": ["Gout"]}},
    {"_id": GARBAGE, **OWNER, "parsed_data": "Kim Loe, asthma"},
    {"_id": EMPTY},
    {"_id": FOREIGN, "tenant_id": "tenant-001", "project_id": "no-such-project", "patient_name": "Lee Hoe"},
    {"_id": "old-report-42", **OWNER, "patient_name": "Sam Woe", "diagnosis": "Migraine"},
    {"_id": 42, **OWNER, "patient_name": "Pat Zoe", "diagnosis": "Eczema"},
]
MAPPABLE = {FLAT, TOP_LEVEL, OBJECTS, "old-report-42", 42}
PATIENT_VALUES = ("Jane", "John", "Ann", "Max", "Kim", "Lee", "Sam", "Pat", "O+", "asthma", "Gout")


def job_id_of(source_id: Any) -> str:
    key = {ObjectId: "oid", str: "str", int: "int"}[type(source_id)]
    return imported_ids(f"{key}:{source_id}")[0]


@pytest.fixture
def db(ctx: Context) -> Iterator[Database[dict[str, Any]]]:
    client = connect(ctx.settings.mongodb_uri, ctx.settings.mongodb_timeout_ms)
    yield client[ctx.settings.mongodb_database]
    client.close()


@pytest.fixture
def source(db: Database[dict[str, Any]], tenant: Credentials) -> LegacyReportSource:
    db["parsed_reports"].insert_many([dict(doc) for doc in OLD_DOCUMENTS])
    return LegacyReportSource(db)


def snapshot(db: Database[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    return {name: list(db[name].find()) for name in ("parsing_jobs", "parsed_reports")}


def test_a_dry_run_maps_and_reports_but_writes_nothing(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource
) -> None:
    before = snapshot(db)

    summary = import_legacy_reports(ctx, source, ImportOptions(dry_run=True))

    assert snapshot(db) == before
    assert (summary.seen, summary.imported, summary.refused, summary.already_imported) == (9, 5, 4, 0)
    assert import_legacy_reports(ctx, source, ImportOptions(dry_run=True)).imported == 5


def test_imported_reports_answer_as_completed_jobs_of_their_tenant(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource, tenant: Credentials
) -> None:
    summary = import_legacy_reports(ctx, source, ImportOptions())

    assert (summary.imported, summary.refused) == (5, 4)
    flat = job_status(ctx, api_key=tenant.api_key, job_id=job_id_of(FLAT))
    assert (flat["status"], flat["model"], flat["files_uploaded"]) == ("completed", "gemini-1.5-pro", 0)
    assert flat["created_at"] == flat["completed_at"] == "2024-05-21T10:00:00.000Z"
    parsed = flat["parsed_data"]
    assert parsed["patient_name"] == "Jane Q. Doe"
    assert parsed["patient"]["date_of_birth"] == "1962-03-14"
    assert parsed["diagnosis"] == ["Type 2 diabetes mellitus", "Hypertension"]
    assert (
        parsed["diagnosis_details"][0]["code_description"] == "Type 2 diabetes mellitus without complications"
    )
    assert parsed["lab_results"][0]["flag"] == "high"
    assert parsed["provenance"] == {}
    assert parsed["warnings"][0]["code"] == "imported"
    top = job_status(ctx, api_key=tenant.api_key, job_id=job_id_of(TOP_LEVEL))
    assert top["parsed_data"]["diagnosis"] == ["Asthma", "Hypertension"]
    objects = job_status(ctx, api_key=tenant.api_key, job_id=job_id_of(OBJECTS))["parsed_data"]
    assert objects["patient"]["date_of_birth"] == "04/05/1970"
    assert {"code": "ambiguous_date", "path": "/patient/date_of_birth"}.items() <= objects["warnings"][
        1
    ].items()
    for other in ("old-report-42", 42):
        assert job_status(ctx, api_key=tenant.api_key, job_id=job_id_of(other))["status"] == "completed"


def test_what_could_not_be_mapped_is_reported_by_id_reason_and_location_only(
    ctx: Context, source: LegacyReportSource
) -> None:
    summary = import_legacy_reports(ctx, source, ImportOptions())

    report = {
        (result.source_id, result.outcome, problem.code, problem.location)
        for result in summary.problems
        for problem in result.problems
    }
    assert report == {
        (str(NO_OWNER), Outcome.REFUSED, "missing_tenant", "/tenant_id"),
        (str(GARBAGE), Outcome.REFUSED, "parsed_data_not_an_object", "/parsed_data"),
        (str(EMPTY), Outcome.REFUSED, "empty_document", "/"),
        (str(FOREIGN), Outcome.REFUSED, "unknown_project", "/project_id"),
        (str(OBJECTS), Outcome.IMPORTED, "unknown_field", "/parsed_data/blood_type"),
    }
    text = json.dumps([[str(item) for item in row] for row in report])
    assert not [value for value in PATIENT_VALUES if value in text]


def test_running_again_imports_nothing_twice(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource
) -> None:
    import_legacy_reports(ctx, source, ImportOptions())
    after_first = snapshot(db)

    again = import_legacy_reports(ctx, source, ImportOptions())

    assert (again.imported, again.already_imported, again.refused) == (0, 5, 4)
    assert snapshot(db) == after_first
    assert db["parsing_jobs"].count_documents({}) == 5
    assert db["parsed_reports"].count_documents({"job_id": {"$exists": True}}) == 5


def test_a_limited_run_stops_part_way_and_the_next_goes_on(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource
) -> None:
    first = import_legacy_reports(ctx, source, ImportOptions(limit=2, batch_size=2))

    assert (first.imported, first.stopped_at_limit) == (2, True)
    assert db["parsing_jobs"].count_documents({}) == 2
    second = import_legacy_reports(ctx, source, ImportOptions(batch_size=2))
    assert (second.imported, second.already_imported, second.stopped_at_limit) == (3, 2, False)
    assert {doc["_id"] for doc in db["parsing_jobs"].find()} == {job_id_of(item) for item in MAPPABLE}


class DiesOnInsert:
    """The job store of a run that dies (an outage, a kill) on its ``n``-th job insert."""

    def __init__(self, inner: Any, n: int) -> None:
        self._inner, self._left = inner, n

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def insert(self, job: Job) -> None:
        self._left -= 1
        if self._left == 0:
            raise DependencyUnavailable("mongodb")
        self._inner.insert(job)


def test_an_interrupted_run_is_resumed_without_duplicates_or_a_visible_half_import(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource, tenant: Credentials
) -> None:
    dying = replace(ctx, jobs=DiesOnInsert(ctx.jobs, 2))
    with pytest.raises(DependencyUnavailable):
        import_legacy_reports(dying, source, ImportOptions(batch_size=3))
    assert db["parsing_jobs"].count_documents({}) == 1
    # The report of the document that died is written, but nothing points a client to it.
    interrupted = job_id_of(TOP_LEVEL)
    assert db["parsing_jobs"].find_one({"_id": interrupted}) is None

    resumed = import_legacy_reports(ctx, source, ImportOptions(batch_size=3))

    assert (resumed.imported, resumed.already_imported) == (4, 1)
    assert (
        job_status(ctx, api_key=tenant.api_key, job_id=interrupted)["parsed_data"]["patient_name"]
        == "John Roe"
    )
    imported = list(db["parsed_reports"].find({"job_id": {"$exists": True}}))
    assert sorted(doc["job_id"] for doc in imported) == sorted(job_id_of(item) for item in MAPPABLE)


def test_the_old_documents_stay_and_each_import_names_its_source(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource
) -> None:
    import_legacy_reports(ctx, source, ImportOptions())

    for old in OLD_DOCUMENTS:
        assert db["parsed_reports"].find_one({"_id": old["_id"]}) == {
            key: value.replace(tzinfo=UTC) if isinstance(value, datetime) else value
            for key, value in old.items()
        }
    for item in MAPPABLE:
        job = db["parsing_jobs"].find_one({"_id": job_id_of(item)})
        assert job is not None
        assert db["parsed_reports"].find_one({"_id": job["report_id"]})["imported_from"] == item


def test_reports_of_the_new_service_are_not_taken_for_old_ones(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource, tenant: Credentials
) -> None:
    submission = submit_report(
        ctx,
        tenant_id=tenant.tenant_id,
        project_id=tenant.project_id,
        api_key=tenant.api_key,
        read_form=upload_form(make_report_pdf()),
        webhook_url=None,
    )
    job = ctx.jobs.get(submission.job_id)
    assert job is not None
    db["parsed_reports"].insert_one({"_id": job.report_id, "job_id": job.id, **OWNER, "parsed_data": {}})

    summary = import_legacy_reports(ctx, source, ImportOptions(dry_run=True))

    assert summary.seen == len(OLD_DOCUMENTS)


def test_a_default_owner_imports_the_documents_that_name_none(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource, tenant: Credentials
) -> None:
    import_legacy_reports(ctx, source, ImportOptions())

    later = import_legacy_reports(ctx, source, ImportOptions(defaults=Defaults("tenant-001", "project-001")))

    assert later.imported == 1
    body = job_status(ctx, api_key=tenant.api_key, job_id=job_id_of(NO_OWNER))
    assert body["parsed_data"]["diagnosis"] == ["Gout"]


def test_an_imported_job_has_a_fhir_bundle(
    ctx: Context, source: LegacyReportSource, tenant: Credentials
) -> None:
    import_legacy_reports(ctx, source, ImportOptions())

    bundle = job_fhir(ctx, api_key=tenant.api_key, job_id=job_id_of(FLAT))

    kinds = [entry["resource"]["resourceType"] for entry in bundle["entry"]]
    assert {"Patient", "DiagnosticReport", "Observation", "Condition", "MedicationStatement"} <= set(kinds)


def test_the_command_dry_runs_imports_and_writes_its_report(
    app_settings: dict[str, str], db: Database[dict[str, Any]], source: LegacyReportSource, tmp_path: Path
) -> None:
    def command(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "tools.import_legacy", "--no-progress", *args],
            cwd=PROJECT_ROOT,
            env={**os.environ, **app_settings},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    dry = command("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "5 would import" in dry.stderr
    assert db["parsing_jobs"].count_documents({}) == 0
    report_file = tmp_path / "unmapped.jsonl"

    real = command("--report", str(report_file))

    assert real.returncode == 0, real.stderr
    assert "5 imported, 0 already imported, 4 refused" in real.stderr
    lines = [json.loads(line) for line in report_file.read_text().splitlines()]
    assert {(line["id"], line["code"]) for line in lines} >= {(str(EMPTY), "empty_document")}
    everything = real.stdout + real.stderr + dry.stdout + dry.stderr + report_file.read_text()
    assert not [value for value in PATIENT_VALUES if value in everything]
    assert "5 already imported" in command().stderr


def test_offboarding_the_tenant_purges_its_imported_jobs_and_reports(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource
) -> None:
    import_legacy_reports(ctx, source, ImportOptions())

    purged = delete_tenant(ctx, "tenant-001")

    assert (purged.jobs, purged.blobs) == (5, 0)
    assert db["parsing_jobs"].count_documents({}) == 0
    assert db["parsed_reports"].count_documents({"job_id": {"$exists": True}}) == 0
    # The tenant's old documents go too: the imported ones with their jobs, the unmappable ones after.
    assert db["parsed_reports"].count_documents({"tenant_id": "tenant-001"}) == 0


def test_deleting_an_imported_job_removes_the_old_document_it_came_from(
    ctx: Context, db: Database[dict[str, Any]], source: LegacyReportSource
) -> None:
    import_legacy_reports(ctx, source, ImportOptions())
    job = ctx.jobs.get(job_id_of(FLAT))
    assert job is not None and db["parsed_reports"].count_documents({"_id": FLAT}) == 1

    erase_job(ctx, job, ctx.clock())

    assert db["parsed_reports"].count_documents({"_id": FLAT}) == 0
    left = json.dumps([doc for doc in db["parsed_reports"].find() if doc["_id"] != TOP_LEVEL], default=str)
    assert "Jane" not in left and "Metformin" not in left
    assert db["parsed_reports"].count_documents({"_id": TOP_LEVEL}) == 1  # another job's source stays
