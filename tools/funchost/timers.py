"""Timer triggers: six-field NCRONTAB schedules (seconds first) or TimeSpan intervals, in UTC.

One listener per function runs its invocations one after another, so runs of the same timer
never overlap (the real host holds a singleton lock); occurrences missed while a run lasts are
skipped, as the real host does. ``past_due`` is true when an invocation starts more than
:data:`PAST_DUE_TOLERANCE` seconds after its scheduled time (the loop was held up).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
from collections.abc import Callable

from azure.functions.timer import TimerRequest
from croniter import croniter  # type: ignore[import-untyped]

from .config import HostConfigError, parse_timespan
from .invoker import Invoker
from .loader import FunctionInfo

PAST_DUE_TOLERANCE = 1.0  # seconds
Clock = Callable[[], dt.datetime]


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class Schedule:
    """A timer schedule: NCRONTAB ``sec min hour day month weekday`` or a TimeSpan ``hh:mm:ss``."""

    def __init__(self, expression: str) -> None:
        self.expression = expression.strip()
        self.interval: dt.timedelta | None = None
        if ":" in self.expression and " " not in self.expression:
            self.interval = dt.timedelta(seconds=parse_timespan(self.expression))
            if self.interval <= dt.timedelta(0):
                raise HostConfigError(f"timer schedule {expression!r}: the interval must be positive")
        elif len(self.expression.split()) != 6 or not croniter.is_valid(
            self.expression, second_at_beginning=True
        ):
            raise HostConfigError(f"timer schedule {expression!r} is not a six-field NCRONTAB expression")

    def next_after(self, moment: dt.datetime) -> dt.datetime:
        """The first occurrence strictly after ``moment``."""
        if self.interval is not None:
            return moment + self.interval
        following: dt.datetime = croniter(self.expression, moment, second_at_beginning=True).get_next(
            dt.datetime
        )
        return following


class TimerListener:
    """Fires one timer-triggered function on its schedule until stopped."""

    def __init__(
        self,
        info: FunctionInfo,
        invoker: Invoker,
        schedule: Schedule,
        run_on_startup: bool,
        clock: Clock = utc_now,
    ) -> None:
        self.info = info
        self.invoker = invoker
        self.schedule = schedule
        self.run_on_startup = run_on_startup
        self.clock = clock

    async def run(self, stop: asyncio.Event) -> None:
        """Run on startup if asked, then at each occurrence, until ``stop`` is set."""
        last: dt.datetime | None = None
        if self.run_on_startup:
            await self._fire(self.clock(), last, past_due=False, detail="run_on_startup")
        after = self.clock()
        while not stop.is_set():
            due = self.schedule.next_after(after)
            while (remaining := (due - self.clock()).total_seconds()) > 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), remaining)
                if stop.is_set():
                    return
            late = (self.clock() - due).total_seconds()
            await self._fire(
                due, last, past_due=late > PAST_DUE_TOLERANCE, detail=f"schedule={due.isoformat()}"
            )
            last = due
            after = max(due, self.clock())

    async def _fire(self, due: dt.datetime, last: dt.datetime | None, *, past_due: bool, detail: str) -> None:
        status = {
            "Last": last.isoformat() if last else None,
            "Next": self.schedule.next_after(due).isoformat(),
            "LastUpdated": self.clock().isoformat(),
        }
        request = TimerRequest(past_due=past_due, schedule_status=status, schedule={"AdjustForDST": True})
        await self.invoker.invoke(self.info, request, f"{detail} past_due={past_due}")
