"""Timer schedules (no services needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from tools.funchost.config import HostConfigError
from tools.funchost.timers import Schedule

BASE = dt.datetime(2025, 1, 1, 12, 0, 0, 300_000, tzinfo=dt.UTC)


def test_six_field_ncrontab_has_seconds_first() -> None:
    assert Schedule("* * * * * *").next_after(BASE) == BASE.replace(second=1, microsecond=0)
    assert Schedule("*/5 * * * * *").next_after(BASE) == BASE.replace(second=5, microsecond=0)
    assert Schedule("0 */5 * * * *").next_after(BASE) == BASE.replace(minute=5, microsecond=0)
    assert Schedule("30 0 9 * * 1-5").next_after(BASE) == dt.datetime(2025, 1, 2, 9, 0, 30, tzinfo=dt.UTC)


def test_next_occurrence_is_strictly_later() -> None:
    on_the_dot = BASE.replace(microsecond=0)
    assert Schedule("* * * * * *").next_after(on_the_dot) == on_the_dot + dt.timedelta(seconds=1)


def test_timespan_schedules_are_intervals() -> None:
    assert Schedule("00:05:00").next_after(BASE) == BASE + dt.timedelta(minutes=5)


@pytest.mark.parametrize("expression", ["*/5 * * * *", "not a schedule", "61 * * * * *", "00:00:00"])
def test_bad_schedules_are_refused(expression: str) -> None:
    with pytest.raises(HostConfigError):
        Schedule(expression)
