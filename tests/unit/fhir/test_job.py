"""JobFacts: what it accepts, and how it is built from a completed Job."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lib.domain.jobs import Job, JobStatus, StoredFile
from lib.fhir import JobFacts, JobFile
from tests.unit.fhir.reports import COMPLETED, CREATED

SHA = "0f" * 32


def _job(**changes: object) -> Job:
    fields: dict[str, object] = {
        "id": "674b9f0c2e1d4a0012ab34cd",
        "report_id": "5f1c2a9e0b7d4c3a8e6f1b2d",
        "tenant_id": "t",
        "project_id": "p",
        "status": JobStatus.COMPLETED,
        "files": (StoredFile("t/p/r/1.pdf", 100, SHA), StoredFile("t/p/r/2.pdf", 200, "1e" * 32)),
        "attempts": 1,
        "max_attempts": 3,
        "created_at": CREATED,
        "updated_at": COMPLETED,
        "completed_at": COMPLETED,
        "model": "local-rules",
    }
    fields.update(changes)
    return Job(**fields)  # type: ignore[arg-type]


def test_from_a_completed_job() -> None:
    facts = JobFacts.from_job(_job(), pages=[3, 1])
    assert facts.files == (JobFile(1, 100, SHA, pages=3), JobFile(2, 200, "1e" * 32, pages=1))
    assert (facts.job_id, facts.report_id, facts.model) == (
        "674b9f0c2e1d4a0012ab34cd",
        "5f1c2a9e0b7d4c3a8e6f1b2d",
        "local-rules",
    )
    assert JobFacts.from_job(_job()).files[0].pages is None


@pytest.mark.parametrize("changes", [{"completed_at": None}, {"model": None}])
def test_an_unfinished_job_has_no_facts(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match="completed job"):
        JobFacts.from_job(_job(**changes))


def test_one_page_count_per_file() -> None:
    with pytest.raises(ValueError, match="one page count per file"):
        JobFacts.from_job(_job(), pages=[3])


def test_times_must_be_aware() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        JobFacts("j", "r", "t", "p", datetime(2026, 12, 1), COMPLETED, "m", (JobFile(1, 1, SHA),))


@pytest.mark.parametrize(
    "files",
    [(JobFile(2, 1, SHA),), (JobFile(1, 1, SHA), JobFile(1, 1, SHA))],
)
def test_files_are_numbered_from_one(files: tuple[JobFile, ...]) -> None:
    with pytest.raises(ValueError, match=r"numbered 1\.\.n"):
        JobFacts("j", "r", "t", "p", CREATED, COMPLETED.astimezone(UTC), "m", files)


def test_a_job_without_files_is_an_imported_report() -> None:
    facts = JobFacts("j", "r", "t", "p", CREATED, COMPLETED.astimezone(UTC), "imported", ())
    assert facts.files == ()


@pytest.mark.parametrize(
    ("number", "size", "sha256", "pages"),
    [(0, 1, SHA, None), (1, -1, SHA, None), (1, 1, SHA, 0), (1, 1, SHA.upper(), None), (1, 1, "abc", None)],
)
def test_a_file_is_checked(number: int, size: int, sha256: str, pages: int | None) -> None:
    with pytest.raises(ValueError, match=r"job file|sha256"):
        JobFile(number, size, sha256, pages=pages)
