"""Ports for webhook deliveries: where they are recorded, and how a POST is made.

:class:`Deliveries` is implemented by :class:`lib.adapters.delivery_store.DeliveryStore`
(the ``webhook`` field of a job in MongoDB) and
:class:`tests.support.fakes.webhooks.FakeDeliveries`; :class:`WebhookPoster` by
:class:`lib.adapters.webhook_sender.WebhookSender` and
:class:`tests.support.fakes.webhooks.FakeWebhookPoster`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from lib.domain.webhook_outcomes import PostAnswer
from lib.domain.webhooks import DeliveryChange, WebhookDelivery


class Deliveries(Protocol):
    """Bookkeeping of a job's current webhook delivery; the job's own fields belong to the job store."""

    def apply(self, job_id: str, change: DeliveryChange) -> WebhookDelivery | None:
        """Apply ``change`` as one conditional write; the stored delivery after it, or ``None``
        when the job or its delivery no longer meets ``change.expect``."""
        ...

    def mark_sent(self, job_id: str, message_id: str) -> None:
        """Record that the delivery's queue message went out (nothing if it was replaced)."""
        ...

    def reschedule(self, job_id: str, message_id: str, due: datetime) -> None:
        """Make a pending delivery due at ``due`` (its message is being sent again)."""
        ...


class WebhookPoster(Protocol):
    """Makes one signed POST and reports what happened, as a plain value; never raises for
    anything the network or the receiver does."""

    def post(
        self, url: str, *, message_id: str, payload: bytes, secrets: Sequence[str], now: datetime
    ) -> PostAnswer:
        """POST ``payload`` (UTF-8 JSON) to ``url``, signed with each of ``secrets`` at ``now``."""
        ...

    def close(self) -> None:
        """Release the HTTP client (at shutdown)."""
        ...
