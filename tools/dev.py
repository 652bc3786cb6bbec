"""``python -m tools.dev``: the whole app on this machine, in one command (``./scripts/dev``).

Runs ``function_app.py`` in the project's local Functions host (``tools.funchost``)
and, before the app starts, makes sure its services answer:

- Azure Storage: when the connection string is ``UseDevelopmentStorage=true`` (the
  default) or points at ``DEV_AZURITE_BLOB_PORT`` on this machine, Azurite is started
  on ``DEV_AZURITE_BLOB_PORT``/``_QUEUE_PORT``/``_TABLE_PORT`` (10000/10001/10002) with
  its data in ``.local/azurite``, and the connection strings are pointed at those ports;
- MongoDB: when ``MONGODB_URI`` is unset or points at ``DEV_SECANTUSDB_PORT`` (27017) on
  this machine, SecantusDB is started there with its data in ``.local/mongodb``.

A service already answering on one of those ports is reused only when this checkout
started it (a marker in ``.local/`` names its pid, and that process runs on this
checkout's data); anything else on the port stops the launcher with a message naming
the port, what holds it and the setting that moves it. ``DEV_DATA_DIR`` moves ``.local``.

Settings come from the environment, then ``local.settings.json``, then the defaults in
``local.settings.json.example``; the launcher's and the app's are validated before
anything starts, and a bad one ends the launcher with one line naming it. Before the
host accepts requests it seeds the dev tenant ``tenant-001``, project ``project-001``
and the key ``DEV_API_KEY``; then it prints a ready-to-paste upload and the project's
webhook signing secret. However it ends (a bad setting, Ctrl-C, SIGTERM, a service
dying, an error), it stops what it started and nothing else.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Literal
from urllib.parse import urlsplit

from pymongo.errors import PyMongoError

from lib.adapters.tenant_store import AlreadyExists
from lib.bootstrap import close_context, context
from lib.domain.api_keys import parse_key
from lib.domain.errors import ConfigurationError, ServiceError
from lib.services import admin
from lib.settings import Settings
from tools.funchost.__main__ import configure_logging
from tools.funchost.config import HostConfigError, apply_local_settings, read_host_config
from tools.funchost.host import Host
from tools.services import (
    PROJECT_ROOT,
    Marker,
    ServiceProcess,
    azurite_connection_string,
    describe_listener,
    launcher_service_on,
    port_open,
    start_azurite,
    start_secantus,
)

log = logging.getLogger("dev")

DEFAULT_DEV_API_KEY = "mrp_0000000000de_local-development-key-not-for-production---"
DEV_TENANT, DEV_PROJECT = "tenant-001", "project-001"
EXAMPLE_SETTINGS = PROJECT_ROOT / "local.settings.json.example"
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

# The launcher's own settings. They are not app settings, so they are not in
# local.settings.json.example (which lists what the app reads and Bicep deploys).
HTTP_PORT_SETTING, DEFAULT_HTTP_PORT = "PORT", 7071
AZURITE_PORT_SETTINGS = {
    "blob": ("DEV_AZURITE_BLOB_PORT", 10000),
    "queue": ("DEV_AZURITE_QUEUE_PORT", 10001),
    "table": ("DEV_AZURITE_TABLE_PORT", 10002),
}
SECANTUS_PORT_SETTING, DEFAULT_SECANTUS_PORT = "DEV_SECANTUSDB_PORT", 27017
DATA_DIR_SETTING, DEFAULT_DATA_DIR = "DEV_DATA_DIR", ".local"
API_KEY_SETTING = "DEV_API_KEY"
STORAGE_SETTINGS = ("AZURE_STORAGE_CONNECTION_STRING", "AzureWebJobsStorage")


class CannotStart(Exception):
    """Raised when the launcher will not start; the message is the one line it prints."""


class Interrupted(BaseException):
    """Raised at the launcher's next safe point after SIGINT/SIGTERM arrived before the host ran.

    The signal handler only records the signal: an exception raised from a handler can
    land anywhere (an at-fork hook swallows it). A ``BaseException``, like
    ``KeyboardInterrupt``, so no ``except Exception`` on the way swallows this one.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


# -- settings ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DevSettings:
    """The launcher's settings: the ports it uses, where its services keep data, the dev key."""

    http_port: int = DEFAULT_HTTP_PORT
    azurite_ports: Mapping[str, int] = field(
        default_factory=lambda: {kind: port for kind, (_, port) in AZURITE_PORT_SETTINGS.items()}
    )
    secantus_port: int = DEFAULT_SECANTUS_PORT
    data_dir: Path = PROJECT_ROOT / DEFAULT_DATA_DIR
    api_key: str = DEFAULT_DEV_API_KEY

    @classmethod
    def from_env(cls, environ: Mapping[str, str], http_port: int | None = None) -> DevSettings:
        """Read and check the launcher's settings; raise one error naming every bad value.

        ``http_port`` (``--port``) wins over ``PORT``. Values are never echoed for the key.
        """
        problems: list[str] = []
        ports: dict[str, int] = {}  # setting name -> port, to find one port used twice

        def port(name: str, default: int, allow_zero: bool = False) -> int:
            raw = environ.get(name, "").strip()
            if not raw:
                value = default
            else:
                try:
                    value = int(raw)
                except ValueError:
                    problems.append(f"{name}: {raw!r} is not a port number")
                    return default
                low = 0 if allow_zero else 1
                if not low <= value <= 65535:
                    problems.append(f"{name}: {value} is not a port number ({low}-65535)")
                    return default
            for other, taken in ports.items():
                if value and value == taken:
                    problems.append(f"{name}: port {value} is already {other}")
            ports[name] = value
            return value

        if http_port is not None:
            if not 0 <= http_port <= 65535:
                problems.append(f"--port: {http_port} is not a port number (0-65535)")
            ports["--port"] = http_port
            http = http_port
        else:
            http = port(HTTP_PORT_SETTING, DEFAULT_HTTP_PORT, allow_zero=True)
        azurite = {kind: port(name, default) for kind, (name, default) in AZURITE_PORT_SETTINGS.items()}
        secantus = port(SECANTUS_PORT_SETTING, DEFAULT_SECANTUS_PORT)

        data_dir = Path(environ.get(DATA_DIR_SETTING, "").strip() or DEFAULT_DATA_DIR)
        data_dir = data_dir if data_dir.is_absolute() else PROJECT_ROOT / data_dir
        if data_dir.exists() and not data_dir.is_dir():
            problems.append(f"{DATA_DIR_SETTING}: {data_dir} exists and is not a folder")

        api_key = environ.get(API_KEY_SETTING, "").strip() or DEFAULT_DEV_API_KEY
        if parse_key(api_key) is None:
            problems.append(
                f"{API_KEY_SETTING}: not an API key (expected mrp_<12 hex digits>_<43 characters: "
                "letters, digits, '-' or '_'>)"
            )
        if problems:
            raise ConfigurationError(problems)
        return cls(http, azurite, secantus, data_dir, api_key)


@dataclass(frozen=True)
class Emulators:
    """Which services the launcher is to run, and the local endpoints it only uses."""

    azurite: bool
    secantus: bool
    # (setting, port) of loopback endpoints the settings name on other ports: used as they are.
    external: tuple[tuple[str, int], ...] = ()


def is_development_storage(value: str) -> bool:
    """Whether a connection string is the emulator shorthand (which the SDKs fix to 10000/10001)."""
    return value.strip().rstrip(";").replace(" ", "").lower() == "usedevelopmentstorage=true"


def loopback_port(url: str, default_port: int | None = None) -> int | None:
    """The port of a URL on this machine (127.0.0.1, localhost, ::1), else ``None``."""
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError:  # several hosts (a replica set), a bad port: not one local service
        return None
    if host not in LOOPBACK:
        return None
    return port or default_port


def blob_endpoint_port(connection_string: str) -> int | None:
    """The loopback port of a connection string's ``BlobEndpoint``, else ``None``."""
    for part in connection_string.split(";"):
        key, _, value = part.partition("=")
        if key.strip().lower() == "blobendpoint":
            return loopback_port(value.strip(), 80)
    return None


def resolve_environment(
    environ: MutableMapping[str, str], dev: DevSettings, example: Path = EXAMPLE_SETTINGS
) -> Emulators:
    """Fill unset app settings from the example, point them at the dev ports, say what to run.

    ``UseDevelopmentStorage=true`` always means ports 10000/10001 to the SDKs, so it is
    replaced by a connection string naming the configured ports; an unset ``MONGODB_URI``
    becomes SecantusDB's on ``DEV_SECANTUSDB_PORT``.
    """
    mongodb_uri_given = bool(environ.get("MONGODB_URI", "").strip())
    # Local receivers (http://127.0.0.1:...) are how one tries webhooks on a laptop.
    environ.setdefault("WEBHOOK_ALLOW_HTTP", "true")
    environ.setdefault("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")
    for name, value in json.loads(example.read_text())["Values"].items():
        environ.setdefault(name, str(value))

    ports = dev.azurite_ports
    external: list[tuple[str, int]] = []
    azurite = False
    for name, value in list(environ.items()):
        if is_development_storage(value):
            environ[name] = azurite_connection_string(ports["blob"], ports["queue"], ports["table"])
    for name in STORAGE_SETTINGS:
        blob_port = blob_endpoint_port(environ.get(name, ""))
        if blob_port == ports["blob"]:
            azurite = True
        elif blob_port is not None:
            external.append((name, blob_port))

    secantus = False
    if not mongodb_uri_given:
        environ["MONGODB_URI"] = f"mongodb://127.0.0.1:{dev.secantus_port}/?directConnection=true"
        secantus = True
    else:
        uri = environ["MONGODB_URI"].strip()
        mongodb_port = loopback_port(uri, 27017) if uri.startswith("mongodb://") else None
        if mongodb_port == dev.secantus_port:
            secantus = True
        elif mongodb_port is not None:
            external.append(("MONGODB_URI", mongodb_port))
    return Emulators(azurite, secantus, tuple(dict.fromkeys(external)))


def check_settings(environ: Mapping[str, str], http_port: int | None) -> DevSettings:
    """The launcher's and the app's settings, checked together: one error lists every problem."""
    problems: list[str] = []
    dev = DevSettings()
    try:
        dev = DevSettings.from_env(environ, http_port)
    except ConfigurationError as exc:
        problems += exc.problems
    try:
        Settings.from_env(environ)
    except ConfigurationError as exc:
        problems += exc.problems
    if problems:
        raise ConfigurationError(problems)
    return dev


def check_external(emulators: Emulators, dev: DevSettings) -> None:
    """Refuse local endpoints on other ports that nothing answers on (the launcher will not start those)."""
    for name, port in emulators.external:
        if name == "MONGODB_URI":
            setting, started = f"{SECANTUS_PORT_SETTING}={dev.secantus_port}", "SecantusDB"
        else:
            setting, started = f"{AZURITE_PORT_SETTINGS['blob'][0]}={dev.azurite_ports['blob']}", "Azurite"
        if port_open(port):
            # A copied local.settings.json must not make this checkout write into another one's data.
            other = launcher_service_on(port)
            if other is not None:
                raise CannotStart(
                    f"{name}: 127.0.0.1:{port} is {other.name} of another checkout (pid {other.pid}, data in "
                    f"{other.data}); leave {name} unset to run this checkout's own on {setting}"
                )
            log.info("%s points at 127.0.0.1:%d: used as it is (not started by the launcher)", name, port)
            continue
        raise CannotStart(
            f"{name}: nothing answers on 127.0.0.1:{port}, and the launcher starts {started} only on "
            f"{setting}; leave {name} unset (or UseDevelopmentStorage=true) or make the ports agree"
        )


def check_http_port(port: int) -> None:
    """Fail before any service starts when the host's HTTP port is taken."""
    if port and port_open(port):
        raise CannotStart(
            f"{HTTP_PORT_SETTING}: port {port} is in use by {describe_listener(port)}; "
            f"stop that or choose another port with {HTTP_PORT_SETTING} or --port"
        )


# -- the services -----------------------------------------------------------------------------


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


# -- the app ----------------------------------------------------------------------------------


@dataclass
class DevApp:
    """Seeds the dev tenant, project and key, and prints how to call the app."""

    api_key: str
    secrets: list[str] = field(default_factory=list)

    def seed(self, _host: Host) -> None:
        """Register the dev tenant, project and key (idempotent) before the host accepts requests."""
        ctx = context()
        with contextlib.suppress(AlreadyExists):
            admin.create_tenant(ctx, DEV_TENANT, "Local development")
        with contextlib.suppress(AlreadyExists):
            admin.create_project(ctx, DEV_TENANT, DEV_PROJECT, "Local development")
        admin.register_api_key(ctx, DEV_TENANT, self.api_key)
        project = ctx.tenants.get_project(DEV_TENANT, DEV_PROJECT)
        self.secrets = project.signing_secrets(ctx.clock()) if project is not None else []

    def greet(self, host: Host) -> None:
        """Print how to call the app, and the secret its webhooks are signed with."""
        print(greeting(host.url, self.api_key, self.secrets), flush=True)


def greeting(url: str, api_key: str, secrets: list[str]) -> str:
    """The text printed once the app is ready (its first line starts ``Ready: http://``)."""
    reports = f"{url}/api/v1/tenants/{DEV_TENANT}/projects/{DEV_PROJECT}/reports"
    text = (
        f"\nReady: {url}  (tenant {DEV_TENANT}, project {DEV_PROJECT}, X-API-Key {api_key})\n\n"
        f'curl -X POST "{reports}" \\\n'
        f'  -F "file=@report.pdf" \\\n'
        f'  -H "X-API-Key: {api_key}"\n\n'
        f'curl "{url}/api/v1/job/status/<job_id>" -H "X-API-Key: {api_key}"\n\n'
        f"With a webhook, add to the upload:  --url-query "
        f'"webhook_url=http://127.0.0.1:8000/webhook"\n'
    )
    if secrets:
        text += f"Webhook signing secret of {DEV_PROJECT} (standardwebhooks): {secrets[0]}\n"
        for older in secrets[1:]:
            text += f"  also signing until its rotation overlap ends: {older}\n"
    else:
        text += f"Webhook signing secret: none active (python -m tools.admin rotate-webhook-secret {DEV_TENANT} {DEV_PROJECT})\n"
    return text


def warn_ignored_settings(environ: Mapping[str, str]) -> None:
    """Say so when a setting of the migration guide that this design does not have is set."""
    if environ.get("POLLING_INTERVAL_SECONDS", "").strip():
        log.warning(
            "POLLING_INTERVAL_SECONDS is not used: parse jobs are queue-triggered; the pickup delay is "
            "bounded by host.json extensions.queues.maxPollingInterval "
            "(AzureFunctionsJobHost__extensions__queues__maxPollingInterval)"
        )


# -- the launcher -----------------------------------------------------------------------------


class Launcher:
    """One run of the launcher: check, start services, run the host, and always clean up."""

    def __init__(self, http_port: int | None, grace_seconds: float) -> None:
        self.http_port = http_port
        self.grace_seconds = grace_seconds
        self.services: DevServices | None = None
        self.host: Host | None = None
        self.failure: str | None = None  # why the launcher stopped by itself, once it ran
        self.signalled: int | None = None  # SIGINT/SIGTERM received while the host was not serving
        self._warned = False

    def run(self) -> int:
        """Run until stopped; the exit status (0 after a clean stop)."""
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._record_signal)
        try:
            self._run()
        except (ConfigurationError, HostConfigError, CannotStart) as exc:
            log.error("Cannot start: %s", exc.message if isinstance(exc, ServiceError) else exc)
            return 2
        except (ServiceError, PyMongoError) as exc:
            log.error("Cannot start: %s", _one_line(exc))
            return 1
        except Interrupted as exc:
            log.info("Stopped by %s", exc)
            return 128 + exc.signum
        except Exception:
            log.exception("The launcher failed")
            return 1
        finally:
            self._clean_up()
        status = 0
        if self.failure is not None:
            status = 1
        elif self.signalled is not None:
            status = 128 + self.signalled
        if self.host is not None and self.host.unfinished:
            # Sync functions still running in threads cannot be interrupted; leave without joining them.
            logging.shutdown()
            sys.stdout.flush()
            os._exit(status or 1)
        return status

    def _run(self) -> None:
        apply_local_settings(PROJECT_ROOT)
        environ = os.environ
        dev = DevSettings()
        with contextlib.suppress(ConfigurationError):  # reported below, with the app's problems
            dev = DevSettings.from_env(environ, self.http_port)
        emulators = resolve_environment(environ, dev)
        dev = check_settings(environ, self.http_port)
        read_host_config(PROJECT_ROOT)  # host.json problems, before anything starts
        warn_ignored_settings(environ)
        check_http_port(dev.http_port)
        check_external(emulators, dev)
        self.services = DevServices(dev, self.checkpoint)
        self.services.start(emulators)
        app = DevApp(dev.api_key)
        self.checkpoint()
        self.host = Host(
            PROJECT_ROOT,
            port=dev.http_port,
            grace_seconds=self.grace_seconds,
            before_start=[lambda _host: self.checkpoint(), app.seed, lambda _host: self.checkpoint()],
            on_ready=[self._stop_if_signalled, app.greet],
            after_stop=[lambda _host: self._stopping()],
        )
        self.services.watch(self._service_exited)
        asyncio.run(self.host.serve())

    def _record_signal(self, signum: int, _frame: FrameType | None) -> None:
        self.signalled = signum
        if self.host is not None:
            self.host.request_stop()

    def checkpoint(self) -> None:
        """Give up starting (raise :class:`Interrupted`) once SIGINT or SIGTERM has arrived."""
        if self.signalled is not None:
            raise Interrupted(self.signalled)

    def _stop_if_signalled(self, host: Host) -> None:
        # A signal that arrived while the app was being imported: the host's handlers missed it.
        if self.signalled is not None:
            host.request_stop()

    def _service_exited(self, service: ServiceProcess) -> None:
        self.failure = f"{service.name} exited with status {service.process.returncode}"
        log.error(
            "%s (pid %d) exited by itself with status %s; stopping (its log: %s)",
            service.name,
            service.pid,
            service.process.returncode,
            service.log_path,
        )
        if self.host is not None:
            self.host.request_stop()

    def _stopping(self) -> None:
        # The host has put the default handlers back; a signal now must not cut the clean-up short.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._while_stopping)

    def _while_stopping(self, _signum: int, _frame: FrameType | None) -> None:
        if not self._warned:
            self._warned = True
            log.warning("Still stopping what the launcher started (at most a few seconds)")

    def _clean_up(self) -> None:
        self._stopping()
        try:
            close_context()
        except Exception:  # the database may already be gone; its client is dropped either way
            log.debug("Closing the clients failed", exc_info=True)
        if self.services is not None:
            self.services.stop_all()


def _one_line(exc: BaseException) -> str:
    text = str(exc.message if isinstance(exc, ServiceError) else exc).strip()
    return (text.splitlines() or [type(exc).__name__])[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.dev", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=None, help="HTTP port (default: PORT, else 7071)")
    parser.add_argument("--grace-seconds", type=float, default=30.0)
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    level = args.log_level.upper()
    if not isinstance(logging.getLevelName(level), int):
        configure_logging("INFO")
        log.error("Cannot start: LOG_LEVEL: %r is not a level (DEBUG, INFO, WARNING, ERROR)", args.log_level)
        return 2
    configure_logging(level)
    return Launcher(args.port, args.grace_seconds).run()


if __name__ == "__main__":
    sys.exit(main())
