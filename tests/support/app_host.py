"""The app as clients meet it: ``python -m tools.dev`` in a subprocess, driven over real HTTP.

:class:`AppHost` starts the dev launcher (the project's local Functions host plus the
dev seeding of ``tenant-001``/``project-001`` and the dev API key) as a child process in
its own process group, pointed at the test session's Azurite and SecantusDB, with
its own database, container and queues. It writes everything the host logs to one
file; :meth:`AppHost.tail` shows the end of it. It stops with SIGTERM (then SIGKILL
after a deadline), can be killed at once (:meth:`AppHost.kill`, a crash) and started
again on the same settings, so on the same database and queues.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from pymongo.database import Database

from tests.support.gemini_stub import SAMPLE_REPORT
from tools.dev.settings import DEFAULT_DEV_API_KEY, DEV_PROJECT, DEV_TENANT
from tools.services import PROJECT_ROOT, free_port

T = TypeVar("T")
# The ``make_host`` fixture: ``make_host(gemini_stub, **extra_settings)`` -> a started host.
MakeHost = Callable[..., "AppHost"]

API_KEY = DEFAULT_DEV_API_KEY
TENANT, PROJECT = DEV_TENANT, DEV_PROJECT
READY_LINE = "Ready: http://"  # printed by tools.dev once the host listens AND the dev tenant is seeded

# Every running or crashed-and-restarted host of the current test, for the failure report.
LIVE_HOSTS: list[AppHost] = []


def wait_for(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    interval: float = 0.1,
    what: str = "the condition",
) -> T:
    """Call ``probe`` until it returns something truthy; return that, or fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def unique_patient() -> str:
    """A patient name no other test uses, so a test can recognise its own result."""
    return f"Test Patient {uuid.uuid4().hex[:8].upper()}"


def report_for(patient_name: str) -> dict[str, Any]:
    """What the Gemini stand-in answers: its sample report, for another patient."""
    return {
        **SAMPLE_REPORT,
        "patient_name": patient_name,
        "patient": {**SAMPLE_REPORT["patient"], "name": patient_name},
    }


def isolated_settings(storage_connection: str, mongodb_uri: str, gemini_base_url: str) -> dict[str, str]:
    """Settings for one app instance: its own database, container and queues; fast retries and polling."""
    suffix = uuid.uuid4().hex[:10]
    return {
        "AZURE_STORAGE_CONNECTION_STRING": storage_connection,
        "AzureWebJobsStorage": storage_connection,
        "MONGODB_URI": mongodb_uri,
        "MONGODB_DATABASE": f"e2e_{suffix}",
        "MONGODB_TIMEOUT_MS": "3000",
        "AZURE_CONTAINER_NAME": f"e2e-reports-{suffix}",
        "PARSE_QUEUE_NAME": f"e2e-parse-{suffix}",
        "WEBHOOK_QUEUE_NAME": f"e2e-hooks-{suffix}",
        "PARSER": "gemini",
        "GEMINI_API_KEY": "test-key",
        "GEMINI_BASE_URL": gemini_base_url,
        "GEMINI_TIMEOUT_SECONDS": "60",
        "WEBHOOK_ALLOW_HTTP": "true",
        "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
        "WEBHOOK_RETRY_BASE_SECONDS": "0.05",
        "WEBHOOK_TIMEOUT_SECONDS": "5",
        "RETRY_BASE_SECONDS": "0.2",
        "RETRY_MAX_SECONDS": "1",
        "DEV_API_KEY": API_KEY,
        # host.json overrides, the way Azure app settings override it
        "AzureFunctionsJobHost__extensions__queues__maxPollingInterval": "00:00:00.200",
        "AzureFunctionsJobHost__extensions__queues__visibilityTimeout": "00:00:00",
    }


class AppHost:
    """One ``python -m tools.dev`` child process; :meth:`start` may be called again after a stop or kill."""

    def __init__(self, settings: Mapping[str, str], log_dir: Path, *, name: str = "host") -> None:
        self.settings = dict(settings)
        self.name = name
        self.port = free_port()
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self._log_offset = 0  # where the current run's output begins in the log file

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def reports_url(self) -> str:
        return f"{self.url}/api/v1/tenants/{TENANT}/projects/{PROJECT}/reports"

    def status_url(self, job_id: str) -> str:
        return f"{self.url}/api/v1/job/status/{job_id}"

    @property
    def database(self) -> str:
        return self.settings["MONGODB_DATABASE"]

    def environment(self) -> dict[str, str]:
        env = {
            name: value
            for name, value in os.environ.items()
            # Nothing of the outer environment may leak into the app's settings or host.json.
            if not name.startswith(("AzureFunctionsJobHost__", "AzureWebJobs"))
        }
        env.update(self.settings)
        env["PYTHONUNBUFFERED"] = "1"
        return env

    def start(self, timeout: float = 30.0) -> AppHost:
        """Start the process and return once the app is seeded and answers; raise with the log tail."""
        if self.process is not None and self.process.poll() is None:
            raise RuntimeError(f"{self.name} is already running")
        self.starts += 1
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            log.write(f"\n===== {self.name}: start #{self.starts} on port {self.port} =====\n".encode())
            log.flush()
            self._log_offset = log.tell()
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tools.dev", "--port", str(self.port), "--grace-seconds", "5"],
                cwd=PROJECT_ROOT,
                env=self.environment(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop/kill reach everything it started
            )
        if self not in LIVE_HOSTS:
            LIVE_HOSTS.append(self)
        try:
            wait_for(self._ready, timeout=timeout, interval=0.05, what=f"{self.name} to be ready")
        except BaseException:
            self.kill()
            raise
        return self

    def _ready(self) -> bool:
        assert self.process is not None
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode} while starting:\n{self.tail()}"
            )
        return READY_LINE in self.current_log()

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM to the process group (a graceful stop), SIGKILL if it is not gone by ``timeout``."""
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            self._signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                process.wait(10)
        return process.returncode

    def kill(self) -> None:
        """SIGKILL the whole process group at once, as a crash or an instance recycle would."""
        process = self.process
        if process is not None and process.poll() is None:
            self._signal(signal.SIGKILL)
            process.wait(10)

    def _signal(self, signum: int) -> None:
        assert self.process is not None
        with contextlib.suppress(ProcessLookupError):  # already gone
            os.killpg(self.process.pid, signum)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def current_log(self) -> str:
        """What the current (latest) run has logged so far."""
        try:
            with self.log_path.open("rb") as log:
                log.seek(self._log_offset)
                return log.read().decode(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:]) or "(empty log)"


def job_document(db: Database[dict[str, Any]], job_id: str) -> dict[str, Any] | None:
    """The stored job (``parsing_jobs``), or ``None``."""
    return db["parsing_jobs"].find_one({"_id": job_id})


def webhook_secret(db: Database[dict[str, Any]]) -> str:
    """The dev project's signing secret, read from the database (``tools.dev`` also prints it)."""
    project = db["projects"].find_one({"tenant_id": TENANT, "project_id": PROJECT})
    assert project is not None, "the dev project is not seeded"
    secret: str = project["webhook_secrets"][0]["secret"]
    return secret
