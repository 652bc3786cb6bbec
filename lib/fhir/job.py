"""What the FHIR export needs to know about a job besides the parsed report."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from lib.domain.jobs import Job

__all__ = ["PDF", "JobFacts", "JobFile"]

PDF = "application/pdf"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class JobFile:
    """One uploaded file, described but never carried: its bytes stay in Blob Storage.

    ``number`` is 1-based in upload order. ``pages`` is the file's page count when
    known; with it, a report-wide page number can be traced to its file.
    """

    number: int
    size_bytes: int
    sha256: str
    content_type: str = PDF
    pages: int | None = None

    def __post_init__(self) -> None:
        if self.number < 1 or self.size_bytes < 0 or (self.pages is not None and self.pages < 1):
            raise ValueError("a job file needs number >= 1, size_bytes >= 0 and pages >= 1 when given")
        if not _SHA256_HEX.fullmatch(self.sha256):
            raise ValueError("sha256 must be 64 lower-case hex digits")


@dataclass(frozen=True)
class JobFacts:
    """The job around a parsed report: ids, times (timezone-aware), the parser, the files.

    ``model`` is the parser that read the report (a Gemini model name, or the
    local parser's name); ``files`` are in upload order, numbered from 1 (none for a
    report imported from the old service, whose PDF was never uploaded here).
    """

    job_id: str
    report_id: str
    tenant_id: str
    project_id: str
    created_at: datetime
    completed_at: datetime
    model: str
    files: tuple[JobFile, ...]

    def __post_init__(self) -> None:
        if self.created_at.utcoffset() is None or self.completed_at.utcoffset() is None:
            raise ValueError("created_at and completed_at must be timezone-aware")
        if [item.number for item in self.files] != list(range(1, len(self.files) + 1)):
            raise ValueError("files must be numbered 1..n in upload order")

    @classmethod
    def from_job(cls, job: Job, pages: Sequence[int] | None = None) -> JobFacts:
        """The facts of a completed ``job``; ``pages`` gives each file's page count when known."""
        if job.completed_at is None or job.model is None:
            raise ValueError("only a completed job, with its model recorded, has a FHIR export")
        counts: Sequence[int | None] = pages if pages is not None else [None] * len(job.files)
        if len(counts) != len(job.files):
            raise ValueError("one page count per file")
        files = tuple(
            JobFile(number, stored.size_bytes, stored.sha256, pages=count)
            for number, (stored, count) in enumerate(zip(job.files, counts, strict=True), start=1)
        )
        return cls(
            job.id,
            job.report_id,
            job.tenant_id,
            job.project_id,
            job.created_at,
            job.completed_at,
            job.model,
            files,
        )
