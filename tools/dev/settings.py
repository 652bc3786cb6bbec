"""The launcher's settings and the app's, checked together before anything starts; the dev ports."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from lib.domain.api_keys import parse_key
from lib.domain.errors import ConfigurationError
from lib.settings import Settings
from tools.services import (
    PROJECT_ROOT,
    azurite_connection_string,
    describe_listener,
    launcher_service_on,
    port_open,
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
