"""Timer triggers: NCRONTAB schedules (seconds first), in UTC; TimeSpan schedules are refused.

One listener per function runs its invocations one after another, so runs of the same timer
never overlap (the real host holds a singleton lock); occurrences missed while a run lasts are
skipped, as the real host does. ``past_due`` is true when an invocation starts more than
:data:`PAST_DUE_TOLERANCE` seconds after its scheduled time (the loop was held up).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import re
from collections.abc import Callable

from azure.functions.timer import TimerRequest

from .config import HostConfigError
from .invoker import Invoker
from .loader import FunctionInfo
from .ncrontab import CronSchedule, CrontabError

log = logging.getLogger("funchost")

PAST_DUE_TOLERANCE = 1.0  # seconds
Clock = Callable[[], dt.datetime]
# What .NET's TimeSpan.TryParse reads: [-]d or [-][d.]hh:mm[:ss[.fffffff]].
_TIMESPAN = re.compile(r"\s*-?(?:\d+|(?:\d+\.)?\d+:\d+(?::\d+(?:\.\d+)?)?)\s*")


def utc_now() -> dt.datetime:
    """The current time, timezone-aware UTC."""
    return dt.datetime.now(dt.UTC)


class Schedule:
    """A timer schedule: an NCRONTAB expression (see :mod:`.ncrontab`) evaluated in UTC.

    The timer extension tries the expression as NCRONTAB first and then as a .NET TimeSpan
    (``TimerSchedule.Create``). A TimeSpan ("00:05:00") is refused here: the Functions docs allow
    it only on an App Service plan ("A TimeSpan can be used only for a function app that runs on an
    App Service Plan", timer trigger reference), and this app runs on Flex Consumption.
    """

    def __init__(self, expression: str) -> None:
        self.expression = expression.strip()
        try:
            self.cron = CronSchedule.parse(expression)
        except CrontabError as exc:
            if _TIMESPAN.fullmatch(expression):
                raise HostConfigError(
                    f"timer schedule {expression!r} is a TimeSpan; Flex Consumption runs only NCRONTAB "
                    "schedules (TimeSpan needs an App Service plan): use six fields, e.g. '0 */5 * * * *'"
                ) from exc
            raise HostConfigError(
                f"timer schedule {expression!r} is not a valid NCRONTAB expression: {exc}"
            ) from exc

    def next_after(self, moment: dt.datetime) -> dt.datetime | None:
        """The first occurrence strictly after ``moment``; ``None`` if the schedule never occurs."""
        return self.cron.next_after(moment)


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
            if due is None:
                log.warning(
                    "Function %s: schedule '%s' has no future occurrence; it will not run",
                    self.info.name,
                    self.schedule.expression,
                )
                await stop.wait()
                return
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
        following = self.schedule.next_after(due)
        status = {
            "Last": last.isoformat() if last else None,
            "Next": following.isoformat() if following else None,
            "LastUpdated": self.clock().isoformat(),
        }
        request = TimerRequest(past_due=past_due, schedule_status=status, schedule={"AdjustForDST": True})
        await self.invoker.invoke(self.info, request, f"{detail} past_due={past_due}")
