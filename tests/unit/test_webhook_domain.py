"""The webhook delivery's pure rules: classification, transitions, backoff, secret rotation."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from lib.domain.backoff import Backoff
from lib.domain.tenants import WebhookSecret, rotate_secrets
from lib.domain.webhook_outcomes import (
    DeliveryOutcome,
    PostAnswer,
    ReceiverAnswered,
    TargetRefused,
    TransportFailed,
    Verdict,
    classify,
    parse_retry_after,
)
from lib.domain.webhooks import (
    DELIVERY_FIELDS,
    DeliveryExpect,
    RetryRules,
    WebhookDelivery,
    WebhookState,
    fail_poisoned,
    is_due,
    new_delivery,
    record_outcome,
    redelivery,
    retry_delay,
    start_attempt,
)

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
RULES = RetryRules(max_attempts=3, backoff=Backoff.webhook(5))
LOST_AFTER = timedelta(minutes=12)


class Mid(random.Random):
    """Jitter pinned to the middle of its range: the schedule's own steps."""

    def uniform(self, a: float, b: float) -> float:
        return (a + b) / 2


@pytest.mark.parametrize(
    ("answer", "verdict"),
    [
        (ReceiverAnswered(200), Verdict(DeliveryOutcome.DELIVERED, 200)),
        (ReceiverAnswered(204), Verdict(DeliveryOutcome.DELIVERED, 204)),
        (ReceiverAnswered(299), Verdict(DeliveryOutcome.DELIVERED, 299)),
        (ReceiverAnswered(410), Verdict(DeliveryOutcome.GONE, 410, "receiver answered 410")),
        (ReceiverAnswered(302), Verdict(DeliveryOutcome.RETRY, 302, "receiver answered 302")),
        (ReceiverAnswered(400), Verdict(DeliveryOutcome.RETRY, 400, "receiver answered 400")),
        (ReceiverAnswered(404), Verdict(DeliveryOutcome.RETRY, 404, "receiver answered 404")),
        (ReceiverAnswered(500), Verdict(DeliveryOutcome.RETRY, 500, "receiver answered 500")),
        (ReceiverAnswered(500, "7"), Verdict(DeliveryOutcome.RETRY, 500, "receiver answered 500")),
        (
            ReceiverAnswered(429, "7"),
            Verdict(DeliveryOutcome.RETRY, 429, "receiver answered 429", timedelta(seconds=7)),
        ),
        (
            ReceiverAnswered(503, "Sat, 28 Nov 2026 12:02:00 GMT"),
            Verdict(DeliveryOutcome.RETRY, 503, "receiver answered 503", timedelta(minutes=2)),
        ),
        (TransportFailed("connection refused"), Verdict(DeliveryOutcome.RETRY, None, "connection refused")),
        (
            TargetRefused("webhook host resolves to a private address"),
            Verdict(DeliveryOutcome.REFUSED, None, "webhook host resolves to a private address"),
        ),
        (
            TargetRefused("webhook host could not be resolved", unresolvable=True),
            Verdict(DeliveryOutcome.RETRY, None, "webhook host could not be resolved"),
        ),
    ],
)
def test_classification(answer: PostAnswer, verdict: Verdict) -> None:
    assert classify(answer, T0) == verdict


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (None, None),
        ("", None),
        ("7", 7.0),
        (" 12 ", 12.0),
        ("soon", None),
        ("-5", None),
        ("1" * 40, 1e8),
        ("Mon, 01 Jan 2024 00:00:30 GMT", 30.0),
        ("Sun, 31 Dec 2023 23:00:00 GMT", 0.0),
    ],
)
def test_parse_retry_after(value: str | None, seconds: float | None) -> None:
    wait = parse_retry_after(value, datetime(2024, 1, 1, tzinfo=UTC))
    assert (None if wait is None else wait.total_seconds()) == seconds


def pending(attempts: int = 0) -> WebhookDelivery:
    delivery = new_delivery("job.completed", T0)
    for _ in range(attempts):
        delivery = start_attempt(delivery, T0, LOST_AFTER).delivery
    return delivery


def test_a_new_delivery_is_due_now_with_a_fresh_id() -> None:
    first, second = new_delivery("job.failed", T0), new_delivery("job.failed", T0)
    assert first.message_id != second.message_id
    assert (first.state, first.attempts, first.next_attempt_at) == (WebhookState.PENDING, 0, T0)


def test_is_due_only_for_the_current_pending_delivery_once_due() -> None:
    delivery = pending()
    assert is_due(delivery, delivery.message_id, T0)
    assert not is_due(delivery, "msg_other", T0)
    later = start_attempt(delivery, T0, LOST_AFTER).delivery
    assert not is_due(later, delivery.message_id, T0)  # due again only if the worker died
    assert is_due(later, delivery.message_id, T0 + LOST_AFTER - timedelta(seconds=4))  # clock slack
    ended = fail_poisoned(delivery, delivery.message_id).delivery
    assert not is_due(ended, delivery.message_id, T0)


def test_start_attempt_counts_first_and_requires_the_count_it_read() -> None:
    delivery = pending(attempts=1)
    change = start_attempt(delivery, T0, LOST_AFTER)
    assert (change.delivery.attempts, change.delivery.next_attempt_at) == (2, T0 + LOST_AFTER)
    assert change.expect == DeliveryExpect(delivery.message_id, WebhookState.PENDING, 1)
    assert change.fields == {"attempts", "next_attempt_at"}
    assert not change.replaces


def test_a_2xx_delivers() -> None:
    started = pending(attempts=1)
    change = record_outcome(started, Verdict(DeliveryOutcome.DELIVERED, 204), 15, T0, RULES, Mid())
    done = change.delivery
    assert (done.state, done.delivered_at, done.next_attempt_at) == (WebhookState.DELIVERED, T0, None)
    assert [(a.number, a.outcome, a.status_code, a.duration_ms) for a in done.history] == [
        (1, "delivered", 204, 15)
    ]
    assert change.expect == DeliveryExpect(started.message_id, WebhookState.PENDING, 1)


def test_a_retry_waits_the_backoff_and_needs_a_new_message() -> None:
    started = pending(attempts=2)
    change = record_outcome(
        started, Verdict(DeliveryOutcome.RETRY, 500, "receiver answered 500"), 3, T0, RULES, Mid()
    )
    assert change.delivery.state is WebhookState.PENDING
    assert change.delivery.next_attempt_at == T0 + timedelta(seconds=30)  # the schedule's second step
    assert change.delivery.message_sent is False
    assert change.delivery.history[-1].error == "receiver answered 500"


def test_retry_after_is_honoured_but_capped() -> None:
    short = Verdict(DeliveryOutcome.RETRY, 429, retry_after=timedelta(seconds=1))
    assert retry_delay(1, short, RULES, Mid()) == timedelta(seconds=5)  # the backoff is longer
    long = Verdict(DeliveryOutcome.RETRY, 429, retry_after=timedelta(minutes=20))
    assert retry_delay(1, long, RULES, Mid()) == timedelta(minutes=20)
    huge = Verdict(DeliveryOutcome.RETRY, 503, retry_after=timedelta(days=30))
    assert retry_delay(1, huge, RULES, Mid()) == timedelta(hours=12)


@pytest.mark.parametrize(
    ("verdict", "attempts"),
    [
        (Verdict(DeliveryOutcome.GONE, 410), 1),
        (Verdict(DeliveryOutcome.REFUSED, None, "unsafe"), 1),
        (Verdict(DeliveryOutcome.RETRY, 500), RULES.max_attempts),
    ],
)
def test_gone_refused_or_exhausted_fails(verdict: Verdict, attempts: int) -> None:
    change = record_outcome(pending(attempts), verdict, 0, T0, RULES, Mid())
    assert (change.delivery.state, change.delivery.next_attempt_at) == (WebhookState.FAILED, None)
    assert change.delivery.history[-1].outcome == verdict.outcome.value


def test_an_ended_delivery_has_no_transitions() -> None:
    ended = record_outcome(pending(1), Verdict(DeliveryOutcome.DELIVERED, 200), 0, T0, RULES, Mid()).delivery
    with pytest.raises(ValueError, match="ended"):
        start_attempt(ended, T0, LOST_AFTER)
    with pytest.raises(ValueError, match="ended"):
        record_outcome(ended, Verdict(DeliveryOutcome.DELIVERED, 200), 0, T0, RULES, Mid())


def test_a_poisoned_delivery_fails_only_if_it_is_still_that_pending_delivery() -> None:
    delivery = pending(1)
    change = fail_poisoned(delivery, delivery.message_id)
    assert change.delivery.state is WebhookState.FAILED
    assert change.expect == DeliveryExpect(delivery.message_id, WebhookState.PENDING)


def test_a_redelivery_replaces_the_delivery_of_an_ended_job() -> None:
    change = redelivery("failed", T0)
    assert change.replaces
    assert change.fields == DELIVERY_FIELDS
    assert change.expect == DeliveryExpect(None, None, job_ended=True)
    assert (change.delivery.event, change.delivery.state) == ("job.failed", WebhookState.PENDING)


def secret(name: str, expires_at: datetime | None = None) -> WebhookSecret:
    return WebhookSecret(f"whsec_{name}", T0 - timedelta(days=1), expires_at)


def test_rotation_puts_the_new_secret_first_and_gives_the_old_one_the_overlap() -> None:
    rotation = rotate_secrets((secret("a"),), "whsec_new", timedelta(hours=24), T0)
    assert rotation.expected == (secret("a"),)
    assert rotation.secrets == (WebhookSecret("whsec_new", T0), secret("a", T0 + timedelta(hours=24)))
    assert rotation.newest.secret == "whsec_new"


def test_rotation_keeps_earlier_expiries_and_drops_expired_secrets() -> None:
    current = (secret("b"), secret("a", T0 + timedelta(hours=1)), secret("old", T0 - timedelta(seconds=1)))
    rotation = rotate_secrets(current, "whsec_c", timedelta(hours=24), T0)
    assert [item.secret for item in rotation.secrets] == ["whsec_c", "whsec_b", "whsec_a"]
    assert [item.expires_at for item in rotation.secrets] == [
        None,
        T0 + timedelta(hours=24),
        T0 + timedelta(hours=1),
    ]


def test_secrets_never_show_in_repr() -> None:
    assert "whsec_a" not in repr(secret("a"))
    with pytest.raises(ValueError, match="negative"):
        rotate_secrets((), "whsec_x", timedelta(hours=-1), T0)
