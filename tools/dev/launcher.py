"""One run of ``python -m tools.dev``: check, start the services, run the host, always clean up."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import FrameType

from pymongo.errors import PyMongoError

from lib.adapters.tenant_store import AlreadyExists
from lib.bootstrap import close_context, context
from lib.domain.errors import ConfigurationError, ServiceError
from lib.services import admin
from tools.dev.emulators import DevServices
from tools.dev.settings import (
    DEV_PROJECT,
    DEV_TENANT,
    CannotStart,
    DevSettings,
    check_external,
    check_http_port,
    check_settings,
    resolve_environment,
)
from tools.funchost.__main__ import configure_logging
from tools.funchost.config import HostConfigError, apply_local_settings, read_host_config
from tools.funchost.host import Host
from tools.services import (
    PROJECT_ROOT,
    ServiceProcess,
)

log = logging.getLogger("dev")


class Interrupted(BaseException):
    """Raised at the launcher's next safe point after SIGINT/SIGTERM arrived before the host ran.

    The signal handler only records the signal: an exception raised from a handler can
    land anywhere (an at-fork hook swallows it). A ``BaseException``, like
    ``KeyboardInterrupt``, so no ``except Exception`` on the way swallows this one.
    """

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


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
    parser = argparse.ArgumentParser(
        prog="python -m tools.dev", description="Run the whole app on this machine, in one command."
    )
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
