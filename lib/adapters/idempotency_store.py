"""``idempotency_keys`` in MongoDB: one document per (tenant, key), each write one conditional operation.

The document's ``_id`` is ``"{tenant_id}:{key_digest}"`` (a tenant id never holds a
colon), so the claim is a plain insert that the ``_id`` makes unique, on every
server and on Cosmos DB RU without a unique index. Later writes filter on the
``_id``, the ``token`` and the ``locked_until`` the writer last saw (compare and
set; BSON keeps datetimes to the millisecond and pymongo truncates a query's
datetimes the same way). ``expires_at`` is stored for the TTL index;
readers judge expiry themselves (:func:`lib.domain.idempotency.judge`).
"""

from __future__ import annotations

import functools
import logging
from typing import Any

from pydantic import TypeAdapter
from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError, OperationFailure

from lib.adapters.indexes import IDEMPOTENCY_INDEXES, IDEMPOTENCY_KEYS, ensure_indexes
from lib.adapters.mongo_client import mongo_call
from lib.domain.idempotency import REPLAY_WINDOW, IdempotencyRecord, KeyState

Document = dict[str, Any]

log = logging.getLogger(__name__)

_RECORD = TypeAdapter(IdempotencyRecord)
_COSMOS_TTL_FIELD = "_ts"


class IdempotencyStore:
    """Idempotency records in ``idempotency_keys``: mapping and conditional writes, nothing decided here."""

    def __init__(self, db: Database[Document]) -> None:
        self._keys = db[IDEMPOTENCY_KEYS]

    def ensure_indexes(self) -> None:
        """Create the TTL index: on ``expires_at`` where the server allows it, else on Cosmos DB's ``_ts``.

        Cosmos DB for MongoDB (RU) refuses a TTL index on any field but its system
        field ``_ts`` (the time of the last write); there the records go
        :data:`REPLAY_WINDOW` after their last write, which is never before their
        ``expires_at`` matters. Either way the sweep only saves space: an expired
        record is ignored when read.
        """
        try:
            ensure_indexes(self._keys.database, IDEMPOTENCY_INDEXES)
        except OperationFailure as exc:
            existing = mongo_call(lambda: [tuple(index["key"]) for index in self._keys.list_indexes()])
            if (_COSMOS_TTL_FIELD,) in existing:
                return
            log.info("TTL index on expires_at refused (%s); using _ts", exc.code)
            mongo_call(
                functools.partial(
                    self._keys.create_index,
                    [(_COSMOS_TTL_FIELD, ASCENDING)],
                    expireAfterSeconds=int(REPLAY_WINDOW.total_seconds()),
                )
            )

    def insert(self, record: IdempotencyRecord) -> bool:
        """Claim the key; ``False`` when the tenant's key is stored already."""
        doc = _to_doc(record)
        try:
            mongo_call(lambda: self._keys.insert_one(doc))
        except DuplicateKeyError:
            return False
        return True

    def get(self, tenant_id: str, key_digest: str) -> IdempotencyRecord | None:
        """The stored record, or ``None``."""
        doc = mongo_call(lambda: self._keys.find_one({"_id": _doc_id(tenant_id, key_digest)}))
        return _from_doc(doc) if doc else None

    def replace(self, current: IdempotencyRecord, new: IdempotencyRecord) -> bool:
        """Store ``new`` if the stored record still has ``current``'s token and lock."""
        if _doc_id(new.tenant_id, new.key_digest) != _doc_id(current.tenant_id, current.key_digest):
            return False
        doc = _to_doc(new)
        query = {"_id": doc.pop("_id"), "token": current.token, "locked_until": current.locked_until}
        result = mongo_call(lambda: self._keys.replace_one(query, doc))
        return result.matched_count == 1

    def forget_job(self, tenant_id: str, job_id: str) -> None:
        """Remove the records that answer with ``job_id`` (the job is being purged: its 202 held its webhook URL)."""
        mongo_call(lambda: self._keys.delete_many({"tenant_id": tenant_id, "job_id": job_id}))

    def forget_tenant(self, tenant_id: str) -> None:
        """Remove every record of the tenant (it is being deleted)."""
        mongo_call(lambda: self._keys.delete_many({"tenant_id": tenant_id}))

    def release(self, record: IdempotencyRecord) -> bool:
        """Remove the record if it is still in progress with ``record``'s token and lock."""
        query = {
            "_id": _doc_id(record.tenant_id, record.key_digest),
            "token": record.token,
            "locked_until": record.locked_until,
            "state": KeyState.IN_PROGRESS.value,
        }
        result = mongo_call(lambda: self._keys.delete_one(query))
        return result.deleted_count == 1


def _doc_id(tenant_id: str, key_digest: str) -> str:
    return f"{tenant_id}:{key_digest}"


def _to_doc(record: IdempotencyRecord) -> Document:
    plain = _RECORD.dump_python(record)
    plain["state"] = record.state.value
    return {"_id": _doc_id(record.tenant_id, record.key_digest), **plain, "expires_at": record.expires_at}


def _from_doc(doc: Document) -> IdempotencyRecord:
    fields = {name: value for name, value in doc.items() if name in IdempotencyRecord.__dataclass_fields__}
    return _RECORD.validate_python(fields)
