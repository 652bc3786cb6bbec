"""``parsing_jobs`` in MongoDB: jobs read, inserted, changed and found; the rules are the domain's.

A transition (:mod:`lib.domain.job_transitions`) arrives as a
:class:`~lib.domain.jobs.Change`; :meth:`JobStore.apply` writes it as one
conditional ``find_one_and_update`` on ``_id`` (index-backed, so its cost does not
grow with the number of jobs) and returns the job as stored after the write, or
``None`` when the stored job no longer meets the change's condition.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import pymongo
from pymongo import ASCENDING, DESCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from lib.adapters.indexes import JOBS
from lib.adapters.job_documents import fields_to_doc, job_from_doc, job_to_doc
from lib.adapters.mongo_client import mongo_call
from lib.domain.errors import Conflict
from lib.domain.jobs import Change, Expect, Job, JobStatus
from lib.domain.listing import JobFilter, Position
from lib.domain.webhooks import WebhookState

Document = dict[str, Any]

log = logging.getLogger(__name__)

# The status of a marker that holds a refused upload's job id, so that its insert, if the
# server applies it late, fails on the duplicate id. Never a job: reads by id skip it.
REFUSED = "refused"


class JobStore:
    """Jobs in ``parsing_jobs``: mapping and conditional writes, nothing decided here."""

    def __init__(self, db: Database[Document]) -> None:
        self._jobs = db[JOBS]

    # -- reads ---------------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        doc = mongo_call(lambda: self._jobs.find_one({"_id": job_id, "status": {"$ne": REFUSED}}))
        return job_from_doc(doc) if doc else None

    def ping(self, timeout_seconds: float) -> None:
        """One ``ping`` command, bounded by ``timeout_seconds`` (server selection included)."""
        with pymongo.timeout(timeout_seconds):
            mongo_call(lambda: self._jobs.database.command("ping"))

    def get_for_tenant(self, job_id: str, tenant_id: str) -> Job | None:
        """The job, only if it belongs to ``tenant_id``; a foreign job looks like a missing one."""
        doc = mongo_call(lambda: self._jobs.find_one({"_id": job_id, "tenant_id": tenant_id}))
        return job_from_doc(doc) if doc else None

    # -- creation ------------------------------------------------------------------------

    def insert(self, job: Job) -> None:
        """Store a new job; :class:`Conflict` when its id is taken (by a refused upload's marker)."""
        doc = job_to_doc(job)
        try:
            mongo_call(lambda: self._jobs.insert_one(doc))
        except DuplicateKeyError as exc:
            raise Conflict("the job id is taken", code="job_id_taken") from exc

    def stored_or_refused(self, job_id: str, now: datetime) -> bool:
        """After an insert that failed without saying whether it was applied: is the job stored?

        A time-out or a dropped connection does not mean the insert failed: the server
        may have applied it, or may still apply it later. One upsert settles which:
        a job already there is left alone (``True``); otherwise a ``refused`` marker
        takes the id (``False``), and an insert that arrives later fails on it.
        """
        marker = {"status": REFUSED, "created_at": now, "updated_at": now}
        try:
            result = mongo_call(
                lambda: self._jobs.update_one({"_id": job_id}, {"$setOnInsert": marker}, upsert=True)
            )
        except DuplicateKeyError:
            return True  # the late insert landed between the upsert's look-up and its write
        return result.upserted_id is None

    # -- transitions ---------------------------------------------------------------------

    def apply(self, change: Change) -> Job | None:
        """Write ``change`` if the stored job still meets its condition; the job after it, or ``None``.

        A change that :attr:`~lib.domain.jobs.Change.replaces` the job (a purge's
        tombstone) replaces the document whole, in the same single conditional write.
        """
        query = {"_id": change.job_id, **_condition(change.expect)}
        if change.replaces:
            replacement = job_to_doc(change.job)
            doc = mongo_call(
                lambda: self._jobs.find_one_and_replace(
                    query, replacement, return_document=ReturnDocument.AFTER
                )
            )
        else:
            update = {"$set": fields_to_doc(change.job, change.fields)}
            doc = mongo_call(
                lambda: self._jobs.find_one_and_update(query, update, return_document=ReturnDocument.AFTER)
            )
        return job_from_doc(doc) if doc else None

    # -- a project's jobs, for its client and for its retention --------------------------

    def list_project(
        self, tenant_id: str, project_id: str, where: JobFilter, after: Position | None, limit: int
    ) -> list[Job]:
        """Up to ``limit`` of the project's jobs (never tombstones), newest first, from after ``after``.

        Keyset pagination on ``(created_at, _id)`` descending (index ``project_created``):
        a job inserted meanwhile is newer than every page already read, so it never
        shifts a later page.
        """
        query: Document = {
            "tenant_id": tenant_id,
            "project_id": project_id,
            "status": {"$in": [status.value for status in where.statuses]},
        }
        created: Document = {}
        if where.created_after is not None:
            created["$gte"] = where.created_after
        if where.created_before is not None:
            created["$lt"] = where.created_before
        if created:
            query["created_at"] = created
        if after is not None:
            query["$or"] = [
                {"created_at": {"$lt": after.created_at}},
                {"created_at": after.created_at, "_id": {"$lt": after.job_id}},
            ]
        order = [("created_at", DESCENDING), ("_id", DESCENDING)]
        docs = mongo_call(lambda: list(self._jobs.find(query).sort(order).limit(limit)))
        return [job_from_doc(doc) for doc in docs]

    def retention_due(
        self, tenant_id: str, project_id: str, created_before: datetime, limit: int
    ) -> list[Job]:
        """The project's jobs (not tombstones) created before ``created_before``, oldest first.

        Index ``project_status_created``: tombstones are outside its status ranges, so
        the query does not walk over the project's history of purged jobs.
        """
        live = [status.value for status in JobStatus if status is not JobStatus.DELETED]
        query = {
            "tenant_id": tenant_id,
            "project_id": project_id,
            "status": {"$in": live},
            "created_at": {"$lt": created_before},
        }
        return self._find(query, limit)

    # -- what the sweeper looks for (each query index-backed, oldest first, bounded) -----

    def past_deadline(self, created_before: datetime, limit: int) -> list[Job]:
        """Unfinished jobs uploaded before ``created_before``."""
        active = [JobStatus.PENDING.value, JobStatus.PROCESSING.value]
        return self._find({"status": {"$in": active}, "created_at": {"$lt": created_before}}, limit)

    def expired_leases(self, now: datetime, limit: int) -> list[Job]:
        """Processing jobs whose worker's lease ran out."""
        return self._find({"status": JobStatus.PROCESSING.value, "lease.expires_at": {"$lte": now}}, limit)

    def unsent(self, changed_before: datetime, limit: int) -> list[Job]:
        """Pending jobs whose message was never sent (the send failed, or the sender died)."""
        query = {
            "status": JobStatus.PENDING.value,
            "message_sent": False,
            "updated_at": {"$lt": changed_before},
        }
        return self._find(query, limit)

    def overdue(self, due_before: datetime, limit: int) -> list[Job]:
        """Pending jobs whose sent message should have arrived by ``due_before`` (it was lost)."""
        query = {
            "status": JobStatus.PENDING.value,
            "message_sent": True,
            "next_attempt_at": {"$lt": due_before},
        }
        return self._find(query, limit)

    def stalled_deliveries(self, unsent_before: datetime, due_before: datetime, limit: int) -> list[Job]:
        """Jobs whose pending webhook delivery was never sent, or is overdue (message lost).

        ``next_attempt_at`` of a delivery is always when its next message is due (at
        creation, after a failed attempt, and during an attempt in case the worker dies).
        """
        query = {
            "webhook.state": WebhookState.PENDING.value,
            "$or": [
                {"webhook.message_sent": False, "webhook.created_at": {"$lt": unsent_before}},
                {"webhook.message_sent": True, "webhook.next_attempt_at": {"$lt": due_before}},
            ],
        }
        return self._find(query, limit)

    # -- a tenant's jobs, and the orphan scan ----------------------------------------------

    def of_tenant(self, tenant_id: str, limit: int) -> list[Job]:
        """Up to ``limit`` of the tenant's jobs, oldest first (for purging a tenant)."""
        return self._find({"tenant_id": tenant_id, "status": {"$ne": REFUSED}}, limit)

    def existing_ids(self, job_ids: set[str]) -> set[str]:
        """Which of ``job_ids`` are stored jobs that own files.

        A refused upload's marker is not a job, and a tombstone owns no files: blobs
        left under either's id are orphans.
        """
        if not job_ids:
            return set()
        query = {"_id": {"$in": sorted(job_ids)}, "status": {"$nin": [REFUSED, JobStatus.DELETED.value]}}
        docs = mongo_call(lambda: list(self._jobs.find(query, {"_id": 1})))
        return {doc["_id"] for doc in docs}

    def delete(self, job_id: str) -> None:
        """Remove the job (its blobs and report are the caller's)."""
        mongo_call(lambda: self._jobs.delete_one({"_id": job_id}))

    def _find(self, query: Document, limit: int) -> list[Job]:
        docs = mongo_call(lambda: list(self._jobs.find(query).sort("created_at", ASCENDING).limit(limit)))
        jobs = []
        for doc in docs:
            try:
                jobs.append(job_from_doc(doc))
            except (KeyError, TypeError, ValueError) as exc:
                # One unreadable document must not stop the sweeper for every other job.
                log.error("Job %s cannot be read (%s); skipped", doc.get("_id"), type(exc).__name__)
        return jobs


def _condition(expect: Expect) -> Document:
    query: Document = {"status": expect.status.value}
    if expect.attempts is not None:
        query["attempts"] = expect.attempts
    if expect.lease_token is not None:
        query["lease.token"] = expect.lease_token
    return query
