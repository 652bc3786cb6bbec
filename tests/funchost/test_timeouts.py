"""host.json ``functionTimeout`` through the host CLI: time-outs fail, restart the worker, count as dequeues."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.funchost.helpers import HostProcess, SampleApp, call, make_sample_app, peek, wait_for

pytestmark = pytest.mark.integration

TIMEOUT = "00:00:02"  # short, so a run that never ends is cut off soon; nothing here measures it


@pytest.fixture
def short_timeout_host(
    azurite: str, tmp_path: Path, processes: list[HostProcess]
) -> tuple[SampleApp, HostProcess]:
    """The sample app in the host CLI with functionTimeout overridden to two seconds."""
    app = make_sample_app(tmp_path, azurite, AzureFunctionsJobHost__functionTimeout=TIMEOUT)
    host = HostProcess(app, tmp_path / "host.log", "--grace-seconds", "2")
    processes.append(host)
    assert host.first_line == f"Host listening on {host.url}", host.log()
    return app, host


def test_a_queue_invocation_over_the_timeout_fails_and_its_message_ends_in_the_poison_queue(
    short_timeout_host: tuple[SampleApp, HostProcess],
) -> None:
    app, host = short_timeout_host
    app.queue("SAMPLE_HANG_QUEUE").send_message("600")  # would run for ten minutes
    poison = app.queue("SAMPLE_HANG_QUEUE", "-poison")
    (message,) = wait_for(lambda: peek(poison), timeout=60, what="the message in the poison queue")
    assert message.content == "600"
    # Each time-out counted as one dequeue (maxDequeueCount is 3), and each attempt was cut off.
    attempts = app.records("runs-for-attempts")
    assert [attempt["dequeue_count"] for attempt in attempts] == [1, 2, 3]
    wait_for(lambda: len(app.records("runs-for-interrupted")) == 3, what="the three runs to be interrupted")
    assert app.records("runs-for-done") == []
    log = host.log()
    assert log.count(f"Timeout value of {TIMEOUT} exceeded by function 'Functions.runs_for'") == 3
    assert "Restarting worker process" in log


def test_an_http_time_out_is_a_500_and_the_worker_restart_fails_the_other_requests_in_flight(
    short_timeout_host: tuple[SampleApp, HostProcess],
) -> None:
    app, host = short_timeout_host
    with ThreadPoolExecutor(2) as pool:
        first = pool.submit(call, "GET", f"{host.url}/api/slow?seconds=600&marker=first-started")
        wait_for(lambda: (app.out_dir / "first-started").exists(), what="the first request to start")
        second = pool.submit(call, "GET", f"{host.url}/api/slow?seconds=600&marker=second-started")
        wait_for(lambda: (app.out_dir / "second-started").exists(), what="the second request to start")
        replies = [first.result(timeout=60), second.result(timeout=60)]
    assert [(reply.status, reply.body) for reply in replies] == [(500, b""), (500, b"")]
    log = host.log()
    # The first ran out of time; the restart of its worker took the second down with it.
    assert log.count(f"Timeout value of {TIMEOUT} exceeded by function 'Functions.slow'") == 1
    assert re.search(r"Executed 'Functions\.slow' \(Failed, .*\) GET /api/slow \(timed out\)", log)
    assert re.search(r"Executed 'Functions\.slow' \(Failed, .*\) GET /api/slow \(worker restarted\)", log)
    # A new worker serves what comes next.
    assert call("GET", f"{host.url}/api/hello/again").body == b"hello again"
