"""Webhook deliveries in MongoDB: the ``webhook`` field of a job in ``parsing_jobs``.

The transitions are the domain's (:mod:`lib.domain.webhooks`); :meth:`DeliveryStore.apply`
writes one as a single conditional ``find_one_and_update`` whose filter is the
change's :class:`~lib.domain.webhooks.DeliveryExpect`, so a message of a replaced
delivery, a duplicate message or a second worker changes nothing. The job store
embeds the delivery with :func:`delivery_to_doc` / :func:`delivery_from_doc`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pymongo import ReturnDocument
from pymongo.database import Database

from lib.adapters.indexes import JOBS
from lib.adapters.mongo_client import mongo_call
from lib.domain.jobs import JobStatus
from lib.domain.webhooks import DeliveryAttempt, DeliveryChange, DeliveryExpect, WebhookDelivery, WebhookState

Document = dict[str, Any]

_FINAL = [JobStatus.COMPLETED.value, JobStatus.FAILED.value, JobStatus.CANCELLED.value]


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _AttemptDoc(_Doc):
    number: int
    at: datetime
    outcome: str
    status_code: int | None = None
    error: str | None = None
    duration_ms: int = 0


class _DeliveryDoc(_Doc):
    """The ``webhook`` sub-document; unknown fields (a newer version's) are ignored on read."""

    message_id: str
    event: str
    state: WebhookState
    created_at: datetime
    attempts: int = 0
    message_sent: bool = False
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    history: list[_AttemptDoc] = []


def delivery_to_doc(delivery: WebhookDelivery) -> Document:
    """A delivery as stored in the job's ``webhook`` field."""
    return _DeliveryDoc.model_validate(delivery, from_attributes=True).model_dump(mode="python") | {
        "state": delivery.state.value
    }


def delivery_from_doc(doc: Document) -> WebhookDelivery:
    """The inverse of :func:`delivery_to_doc`."""
    stored = _DeliveryDoc.model_validate(doc)
    return WebhookDelivery(
        **stored.model_dump(exclude={"history"}),
        history=tuple(DeliveryAttempt(**item.model_dump()) for item in stored.history),
    )


def _filter(job_id: str, expect: DeliveryExpect) -> Document:
    query: Document = {"_id": job_id}
    if expect.job_ended:
        query |= {"status": {"$in": _FINAL}, "webhook_url": {"$ne": None}}
    if expect.message_id is not None:
        query["webhook.message_id"] = expect.message_id
    if expect.state is not None:
        query["webhook.state"] = expect.state.value
    if expect.attempts is not None:
        query["webhook.attempts"] = expect.attempts
    return query


class DeliveryStore:
    """The :class:`lib.ports.webhooks.Deliveries` port on MongoDB; the job's own fields are the job store's."""

    def __init__(self, db: Database[Document]) -> None:
        self._jobs = db[JOBS]

    def apply(self, job_id: str, change: DeliveryChange) -> WebhookDelivery | None:
        """Write ``change`` if the stored job meets its condition; the delivery after it, or ``None``."""
        doc = delivery_to_doc(change.delivery)
        update = (
            {"webhook": doc}
            if change.replaces
            else {f"webhook.{name}": doc[name] for name in sorted(change.fields)}
        )
        stored = mongo_call(
            lambda: self._jobs.find_one_and_update(
                _filter(job_id, change.expect),
                {"$set": update},
                projection={"webhook": 1},
                return_document=ReturnDocument.AFTER,
            )
        )
        if stored is None or not stored.get("webhook"):
            return None
        return delivery_from_doc(stored["webhook"])

    def mark_sent(self, job_id: str, message_id: str) -> None:
        """Record that the delivery's queue message went out."""
        mongo_call(
            lambda: self._jobs.update_one(
                _filter(job_id, DeliveryExpect(message_id, None)), {"$set": {"webhook.message_sent": True}}
            )
        )

    def reschedule(self, job_id: str, message_id: str, due: datetime) -> None:
        """Make a pending delivery due at ``due`` (its message is being sent again)."""
        mongo_call(
            lambda: self._jobs.update_one(
                _filter(job_id, DeliveryExpect(message_id)), {"$set": {"webhook.next_attempt_at": due}}
            )
        )
