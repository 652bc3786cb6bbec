"""Webhook deliveries: one per ended job (and per redelivery), with its attempts.

A delivery is created in the same write that ends the job (the outbox), so a job
that ended always has its notification recorded before anything is sent. Its
``message_id`` is the Standard Webhooks ``webhook-id``: the same on every retry of
that delivery, so receivers can deduplicate; a redelivery gets a new one.

::

    pending --2xx--> delivered
    pending --5xx/429/timeout/..., attempts left--> pending (next_attempt_at)
    pending --410 Gone, unsafe URL, or attempts exhausted--> failed
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum


class WebhookState(str, Enum):
    """Where a delivery is. ``delivered`` and ``failed`` are final."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class PayloadMode(str, Enum):
    """What a project's webhooks carry: the whole status document, or ids and status only."""

    FULL = "full"
    THIN = "thin"


@dataclass(frozen=True)
class DeliveryAttempt:
    """One POST to the receiver, as recorded on the job."""

    number: int
    at: datetime
    outcome: str
    status_code: int | None
    error: str | None
    duration_ms: int


@dataclass(frozen=True)
class WebhookDelivery:
    """The current delivery of a job's notification."""

    message_id: str
    event: str
    state: WebhookState
    created_at: datetime
    attempts: int = 0
    message_sent: bool = False
    next_attempt_at: datetime | None = None
    delivered_at: datetime | None = None
    history: tuple[DeliveryAttempt, ...] = field(default_factory=tuple)

    @property
    def last_attempt(self) -> DeliveryAttempt | None:
        """The most recent attempt, if any."""
        return self.history[-1] if self.history else None


def event_for(completed: bool) -> str:
    """The event name of an ended job."""
    return "job.completed" if completed else "job.failed"


def new_delivery(event: str, now: datetime) -> WebhookDelivery:
    """A fresh delivery with a new ``webhook-id``, due now."""
    return WebhookDelivery(
        message_id=f"msg_{secrets.token_hex(12)}",
        event=event,
        state=WebhookState.PENDING,
        created_at=now,
        next_attempt_at=now,
    )
