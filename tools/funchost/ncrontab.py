"""NCRONTAB schedules read the way the Functions timer trigger reads them.

The timer extension (azure-webjobs-sdk-extensions ``Timers/Scheduling/CronSchedule.cs`` and
``TimerSchedule.cs``) parses a schedule with the NCrontab library (atifaziz/NCrontab,
``CrontabSchedule.cs``, ``CrontabField.cs``, ``CrontabFieldImpl.cs``); this module copies what
that library accepts and how it finds the next occurrence, because croniter differs:

- Six space-separated fields ``second minute hour day month day-of-week``; an expression of exactly
  five fields is read without seconds (second 0), as ``CronSchedule.HasSeconds`` does, though the
  Functions docs only describe six. Fields are split on spaces only.
- A field is ``*``, a value, a range ``a-b`` (reversed ends are swapped, not refused), a step
  ``x/n`` (from a single value ``x`` it runs to the field's maximum; a step below 1 counts as 1),
  or a comma list of those. Values are ASCII digits within the field's range; months and days of
  week may also be English names or any prefix of one, in any case (``Jan``, ``mon``). Day of week
  is 0-6 with Sunday 0: ``7``, ``L``, ``W``, ``#`` and ``?`` are refused (croniter accepts them).
- Day of month AND day of week must both match (``CrontabSchedule.GetNextOccurrence`` checks the
  day of week after it has found a matching day of month); croniter, like Vixie cron, takes either.
- A schedule that can never occur (``0 0 0 30 2 *``) is accepted and simply never fires.

Times are UTC: Flex Consumption (a Linux plan) runs timers in UTC.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

MONTHS = tuple(calendar.month_name[1:])  # January ... December
DAYS_OF_WEEK = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_DIGITS = re.compile(r"[0-9]+")
_STEP = re.compile(r"[+-]?[0-9]+")  # .NET int.Parse accepts a sign
_INT32_MAX = 2**31 - 1
_CYCLE_YEARS = 400  # the Gregorian calendar, weekdays included, repeats every 400 years


class CrontabError(ValueError):
    """Raised for an expression NCrontab refuses; the message says which field and why."""


@dataclass(frozen=True)
class _Field:
    kind: str
    low: int
    high: int
    names: tuple[str, ...] = ()


_FIELDS = (
    _Field("Second", 0, 59),
    _Field("Minute", 0, 59),
    _Field("Hour", 0, 23),
    _Field("Day", 1, 31),
    _Field("Month", 1, 12, MONTHS),
    _Field("DayOfWeek", 0, 6, DAYS_OF_WEEK),
)


def _value(text: str, field: _Field) -> int:
    if text[:1].isascii() and text[:1].isdigit():
        if not _DIGITS.fullmatch(text) or int(text) > _INT32_MAX:
            raise CrontabError(f"'{text}' is not a valid [{field.kind}] crontab field value")
        return int(text)
    if not field.names:
        raise CrontabError(
            f"'{text}' is not a valid [{field.kind}] crontab field value. "
            f"It must be a numeric value between {field.low} and {field.high} (all inclusive)."
        )
    for index, name in enumerate(field.names):
        if name.lower().startswith(text.lower()):
            return index + field.low
    raise CrontabError(
        f"'{text}' is not a known value name. Use one of the following: {', '.join(field.names)}."
    )


def _check(value: int, field: _Field) -> None:
    if value < field.low:
        raise CrontabError(f"{value} is lower than the minimum allowable value for the [{field.kind}] field")
    if value > field.high:
        raise CrontabError(f"{value} is higher than the maximum allowable value for the [{field.kind}] field")


def _accumulate(text: str, field: _Field, values: set[int]) -> None:
    if not text:
        raise CrontabError("A crontab field value cannot be empty.")
    if text.find(",") > 0:
        for part in text.split(","):
            _accumulate(part, field, values)
        return
    step = 1
    slash = text.find("/")
    if slash > 0:
        raw = text[slash + 1 :]
        if not _STEP.fullmatch(raw) or abs(int(raw)) > _INT32_MAX:
            raise CrontabError(f"'{text}' is not a valid [{field.kind}] crontab field expression")
        step, text = int(raw), text[:slash]
    if text == "*":
        start, end = field.low, field.high
    else:
        dash = text.find("-")
        if dash > 0:
            start, end = _value(text[:dash], field), _value(text[dash + 1 :], field)
        else:
            start = _value(text, field)
            end = start if step == 1 else field.high
        start, end = min(start, end), max(start, end)
        _check(start, field)
        _check(end, field)
    values.update(range(start, end + 1, max(step, 1)))


@dataclass(frozen=True)
class CronSchedule:
    """A parsed NCRONTAB expression; :meth:`next_after` gives its occurrences."""

    expression: str
    seconds: tuple[int, ...]
    minutes: tuple[int, ...]
    hours: tuple[int, ...]
    days: frozenset[int]
    months: tuple[int, ...]
    days_of_week: frozenset[int]

    @classmethod
    def parse(cls, expression: str) -> CronSchedule:
        """Parse like ``CronSchedule.TryCreate``; raise :class:`CrontabError` when NCrontab would refuse."""
        tokens = [token for token in expression.split(" ") if token]
        if len(tokens) == 5:
            tokens.insert(0, "0")
        elif len(tokens) != 6:
            raise CrontabError(
                f"'{expression}' is an invalid crontab expression. It must contain 6 components of a "
                "schedule in the sequence of seconds, minutes, hours, days, months, and days of week."
            )
        sets: list[set[int]] = []
        for token, field in zip(tokens, _FIELDS, strict=True):
            values: set[int] = set()
            _accumulate(token, field, values)
            sets.append(values)
        second, minute, hour, day, month, weekday = sets
        return cls(
            expression,
            tuple(sorted(second)),
            tuple(sorted(minute)),
            tuple(sorted(hour)),
            frozenset(day),
            tuple(sorted(month)),
            frozenset(weekday),
        )

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """The first occurrence strictly after ``moment`` (UTC), or ``None`` when there is none."""
        moment = moment.astimezone(dt.UTC)
        start = moment.replace(microsecond=0) + dt.timedelta(seconds=1)
        for year in range(start.year, start.year + _CYCLE_YEARS + 1):
            for month in self.months:
                if (year, month) < (start.year, start.month):
                    continue
                for day in range(1, calendar.monthrange(year, month)[1] + 1):
                    date = dt.date(year, month, day)
                    if date < start.date() or day not in self.days:
                        continue
                    if (date.weekday() + 1) % 7 not in self.days_of_week:  # Python: Monday 0
                        continue
                    floor = start.time() if date == start.date() else dt.time(0)
                    found = self._first_time_from(floor)
                    if found is not None:
                        return dt.datetime.combine(date, found, dt.UTC)
        return None

    def _first_time_from(self, floor: dt.time) -> dt.time | None:
        for hour in self.hours:
            if hour < floor.hour:
                continue
            for minute in self.minutes:
                if hour == floor.hour and minute < floor.minute:
                    continue
                for second in self.seconds:
                    if (hour, minute) == (floor.hour, floor.minute) and second < floor.second:
                        continue
                    return dt.time(hour, minute, second)
        return None
