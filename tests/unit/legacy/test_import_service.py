"""The import use case against in-memory fakes: dry run, limit, owners, a concurrent run, progress."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bson import ObjectId
from bson.int64 import Int64

from lib.adapters.legacy_reports import canonical_id, legacy_document
from lib.legacy import LegacyDocument, imported_ids
from lib.services.import_legacy import DocumentResult, ImportOptions, Outcome, import_legacy_reports
from lib.services.status import job_status
from tests.support.fakes.context import Fakes, build
from tests.support.fakes.jobs import FakeJobs

OWNER = {"tenant_id": "tenant-001", "project_id": "project-001"}


class FakeLegacySource:
    """Old documents in a list, read in order; links recorded."""

    def __init__(self, *fields: Any) -> None:
        self.documents = [
            LegacyDocument(f"int:{n}", str(n), item, source_id=n) for n, item in enumerate(fields)
        ]
        self.links: dict[str, Any] = {}

    def count(self) -> int:
        return len(self.documents)

    def batches(self, size: int) -> Iterator[list[LegacyDocument]]:
        for start in range(0, len(self.documents), size):
            yield self.documents[start : start + size]

    def link(self, report_id: str, source_id: Any) -> None:
        self.links[report_id] = source_id


def registered() -> tuple[Fakes, str]:
    fakes = build()
    return fakes, fakes.register()


def test_a_dry_run_counts_what_it_would_import_and_writes_nothing() -> None:
    fakes, _ = registered()
    source = FakeLegacySource({**OWNER, "patient_name": "A B"}, {**OWNER, "patient_name": "C D"})

    summary = import_legacy_reports(fakes.ctx, source, ImportOptions(dry_run=True))

    assert (summary.dry_run, summary.imported) == (True, 2)
    assert fakes.jobs.jobs == {}
    assert fakes.reports.reports == {}
    assert source.links == {}


def test_an_import_answers_through_status_with_its_parsed_data() -> None:
    fakes, key = registered()
    source = FakeLegacySource({**OWNER, "parsed_data": {"patient_name": "A B", "diagnosis": "Asthma"}})

    import_legacy_reports(fakes.ctx, source, ImportOptions())

    job_id, report_id = imported_ids("int:0")
    body = job_status(fakes.ctx, api_key=key, job_id=job_id)
    assert (body["status"], body["report_id"], body["parsed_data"]["diagnosis"]) == (
        "completed",
        report_id,
        ["Asthma"],
    )
    assert source.links == {report_id: 0}


def test_the_limit_counts_imports_not_refusals() -> None:
    fakes, _ = registered()
    source = FakeLegacySource({}, {**OWNER, "patient_name": "A B"}, {}, {**OWNER, "patient_name": "C D"})

    summary = import_legacy_reports(fakes.ctx, source, ImportOptions(limit=1, batch_size=1))

    assert (summary.seen, summary.imported, summary.refused, summary.stopped_at_limit) == (2, 1, 1, True)


def test_a_project_that_does_not_exist_is_refused_and_looked_up_once() -> None:
    fakes, _ = registered()
    other = {"tenant_id": "tenant-001", "project_id": "project-404"}
    source = FakeLegacySource({**other, "patient_name": "A B"}, {**other, "patient_name": "C D"})

    summary = import_legacy_reports(fakes.ctx, source, ImportOptions())

    assert summary.refused == 2
    assert [(r.outcome, r.problems[0].code) for r in summary.problems] == [
        (Outcome.REFUSED, "unknown_project")
    ] * 2
    assert fakes.jobs.jobs == {}


class BlindJobs(FakeJobs):
    """Jobs whose look-up misses what is there: a run that looked before another one inserted."""

    def existing_ids(self, job_ids: set[str]) -> set[str]:
        return set()


def test_a_job_another_run_inserted_meanwhile_counts_as_imported_already() -> None:
    fakes, _ = registered()
    source = FakeLegacySource({**OWNER, "patient_name": "A B"})
    blind = BlindJobs()
    ctx = replace(fakes.ctx, jobs=blind)
    import_legacy_reports(ctx, source, ImportOptions())

    summary = import_legacy_reports(ctx, source, ImportOptions())

    assert (summary.imported, summary.already_imported) == (0, 1)
    assert len(blind.jobs) == 1


def test_each_document_is_reported_as_it_is_done() -> None:
    fakes, _ = registered()
    source = FakeLegacySource({**OWNER, "patient_name": "A B"}, "garbage")
    heard: list[DocumentResult] = []

    import_legacy_reports(fakes.ctx, source, ImportOptions(), on_result=heard.append)

    assert [(r.source_id, r.outcome) for r in heard] == [("0", Outcome.IMPORTED), ("1", Outcome.REFUSED)]


def test_canonical_ids_tell_types_apart() -> None:
    oid = ObjectId("5f0000000000000000000001")

    assert canonical_id(oid) == ("oid:5f0000000000000000000001", "5f0000000000000000000001")
    assert canonical_id("5f0000000000000000000001") == (
        "str:5f0000000000000000000001",
        "5f0000000000000000000001",
    )
    assert canonical_id(42) == canonical_id(Int64(42)) == ("int:42", "42")
    key, display = canonical_id({"a": 1})
    assert key.startswith("bson:")
    assert display.startswith("dict:")
    assert canonical_id({"a": 1}) == (key, display)


def test_a_stored_document_keeps_its_fields_and_the_time_in_its_object_id() -> None:
    doc = legacy_document({"_id": ObjectId("5f0000000000000000000001"), "patient_name": "A B"})

    assert doc.fields == {"patient_name": "A B"}
    assert doc.id_time == datetime(2020, 7, 4, 4, 5, 20, tzinfo=UTC)
