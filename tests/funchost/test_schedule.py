"""Timer schedules with NCrontab's semantics (no services needed)."""

from __future__ import annotations

import datetime as dt

import pytest

from tools.funchost.config import HostConfigError
from tools.funchost.timers import Schedule

BASE = dt.datetime(2025, 1, 1, 12, 0, 0, 300_000, tzinfo=dt.UTC)  # a Wednesday


def _at(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, second, tzinfo=dt.UTC)


def test_six_field_ncrontab_has_seconds_first() -> None:
    assert Schedule("* * * * * *").next_after(BASE) == BASE.replace(second=1, microsecond=0)
    assert Schedule("*/5 * * * * *").next_after(BASE) == BASE.replace(second=5, microsecond=0)
    assert Schedule("0 */5 * * * *").next_after(BASE) == BASE.replace(minute=5, microsecond=0)
    assert Schedule("30 0 9 * * 1-5").next_after(BASE) == _at(2025, 1, 2, 9, 0, 30)


def test_next_occurrence_is_strictly_later() -> None:
    on_the_dot = BASE.replace(microsecond=0)
    assert Schedule("* * * * * *").next_after(on_the_dot) == on_the_dot + dt.timedelta(seconds=1)
    assert Schedule("0 0 12 * * *").next_after(on_the_dot) == _at(2025, 1, 2, 12, 0, 0)


def test_day_of_month_and_day_of_week_must_both_match() -> None:
    # NCrontab checks the weekday after finding the day of month (AND): Friday the 13th is in June
    # 2025. croniter (like Vixie cron) takes either, and would fire on Friday 3 January.
    assert Schedule("0 0 0 13 * 5").next_after(BASE) == _at(2025, 6, 13)
    assert Schedule("0 0 0 1 * Mon").next_after(BASE) == _at(2025, 9, 1)


def test_names_are_case_insensitive_prefixes_and_reversed_ranges_are_swapped() -> None:
    assert Schedule("0 30 9 * Jan Mon").next_after(BASE) == _at(2025, 1, 6, 9, 30)
    assert Schedule("0 0 0 * * wednes").next_after(BASE) == _at(2025, 1, 8)
    assert Schedule("0 0 0 * FEBRUARY *").next_after(BASE) == _at(2025, 2, 1)
    assert Schedule("0 0 5-3 * * *").next_after(BASE) == _at(2025, 1, 2, 3)  # read as 3-5
    assert Schedule("0 50/5 * * * *").next_after(BASE) == _at(2025, 1, 1, 12, 50)  # 50 to 59, every 5
    assert Schedule("0 0 0 1,15 * *").next_after(BASE) == _at(2025, 1, 15)


def test_five_fields_are_read_without_seconds_as_the_timer_extension_does() -> None:
    # CronSchedule.HasSeconds: anything but five fields is parsed with seconds.
    assert Schedule("*/5 * * * *").next_after(BASE) == _at(2025, 1, 1, 12, 5, 0)


def test_a_schedule_that_never_occurs_is_accepted_and_never_due() -> None:
    assert Schedule("0 0 0 30 2 *").next_after(BASE) is None


@pytest.mark.parametrize(
    "expression",
    [
        "not a schedule",
        "61 * * * * *",
        "0 0 0 * * 7",  # day of week is 0-6 in NCrontab; croniter takes 7 as Sunday
        "0 0 0 L * *",
        "0 0 0 ? * *",
        "0 0 0 * * 5#3",
        "0 0 0 15W * *",
        "0 0 0 0 * *",
        "0 0 0 * 13 *",
        "0 0 0 * * Funday",
        "0 0 0 * * * *",
        "0 0 0 1, * *",
        "0 0 0 ,1 * *",
        "0 */x * * * *",
        "0\t0 0 * * *",  # NCrontab splits on spaces only
    ],
)
def test_what_ncrontab_refuses_is_refused(expression: str) -> None:
    with pytest.raises(HostConfigError, match="not a valid NCRONTAB expression"):
        Schedule(expression)


@pytest.mark.parametrize("expression", ["00:05:00", "1.00:00:00", "00:00:30", "5", "00:00:00"])
def test_timespan_schedules_are_refused_because_flex_consumption_does_not_run_them(expression: str) -> None:
    # "A TimeSpan can be used only for a function app that runs on an App Service Plan."
    with pytest.raises(HostConfigError, match="TimeSpan; Flex Consumption runs only NCRONTAB"):
        Schedule(expression)
