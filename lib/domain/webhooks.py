"""Webhook deliveries: one per ended job (and per redelivery), with its attempts and transitions.

A delivery is created in the same write that ends the job (the outbox), so a job
that ended always has its notification recorded before anything is sent. Its
``message_id`` is the Standard Webhooks ``webhook-id``: the same on every retry of
that delivery, so receivers can deduplicate; a redelivery gets a new one.

::

    pending --start_attempt--> pending (attempts + 1, due again only if its worker dies)
    pending --record_outcome: 2xx--> delivered
    pending --record_outcome: retry, attempts left--> pending (next_attempt_at = backoff)
    pending --record_outcome: 410 Gone, refused, or attempts exhausted--> failed
    pending --fail_poisoned--> failed
    (any, job ended) --redelivery--> a new pending delivery with a new message_id
    (any) --the job is purged--> gone with it (the tombstone has no delivery)

Each transition is pure: it returns a :class:`DeliveryChange`, the new delivery plus
the :class:`DeliveryExpect` the stored one must still meet. The store applies it
as one conditional write and reports when the condition did not match (another
worker, a duplicate message, or a replaced delivery got there first).
"""

from __future__ import annotations

import dataclasses
import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum

from lib.domain.backoff import Backoff
from lib.domain.clock import CLOCK_SLACK
from lib.domain.webhook_outcomes import DeliveryOutcome, Verdict


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
    """One POST to the receiver, as recorded on the job. ``outcome`` is an :class:`DeliveryOutcome` value."""

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


#: Every field of a delivery: a change that sets all of them replaces the delivery.
DELIVERY_FIELDS = frozenset(item.name for item in dataclasses.fields(WebhookDelivery))
# What recording an attempt's outcome writes (never the count: that was the start's).
_OUTCOME_FIELDS = frozenset({"state", "next_attempt_at", "delivered_at", "message_sent", "history"})


@dataclass(frozen=True)
class DeliveryExpect:
    """What the stored delivery must be for a change to apply.

    ``message_id`` names the delivery (``None``: whichever is current, for a
    redelivery); ``state`` and ``attempts``, when set, must match too.
    ``job_ended`` requires the job to have ended with a ``webhook_url``.
    """

    message_id: str | None
    state: WebhookState | None = WebhookState.PENDING
    attempts: int | None = None
    job_ended: bool = False


@dataclass(frozen=True)
class DeliveryChange:
    """One transition of a delivery: the delivery as it will be, the fields that change, the condition.

    Like :class:`lib.domain.jobs.Change`: ``fields`` names the :class:`WebhookDelivery`
    attributes the store writes; everything else stays as stored.
    """

    delivery: WebhookDelivery
    fields: frozenset[str]
    expect: DeliveryExpect

    @property
    def replaces(self) -> bool:
        """Whether the change writes a whole new delivery."""
        return self.fields == DELIVERY_FIELDS


@dataclass(frozen=True)
class RetryRules:
    """How many attempts a delivery gets and how long to wait between them.

    A receiver's ``Retry-After`` is honoured, but never beyond ``max_retry_after``.
    """

    max_attempts: int
    backoff: Backoff
    max_retry_after: timedelta = timedelta(hours=12)


#: The webhook event of each final job status (by the status's value).
EVENTS = {"completed": "job.completed", "failed": "job.failed", "cancelled": "job.cancelled"}


def event_for(status: str) -> str:
    """The event name of a job that ended in ``status`` (a final status's value)."""
    try:
        return EVENTS[status]
    except KeyError:
        raise ValueError(f"no webhook event for a job that is {status}") from None


def new_delivery(event: str, now: datetime) -> WebhookDelivery:
    """A fresh delivery with a new ``webhook-id``, due now."""
    return WebhookDelivery(
        message_id=f"msg_{secrets.token_hex(12)}",
        event=event,
        state=WebhookState.PENDING,
        created_at=now,
        next_attempt_at=now,
    )


def is_due(delivery: WebhookDelivery, message_id: str, now: datetime) -> bool:
    """Whether a message naming ``message_id`` may make an attempt at ``delivery`` now.

    Not when the message belongs to a replaced delivery, the delivery has ended, or
    the message arrived (well) before the attempt is due.
    """
    if delivery.message_id != message_id or delivery.state is not WebhookState.PENDING:
        return False
    return delivery.next_attempt_at is None or delivery.next_attempt_at <= now + CLOCK_SLACK


def start_attempt(delivery: WebhookDelivery, now: datetime, lost_after: timedelta) -> DeliveryChange:
    """Count an attempt before making it; only one worker can start attempt ``attempts + 1``.

    The delivery becomes due again at ``now + lost_after``: when the sweeper may assume
    the attempt's worker died.
    """
    _require_pending(delivery)
    started = dataclasses.replace(delivery, attempts=delivery.attempts + 1, next_attempt_at=now + lost_after)
    condition = DeliveryExpect(delivery.message_id, WebhookState.PENDING, delivery.attempts)
    return DeliveryChange(started, frozenset({"attempts", "next_attempt_at"}), condition)


def record_outcome(
    delivery: WebhookDelivery,
    verdict: Verdict,
    duration_ms: int,
    now: datetime,
    rules: RetryRules,
    rng: random.Random,
) -> DeliveryChange:
    """Record the attempt just made (attempt number ``delivery.attempts``) and where the delivery goes.

    Delivered on 2xx; pending again after a backoff delay (at least the receiver's
    ``Retry-After``) while attempts are left; failed otherwise. A pending result needs
    a new queue message, so ``message_sent`` goes back to ``False``.
    """
    _require_pending(delivery)
    number = delivery.attempts
    attempt = DeliveryAttempt(
        number, now, verdict.outcome.value, verdict.status_code, verdict.error, duration_ms
    )
    history = (*delivery.history, attempt)
    if verdict.outcome is DeliveryOutcome.DELIVERED:
        new = dataclasses.replace(
            delivery,
            state=WebhookState.DELIVERED,
            next_attempt_at=None,
            delivered_at=now,
            message_sent=True,
            history=history,
        )
    elif verdict.outcome is DeliveryOutcome.RETRY and number < rules.max_attempts:
        new = dataclasses.replace(
            delivery,
            next_attempt_at=now + retry_delay(number, verdict, rules, rng),
            message_sent=False,
            history=history,
        )
    else:
        new = dataclasses.replace(
            delivery, state=WebhookState.FAILED, next_attempt_at=None, message_sent=True, history=history
        )
    condition = DeliveryExpect(delivery.message_id, WebhookState.PENDING, number)
    return DeliveryChange(new, _OUTCOME_FIELDS, condition)


def retry_delay(number: int, verdict: Verdict, rules: RetryRules, rng: random.Random) -> timedelta:
    """The wait after failed attempt ``number``: the backoff, or the receiver's (capped) hint if longer."""
    delay = rules.backoff.delay(number, rng)
    if verdict.retry_after is not None:
        delay = max(delay, min(verdict.retry_after, rules.max_retry_after))
    return delay


def fail_poisoned(delivery: WebhookDelivery, message_id: str) -> DeliveryChange:
    """End a pending delivery whose message kept crashing the worker.

    The condition names ``message_id``: a poisoned message of a replaced delivery fails nothing.
    """
    failed = dataclasses.replace(delivery, state=WebhookState.FAILED, next_attempt_at=None)
    return DeliveryChange(failed, frozenset({"state", "next_attempt_at"}), DeliveryExpect(message_id))


def redelivery(status: str, now: datetime) -> DeliveryChange:
    """A fresh delivery (new ``webhook-id``) of the notification of a job that ended in ``status``,
    replacing the current one."""
    delivery = new_delivery(event_for(status), now)
    return DeliveryChange(delivery, DELIVERY_FIELDS, DeliveryExpect(None, None, job_ended=True))


def _require_pending(delivery: WebhookDelivery) -> None:
    if delivery.state is not WebhookState.PENDING:
        raise ValueError(f"delivery {delivery.message_id} has ended ({delivery.state.value})")
