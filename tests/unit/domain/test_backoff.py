import random
from datetime import timedelta

import pytest

from lib.domain.backoff import WEBHOOK_STEPS, Backoff


class Fixed(random.Random):
    """Draws the low end, the middle or the high end of every range."""

    def __init__(self, where: str) -> None:
        super().__init__(0)
        self.where = where

    def uniform(self, a: float, b: float) -> float:
        return {"low": a, "mid": (a + b) / 2, "high": b}[self.where]


def test_exponential_doubles_up_to_the_cap_and_stays_there():
    backoff = Backoff.exponential(base_seconds=10, cap_seconds=60)
    ceilings = [backoff.delay(n, Fixed("high")) for n in range(1, 7)]
    assert ceilings == [timedelta(seconds=s) for s in (10, 20, 40, 60, 60, 60)]


def test_exponential_jitter_is_equal_jitter():
    backoff = Backoff.exponential(base_seconds=10, cap_seconds=60)
    assert backoff.delay(2, Fixed("low")) == timedelta(seconds=10)
    rng = random.Random(7)
    for n in range(1, 10):
        seconds = backoff.delay(n, rng).total_seconds()
        assert min(60, 10 * 2 ** (n - 1)) * 0.5 <= seconds <= min(60, 10 * 2 ** (n - 1))


def test_webhook_schedule_follows_the_table_scaled_by_the_base():
    backoff = Backoff.webhook(base_seconds=10)
    mids = [backoff.delay(n, Fixed("mid")).total_seconds() for n in range(1, len(WEBHOOK_STEPS) + 3)]
    assert mids == [step * 2 for step in WEBHOOK_STEPS] + [WEBHOOK_STEPS[-1] * 2] * 2
    assert backoff.delay(3, Fixed("low")) == timedelta(seconds=120 * 2 * 0.8)
    assert backoff.longest == timedelta(seconds=12 * 3600 * 2 * 1.2)


def test_tiny_cap_gives_a_one_entry_schedule():
    assert Backoff.exponential(base_seconds=5, cap_seconds=1).schedule == (1,)


@pytest.mark.parametrize(
    ("schedule", "jitter"),
    [((), (0.5, 1.0)), ((-1.0,), (0.5, 1.0)), ((1.0,), (1.0, 0.5)), ((1.0,), (-0.1, 1.0))],
)
def test_invalid_schedules_are_refused(schedule, jitter):
    with pytest.raises(ValueError, match=r"backoff|jitter"):
        Backoff(schedule, jitter)


def test_attempts_start_at_one():
    with pytest.raises(ValueError, match="start at 1"):
        Backoff.webhook(5).delay(0, random.Random(0))
