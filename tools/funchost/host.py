"""The host's lifecycle: settings, app, triggers up; graceful stop on request or signal."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Callable, Coroutine, Generator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn

from .config import HostConfig, HostConfigError, apply_local_settings, read_host_config
from .config import resolve_tokens as resolve
from .connections import resolve_connection
from .http import HttpApp, Router, body_size_limit
from .invoker import Invoker
from .loader import HTTP, QUEUE, TIMER, FunctionInfo, load_functions
from .queues import RECEIVE_VISIBILITY_TIMEOUT, QueueListener, QueueOutput, open_queue
from .timers import Schedule, TimerListener

log = logging.getLogger("funchost")

PROJECT_ROOT = Path(__file__).resolve().parents[2]
Hook = Callable[["Host"], None]
Listener = Callable[[asyncio.Event], Coroutine[Any, Any, None]]  # a trigger's poll/schedule loop


class _Server(uvicorn.Server):
    """uvicorn without its own signal handling: the Host decides when to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        yield


class Host:
    """A local Functions host for the ``function_app.py`` in ``app_dir``.

    Use ``await host.serve()`` (what the CLI does), or ``start()``/``stop()`` (also a context
    manager) to run it on a background thread. Hooks take the host: ``before_start`` runs after
    local.settings.json is applied and before the app is imported (a place to start services and
    set settings), ``on_ready`` once HTTP listens, ``after_stop`` when everything has stopped.
    ``port=0`` picks a free port; :attr:`port` holds the real one once started.
    ``max_request_body_bytes`` defaults to the app setting ``FUNCTIONS_REQUEST_BODY_SIZE_LIMIT``
    (100 MB without it), read once the settings are applied. ``message_lease_seconds`` is how long
    a received queue message stays hidden before its renewal is due at half of it (Azure: 10
    minutes, not configurable); tests shorten it to see renewals happen.
    """

    def __init__(
        self,
        app_dir: Path | str = PROJECT_ROOT,
        *,
        port: int = 7071,
        bind: str = "127.0.0.1",
        grace_seconds: float = 30.0,
        max_request_body_bytes: int | None = None,
        message_lease_seconds: float = RECEIVE_VISIBILITY_TIMEOUT,
        before_start: Sequence[Hook] = (),
        on_ready: Sequence[Hook] = (),
        after_stop: Sequence[Hook] = (),
    ) -> None:
        self.app_dir = Path(app_dir).resolve()
        self.port = port
        self.bind = bind
        self.grace_seconds = grace_seconds
        self.max_request_body_bytes = max_request_body_bytes
        self.message_lease_seconds = message_lease_seconds
        self.hooks = {
            "before_start": list(before_start),
            "on_ready": list(on_ready),
            "after_stop": list(after_stop),
        }
        self.config = HostConfig()
        self.functions: list[FunctionInfo] = []
        self.unfinished = 0  # invocations still running when the grace period ran out
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stop_requested = False
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        """Base URL of the HTTP listener, e.g. ``http://127.0.0.1:7071``."""
        return f"http://{self.bind}:{self.port}"

    def request_stop(self) -> None:
        """Ask the host to stop gracefully; safe from any thread or a signal handler."""
        self._stop_requested = True
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)

    async def serve(self) -> None:
        """Run until :meth:`request_stop` (or SIGINT/SIGTERM on the main thread), then stop gracefully."""
        self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
        if self._stop_requested:
            self._stop.set()
        added = apply_local_settings(self.app_dir)
        path_added = str(self.app_dir) not in sys.path  # the import puts the app folder first
        signals = threading.current_thread() is threading.main_thread()
        try:
            self._run_hooks("before_start")
            self.config = read_host_config(self.app_dir)
            self.functions = load_functions(self.app_dir, self.config.functions)
            invoker = Invoker(timeout=self.config.function_timeout)
            router, listeners = self._build(invoker)
            body_limit = self.max_request_body_bytes or body_size_limit(os.environ)
            server = _Server(self._server_config(HttpApp(router, invoker, body_limit)))
            if signals:
                for signum in (signal.SIGINT, signal.SIGTERM):
                    self._loop.add_signal_handler(signum, self.request_stop)
            tasks = [asyncio.create_task(server.serve(sockets=[self._listen()]))]
            await self._until_started(server, tasks[0])
            tasks += [asyncio.create_task(run(self._stop)) for run in listeners]
            self._log_summary(router)
            self._run_hooks("on_ready")
            self._ready.set()
            await self._stop.wait()
            log.info(
                "Stopping: no new requests or messages; waiting up to %.0f s for running work",
                self.grace_seconds,
            )
            server.should_exit = True
            _, pending = await asyncio.wait(tasks, timeout=self.grace_seconds)
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.wait(pending, timeout=5)
            self.unfinished = invoker.active + invoker.abandoned
            if self.unfinished:
                log.warning("Grace period over: %d invocation(s) did not finish", self.unfinished)
            invoker.shutdown()
            log.info("Host stopped")
        finally:
            if signals:
                for signum in (signal.SIGINT, signal.SIGTERM):
                    self._loop.remove_signal_handler(signum)
            for key in added:
                os.environ.pop(key, None)
            if path_added and str(self.app_dir) in sys.path:
                sys.path.remove(str(self.app_dir))
            self._run_hooks("after_stop")

    def _run_hooks(self, stage: str) -> None:
        for hook in self.hooks[stage]:
            hook(self)

    def _build(self, invoker: Invoker) -> tuple[Router, list[Listener]]:
        """Route HTTP functions, make queue/timer listeners and output writers (settings resolved here)."""
        router = Router(self.config.route_prefix)
        listeners: list[Listener] = []
        for info in self.functions:
            try:
                listener = self._bind(info, invoker, router)
            except (HostConfigError, ValueError) as exc:
                # The Functions host names the function whose binding it cannot index.
                raise HostConfigError(f"function {info.name}: {exc}") from exc
            if listener is not None:
                listeners.append(listener)
        return router, listeners

    def _bind(self, info: FunctionInfo, invoker: Invoker, router: Router) -> Listener | None:
        options, trigger = self.config.queues, info.trigger
        for binding in info.outputs:
            client = open_queue(resolve_connection(binding.connection), resolve(binding.queue_name))
            info.writers[binding.name] = QueueOutput(client, options.message_encoding)
        if info.kind == HTTP:
            router.add(info)
        elif info.kind == QUEUE:
            connection, queue_name = resolve_connection(trigger.connection), resolve(trigger.queue_name)
            poison = open_queue(connection, f"{queue_name}-poison")
            client = open_queue(connection, queue_name)
            return QueueListener(info, invoker, client, poison, options, self.message_lease_seconds).run
        elif info.kind == TIMER:
            schedule = Schedule(resolve(trigger.schedule))
            return TimerListener(info, invoker, schedule, bool(trigger.run_on_startup)).run
        return None

    def _server_config(self, app: HttpApp) -> uvicorn.Config:
        return uvicorn.Config(
            app,
            lifespan="off",
            # Not httptools, though it is cheaper: it answers a header value holding bytes
            # such as 0x7F or 0xFF with a plain-text 400 before the app sees it, and it has
            # no limit on the size of a header block (tests/reliability/test_hostile_input.py).
            http="h11",
            ws="none",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=max(1, round(self.grace_seconds)),
        )

    def _listen(self) -> socket.socket:
        """Bind the HTTP socket here, so a busy port fails loudly and port 0 can be reported."""
        # IPPROTO_TCP, not 0: asyncio turns Nagle's algorithm off only on sockets that say
        # TCP, and without that every response waits ~40 ms for the client's delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.bind, self.port))
        except OSError as exc:
            sock.close()
            raise HostConfigError(f"cannot listen on {self.bind}:{self.port}: {exc}") from exc
        self.port = sock.getsockname()[1]
        return sock

    async def _until_started(self, server: uvicorn.Server, task: asyncio.Task[None]) -> None:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("the HTTP server stopped while starting")
            await asyncio.sleep(0.01)

    def _log_summary(self, router: Router) -> None:
        lines = [f"Loaded {len(self.functions)} function(s) from {self.app_dir}:"]
        routes = {route.info.name: route for route in router.routes}
        for info in self.functions:
            trigger = info.trigger
            if info.kind == HTTP:
                route = routes[info.name]
                methods = ",".join(sorted(route.methods)) if route.methods else "ALL"
                lines.append(f"  {info.name}: [{methods}] {self.url}{route.template}")
            elif info.kind == QUEUE:
                lines.append(f"  {info.name}: queueTrigger queue={resolve(trigger.queue_name)}")
            elif info.kind == TIMER:
                startup = " run_on_startup" if trigger.run_on_startup else ""
                lines.append(f"  {info.name}: timerTrigger schedule='{resolve(trigger.schedule)}'{startup}")
        log.info("%s", "\n".join(lines))
        log.info("Host listening on %s", self.url)

    # In-process use (tests, other tools): the host on a background thread.

    def start(self, timeout: float = 60.0) -> Host:
        """Start on a background thread and return once HTTP listens; raise if starting failed."""
        self._thread = threading.Thread(target=self._thread_main, name="funchost", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            self.stop()
            raise RuntimeError(f"the host did not start within {timeout:.0f} s")
        if self._error is not None:
            raise RuntimeError(f"the host failed to start: {self._error}") from self._error
        return self

    def stop(self) -> None:
        """Stop gracefully and wait for the background thread."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(self.grace_seconds + 15)

    def _thread_main(self) -> None:
        try:
            asyncio.run(self.serve())
        except BaseException as exc:  # handed to start(), which raises it in the caller
            self._error = exc
            log.exception("The host failed")
        finally:
            self._ready.set()

    def __enter__(self) -> Host:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
