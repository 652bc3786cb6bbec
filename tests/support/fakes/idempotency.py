"""In-memory stand-in for :mod:`lib.ports.idempotency`: :class:`FakeIdempotencyKeys`."""

from __future__ import annotations

import threading
from datetime import datetime

from lib.domain.idempotency import IdempotencyRecord, KeyState

__all__ = ["FakeIdempotencyKeys"]


class FakeIdempotencyKeys:
    """The :class:`lib.ports.idempotency.IdempotencyKeys` port over a dict keyed by (tenant, key digest)."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], IdempotencyRecord] = {}
        self._lock = threading.Lock()

    def insert(self, record: IdempotencyRecord) -> bool:
        with self._lock:
            return self.records.setdefault(_id(record), record) is record

    def get(self, tenant_id: str, key_digest: str) -> IdempotencyRecord | None:
        return self.records.get((tenant_id, key_digest))

    def replace(self, current: IdempotencyRecord, new: IdempotencyRecord) -> bool:
        with self._lock:
            stored = self.records.get(_id(current))
            if not _same_hold(stored, current) or _id(new) != _id(current):
                return False
            self.records[_id(current)] = new
            return True

    def forget_job(self, tenant_id: str, job_id: str) -> None:
        with self._lock:
            for key, record in list(self.records.items()):
                if record.tenant_id == tenant_id and record.job_id == job_id:
                    del self.records[key]

    def forget_tenant(self, tenant_id: str) -> None:
        with self._lock:
            for key, record in list(self.records.items()):
                if record.tenant_id == tenant_id:
                    del self.records[key]

    def release(self, record: IdempotencyRecord) -> bool:
        with self._lock:
            stored = self.records.get(_id(record))
            if stored is None or not _same_hold(stored, record) or stored.state is not KeyState.IN_PROGRESS:
                return False
            del self.records[_id(record)]
            return True


def _id(record: IdempotencyRecord) -> tuple[str, str]:
    return record.tenant_id, record.key_digest


def _same_hold(stored: IdempotencyRecord | None, seen: IdempotencyRecord) -> bool:
    # MongoDB keeps datetimes to the millisecond; the comparison does too.
    return (
        stored is not None
        and stored.token == seen.token
        and _millis(stored.locked_until) == _millis(seen.locked_until)
    )


def _millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)
