"""Azurite and SecantusDB for the launcher: start what is missing, reuse only this checkout's, stop what it started."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from tools.dev.settings import (
    AZURITE_PORT_SETTINGS,
    SECANTUS_PORT_SETTING,
    CannotStart,
    DevSettings,
    Emulators,
)
from tools.services import (
    Marker,
    ServiceProcess,
    describe_listener,
    port_open,
    start_azurite,
    start_secantus,
)

log = logging.getLogger("dev")


@dataclass(frozen=True)
class Decision:
    """What to do about one service: start it, reuse this checkout's running one, or refuse."""

    action: Literal["start", "reuse", "refuse"]
    message: str = ""
    pid: int = 0


def decide(
    service: str,
    ports: Mapping[str, int],
    answering: Mapping[int, bool],
    marker: Marker | None,
    marker_alive: bool,
    data: Path,
    describe: Callable[[int], str] = describe_listener,
) -> Decision:
    """Whether to start ``service`` on ``ports`` (setting name -> port), reuse it, or refuse.

    Only a service this checkout started is reused: its marker names a process that
    still runs on ``data`` and listens on exactly these ports. Anything else answering
    on one of them is refused with the port, what holds it and the setting that moves it.
    """
    ours = marker is not None and marker_alive and marker.data == str(data)
    if ours:
        assert marker is not None
        if sorted(marker.ports.values()) != sorted(ports.values()):
            running = ", ".join(str(port) for port in sorted(marker.ports.values()))
            return Decision(
                "refuse",
                f"{service} of this checkout (pid {marker.pid}) runs on ports {running}, not on "
                f"{_ports_text(ports)}; stop it (kill {marker.pid}) or set those back",
            )
        silent = [name for name, port in ports.items() if not answering[port]]
        if silent:
            return Decision(
                "refuse",
                f"{silent[0]}: {service} of this checkout (pid {marker.pid}) runs but does not answer on "
                f"port {ports[silent[0]]}; stop it (kill {marker.pid}) and start again",
            )
        return Decision("reuse", pid=marker.pid)
    for name, port in ports.items():
        if answering[port]:
            return Decision(
                "refuse",
                f"{name}: port {port} is in use by {describe(port)}, not by this checkout's {service}; "
                f"stop that or set {name} to a free port",
            )
    return Decision("start")


def _ports_text(ports: Mapping[str, int]) -> str:
    return ", ".join(f"{name}={port}" for name, port in ports.items())


class DevServices:
    """Starts the emulators the settings need and stops exactly those on exit."""

    def __init__(self, dev: DevSettings, checkpoint: Callable[[], None] = lambda: None) -> None:
        self.dev = dev
        self.checkpoint = checkpoint  # called while waiting for a service; raises to give up
        self.started: list[ServiceProcess] = []
        self.reused: list[str] = []
        self._markers: dict[int, Path] = {}  # pid -> marker file, for what this launcher started
        self._watching = threading.Event()

    @property
    def azurite_ports(self) -> dict[str, int]:
        return {AZURITE_PORT_SETTINGS[kind][0]: port for kind, port in self.dev.azurite_ports.items()}

    @property
    def secantus_ports(self) -> dict[str, int]:
        return {SECANTUS_PORT_SETTING: self.dev.secantus_port}

    def _decide(self, service: str, ports: Mapping[str, int], data: Path) -> Decision:
        marker = Marker.read(self.dev.data_dir / f"{service.lower()}.pid.json")
        answering = {port: port_open(port) for port in ports.values()}
        return decide(service, ports, answering, marker, marker is not None and marker.process_alive(), data)

    def start(self, emulators: Emulators) -> None:
        """Decide for every service first (a refusal starts nothing), then start what is missing."""
        data_dir = self.dev.data_dir
        plan: list[tuple[str, Callable[[], ServiceProcess], Path]] = []
        wanted = []
        if emulators.azurite:
            wanted.append(("Azurite", self.azurite_ports, data_dir / "azurite"))
        if emulators.secantus:
            wanted.append(("SecantusDB", self.secantus_ports, data_dir / "mongodb"))
        for service, ports, data in wanted:
            decision = self._decide(service, ports, data)
            if decision.action == "refuse":
                raise CannotStart(decision.message)
            if decision.action == "reuse":
                log.info(
                    "%s of this checkout already runs (pid %d, %s): reused, and left running on exit",
                    service,
                    decision.pid,
                    _ports_text(ports),
                )
                self.reused.append(service)
            else:
                plan.append((service, self._starter(service, data), data))
        for service, starter, data in plan:
            self.checkpoint()
            log.info("Starting %s (data in %s)", service, data)
            try:
                started = starter()
            except RuntimeError as exc:
                last = str(exc).strip().splitlines()[-1] if str(exc).strip() else ""
                raise CannotStart(f"{service} did not start: {last} (log in {data_dir})") from exc
            marker = data_dir / f"{service.lower()}.pid.json"
            Marker(service, started.pid, dict(started.ports), str(data), os.getpid()).write(marker)
            self._markers[started.pid] = marker
            log.info("%s started (pid %d, %s)", service, started.pid, _ports_text(self._ports_of(service)))

    def _ports_of(self, service: str) -> dict[str, int]:
        return self.azurite_ports if service == "Azurite" else self.secantus_ports

    def _starter(self, service: str, data: Path) -> Callable[[], ServiceProcess]:
        dev = self.dev
        if service == "Azurite":
            ports = dev.azurite_ports
            return lambda: start_azurite(
                data,
                ports["blob"],
                ports["queue"],
                table_port=ports["table"],
                die_with_parent=True,
                on_spawn=self.started.append,
                while_waiting=self.checkpoint,
            )
        return lambda: start_secantus(
            data,
            dev.data_dir,
            dev.secantus_port,
            die_with_parent=True,
            on_spawn=self.started.append,
            while_waiting=self.checkpoint,
        )

    def watch(self, on_exit: Callable[[ServiceProcess], None], interval: float = 0.5) -> None:
        """Call ``on_exit`` (once, on a background thread) if a started service exits by itself."""
        if not self.started:
            return
        self._watching.set()

        def run() -> None:
            while self._watching.is_set():
                for service in list(self.started):
                    if self._watching.is_set() and service.process.poll() is not None:
                        self._watching.clear()
                        on_exit(service)
                        return
                threading.Event().wait(interval)

        threading.Thread(target=run, name="dev-services-watch", daemon=True).start()

    def stop_all(self) -> None:
        """Stop every service this launcher started (newest first) and remove its markers."""
        self._watching.clear()
        while self.started:
            service = self.started.pop()
            try:
                service.stop()
            except OSError as exc:  # already gone: nothing to stop
                log.debug("Stopping %s: %s", service.name, exc)
            marker_path = self._markers.pop(service.pid, self.dev.data_dir / f"{service.name}.pid.json")
            marker = Marker.read(marker_path)
            if marker is not None and marker.pid == service.pid:
                marker_path.unlink(missing_ok=True)
            log.info("Stopped %s (pid %d)", service.name, service.pid)
