"""``parsed_reports`` in MongoDB: one validated report per job, under the job's ``report_id``.

Each report records the attempt that wrote it. A write is conditional on that
number, so a worker that lost its lease (an earlier attempt) can never replace the
report of the attempt that owns the job now, and it removes only its own report.
That takes the place of a lease check before the write: one round trip instead of two.

A purged report (its job was cancelled or deleted) leaves a marker under its id that
holds no report data and an attempt number no attempt reaches, so a parse still
running cannot store it again: its write matches nothing and fails on the taken id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from lib.adapters.indexes import REPORTS
from lib.adapters.mongo_client import mongo_call
from lib.domain.jobs import Job
from lib.domain.report_schema import ParsedReport

Document = dict[str, Any]

#: Set on a report imported from the old service: the ``_id`` of the old document it came from.
IMPORTED_FROM = "imported_from"
#: The attempt number of a purged report's marker: beyond any job's attempts.
PURGED_ATTEMPT = 2**31 - 1


class ReportStore:
    """Parsed reports: read, written by an attempt, removed."""

    def __init__(self, db: Database[Document]) -> None:
        self._reports = db[REPORTS]

    def get_parsed_data(self, report_id: str) -> Document | None:
        """The stored ``parsed_data`` of a report, or ``None``."""
        doc = mongo_call(lambda: self._reports.find_one({"_id": report_id}, {"parsed_data": 1}))
        return doc.get("parsed_data") if doc else None

    def save(self, job: Job, report: ParsedReport, model: str, now: datetime) -> bool:
        """Store the report of ``job``'s current attempt; ``False`` when a later attempt's is there.

        Keyed by the job's pre-allocated ``report_id``, so there is one document per
        job, always. A report of the same or an earlier attempt (or of a version that
        did not record attempts) is replaced.
        """
        doc = {
            "job_id": job.id,
            "tenant_id": job.tenant_id,
            "project_id": job.project_id,
            "attempt": job.attempts,
            "parsed_data": report.model_dump(mode="json"),
            "model": model,
            "created_at": now,
        }
        query = {
            "_id": job.report_id,
            "$or": [{"attempt": {"$lte": job.attempts}}, {"attempt": {"$exists": False}}],
        }
        try:
            mongo_call(lambda: self._reports.replace_one(query, doc, upsert=True))
        except DuplicateKeyError:
            return False  # the id is taken by a later attempt's report: the filter did not match it
        return True

    def discard(self, job: Job) -> None:
        """Remove the report ``job``'s current attempt wrote, if it is still that attempt's."""
        mongo_call(lambda: self._reports.delete_one({"_id": job.report_id, "attempt": job.attempts}))

    def delete(self, report_id: str) -> None:
        """Remove a report whatever wrote it (its job is being purged), and the old document it came from."""
        before = mongo_call(lambda: self._reports.find_one_and_delete({"_id": report_id}, {IMPORTED_FROM: 1}))
        self._delete_source(before)

    def purge(self, report_id: str) -> None:
        """Replace the report with a marker no attempt can overwrite: its id, no data.

        A report imported from the old service (``tools.import_legacy``) names the old
        document it was made from; that one holds the same patient data and goes too.
        """
        marker = {"purged": True, "attempt": PURGED_ATTEMPT}
        before = mongo_call(
            lambda: self._reports.find_one_and_replace(
                {"_id": report_id}, marker, {IMPORTED_FROM: 1}, upsert=True
            )
        )
        self._delete_source(before)

    def delete_legacy(self, tenant_id: str) -> None:
        """Remove the old service's documents of a tenant that were never imported (it is being deleted).

        The old documents are the ones without a ``job_id``; every report of this service has one.
        """
        mongo_call(lambda: self._reports.delete_many({"tenant_id": tenant_id, "job_id": {"$exists": False}}))

    def _delete_source(self, before: Document | None) -> None:
        if before is not None and IMPORTED_FROM in before:
            source = before[IMPORTED_FROM]
            mongo_call(lambda: self._reports.delete_one({"_id": source, "job_id": {"$exists": False}}))
