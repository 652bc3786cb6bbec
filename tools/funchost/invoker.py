"""Call a user function with its bindings, the way the Python worker does, and log the invocation.

Async functions run on the host's event loop; sync ones in a thread pool sized like the worker's
(``PYTHON_THREADPOOL_THREAD_COUNT``, default ``min(32, cpus + 4)``), so concurrent work overlaps.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import azure.functions as func

from .loader import FunctionInfo

log = logging.getLogger("funchost")


@dataclass(frozen=True)
class Outcome:
    """How an invocation ended: ``ok`` and the function's return value (``None`` on failure)."""

    ok: bool
    value: Any = None
    invocation_id: str = ""


class OutValue(func.Out[Any]):
    """The concrete ``func.Out`` handed to a function for each output binding."""

    def __init__(self) -> None:
        self._value: Any = None

    def set(self, val: Any) -> None:
        """Set the value written after the function succeeds."""
        self._value = val

    def get(self) -> Any:
        """The value set so far (``None`` when unset)."""
        return self._value


class Invoker:
    """Runs invocations and counts the ones in flight (for the graceful stop)."""

    def __init__(self, max_workers: int | None = None) -> None:
        setting = os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT", "")
        workers = max_workers or (int(setting) if setting.isdigit() and int(setting) > 0 else None)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="funchost-worker")
        self.active = 0  # invocations running now
        self.abandoned = 0  # invocations cancelled before they ended (a sync one may still run in its thread)

    async def invoke(self, info: FunctionInfo, trigger_value: Any, detail: str = "") -> Outcome:
        """Call ``info``'s function with the trigger value, then write its output bindings.

        A failure of the function or of an output write is logged with its traceback and
        returned as ``Outcome(ok=False)``; cancellation (grace period over) propagates.
        """
        invocation_id = str(uuid.uuid4())
        outs = {name: OutValue() for name in info.writers if name != "$return"}
        kwargs: dict[str, Any] = {info.trigger.name: trigger_value, **outs}
        started = time.perf_counter()
        self.active += 1
        try:
            if info.is_async:
                value = await info.func(**kwargs)
            else:
                call = functools.partial(info.func, **kwargs)
                value = await asyncio.get_running_loop().run_in_executor(self._executor, call)
            for name, write in info.writers.items():
                result = value if name == "$return" else outs[name].get()
                if result is not None:
                    await write(result)
        except asyncio.CancelledError:
            self.abandoned += 1
            self._log(logging.WARNING, info, "Cancelled", invocation_id, started, detail)
            raise
        except Exception:  # noqa: BLE001 - user code may raise anything; the host reports it as a failure
            self._log(logging.ERROR, info, "Failed", invocation_id, started, detail, exc_info=True)
            return Outcome(False, None, invocation_id)
        finally:
            self.active -= 1
        self._log(logging.INFO, info, "Succeeded", invocation_id, started, detail)
        return Outcome(True, value, invocation_id)

    @staticmethod
    def _log(
        level: int,
        info: FunctionInfo,
        outcome: str,
        invocation_id: str,
        started: float,
        detail: str,
        *,
        exc_info: bool = False,
    ) -> None:
        duration_ms = (time.perf_counter() - started) * 1000
        log.log(
            level,
            "Executed 'Functions.%s' (%s, Id=%s, Duration=%dms) %s",
            info.name,
            outcome,
            invocation_id,
            duration_ms,
            detail,
            exc_info=exc_info,
        )

    def shutdown(self) -> None:
        """Release the thread pool without waiting for functions still running in it."""
        self._executor.shutdown(wait=False, cancel_futures=True)
