"""What a webhook POST came to, and what that means for the delivery: pure classification.

The poster (:class:`lib.ports.webhooks.WebhookPoster`) reports plain facts, one of
:data:`PostAnswer`; :func:`classify` decides:

====================================================  =========  ===========================
what happened                                         outcome    error / extra
====================================================  =========  ===========================
2xx                                                   DELIVERED
410 Gone                                              GONE       stop retrying
URL fails the SSRF guard at delivery                  REFUSED    the guard's message
host does not resolve at delivery                     RETRY      may be a DNS hiccup
any other status: 1xx, 3xx (not followed), 4xx, 5xx   RETRY      ``Retry-After`` on 429/503
time-out, no answer within the attempt's budget,      RETRY      the poster's short sentence
connection refused, other transport error
====================================================  =========  ===========================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from enum import Enum
from typing import Final

# Larger hints are cut to this (about 3 years) before anything else caps them further.
_LONGEST_HINT_SECONDS: Final = 10**8


class DeliveryOutcome(str, Enum):
    """How one delivery attempt ended: done, try again later, or stop for good."""

    DELIVERED = "delivered"
    RETRY = "retry"
    GONE = "gone"
    REFUSED = "refused"


@dataclass(frozen=True)
class ReceiverAnswered:
    """The receiver sent a status line; ``retry_after`` is its raw ``Retry-After`` header."""

    status_code: int
    retry_after: str | None = None
    duration_ms: int = 0


@dataclass(frozen=True)
class TransportFailed:
    """No status came back (time-out, refused connection, TLS failure ...); ``error`` is a short sentence."""

    error: str
    duration_ms: int = 0


@dataclass(frozen=True)
class TargetRefused:
    """The URL failed the SSRF guard at delivery time, so nothing was sent.

    ``unresolvable`` when the host did not resolve: the host resolved when the job was
    submitted, so that may be a DNS hiccup.
    """

    reason: str
    unresolvable: bool = False
    duration_ms: int = 0


PostAnswer = ReceiverAnswered | TransportFailed | TargetRefused


@dataclass(frozen=True)
class Verdict:
    """An attempt classified: its outcome, the status if any, a short error, the receiver's wait hint."""

    outcome: DeliveryOutcome
    status_code: int | None = None
    error: str | None = None
    retry_after: timedelta | None = None


def classify(answer: PostAnswer, now: datetime) -> Verdict:
    """What ``answer`` means for the delivery; ``now`` turns an HTTP-date ``Retry-After`` into a wait."""
    if isinstance(answer, TargetRefused):
        outcome = DeliveryOutcome.RETRY if answer.unresolvable else DeliveryOutcome.REFUSED
        return Verdict(outcome, error=answer.reason)
    if isinstance(answer, TransportFailed):
        return Verdict(DeliveryOutcome.RETRY, error=answer.error)
    status = answer.status_code
    if 200 <= status < 300:
        return Verdict(DeliveryOutcome.DELIVERED, status)
    outcome = DeliveryOutcome.GONE if status == 410 else DeliveryOutcome.RETRY
    hint = parse_retry_after(answer.retry_after, now) if status in (429, 503) else None
    return Verdict(outcome, status, f"receiver answered {status}", hint)


def parse_retry_after(value: str | None, now: datetime) -> timedelta | None:
    """``Retry-After`` as a wait from ``now``: delta-seconds or an HTTP-date; ``None`` if absent or bad."""
    if not value:
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        return timedelta(seconds=min(int(value), _LONGEST_HINT_SECONDS))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError):
        return None
    when = when if when.tzinfo is not None else when.replace(tzinfo=UTC)
    return max(timedelta(0), when - now)
