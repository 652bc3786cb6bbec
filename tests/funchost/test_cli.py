"""``python -m tools.funchost`` as a child process: settings precedence and graceful stop on SIGTERM."""

from __future__ import annotations

import signal
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from azure.storage.queue import QueueServiceClient

from tests.funchost.helpers import HostProcess, SampleApp, call, make_sample_app, wait_for
from tools.services import port_open

pytestmark = pytest.mark.integration


@pytest.fixture
def cli_app(azurite: str, tmp_path: Path) -> SampleApp:
    """A sample-app copy of its own (own queues), with settings for the precedence check."""
    return make_sample_app(tmp_path, azurite, SAMPLE_PRECEDENCE="from-file", SAMPLE_FILE_ONLY="file-value")


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


def _start_fails(app: SampleApp, tmp_path: Path, processes: list[HostProcess]) -> str:
    """Start the host CLI on ``app`` expecting it to refuse to start; return its log."""
    host = HostProcess(app, tmp_path / "host.log")
    processes.append(host)
    assert host.process.wait(timeout=30) == 1
    assert host.first_line == ""  # it never listened
    return host.log()


def test_a_timespan_schedule_stops_the_start_with_a_line_naming_the_function(
    azurite: str, tmp_path: Path, processes: list[HostProcess]
) -> None:
    app = make_sample_app(tmp_path, azurite, SAMPLE_TICK_SCHEDULE="00:05:00")
    log = _start_fails(app, tmp_path, processes)
    assert "Cannot start: function tick: timer schedule '00:05:00' is a TimeSpan" in log
    assert "Traceback" not in log


def test_identity_based_settings_pointing_at_the_emulator_drive_the_queue_trigger(
    azurite: str, tmp_path: Path, processes: list[HostProcess]
) -> None:
    # The deployed form (infra/main.bicep): no connection string, only <Connection>__... settings.
    queue_endpoint = dict(part.split("=", 1) for part in azurite.split(";") if part)["QueueEndpoint"]
    app = make_sample_app(
        tmp_path,
        azurite,
        SAMPLE_STORAGE="",
        SAMPLE_STORAGE__credential="managedidentity",
        SAMPLE_STORAGE__queueServiceUri=queue_endpoint,
    )
    host = HostProcess(app, tmp_path / "host.log")
    processes.append(host)
    assert host.first_line == f"Host listening on {host.url}", host.log()
    app.queue("SAMPLE_QUEUE").send_message("via-identity-settings")
    wait_for(
        lambda: [r for r in app.records("record") if r["body"] == "via-identity-settings"], what="the message"
    )


def test_identity_based_settings_for_a_real_account_are_refused_by_name(
    azurite: str, tmp_path: Path, processes: list[HostProcess]
) -> None:
    app = make_sample_app(
        tmp_path,
        azurite,
        SAMPLE_STORAGE="",
        SAMPLE_STORAGE__queueServiceUri="https://acct.queue.core.windows.net",
    )
    log = _start_fails(app, tmp_path, processes)
    assert "Cannot start: function " in log
    assert "SAMPLE_STORAGE__queueServiceUri=https://acct.queue.core.windows.net" in log
