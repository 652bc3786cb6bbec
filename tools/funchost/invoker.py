"""Call a user function with its bindings, the way the Python worker does, and log the invocation.

Async functions run on the host's event loop; sync ones in a thread pool sized like the worker's
(``PYTHON_THREADPOOL_THREAD_COUNT``, default ``min(32, cpus + 4)``), so concurrent work overlaps.

``functionTimeout`` (host.json) is enforced the way the Functions host does it for out-of-process
languages such as Python: an invocation that runs longer fails, and the host restarts the language
worker process that ran it, so every other invocation in flight on that worker fails with it
(azure-functions-host pull requests 5794 "Worker restart on function timeout" and 6072, and issue
8720: "the worker process is restarted. Any in-flight invocations running on that process are also
terminated"). Here the worker is :class:`Worker`, the thread pool plus the invocations it runs. On a
time-out the host fails all of them at once and starts a new worker for what comes next; the old
worker's threads are interrupted with an exception raised in them (``PyThreadState_SetAsyncExc``,
which lands at the next Python bytecode, so a thread blocked inside one long C call such as
``time.sleep(600)`` stops only when that call returns), and its async functions are cancelled.
Unlike a real restart, module state (the app's cached clients) survives: the app is not re-imported.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import ctypes
import functools
import logging
import os
import queue
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import azure.functions as func

from .loader import FunctionInfo

log = logging.getLogger("funchost")


class WorkerKilled(BaseException):
    """Raised inside a function's thread when its worker is restarted (a BaseException, so that
    ``except Exception`` in the function does not keep it alive)."""


@dataclass(frozen=True)
class Outcome:
    """How an invocation ended: ``ok`` and the function's return value (``None`` on failure).

    ``timed_out``: it ran past ``functionTimeout``; ``worker_restarted``: another invocation's
    time-out restarted the worker it ran on.
    """

    ok: bool
    value: Any = None
    invocation_id: str = ""
    timed_out: bool = False
    worker_restarted: bool = False


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


@dataclass(eq=False)
class _Running:
    """One invocation in flight on a worker."""

    invocation_id: str
    killed: asyncio.Future[None]
    task: asyncio.Future[Any] | None = None  # an async function's task
    thread_id: int | None = None  # the thread running a sync function, while it runs


@dataclass(eq=False)
class Worker:
    """A stand-in for one Python language worker process: its threads and the invocations in it."""

    size: int
    running: dict[str, _Running] = field(default_factory=dict)
    alive: bool = True
    _queue: queue.SimpleQueue[Any] = field(default_factory=queue.SimpleQueue)
    _threads: list[threading.Thread] = field(default_factory=list)
    _idle: threading.Semaphore = field(default_factory=lambda: threading.Semaphore(0))

    def submit(self, call: Callable[[], Any], running: _Running) -> concurrent.futures.Future[Any]:
        """Run ``call`` on one of this worker's threads."""
        future: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._queue.put((future, call, running))
        if not self._idle.acquire(timeout=0) and len(self._threads) < self.size:
            thread = threading.Thread(target=self._serve, name="funchost-worker", daemon=True)
            self._threads.append(thread)
            thread.start()
        return future

    def _serve(self) -> None:
        while True:
            try:
                item = self._queue.get()
                if item is None or not self.alive:
                    return
                future, call, running = item
                if not future.set_running_or_notify_cancel():
                    continue
                running.thread_id = threading.get_ident()
                try:
                    result = call()
                except BaseException as exc:  # noqa: BLE001 - handed to the invocation, which reports it
                    running.thread_id = None
                    future.set_exception(exc)
                else:
                    running.thread_id = None
                    future.set_result(result)
                self._idle.release()
            except WorkerKilled:  # landed after the call had ended: this thread is finished anyway
                return

    def kill(self) -> None:
        """End this worker: fail every invocation in it and interrupt the threads running them."""
        self.alive = False
        for running in list(self.running.values()):
            if not running.killed.done():
                running.killed.set_result(None)
            if running.task is not None:
                running.task.cancel()
            thread_id = running.thread_id
            if thread_id is not None:
                ctypes.pythonapi.PyThreadState_SetAsyncExc(
                    ctypes.c_ulong(thread_id), ctypes.py_object(WorkerKilled)
                )
        for _ in self._threads:
            self._queue.put(None)


def _pool_size(max_workers: int | None) -> int:
    setting = os.environ.get("PYTHON_THREADPOOL_THREAD_COUNT", "")
    if max_workers:
        return max_workers
    if setting.isdigit() and int(setting) > 0:
        return int(setting)
    return min(32, (os.cpu_count() or 1) + 4)  # ThreadPoolExecutor's default, as the worker uses


def _format_timespan(seconds: float) -> str:
    whole = int(seconds)
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


class Invoker:
    """Runs invocations on the current worker, enforces ``functionTimeout``, counts what is in flight."""

    def __init__(self, max_workers: int | None = None, timeout: float | None = None) -> None:
        self._size = _pool_size(max_workers)
        self.timeout = timeout  # seconds; None: no limit
        self.worker = Worker(self._size)
        self.restarts = 0  # workers restarted after a time-out
        self.active = 0  # invocations running now
        self.abandoned = 0  # invocations cancelled before they ended (a sync one may still run in its thread)

    async def invoke(self, info: FunctionInfo, trigger_value: Any, detail: str = "") -> Outcome:
        """Call ``info``'s function with the trigger value, then write its output bindings.

        A failure of the function or of an output write is logged with its traceback and
        returned as ``Outcome(ok=False)``, and so is a time-out (which restarts the worker) or the
        restart another invocation's time-out caused; cancellation (grace period over) propagates.
        """
        invocation_id = str(uuid.uuid4())
        outs = {name: OutValue() for name in info.writers if name != "$return"}
        kwargs: dict[str, Any] = {info.trigger.name: trigger_value, **outs}
        worker = self.worker
        running = _Running(invocation_id, asyncio.get_running_loop().create_future())
        worker.running[invocation_id] = running
        started = time.perf_counter()
        self.active += 1
        call: asyncio.Future[Any] | None = None
        try:
            if info.is_async:
                call = running.task = asyncio.ensure_future(info.func(**kwargs))
            else:
                submitted = worker.submit(functools.partial(info.func, **kwargs), running)
                call = asyncio.wrap_future(submitted)
            call.add_done_callback(_consume)
            await asyncio.wait(
                {call, running.killed}, timeout=self.timeout, return_when=asyncio.FIRST_COMPLETED
            )
            if running.killed.done():
                self._log(
                    logging.ERROR, info, "Failed", invocation_id, started, f"{detail} (worker restarted)"
                )
                return Outcome(False, None, invocation_id, worker_restarted=True)
            if not call.done():
                self._time_out(info, invocation_id, started, detail)
                return Outcome(False, None, invocation_id, timed_out=True)
            value = call.result()
            for name, write in info.writers.items():
                result = value if name == "$return" else outs[name].get()
                if result is not None:
                    await write(result)
        except asyncio.CancelledError:
            if call is not None and info.is_async:
                call.cancel()
            self.abandoned += 1
            self._log(logging.WARNING, info, "Cancelled", invocation_id, started, detail)
            raise
        except Exception:  # noqa: BLE001 - user code may raise anything; the host reports it as a failure
            self._log(logging.ERROR, info, "Failed", invocation_id, started, detail, exc_info=True)
            return Outcome(False, None, invocation_id)
        finally:
            self.active -= 1
            if call is None or call.done() or info.is_async:
                worker.running.pop(invocation_id, None)
            # else: a sync call cut off by cancellation still runs; stopping the worker interrupts it
        self._log(logging.INFO, info, "Succeeded", invocation_id, started, detail)
        return Outcome(True, value, invocation_id)

    def _time_out(self, info: FunctionInfo, invocation_id: str, started: float, detail: str) -> None:
        assert self.timeout is not None
        log.error(
            "Timeout value of %s exceeded by function 'Functions.%s' (Id: '%s'). Initiating cancellation.",
            _format_timespan(self.timeout),
            info.name,
            invocation_id,
        )
        self._log(logging.ERROR, info, "Failed", invocation_id, started, f"{detail} (timed out)")
        self.restart_worker(invocation_id)

    def restart_worker(self, cause: str) -> None:
        """Replace the worker, failing every invocation in flight on the old one."""
        old, self.worker = self.worker, Worker(self._size)
        self.restarts += 1
        others = len(old.running) - (1 if cause in old.running else 0)
        log.warning(
            "A function timeout has occurred. Restarting worker process executing invocationId '%s' "
            "(%d other invocation(s) in flight on it fail too).",
            cause,
            others,
        )
        old.kill()

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
        """End the worker (as the host ends its worker process on stop) without waiting for it."""
        self.worker.kill()


def _consume(future: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned call's exception so asyncio does not report it as never retrieved."""
    if not future.cancelled():
        future.exception()
