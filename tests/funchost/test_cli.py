"""``python -m tools.funchost`` as a child process: settings precedence and graceful stop on SIGTERM."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from azure.storage.queue import QueueServiceClient

from tests.funchost.helpers import SampleApp, call, make_sample_app, wait_for
from tools.services import PROJECT_ROOT, free_port, port_open

pytestmark = pytest.mark.integration


class HostProcess:
    """The host CLI started on a free port; ``url`` once it printed that it listens."""

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
                env={**os.environ, **(env or {})},
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


@pytest.fixture
def cli_app(azurite: str, tmp_path: Path) -> SampleApp:
    """A sample-app copy of its own (own queues), with settings for the precedence check."""
    return make_sample_app(tmp_path, azurite, SAMPLE_PRECEDENCE="from-file", SAMPLE_FILE_ONLY="file-value")


@pytest.fixture
def processes() -> Iterator[list[HostProcess]]:
    started: list[HostProcess] = []
    yield started
    for process in started:
        process.stop()


def test_cli_serves_then_stops_gracefully_on_sigterm(
    cli_app: SampleApp, tmp_path: Path, processes: list[HostProcess]
) -> None:
    host = HostProcess(
        cli_app, tmp_path / "host.log", "--grace-seconds", "20", env={"SAMPLE_PRECEDENCE": "from-env"}
    )
    processes.append(host)
    assert host.first_line == f"Host listening on {host.url}"

    # The trigger queues are created (poison queues only when first needed, like the real host).
    service = QueueServiceClient.from_connection_string(cli_app.connection_string)
    expected = {cli_app.settings[name] for name in ("SAMPLE_QUEUE", "SAMPLE_FAIL_QUEUE", "SAMPLE_SLOW_QUEUE")}
    expected.add(cli_app.settings["SAMPLE_QUEUE"] + "-poison")  # a trigger of its own in the sample
    wait_for(lambda: expected <= {queue.name for queue in service.list_queues()}, what="the trigger queues")

    # local.settings.json Values are loaded; a variable already in the environment wins.
    assert call("GET", f"{host.url}/api/settings/SAMPLE_FILE_ONLY").json() == {"value": "file-value"}
    assert call("GET", f"{host.url}/api/settings/SAMPLE_PRECEDENCE").json() == {"value": "from-env"}

    with ThreadPoolExecutor(1) as pool:
        in_flight = pool.submit(call, "GET", f"{host.url}/api/slow?seconds=3&marker=slow-http")
        wait_for(lambda: (cli_app.out_dir / "slow-http").exists(), what="the slow request to start")
        stop_sent = time.monotonic()
        host.process.send_signal(signal.SIGTERM)
        wait_for(lambda: not port_open(host.port), what="the listener to close")
        assert in_flight.result(timeout=30).status == 200  # the running request still finished
    assert host.process.wait(timeout=30) == 0
    assert time.monotonic() - stop_sent < 20  # well within the grace period
    log = host.log()
    assert "Executed 'Functions.slow' (Succeeded" in log
    assert "Host stopped" in log


def test_sigterm_leaves_an_unfinished_message_on_its_queue(
    azurite: str, tmp_path: Path, processes: list[HostProcess]
) -> None:
    app = make_sample_app(tmp_path, azurite, SAMPLE_SLOW_SECONDS="60")
    host = HostProcess(app, tmp_path / "host.log", "--grace-seconds", "1")
    processes.append(host)
    app.queue("SAMPLE_SLOW_QUEUE").send_message("slow-work")
    wait_for(lambda: (app.out_dir / "slow-started").exists(), what="the slow function to start")

    host.process.send_signal(signal.SIGTERM)
    assert host.process.wait(timeout=20) == 1  # work was cut off after the grace period
    assert not (app.out_dir / "slow-done").exists()
    # Not deleted: it is still on the queue (hidden until its visibility timeout ends).
    assert app.queue("SAMPLE_SLOW_QUEUE").get_queue_properties().approximate_message_count == 1
    assert "Executed 'Functions.slow_queue' (Cancelled" in host.log()
