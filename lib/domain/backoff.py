"""How long to wait before trying again: one schedule type for parse retries and webhook retries.

A schedule is a table of base delays, one per failed try (the last entry repeats),
each scaled by a random factor drawn from ``jitter`` so that work failing together
does not come back together. Parse retries grow exponentially to a cap; webhook
retries follow a fixed table that spreads attempts over about a day.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

#: Webhook delays after try 1, 2, ... in seconds, for a base of 5 s (the last one repeats).
WEBHOOK_STEPS: Final = (5, 30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600, 12 * 3600)
#: Exponential tables stop at the cap or after this many entries, whichever comes first.
_MAX_ENTRIES: Final = 64


@dataclass(frozen=True)
class Backoff:
    """Delays between tries: ``schedule[n-1]`` seconds after failed try ``n``, times a jitter factor."""

    schedule: tuple[float, ...]
    jitter: tuple[float, float]

    def __post_init__(self) -> None:
        if not self.schedule or min(self.schedule) < 0:
            raise ValueError("a backoff schedule needs at least one non-negative delay")
        low, high = self.jitter
        if not 0 <= low <= high:
            raise ValueError("jitter must be a range 0 <= low <= high")

    @classmethod
    def exponential(cls, base_seconds: float, cap_seconds: float) -> Backoff:
        """``base * 2**(n-1)`` capped at ``cap``, scaled by [0.5, 1.0] ("equal jitter")."""
        schedule: list[float] = []
        while len(schedule) < _MAX_ENTRIES:
            delay = min(cap_seconds, base_seconds * 2 ** len(schedule))
            schedule.append(delay)
            if delay >= cap_seconds:
                break
        return cls(tuple(schedule), (0.5, 1.0))

    @classmethod
    def webhook(cls, base_seconds: float) -> Backoff:
        """:data:`WEBHOOK_STEPS` scaled by ``base_seconds / 5``, ±20 % jitter."""
        return cls(tuple(step * base_seconds / 5 for step in WEBHOOK_STEPS), (0.8, 1.2))

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        """How long to wait after failed try number ``attempt`` (1-based)."""
        if attempt < 1:
            raise ValueError("attempt numbers start at 1")
        step = self.schedule[min(attempt, len(self.schedule)) - 1]
        return timedelta(seconds=step * rng.uniform(*self.jitter))

    @property
    def longest(self) -> timedelta:
        """The longest delay this schedule can give."""
        return timedelta(seconds=max(self.schedule) * self.jitter[1])
