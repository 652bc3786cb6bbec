"""Helpers for the local host's tests: a sample-app copy, HTTP calls, polling with a deadline."""

from __future__ import annotations

import contextlib
import json
import os
import select
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError
from azure.storage.queue import QueueClient, QueueMessage, TextBase64DecodePolicy, TextBase64EncodePolicy

from tools.services import PROJECT_ROOT, free_port

SAMPLE_APP = Path(__file__).resolve().parent / "sample_app"
T = TypeVar("T")


def wait_for(
    probe: Callable[[], T], timeout: float = 15.0, interval: float = 0.1, what: str = "condition"
) -> T:
    """Call ``probe`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def at_least(count: int, probe: Callable[[], list[T]]) -> Callable[[], list[T]]:
    """A probe for :func:`wait_for` that is satisfied once ``probe`` returns ``count`` items or more."""
    return lambda: (lambda items: items if len(items) >= count else [])(probe())


def peek(queue: QueueClient) -> list[QueueMessage]:
    """The visible messages of a queue; none while the queue does not exist yet."""
    try:
        return list(queue.peek_messages(max_messages=32))
    except ResourceNotFoundError:
        return []


@dataclass
class Reply:
    """An HTTP answer, error statuses included."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(method: str, url: str, body: bytes | None = None, headers: dict[str, str] | None = None) -> Reply:
    """One HTTP request over a real socket; 4xx/5xx come back as a :class:`Reply` too."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Reply(
                response.status, {k.lower(): v for k, v in response.headers.items()}, response.read()
            )
    except urllib.error.HTTPError as error:
        with error:
            return Reply(error.code, {k.lower(): v for k, v in error.headers.items()}, error.read())


@dataclass
class SampleApp:
    """A copy of the sample app with its own queue names, output folder and local.settings.json."""

    app_dir: Path
    out_dir: Path
    settings: dict[str, str]
    connection_string: str

    def queue(self, setting: str, suffix: str = "", *, base64: bool = True) -> QueueClient:
        """A client for the queue named by ``setting`` (+ suffix), base64 policies by default.

        The queue is created if missing: a test may send before the host's listener has made it.
        """
        name = self.settings[setting] + suffix
        policies = {}
        if base64:
            policies = {
                "message_encode_policy": TextBase64EncodePolicy(),
                "message_decode_policy": TextBase64DecodePolicy(),
            }
        client = QueueClient.from_connection_string(self.connection_string, name, **policies)
        with contextlib.suppress(ResourceExistsError):
            client.create_queue()
        return client

    def records(self, kind: str) -> list[dict[str, Any]]:
        """Lines a sample function appended to ``<kind>.jsonl``."""
        path = self.out_dir / f"{kind}.jsonl"
        if not path.exists():
            return []
        return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def make_sample_app(root: Path, connection_string: str, **extra: str) -> SampleApp:
    """Copy the sample app under ``root`` and write its local.settings.json (queue names unique)."""
    app_dir, out_dir = root / "app", root / "out"
    shutil.copytree(SAMPLE_APP, app_dir, ignore=shutil.ignore_patterns("__pycache__"))
    out_dir.mkdir()
    prefix = f"s{uuid.uuid4().hex[:10]}"
    settings = {
        "AzureWebJobsStorage": connection_string,
        "SAMPLE_STORAGE": connection_string,
        "SAMPLE_OUT_DIR": str(out_dir),
        "SAMPLE_QUEUE": f"{prefix}-record",
        "SAMPLE_FAIL_QUEUE": f"{prefix}-fail",
        "SAMPLE_SLOW_QUEUE": f"{prefix}-slow",
        "SAMPLE_HANG_QUEUE": f"{prefix}-runs-for",
        "SAMPLE_TICK_SCHEDULE": "* * * * * *",
        **extra,
    }
    (app_dir / "local.settings.json").write_text(
        json.dumps({"IsEncrypted": False, "Values": settings}, indent=2)
    )
    return SampleApp(app_dir, out_dir, settings, connection_string)


class HostProcess:
    """The host CLI started on a free port; ``url`` once it printed that it listens.

    The app's own settings are taken out of the inherited environment (the in-process host puts
    its app's local.settings.json there), so the child reads them from its local.settings.json.
    """

    def __init__(self, app: SampleApp, log_path: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.log_path = log_path
        argv = [
            sys.executable,
            "-m",
            "tools.funchost",
            "--app-dir",
            str(app.app_dir),
            "--port",
            str(self.port),
        ]
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [*argv, *args],
                cwd=PROJECT_ROOT,
                env={**{k: v for k, v in os.environ.items() if k not in app.settings}, **(env or {})},
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        self.url = f"http://127.0.0.1:{self.port}"
        self.first_line = self._first_line(timeout=30)

    def _first_line(self, timeout: float) -> str:
        assert self.process.stdout is not None
        ready, _, _ = select.select([self.process.stdout], [], [], timeout)
        if not ready:
            self.process.kill()
            raise AssertionError(f"the host printed nothing in {timeout} s: {self.log()}")
        return self.process.stdout.readline().strip()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()
