"""Port for the idempotency keys of uploads (see :mod:`lib.domain.idempotency`).

Implemented by :class:`lib.adapters.idempotency_store.IdempotencyStore` (MongoDB)
and :class:`tests.support.fakes.idempotency.FakeIdempotencyKeys`;
``tests/contract/test_idempotency_contract.py`` runs the same tests against both.
"""

from __future__ import annotations

from typing import Protocol

from lib.domain.idempotency import IdempotencyRecord


class IdempotencyKeys(Protocol):
    """Records keyed by (tenant, key digest); every write is one conditional operation.

    Writes after the claim compare and set: they apply only while the stored record
    still has the ``token`` and ``locked_until`` the writer last saw, so a claimant
    that lost its claim (a take-over), or a take-over racing a renewal, changes nothing.
    """

    def insert(self, record: IdempotencyRecord) -> bool:
        """Claim the key: store ``record`` unless the tenant's key is stored already (``False``)."""
        ...

    def get(self, tenant_id: str, key_digest: str) -> IdempotencyRecord | None:
        """The stored record of the tenant's key, or ``None`` (whatever its age: the caller judges)."""
        ...

    def replace(self, current: IdempotencyRecord, new: IdempotencyRecord) -> bool:
        """Store ``new`` in place of ``current`` if the stored record still has ``current``'s token and lock."""
        ...

    def forget_job(self, tenant_id: str, job_id: str) -> None:
        """Remove every record of the tenant whose reserved job is ``job_id``."""
        ...

    def forget_tenant(self, tenant_id: str) -> None:
        """Remove every record of the tenant."""
        ...

    def release(self, record: IdempotencyRecord) -> bool:
        """Remove the record if it is still in progress with ``record``'s token and lock."""
        ...
