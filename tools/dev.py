"""``python -m tools.dev``: the whole app on this machine, in one command (``./scripts/dev``).

Runs ``function_app.py`` in the project's local Functions host (``tools.funchost``)
and, before the app starts, makes sure its services answer:

- Azure Storage: when the connection string points at the local emulator and nothing
  answers there, Azurite is started with its data in ``.local/azurite``;
- MongoDB: when ``MONGODB_URI`` points at this machine and nothing answers there,
  SecantusDB is started with its data in ``.local/mongodb`` (jobs survive a restart).

Settings come from the environment, then ``local.settings.json``, then the defaults
in ``local.settings.json.example``, validated before anything starts. Before the host
accepts requests it seeds the dev tenant ``tenant-001``, project ``project-001`` and
the key ``DEV_API_KEY``; then it prints a ready-to-paste upload. Whatever it started,
it stops on exit.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import sys
from pathlib import Path
from urllib.parse import urlsplit

from lib.adapters.tenant_store import AlreadyExists
from lib.bootstrap import close_context, context
from lib.domain.errors import ConfigurationError
from lib.services import admin
from lib.settings import Settings
from tools.funchost.__main__ import configure_logging
from tools.funchost.host import Host
from tools.services import PROJECT_ROOT, ServiceProcess, port_open, start_azurite, start_secantus

log = logging.getLogger("dev")

DATA_DIR = PROJECT_ROOT / ".local"
DEFAULT_DEV_API_KEY = "mrp_0000000000de_local-development-key-not-for-production---"
DEV_TENANT, DEV_PROJECT = "tenant-001", "project-001"
EMULATOR_BLOB_PORT, EMULATOR_QUEUE_PORT = 10000, 10001


def apply_example_defaults(example: Path = PROJECT_ROOT / "local.settings.json.example") -> None:
    """Fill settings nobody set from the example file's ``Values``, with dev-mode webhooks."""
    # Local receivers (http://127.0.0.1:...) are how one tries webhooks on a laptop.
    os.environ.setdefault("WEBHOOK_ALLOW_HTTP", "true")
    os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")
    for name, value in json.loads(example.read_text())["Values"].items():
        os.environ.setdefault(name, str(value))


def uses_local_emulator(connection_string: str) -> bool:
    """Whether the storage connection string points at Azurite on its standard ports."""
    if connection_string.strip().rstrip(";") == "UseDevelopmentStorage=true":
        return True
    return (
        f"127.0.0.1:{EMULATOR_BLOB_PORT}" in connection_string
        or f"localhost:{EMULATOR_BLOB_PORT}" in connection_string
    )


def local_mongodb_port(uri: str) -> int | None:
    """The port of a MongoDB URI that points at this machine, else ``None``."""
    parts = urlsplit(uri)
    if parts.scheme != "mongodb" or parts.hostname not in ("127.0.0.1", "localhost"):
        return None
    return parts.port or 27017


class DevServices:
    """Starts the emulators the settings need and stops exactly those on exit."""

    def __init__(self, data_dir: Path = DATA_DIR) -> None:
        self.data_dir = data_dir
        self.started: list[ServiceProcess] = []

    def start_missing(self, _host: Host) -> None:
        if uses_local_emulator(os.environ["AZURE_STORAGE_CONNECTION_STRING"]):
            if port_open(EMULATOR_BLOB_PORT) and port_open(EMULATOR_QUEUE_PORT):
                log.info(
                    "Storage emulator already answers on ports %d/%d", EMULATOR_BLOB_PORT, EMULATOR_QUEUE_PORT
                )
            else:
                log.info("Starting Azurite (data in %s)", self.data_dir / "azurite")
                azurite = start_azurite(self.data_dir / "azurite", EMULATOR_BLOB_PORT, EMULATOR_QUEUE_PORT)
                self.started.append(azurite)
        port = local_mongodb_port(os.environ["MONGODB_URI"])
        if port is not None and not port_open(port):
            log.info("Starting SecantusDB on port %d (data in %s)", port, self.data_dir / "mongodb")
            self.started.append(start_secantus(self.data_dir / "mongodb", self.data_dir, port))

    def stop_all(self, _host: Host) -> None:
        close_context()
        for service in reversed(self.started):
            service.stop()
        self.started.clear()


def check_settings(_host: Host) -> None:
    """Validate the settings before anything starts: every problem reported at once, no traceback."""
    Settings.from_env(os.environ)


def seed(_host: Host) -> None:
    """Register the dev tenant, project and key (idempotent) before the host accepts requests."""
    ctx = context()
    with contextlib.suppress(AlreadyExists):
        admin.create_tenant(ctx, DEV_TENANT, "Local development")
    with contextlib.suppress(AlreadyExists):
        admin.create_project(ctx, DEV_TENANT, DEV_PROJECT, "Local development")
    admin.register_api_key(ctx, DEV_TENANT, dev_api_key())


def dev_api_key() -> str:
    """The key seeded for local use: ``DEV_API_KEY`` or the documented default."""
    return os.environ.get("DEV_API_KEY") or DEFAULT_DEV_API_KEY


def greet(host: Host) -> None:
    """Print how to call the app."""
    api_key = dev_api_key()
    print(
        f"\nReady: {host.url}  (tenant {DEV_TENANT}, project {DEV_PROJECT}, X-API-Key {api_key})\n\n"
        f'curl -X POST "{host.url}/api/v1/tenants/{DEV_TENANT}/projects/{DEV_PROJECT}/reports" \\\n'
        f'  -F "file=@report.pdf" \\\n'
        f'  -H "X-API-Key: {api_key}"\n\n'
        f'curl "{host.url}/api/v1/job/status/<job_id>" -H "X-API-Key: {api_key}"\n',
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.dev", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "7071")))
    parser.add_argument("--grace-seconds", type=float, default=30.0)
    parser.add_argument("--log-level", default=os.environ.get("LOG_LEVEL", "INFO"))
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    services = DevServices()
    host = Host(
        PROJECT_ROOT,
        port=args.port,
        grace_seconds=args.grace_seconds,
        before_start=[lambda _host: apply_example_defaults(), check_settings, services.start_missing, seed],
        on_ready=[greet],
        after_stop=[services.stop_all],
    )
    try:
        asyncio.run(host.serve())
    except ConfigurationError as exc:
        log.error("Cannot start: %s", exc.message)
        return 1
    finally:
        services.stop_all(host)
    return 1 if host.unfinished else 0


if __name__ == "__main__":
    sys.exit(main())
