"""Webhook deliveries in MongoDB: the ``webhook`` field of a job in ``parsing_jobs``.

Each write is conditional on the delivery's ``message_id`` (and state), so a message
of a replaced delivery, or a duplicate message, changes nothing.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any

from pymongo.database import Database

from lib.adapters.mongo_client import from_fields, mongo_call
from lib.domain.jobs import JobStatus
from lib.domain.webhooks import DeliveryAttempt, WebhookDelivery, WebhookState

Document = dict[str, Any]


class DeliveryStore:
    """Bookkeeping of webhook deliveries; the job's own fields are the job store's."""

    def __init__(self, db: Database[Document]) -> None:
        self._jobs = db["parsing_jobs"]

    def mark_sent(self, job_id: str, message_id: str) -> None:
        """Record that the delivery's queue message went out."""
        mongo_call(
            lambda: self._jobs.update_one(
                {"_id": job_id, "webhook.message_id": message_id}, {"$set": {"webhook.message_sent": True}}
            )
        )

    def reschedule(self, job_id: str, message_id: str, due: datetime) -> None:
        """Make a pending delivery due at ``due`` (its message is being sent again)."""
        mongo_call(
            lambda: self._jobs.update_one(
                {
                    "_id": job_id,
                    "webhook.message_id": message_id,
                    "webhook.state": WebhookState.PENDING.value,
                },
                {"$set": {"webhook.next_attempt_at": due}},
            )
        )

    def start_attempt(self, job_id: str, message_id: str, attempts: int, due_if_lost: datetime) -> bool:
        """Count an attempt before making it; ``False`` if another worker already did.

        ``due_if_lost`` is when the sweeper should consider this attempt's worker dead.
        """
        result = mongo_call(
            lambda: self._jobs.update_one(
                {
                    "_id": job_id,
                    "webhook.message_id": message_id,
                    "webhook.state": WebhookState.PENDING.value,
                    "webhook.attempts": attempts,
                },
                {"$set": {"webhook.attempts": attempts + 1, "webhook.next_attempt_at": due_if_lost}},
            )
        )
        return result.matched_count == 1

    def record(
        self,
        job_id: str,
        message_id: str,
        attempt: DeliveryAttempt,
        state: WebhookState,
        next_attempt_at: datetime | None,
    ) -> None:
        """Record an attempt's result and where the delivery goes next."""
        update: Document = {
            "webhook.state": state.value,
            "webhook.next_attempt_at": next_attempt_at,
            "webhook.message_sent": state is not WebhookState.PENDING,
        }
        if state is WebhookState.DELIVERED:
            update["webhook.delivered_at"] = attempt.at
        mongo_call(
            lambda: self._jobs.update_one(
                {"_id": job_id, "webhook.message_id": message_id},
                {"$set": update, "$push": {"webhook.history": asdict(attempt)}},
            )
        )

    def fail(self, job_id: str, message_id: str) -> bool:
        """End a pending delivery as failed (its message was poisoned); ``False`` if it had ended."""
        result = mongo_call(
            lambda: self._jobs.update_one(
                {
                    "_id": job_id,
                    "webhook.message_id": message_id,
                    "webhook.state": WebhookState.PENDING.value,
                },
                {"$set": {"webhook.state": WebhookState.FAILED.value, "webhook.next_attempt_at": None}},
            )
        )
        return result.matched_count == 1

    def replace(self, job_id: str, delivery: WebhookDelivery) -> bool:
        """Start a fresh delivery of an ended job's notification (a redelivery)."""
        result = mongo_call(
            lambda: self._jobs.update_one(
                {
                    "_id": job_id,
                    "status": {"$in": [JobStatus.COMPLETED.value, JobStatus.FAILED.value]},
                    "webhook_url": {"$ne": None},
                },
                {"$set": {"webhook": delivery_to_doc(delivery)}},
            )
        )
        return result.matched_count == 1


def delivery_to_doc(delivery: WebhookDelivery) -> Document:
    """A delivery as stored in the job's ``webhook`` field."""
    doc = asdict(delivery)
    doc["state"] = delivery.state.value
    return doc


def delivery_from_doc(doc: Document) -> WebhookDelivery:
    """The inverse of :func:`delivery_to_doc`."""
    return WebhookDelivery(
        message_id=doc["message_id"],
        event=doc["event"],
        state=WebhookState(doc["state"]),
        created_at=doc["created_at"],
        attempts=doc.get("attempts", 0),
        message_sent=doc.get("message_sent", False),
        next_attempt_at=doc.get("next_attempt_at"),
        delivered_at=doc.get("delivered_at"),
        history=tuple(from_fields(DeliveryAttempt, item) for item in doc.get("history", [])),
    )
