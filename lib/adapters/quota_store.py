"""Quota state in MongoDB: ``quota_windows`` (upload counters), ``tenant_limits`` (overrides),
and counts of ``parsing_jobs``.

An upload counter is one document per (tenant, window), ``{_id: "<tenant>|<window
start, epoch seconds>", tenant_id, window_start, count, expires_at}``, changed by one
``find_one_and_update`` with ``$inc``: a single-document write, atomic on MongoDB and
on Cosmos DB, needing no transaction. The window's first upload opens the counter
with an insert (a duplicate key: another instance did it first) before incrementing.
Past windows are never read again; ``expires_at`` lets a TTL index remove them (see
:data:`lib.adapters.indexes.QUOTA_INDEXES`).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Set
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure

from lib.adapters.indexes import JOBS, QUOTA_INDEXES, QUOTA_WINDOWS, TENANT_LIMITS, ensure_indexes
from lib.adapters.mongo_client import mongo_call
from lib.domain.errors import DependencyUnavailable
from lib.domain.jobs import JobStatus
from lib.domain.quotas import TenantLimits, Window

log = logging.getLogger(__name__)

Document = dict[str, Any]

_LIMIT_FIELDS = ("uploads_per_minute", "jobs_in_flight", "parses_at_once")


def _window_id(tenant_id: str, window: Window) -> str:
    # "|" cannot occur in a tenant id (lib.domain.uploads.check_resource_id), so ids never collide.
    return f"{tenant_id}|{int(window.start.timestamp())}"


class QuotaStore:
    """The :class:`lib.ports.quotas.Quotas` port on MongoDB."""

    def __init__(self, db: Database[Document]) -> None:
        self._db = db
        self._windows = db[QUOTA_WINDOWS]
        self._limits = db[TENANT_LIMITS]
        self._jobs = db[JOBS]

    def ensure_indexes(self) -> None:
        """Create the quota indexes (idempotent).

        A server that refuses a TTL index on a field of our own (Cosmos DB's RU model
        expires documents only through ``_ts``, declared in the infrastructure) does not
        stop the app: the counters are tiny and never read once their window ended.
        """
        try:
            ensure_indexes(self._db, QUOTA_INDEXES)
        except OperationFailure as exc:
            log.warning("Quota index not created (code %s); counters will not expire here", exc.code)

    def count_upload(self, tenant_id: str, window: Window) -> int:
        """One atomic increment of the window's counter; the count including this upload.

        The window's first upload finds no counter: it inserts one at 0 (a duplicate
        key means another instance was first, which is as good) and increments that.
        Not an upsert with ``$inc``: when two such upserts race, a server may apply
        both yet answer one with no document (SecantusDB does), so the count it took
        would be unknown, and trying again would count the upload twice.
        """
        query = {"_id": _window_id(tenant_id, window)}

        def increment() -> Document | None:
            return self._windows.find_one_and_update(
                query, {"$inc": {"count": 1}}, return_document=ReturnDocument.AFTER
            )

        doc = mongo_call(increment)
        if doc is None:
            self._open(tenant_id, window)
            doc = mongo_call(increment)
        if doc is None:  # removed at once: only a hand-made deletion can do that within its window
            raise DependencyUnavailable("mongodb", "the upload counter vanished while it was counted")
        return int(doc["count"])

    def _open(self, tenant_id: str, window: Window) -> None:
        counter = {
            "_id": _window_id(tenant_id, window),
            "tenant_id": tenant_id,
            "window_start": window.start,
            "expires_at": window.expires_at,
            "count": 0,
        }
        with contextlib.suppress(DuplicateKeyError):  # another instance opened it first
            mongo_call(lambda: self._windows.insert_one(counter))

    def uploads_in(self, tenant_id: str, window: Window) -> int:
        """The window's count, 0 before its first upload."""
        doc = mongo_call(lambda: self._windows.find_one({"_id": _window_id(tenant_id, window)}, {"count": 1}))
        return 0 if doc is None else int(doc["count"])

    def count_jobs(self, tenant_id: str, statuses: Set[JobStatus], limit: int) -> int:
        """Jobs of the tenant in these states, on the ``(tenant_id, status)`` index, at most ``limit``."""
        query = {"tenant_id": tenant_id, "status": {"$in": sorted(status.value for status in statuses)}}
        return mongo_call(lambda: self._jobs.count_documents(query, limit=limit))

    def get_limits(self, tenant_id: str) -> TenantLimits:
        """The tenant's overrides; all ``None`` without a document."""
        doc = mongo_call(lambda: self._limits.find_one({"_id": tenant_id}))
        if doc is None:
            return TenantLimits()
        return TenantLimits(**{name: doc.get(name) for name in _LIMIT_FIELDS})

    def set_limits(self, tenant_id: str, limits: TenantLimits, now: datetime) -> None:
        """Replace the overrides (one document per tenant)."""
        doc: Document = {name: getattr(limits, name) for name in _LIMIT_FIELDS}
        doc["updated_at"] = now
        mongo_call(lambda: self._limits.replace_one({"_id": tenant_id}, doc, upsert=True))

    def forget_limits(self, tenant_id: str) -> None:
        """Remove the tenant's overrides and its counters."""
        mongo_call(lambda: self._limits.delete_one({"_id": tenant_id}))
        mongo_call(lambda: self._windows.delete_many({"tenant_id": tenant_id}))
