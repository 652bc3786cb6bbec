"""``parsing_jobs`` and ``parsed_reports`` in MongoDB: jobs and their state transitions.

Every transition is one conditional write on ``_id`` (index-backed, so its cost
does not grow with the number of jobs) whose filter names the states it may start
from. A write that matches nothing means another worker or message got there
first: the claim returns ``None``, a lease-holder's write raises :class:`LeaseLost`.
"""

from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import asdict, replace
from datetime import datetime, timedelta
from typing import Any

from pymongo import ASCENDING
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from lib.adapters.delivery_store import delivery_from_doc, delivery_to_doc
from lib.adapters.mongo_client import from_fields, mongo_call
from lib.domain.errors import LeaseLost
from lib.domain.jobs import (
    Attempt,
    AttemptOutcome,
    Job,
    JobError,
    JobStatus,
    Lease,
    StoredFile,
    sources_of,
)
from lib.domain.parsing import TokenUsage
from lib.domain.report_schema import ParsedReport
from lib.domain.webhooks import WebhookState, event_for, new_delivery

Document = dict[str, Any]

log = logging.getLogger(__name__)

JOBS = "parsing_jobs"
# Tolerated difference between the clocks of the workers (and the queue's delays).
CLOCK_SLACK = timedelta(seconds=5)
REPORTS = "parsed_reports"
# The status of a marker that holds a refused upload's job id, so that its insert, if the
# server applies it late, fails on the duplicate id. Never a job: reads by id skip it.
REFUSED = "refused"

# collection -> [(name, [(field, direction)], create_index options)]
IndexPlan = dict[str, list[tuple[str, list[tuple[str, int]], dict[str, Any]]]]

_INDEXES: IndexPlan = {
    JOBS: [
        ("tenant_created", [("tenant_id", ASCENDING), ("created_at", ASCENDING)], {}),
        ("status_next_attempt", [("status", ASCENDING), ("next_attempt_at", ASCENDING)], {}),
        ("status_lease_expiry", [("status", ASCENDING), ("lease.expires_at", ASCENDING)], {}),
        ("status_created", [("status", ASCENDING), ("created_at", ASCENDING)], {}),
        ("status_message_sent", [("status", ASCENDING), ("message_sent", ASCENDING)], {}),
        ("webhook_state_next", [("webhook.state", ASCENDING), ("webhook.next_attempt_at", ASCENDING)], {}),
    ],
    REPORTS: [("job", [("job_id", ASCENDING)], {})],
}


def ensure_indexes(db: Database[Document], indexes: IndexPlan) -> None:
    """Create the indexes whose fields no existing index covers yet.

    Indexes are matched by their field list, not by name or direction: on Cosmos DB
    (RU) the infrastructure declares them without names, and Cosmos refuses to add
    a unique index to a collection that already holds documents.
    """
    for collection_name, wanted in indexes.items():
        collection = db[collection_name]
        existing = mongo_call(functools.partial(_index_fields, collection))
        for name, keys, options in wanted:
            if tuple(field for field, _ in keys) not in existing:
                mongo_call(functools.partial(collection.create_index, keys, name=name, **options))


def _index_fields(collection: Collection[Document]) -> set[tuple[str, ...]]:
    return {tuple(index["key"].keys()) for index in collection.list_indexes()}


class JobStore:
    """Jobs and parsed reports, with the state machine's transitions as conditional writes."""

    def __init__(self, db: Database[Document]) -> None:
        self._jobs = db[JOBS]
        self._reports = db[REPORTS]
        self._db = db

    def ensure_indexes(self) -> None:
        """Create this store's indexes (idempotent)."""
        ensure_indexes(self._db, _INDEXES)

    # -- reads ---------------------------------------------------------------------------

    def get(self, job_id: str) -> Job | None:
        """The job with this id, or ``None``."""
        doc = mongo_call(lambda: self._jobs.find_one({"_id": job_id, "status": {"$ne": REFUSED}}))
        return _job_from_doc(doc) if doc else None

    def get_for_tenant(self, job_id: str, tenant_id: str) -> Job | None:
        """The job, only if it belongs to ``tenant_id``; a foreign job looks like a missing one."""
        doc = mongo_call(lambda: self._jobs.find_one({"_id": job_id, "tenant_id": tenant_id}))
        return _job_from_doc(doc) if doc else None

    def get_parsed_data(self, report_id: str) -> Document | None:
        """The stored ``parsed_data`` of a report, or ``None``."""
        doc = mongo_call(lambda: self._reports.find_one({"_id": report_id}, {"parsed_data": 1}))
        return doc["parsed_data"] if doc else None

    # -- creation and the outbox ---------------------------------------------------------

    def insert(self, job: Job) -> None:
        """Store a new job (status pending; ``message_sent`` as the job says)."""
        doc = _job_to_doc(job)
        mongo_call(lambda: self._jobs.insert_one(doc))

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

    def mark_message_unsent(self, job_id: str) -> None:
        """Record that the message a pending job was stored with could not be sent."""
        mongo_call(
            lambda: self._jobs.update_one(
                {"_id": job_id, "status": JobStatus.PENDING.value}, {"$set": {"message_sent": False}}
            )
        )

    # -- transitions -----------------------------------------------------------------------

    def claim(self, job_id: str, worker: str, now: datetime, lease_for: timedelta) -> Job | None:
        """Take a pending job, or a processing one whose lease expired, for ``worker``.

        Returns the claimed job, or ``None`` when it is not claimable: unknown, final,
        leased to a live worker, out of attempts, or claimed by someone else first.
        The write is conditional on the status and the attempt count that were read,
        so of two concurrent claims exactly one succeeds, and the winner knows the
        job's new state without reading it again.
        """
        job = self.get(job_id)
        if job is None or not _claimable(job, now):
            return None
        history = list(job.history)
        if job.status is JobStatus.PROCESSING and history:
            history[-1] = _ended(history[-1], now, AttemptOutcome.LEASE_EXPIRED, "lease_expired")
        number = job.attempts + 1
        history.append(Attempt(number=number, worker=worker, started_at=now))
        lease = Lease(owner=worker, token=uuid.uuid4().hex, expires_at=now + lease_for)
        result = mongo_call(
            lambda: self._jobs.update_one(
                {"_id": job_id, "status": job.status.value, "attempts": job.attempts},
                {
                    "$set": {
                        "status": JobStatus.PROCESSING.value,
                        "attempts": number,
                        "lease": asdict(lease),
                        "next_attempt_at": None,
                        "history": [_attempt_to_doc(item) for item in history],
                        "updated_at": now,
                    }
                },
            )
        )
        if result.matched_count == 0:
            return None
        return replace(
            job,
            status=JobStatus.PROCESSING,
            attempts=number,
            lease=lease,
            next_attempt_at=None,
            history=tuple(history),
            updated_at=now,
        )

    def complete(
        self, job: Job, now: datetime, *, model: str, usage: TokenUsage | None, parse_ms: int
    ) -> Job:
        """processing -> completed, by the lease holder."""
        return self._finish_attempt(
            job,
            now,
            JobStatus.COMPLETED,
            AttemptOutcome.COMPLETED,
            error=None,
            extra={
                "completed_at": now,
                "error": None,
                "model": model,
                "usage": asdict(usage) if usage else None,
                "parse_ms": parse_ms,
            },
        )

    def release_for_retry(self, job: Job, now: datetime, error: JobError, next_attempt_at: datetime) -> Job:
        """processing -> pending after a transient error; its delayed message goes out next."""
        return self._finish_attempt(
            job,
            now,
            JobStatus.PENDING,
            AttemptOutcome.RETRY,
            error=error,
            extra={"next_attempt_at": next_attempt_at, "message_sent": True, "message_sent_at": now},
        )

    def fail(self, job: Job, now: datetime, error: JobError) -> Job:
        """processing -> failed, by the lease holder."""
        return self._finish_attempt(
            job,
            now,
            JobStatus.FAILED,
            AttemptOutcome.FAILED,
            error=error,
            extra={"failed_at": now, "error": asdict(error)},
        )

    def fail_unless_final(
        self, job_id: str, now: datetime, error: JobError, *, unless_leased: bool = False
    ) -> Job | None:
        """pending/processing -> failed whoever holds it (deadline), or only when no live
        lease holds it (``unless_leased``: a poison message must not fail a job that
        another message's worker is parsing right now).

        Returns the failed job, or ``None`` when it was unknown, had already ended, or was leased.
        """
        job = self.get(job_id)
        if job is None or job.status.is_final:
            return None
        sources: Document = {"status": {"$in": [s.value for s in sources_of(JobStatus.FAILED)]}}
        if unless_leased:
            sources = {
                "$or": [
                    {"status": JobStatus.PENDING.value},
                    {"status": JobStatus.PROCESSING.value, "lease.expires_at": {"$lte": now}},
                ]
            }
        update: Document = {
            "status": JobStatus.FAILED.value,
            "failed_at": now,
            "error": asdict(error),
            "lease": None,
            "next_attempt_at": None,
            "updated_at": now,
            **_notification(job, JobStatus.FAILED, now),
        }
        result = mongo_call(lambda: self._jobs.update_one({"_id": job_id, **sources}, {"$set": update}))
        return self.get(job_id) if result.matched_count else None

    def requeue_expired(self, job: Job, now: datetime) -> Job:
        """processing -> pending for a job whose worker vanished (its lease expired).

        Conditional on the expired lease's token, so a worker or claim that got there
        first wins; its message goes out next.
        """
        if job.lease is None:
            raise LeaseLost(job.id)
        token = job.lease.token
        index = len(job.history) - 1
        result = mongo_call(
            lambda: self._jobs.update_one(
                {"_id": job.id, "status": JobStatus.PROCESSING.value, "lease.token": token},
                {
                    "$set": {
                        "status": JobStatus.PENDING.value,
                        "lease": None,
                        "message_sent": True,
                        "message_sent_at": now,
                        "next_attempt_at": now,
                        "updated_at": now,
                        f"history.{index}.ended_at": now,
                        f"history.{index}.outcome": AttemptOutcome.LEASE_EXPIRED.value,
                        f"history.{index}.error_code": "lease_expired",
                    }
                },
            )
        )
        if result.matched_count == 0:
            raise LeaseLost(job.id)
        updated = self.get(job.id)
        assert updated is not None
        return updated

    # -- what the sweeper looks for (each query index-backed, oldest first, bounded) ----------

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

    def mark_resent(self, job: Job, now: datetime, due: datetime) -> None:
        """Record a re-sent message and when it is due, so it is not re-sent again too soon.

        Only while the job is still at the attempt it was found at: a worker that took the
        re-sent message and scheduled a retry meanwhile has recorded a later due time.
        """
        mongo_call(
            lambda: self._jobs.update_one(
                {"_id": job.id, "status": JobStatus.PENDING.value, "attempts": job.attempts},
                {"$set": {"message_sent": True, "message_sent_at": now, "next_attempt_at": due}},
            )
        )

    def _find(self, query: Document, limit: int) -> list[Job]:
        docs = mongo_call(lambda: list(self._jobs.find(query).sort("created_at", ASCENDING).limit(limit)))
        jobs = []
        for doc in docs:
            try:
                jobs.append(_job_from_doc(doc))
            except (KeyError, TypeError, ValueError) as exc:
                # One unreadable document must not stop the sweeper for every other job.
                log.error("Job %s cannot be read (%s); skipped", doc.get("_id"), type(exc).__name__)
        return jobs

    def of_tenant(self, tenant_id: str, limit: int) -> list[Job]:
        """Up to ``limit`` of the tenant's jobs, oldest first (for purging a tenant)."""
        return self._find({"tenant_id": tenant_id, "status": {"$ne": REFUSED}}, limit)

    def existing_ids(self, job_ids: set[str]) -> set[str]:
        """Which of ``job_ids`` are stored jobs (a refused upload's marker is not a job)."""
        if not job_ids:
            return set()
        docs = mongo_call(
            lambda: list(
                self._jobs.find({"_id": {"$in": sorted(job_ids)}, "status": {"$ne": REFUSED}}, {"_id": 1})
            )
        )
        return {doc["_id"] for doc in docs}

    def delete(self, job: Job) -> None:
        """Remove the job and its parsed report (its blobs are the caller's)."""
        mongo_call(lambda: self._reports.delete_one({"_id": job.report_id}))
        mongo_call(lambda: self._jobs.delete_one({"_id": job.id}))

    def ensure_leased(self, job: Job) -> None:
        """Raise :class:`LeaseLost` unless ``job``'s lease is still the current one."""
        token = job.lease.token if job.lease else None
        found = mongo_call(lambda: self._jobs.count_documents({"_id": job.id, "lease.token": token}, limit=1))
        if token is None or not found:
            raise LeaseLost(job.id)

    def delete_parsed_report(self, report_id: str) -> None:
        """Remove a report (one written by a worker that lost its lease)."""
        mongo_call(lambda: self._reports.delete_one({"_id": report_id}))

    def save_parsed_report(self, job: Job, report: ParsedReport, model: str, now: datetime) -> None:
        """Store the report under the job's pre-allocated ``report_id``.

        Keyed by that id, so a second worker finishing the same job after a lease
        takeover overwrites rather than duplicates: one document per job, always.
        """
        doc = {
            "_id": job.report_id,
            "job_id": job.id,
            "tenant_id": job.tenant_id,
            "project_id": job.project_id,
            "parsed_data": report.model_dump(mode="json"),
            "model": model,
            "created_at": now,
        }
        mongo_call(lambda: self._reports.replace_one({"_id": job.report_id}, doc, upsert=True))

    # -- helpers -----------------------------------------------------------------------------

    def _finish_attempt(
        self,
        job: Job,
        now: datetime,
        target: JobStatus,
        outcome: AttemptOutcome,
        *,
        error: JobError | None,
        extra: Document,
    ) -> Job:
        if job.lease is None:
            raise LeaseLost(job.id)
        token = job.lease.token
        index = len(job.history) - 1
        update: Document = {
            "status": target.value,
            "lease": None,
            "updated_at": now,
            f"history.{index}.ended_at": now,
            f"history.{index}.outcome": outcome.value,
            f"history.{index}.error_code": error.code if error else None,
            **_notification(job, target, now),
            **extra,
        }
        result = mongo_call(
            lambda: self._jobs.update_one(
                {
                    "_id": job.id,
                    "status": {"$in": [s.value for s in sources_of(target)]},
                    "lease.token": token,
                },
                {"$set": update},
            )
        )
        if result.matched_count == 0:
            raise LeaseLost(job.id)
        updated = self.get(job.id)
        assert updated is not None
        return updated


def _notification(job: Job, target: JobStatus, now: datetime) -> Document:
    """The webhook outbox entry written with a job's final transition, when it has a webhook."""
    if not target.is_final or job.webhook_url is None:
        return {}
    return {"webhook": delivery_to_doc(new_delivery(event_for(target is JobStatus.COMPLETED), now))}


def _claimable(job: Job, now: datetime) -> bool:
    if job.attempts >= job.max_attempts:
        return False
    if job.status is JobStatus.PENDING:
        # A duplicate message that arrives before the backoff ended waits for its own.
        return job.next_attempt_at is None or job.next_attempt_at <= now + CLOCK_SLACK
    return job.status is JobStatus.PROCESSING and job.lease is not None and job.lease.expires_at <= now


def _ended(attempt: Attempt, now: datetime, outcome: AttemptOutcome, error_code: str | None) -> Attempt:
    return Attempt(attempt.number, attempt.worker, attempt.started_at, now, outcome, error_code)


def _attempt_to_doc(attempt: Attempt) -> Document:
    doc = asdict(attempt)
    doc["outcome"] = attempt.outcome.value if attempt.outcome else None
    return doc


def _job_to_doc(job: Job) -> Document:
    return {
        "_id": job.id,
        "report_id": job.report_id,
        "tenant_id": job.tenant_id,
        "project_id": job.project_id,
        "status": job.status.value,
        "files": [asdict(item) for item in job.files],
        "attempts": job.attempts,
        "max_attempts": job.max_attempts,
        "webhook_url": job.webhook_url,
        "message_sent": job.message_sent,
        "message_sent_at": job.message_sent_at,
        "lease": asdict(job.lease) if job.lease else None,
        "next_attempt_at": job.next_attempt_at,
        "history": [_attempt_to_doc(item) for item in job.history],
        "error": asdict(job.error) if job.error else None,
        "model": job.model,
        "created_at": job.created_at,
        "updated_at": job.updated_at,
        "completed_at": job.completed_at,
        "failed_at": job.failed_at,
        "webhook": delivery_to_doc(job.webhook) if job.webhook else None,
    }


def _job_from_doc(doc: Document) -> Job:
    lease = doc.get("lease")
    error = doc.get("error")
    return Job(
        id=doc["_id"],
        report_id=doc["report_id"],
        tenant_id=doc["tenant_id"],
        project_id=doc["project_id"],
        status=JobStatus(doc["status"]),
        files=tuple(from_fields(StoredFile, item) for item in doc.get("files", [])),
        attempts=doc["attempts"],
        max_attempts=doc["max_attempts"],
        created_at=doc["created_at"],
        updated_at=doc["updated_at"],
        webhook_url=doc.get("webhook_url"),
        message_sent=doc.get("message_sent", False),
        message_sent_at=doc.get("message_sent_at"),
        lease=from_fields(Lease, lease) if lease else None,
        next_attempt_at=doc.get("next_attempt_at"),
        completed_at=doc.get("completed_at"),
        failed_at=doc.get("failed_at"),
        error=from_fields(JobError, error) if error else None,
        history=tuple(
            Attempt(
                number=item["number"],
                worker=item["worker"],
                started_at=item["started_at"],
                ended_at=item.get("ended_at"),
                outcome=AttemptOutcome(item["outcome"]) if item.get("outcome") else None,
                error_code=item.get("error_code"),
            )
            for item in doc.get("history", [])
        ),
        model=doc.get("model"),
        webhook=delivery_from_doc(doc["webhook"]) if doc.get("webhook") else None,
    )
