"""``python -m tools.dev`` as a child process: one-line refusals, and it stops what it started, only that.

Every launcher here runs its own Azurite and SecantusDB on free ports (never the
defaults 10000/10001/10002/27017, which a developer's own ``./scripts/dev`` may hold),
with its data in the test's temporary folder. "Nothing left running" is checked two
ways: no process has that folder on its command line, and no process that descended
from the launcher while it ran is still alive.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from tests.funchost.helpers import wait_for
from tools.services import PROJECT_ROOT, Marker, free_port, port_open

pytestmark = pytest.mark.integration

# Settings of the outer environment that must not reach the launcher under test.
_LEAKY_PREFIXES = ("DEV_", "AzureWebJobs", "AzureFunctionsJobHost__", "AZURE_STORAGE_CONNECTION_STRING")
_LEAKY = {
    "MONGODB_URI",
    "MONGODB_DATABASE",
    "PORT",
    "LOG_LEVEL",
    "PARSER",
    "GEMINI_API_KEY",
    "POLLING_INTERVAL_SECONDS",
}


def _proc_stat(pid: int) -> tuple[int, str, str] | None:
    """(parent pid, state, start time) of a live process, else ``None``."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2 :].split()
    return int(fields[1]), fields[0], fields[19]


def descendants(root: int) -> dict[int, str]:
    """Every live descendant of ``root``: pid -> start time (so a reused pid is not mistaken)."""
    parents: dict[int, tuple[int, str]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and (stat := _proc_stat(int(entry.name))) is not None and stat[1] != "Z":
            parents[int(entry.name)] = (stat[0], stat[2])
    found: dict[int, str] = {}
    frontier = [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, started) in parents.items():
            if ppid == parent and pid not in found:
                found[pid] = started
                frontier.append(pid)
    return found


def still_alive(processes: dict[int, str]) -> list[int]:
    alive = []
    for pid, started in processes.items():
        stat = _proc_stat(pid)
        if stat is not None and stat[1] != "Z" and stat[2] == started:
            alive.append(pid)
    return alive


def processes_using(folder: Path) -> list[int]:
    """Live processes with ``folder`` on their command line (what a launcher started there)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(folder) in command:
            found.append(int(entry.name))
    return found


class Launcher:
    """One ``python -m tools.dev`` child with the given settings, its output in a file."""

    def __init__(self, settings: dict[str, str], log_path: Path) -> None:
        self.settings = settings
        self.log_path = log_path
        env = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith(_LEAKY_PREFIXES) and name not in _LEAKY
        }
        env.update(settings, PYTHONUNBUFFERED="1")
        with log_path.open("wb") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "tools.dev", "--grace-seconds", "2"],
                cwd=PROJECT_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    @property
    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_ready(self) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                raise AssertionError(f"the launcher exited with {self.process.returncode}:\n{self.output}")
            return "Ready: http://" in self.output

        wait_for(ready, timeout=60, what="the launcher to be ready")

    def wait(self, timeout: float = 60.0) -> int:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"the launcher did not exit:\n{self.output}") from None

    def signal(self, signum: int) -> None:
        self.process.send_signal(signum)

    def finish(self) -> None:
        """Clean-up after a failed test: stop the launcher, then whatever it may have left."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def settings(tmp_path: Path) -> dict[str, str]:
    """Settings for launchers of this test: free ports, data in the test's folder, the offline parser."""
    return {
        "PORT": str(free_port()),
        "DEV_AZURITE_BLOB_PORT": str(free_port()),
        "DEV_AZURITE_QUEUE_PORT": str(free_port()),
        "DEV_AZURITE_TABLE_PORT": str(free_port()),
        "DEV_SECANTUSDB_PORT": str(free_port()),
        "DEV_DATA_DIR": str(tmp_path / "data"),
        "PARSER": "local",
        # Explicit, so that a developer's local.settings.json cannot point the launcher elsewhere.
        "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
        "AzureWebJobsStorage": "UseDevelopmentStorage=true",
    }


@pytest.fixture
def launch(settings: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Launcher]]:
    """``launch(**overrides)`` starts a launcher; every one is finished after the test."""
    started: list[Launcher] = []

    def start(**overrides: str) -> Launcher:
        merged = {**settings, **overrides}
        merged.setdefault(
            "MONGODB_URI", f"mongodb://127.0.0.1:{merged['DEV_SECANTUSDB_PORT']}/?directConnection=true"
        )
        launcher = Launcher(merged, tmp_path / f"launcher-{len(started) + 1}.log")
        started.append(launcher)
        return launcher

    yield start
    for launcher in reversed(started):
        launcher.finish()
    data = Path(settings["DEV_DATA_DIR"])
    for pid in processes_using(data):  # only processes on this test's own folder
        os.kill(pid, signal.SIGKILL)


SERVICE_PORT_SETTINGS = (
    "DEV_AZURITE_BLOB_PORT",
    "DEV_AZURITE_QUEUE_PORT",
    "DEV_AZURITE_TABLE_PORT",
    "DEV_SECANTUSDB_PORT",
)


def service_ports(settings: dict[str, str]) -> list[int]:
    return [int(settings[name]) for name in SERVICE_PORT_SETTINGS]


def assert_nothing_left(settings: dict[str, str], tree: dict[int, str] | None = None) -> None:
    data = Path(settings["DEV_DATA_DIR"])
    wait_for(lambda: not processes_using(data), timeout=30, what=f"the services on {data} to be gone")
    if tree is not None:
        wait_for(
            lambda: not still_alive(tree), timeout=30, what="every process the launcher started to be gone"
        )
    assert [port for port in service_ports(settings) if port_open(port)] == []
    assert sorted(path.name for path in data.glob("*.pid.json")) == []


def one_line(output: str) -> str:
    lines = [line for line in output.splitlines() if line.strip()]
    assert len(lines) == 1, output
    assert "Traceback" not in output
    return lines[0]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DEV_API_KEY": "mrp_0000000000de_short"}, "DEV_API_KEY: not an API key"),
        ({"DEV_AZURITE_QUEUE_PORT": "queue"}, "DEV_AZURITE_QUEUE_PORT: 'queue' is not a port number"),
        ({"MAX_ATTEMPTS": "none"}, "MAX_ATTEMPTS: Input should be a valid integer"),
    ],
)
def test_a_bad_setting_ends_the_launcher_with_one_line_and_nothing_running(
    launch: Callable[..., Launcher], settings: dict[str, str], overrides: dict[str, str], expected: str
) -> None:
    launcher = launch(**overrides)
    assert launcher.wait() == 2
    line = one_line(launcher.output)
    assert "ERROR dev: Cannot start: invalid configuration: " in line
    assert expected in line
    if "DEV_API_KEY" in overrides:
        assert overrides["DEV_API_KEY"] not in line  # named, not echoed: a key must not reach a log
    assert_nothing_left(settings)


def test_a_foreign_listener_on_an_emulator_port_is_refused_and_nothing_starts(
    launch: Callable[..., Launcher], settings: dict[str, str]
) -> None:
    port = int(settings["DEV_AZURITE_QUEUE_PORT"])
    with socket.socket() as foreign:
        foreign.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        foreign.bind(("127.0.0.1", port))
        foreign.listen()
        launcher = launch()
        assert launcher.wait() == 2
        line = one_line(launcher.output)
    assert f"Cannot start: DEV_AZURITE_QUEUE_PORT: port {port} is in use by pid {os.getpid()} (" in line
    assert "not by this checkout's Azurite; stop that or set DEV_AZURITE_QUEUE_PORT to a free port" in line
    assert_nothing_left(settings)


def test_ready_prints_the_secret_a_second_launcher_reuses_and_each_stops_only_its_own(
    launch: Callable[..., Launcher], settings: dict[str, str], tmp_path: Path
) -> None:
    first = launch()
    first.wait_ready()
    tree = descendants(first.process.pid)
    data = Path(settings["DEV_DATA_DIR"])
    azurite = Marker.read(data / "azurite.pid.json")
    secantus = Marker.read(data / "secantusdb.pid.json")
    assert azurite is not None and secantus is not None
    assert {azurite.pid, secantus.pid} <= set(tree)

    # The printed secret is the one the project signs with.
    uri = f"mongodb://127.0.0.1:{settings['DEV_SECANTUSDB_PORT']}/?directConnection=true"
    client: MongoClient[dict[str, Any]] = MongoClient(uri)
    with client:
        project = client["medical_report_parser"]["projects"].find_one({"project_id": "project-001"})
    assert project is not None
    secret = project["webhook_secrets"][0]["secret"]
    assert f"Webhook signing secret of project-001 (standardwebhooks): {secret}\n" in first.output
    assert (
        f'curl -X POST "http://127.0.0.1:{settings["PORT"]}/api/v1/tenants/tenant-001/projects/'
        in first.output
    )

    # A second launcher of this checkout on the same settings reuses both, and leaves them running.
    second = launch(PORT=str(free_port()))
    second.wait_ready()
    assert f"Azurite of this checkout already runs (pid {azurite.pid}" in second.output
    assert f"SecantusDB of this checkout already runs (pid {secantus.pid}" in second.output
    second.signal(signal.SIGTERM)
    assert second.wait() == 0
    assert all(port_open(port) for port in service_ports(settings))
    assert azurite.process_alive() and secantus.process_alive()

    # Another checkout's launcher pointed at this one's SecantusDB (a copied local.settings.json) refuses.
    other = tmp_path / "other-checkout"
    third = launch(
        **{name: str(free_port()) for name in ("PORT", *SERVICE_PORT_SETTINGS)},
        DEV_DATA_DIR=str(other),
        MONGODB_URI=f"mongodb://127.0.0.1:{settings['DEV_SECANTUSDB_PORT']}/?directConnection=true",
    )
    assert third.wait() == 2
    assert one_line(third.output).endswith(
        f"Cannot start: MONGODB_URI: 127.0.0.1:{settings['DEV_SECANTUSDB_PORT']} is SecantusDB of another "
        f"checkout (pid {secantus.pid}, data in {data / 'mongodb'}); leave MONGODB_URI unset to run this "
        f"checkout's own on DEV_SECANTUSDB_PORT={third.settings['DEV_SECANTUSDB_PORT']}"
    )
    assert processes_using(other) == []

    # The first stops on Ctrl-C, with everything it started.
    first.signal(signal.SIGINT)
    assert first.wait() == 0
    assert "Traceback" not in first.output
    assert_nothing_left(settings, tree)


def test_a_service_that_dies_stops_the_launcher_and_the_rest(
    launch: Callable[..., Launcher], settings: dict[str, str]
) -> None:
    launcher = launch()
    launcher.wait_ready()
    tree = descendants(launcher.process.pid)
    azurite = Marker.read(Path(settings["DEV_DATA_DIR"]) / "azurite.pid.json")
    assert azurite is not None
    os.kill(azurite.pid, signal.SIGKILL)
    assert launcher.wait() == 1
    assert f"azurite (pid {azurite.pid}) exited by itself with status -9; stopping" in launcher.output
    assert "Traceback" not in launcher.output
    assert_nothing_left(settings, tree)


def test_sigterm_while_starting_stops_what_was_started(
    launch: Callable[..., Launcher], settings: dict[str, str]
) -> None:
    launcher = launch()
    wait_for(lambda: "Starting SecantusDB" in launcher.output, timeout=60, what="SecantusDB to be starting")
    tree = descendants(launcher.process.pid)
    launcher.signal(signal.SIGTERM)
    # 143 when the signal lands before the host took over; 0 if the host was up by then.
    assert launcher.wait() in (143, 0)
    assert "Traceback" not in launcher.output
    assert_nothing_left(settings, tree)


def test_an_error_after_the_services_started_stops_them(
    launch: Callable[..., Launcher], settings: dict[str, str]
) -> None:
    launcher = launch(MONGODB_DATABASE="no/slashes")  # refused by the MongoDB client, at seeding
    assert launcher.wait() == 1
    assert "Azurite started" in launcher.output and "SecantusDB started" in launcher.output
    assert "ERROR dev: Cannot start: " in launcher.output
    assert "Traceback" not in launcher.output
    assert_nothing_left(settings)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_a_killed_launcher_takes_its_services_with_it(
    launch: Callable[..., Launcher], settings: dict[str, str]
) -> None:
    launcher = launch()
    launcher.wait_ready()
    data = Path(settings["DEV_DATA_DIR"])
    services = {
        pid: started
        for pid, started in descendants(launcher.process.pid).items()
        if pid in processes_using(data)
    }
    assert len(services) == 2
    launcher.process.kill()
    launcher.wait()
    wait_for(lambda: not still_alive(services), timeout=30, what="the services to follow the killed launcher")
    # Its markers stay behind, naming dead processes: the next launcher starts afresh (see decide()).
    assert sorted(path.name for path in data.glob("*.pid.json")) == [
        "azurite.pid.json",
        "secantusdb.pid.json",
    ]
    assert [port for port in service_ports(settings) if port_open(port)] == []
