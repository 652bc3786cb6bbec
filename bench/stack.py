"""What a benchmark runs against: Azurite, SecantusDB, Gemini stand-ins and app hosts, all local.

The bench starts Azurite and SecantusDB itself (so they are not children of any app host and
stay out of its RSS), one Gemini stand-in process per answer delay, and app hosts
(``python -m tools.dev`` via :class:`tests.support.app_host.AppHost`) each with its own
database, container and queues. Hosts use the app's real ``host.json``: the test harness's
fast-polling overrides are removed, and a scenario adds only the overrides it names.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

from pymongo import MongoClient

from bench.measure import CpuMeter, cpu_meter
from tests.support.app_host import AppHost, isolated_settings
from tools.services import PROJECT_ROOT, ServiceProcess, free_port, start_azurite, start_secantus

HostHook = Callable[[AppHost], None]


# isolated_settings() speeds up polling for tests; the bench measures host.json as shipped.
_TEST_ONLY_OVERRIDES = (
    "AzureFunctionsJobHost__extensions__queues__maxPollingInterval",
    "AzureFunctionsJobHost__extensions__queues__visibilityTimeout",
)


class GeminiStandIn:
    """``python -m tests.support.gemini_stub`` in its own process (its CPU is not the bench's)."""

    def __init__(self, delay: float, log_dir: Path) -> None:
        self.delay = delay
        self.port = free_port()
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"gemini-stub-{delay:g}s.log"
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - fixed argv built here, no shell
                [
                    sys.executable,
                    "-m",
                    "tests.support.gemini_stub",
                    "--port",
                    str(self.port),
                    "--delay",
                    str(delay),
                ],
                cwd=PROJECT_ROOT,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 20
        while "listening on" not in self.log_path.read_text(errors="replace"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the Gemini stand-in did not start: {self.log_path.read_text()}")
            time.sleep(0.05)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


class Stack:
    """Azurite + SecantusDB for the whole run; Gemini stand-ins and app hosts on demand."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.log_dir = workdir / "logs"
        self.azurite: ServiceProcess | None = None
        self.secantus: ServiceProcess | None = None
        self.mongo: MongoClient[dict[str, Any]] | None = None
        self._stubs: dict[float, GeminiStandIn] = {}
        # Called with each measured host as its measured phase starts / ends (profiling).
        self.on_measure_start: list[HostHook] = []
        self.on_measure_stop: list[HostHook] = []
        # Added to every host's settings (``--set``: what-if runs).
        self.host_extra: dict[str, str] = {}

    def __enter__(self) -> Stack:
        try:
            self.azurite = start_azurite(self.workdir / "azurite")
            # In memory, as the tests run it: the database's disk is not what is measured here.
            self.secantus = start_secantus(None, self.log_dir)
            self.mongo = MongoClient(self.mongodb_uri, tz_aware=True)
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc_info: object) -> None:
        for stub in self._stubs.values():
            stub.stop()
        self._stubs.clear()
        if self.mongo is not None:
            self.mongo.close()
        for service in (self.secantus, self.azurite):
            if service is not None:
                service.stop()

    @property
    def storage_connection(self) -> str:
        assert self.azurite is not None
        return self.azurite.env["AZURE_STORAGE_CONNECTION_STRING"]

    @property
    def mongodb_uri(self) -> str:
        assert self.secantus is not None
        return self.secantus.env["MONGODB_URI"]

    def service_pids(self) -> dict[str, int]:
        """The bench's own services, for CPU accounting."""
        pids = {}
        if self.azurite is not None:
            pids["azurite"] = self.azurite.process.pid
        if self.secantus is not None:
            pids["secantusdb"] = self.secantus.process.pid
        for delay, stub in self._stubs.items():
            pids[f"gemini-stub({delay:g}s)"] = stub.process.pid
        return pids

    def cpu_pids(self, *hosts: AppHost) -> tuple[dict[str, int], dict[str, int]]:
        """Process trees (hosts, services) and lone processes (this bench) whose CPU a scenario reports."""
        trees = dict(self.service_pids())
        for host in hosts:
            if host.process is not None:
                trees[f"host {host.name}"] = host.process.pid
        return trees, {"bench (client)": os.getpid()}

    def gemini(self, delay: float) -> GeminiStandIn:
        """The stand-in answering every request with a valid report after ``delay`` seconds."""
        if delay not in self._stubs:
            self._stubs[delay] = GeminiStandIn(delay, self.log_dir)
        return self._stubs[delay]

    def settings(
        self, *, gemini_delay: float = 0.0, extra: Mapping[str, str] | None = None
    ) -> dict[str, str]:
        """An app instance's settings: its own database and queues, host.json as shipped, plus ``extra``."""
        settings = isolated_settings(
            self.storage_connection, self.mongodb_uri, self.gemini(gemini_delay).base_url
        )
        for name in _TEST_ONLY_OVERRIDES:
            settings.pop(name, None)
        settings.update(self.host_extra)
        settings.update(extra or {})
        return settings

    @contextlib.contextmanager
    def host(
        self, name: str, *, gemini_delay: float = 0.0, extra: Mapping[str, str] | None = None
    ) -> Iterator[AppHost]:
        """A started app host; stopped, and its database dropped, on exit."""
        host = AppHost(self.settings(gemini_delay=gemini_delay, extra=extra), self.log_dir, name=name)
        host.start(timeout=90)
        try:
            yield host
        finally:
            host.stop()
            if self.mongo is not None:
                self.mongo.drop_database(host.database)

    @contextlib.contextmanager
    def measuring(self, *hosts: AppHost) -> Iterator[CpuMeter]:
        """The measured phase of a scenario: CPU of every process counted, profilers attached."""
        trees, alone = self.cpu_pids(*hosts)
        try:
            for hook in self.on_measure_start:
                for host in hosts:
                    hook(host)
            with cpu_meter(trees, alone) as meter:
                yield meter
        finally:
            for hook in self.on_measure_stop:
                for host in hosts:
                    hook(host)

    def restart(
        self, host: AppHost, *, drop: tuple[str, ...] = (), extra: Mapping[str, str] | None = None
    ) -> None:
        """Stop the host, change its settings (remove ``drop``, add ``extra``), start it again."""
        host.stop()
        for name in drop:
            host.settings.pop(name, None)
        host.settings.update(extra or {})
        host.start(timeout=90)

    def jobs(self, host: AppHost) -> Any:
        """The host's ``parsing_jobs`` collection."""
        assert self.mongo is not None
        return self.mongo[host.database]["parsing_jobs"]
