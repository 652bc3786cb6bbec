"""The dev launcher's pure parts: its settings, the app settings it derives, reuse decisions, markers.

The launcher as a process (one-line refusals, clean-up however it ends) is tested in
``tests/integration/test_dev_launcher_cli.py``.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from azure.storage.blob import BlobServiceClient
from azure.storage.queue import QueueServiceClient

from lib.domain.errors import ConfigurationError
from tools.dev.emulators import decide
from tools.dev.launcher import greeting, warn_ignored_settings
from tools.dev.settings import (
    DEFAULT_DEV_API_KEY,
    DevSettings,
    Emulators,
    check_settings,
    is_development_storage,
    resolve_environment,
)
from tools.services import (
    PROJECT_ROOT,
    Marker,
    command_line,
    describe_listener,
    launcher_service_on,
    listener_pids,
)

PORTS = {"DEV_AZURITE_BLOB_PORT": 20000, "DEV_AZURITE_QUEUE_PORT": 20001}
DATA = Path("/checkout/.local/azurite")


def problems_of(environ: dict[str, str], http_port: int | None = None) -> list[str]:
    with pytest.raises(ConfigurationError) as caught:
        DevSettings.from_env(environ, http_port)
    return caught.value.problems


# -- settings -------------------------------------------------------------------------------------


def test_the_defaults_are_the_emulators_usual_ports_and_the_checkouts_local_folder() -> None:
    dev = DevSettings.from_env({})
    assert dev.http_port == 7071
    assert dict(dev.azurite_ports) == {"blob": 10000, "queue": 10001, "table": 10002}
    assert dev.secantus_port == 27017
    assert dev.data_dir == PROJECT_ROOT / ".local"
    assert dev.api_key == DEFAULT_DEV_API_KEY


def test_ports_and_the_data_folder_are_settings() -> None:
    dev = DevSettings.from_env(
        {
            "PORT": "8080",
            "DEV_AZURITE_BLOB_PORT": "21000",
            "DEV_AZURITE_QUEUE_PORT": "21001",
            "DEV_AZURITE_TABLE_PORT": "21002",
            "DEV_SECANTUSDB_PORT": "28017",
            "DEV_DATA_DIR": "elsewhere/data",
        }
    )
    assert (dev.http_port, dev.secantus_port) == (8080, 28017)
    assert dict(dev.azurite_ports) == {"blob": 21000, "queue": 21001, "table": 21002}
    assert dev.data_dir == PROJECT_ROOT / "elsewhere" / "data"


def test_the_port_option_wins_over_the_port_setting() -> None:
    assert DevSettings.from_env({"PORT": "8080"}, http_port=9090).http_port == 9090
    assert DevSettings.from_env({"PORT": "not-a-port"}, http_port=9090).http_port == 9090
    assert problems_of({}, http_port=70000) == ["--port: 70000 is not a port number (0-65535)"]


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("DEV_AZURITE_BLOB_PORT", "abc", "DEV_AZURITE_BLOB_PORT: 'abc' is not a port number"),
        ("DEV_AZURITE_QUEUE_PORT", "0", "DEV_AZURITE_QUEUE_PORT: 0 is not a port number (1-65535)"),
        ("DEV_SECANTUSDB_PORT", "70000", "DEV_SECANTUSDB_PORT: 70000 is not a port number (1-65535)"),
        ("PORT", "-1", "PORT: -1 is not a port number (0-65535)"),
        (
            "DEV_AZURITE_TABLE_PORT",
            "10000",
            "DEV_AZURITE_TABLE_PORT: port 10000 is already DEV_AZURITE_BLOB_PORT",
        ),
    ],
)
def test_a_bad_port_is_named_with_what_is_wrong(name: str, value: str, expected: str) -> None:
    assert problems_of({name: value}) == [expected]


def test_a_malformed_dev_key_is_named_without_echoing_it() -> None:
    (problem,) = problems_of({"DEV_API_KEY": "mrp_0000000000de_too-short-secret"})
    assert problem.startswith("DEV_API_KEY: not an API key")
    assert "too-short-secret" not in problem


def test_a_data_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    file = tmp_path / "a-file"
    file.write_text("")
    assert problems_of({"DEV_DATA_DIR": str(file)}) == [f"DEV_DATA_DIR: {file} exists and is not a folder"]


def test_the_launchers_and_the_apps_problems_are_reported_together() -> None:
    environ = {
        "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
        "MONGODB_URI": "mongodb://127.0.0.1:27017",
        "DEV_API_KEY": "nope",
        "DEV_SECANTUSDB_PORT": "x",
        "MAX_ATTEMPTS": "0",
    }
    with pytest.raises(ConfigurationError) as caught:
        check_settings(environ, None)
    names = [problem.split(":", 1)[0] for problem in caught.value.problems]
    assert names == ["DEV_SECANTUSDB_PORT", "DEV_API_KEY", "MAX_ATTEMPTS"]
    assert "\n" not in caught.value.message


# -- the app settings the launcher derives ----------------------------------------------------------


def custom_ports() -> DevSettings:
    return DevSettings(azurite_ports={"blob": 21000, "queue": 21001, "table": 21002}, secantus_port=28017)


def test_development_storage_follows_the_port_settings() -> None:
    environ: dict[str, str] = {}
    emulators = resolve_environment(environ, custom_ports())
    assert emulators == Emulators(azurite=True, secantus=True)
    for name in ("AZURE_STORAGE_CONNECTION_STRING", "AzureWebJobsStorage"):
        connection = environ[name]
        # What the SDKs make of it: UseDevelopmentStorage=true would mean 10000/10001 to them.
        assert BlobServiceClient.from_connection_string(connection).url.startswith("http://127.0.0.1:21000/")
        assert QueueServiceClient.from_connection_string(connection).url.startswith("http://127.0.0.1:21001/")
        assert "TableEndpoint=http://127.0.0.1:21002/" in connection
    assert environ["MONGODB_URI"] == "mongodb://127.0.0.1:28017/?directConnection=true"


def test_unset_app_settings_come_from_the_example_with_dev_webhooks() -> None:
    environ = {"MAX_ATTEMPTS": "7"}
    resolve_environment(environ, DevSettings())
    assert environ["MAX_ATTEMPTS"] == "7"
    assert environ["AZURE_CONTAINER_NAME"] == "medical-reports"
    assert environ["WEBHOOK_ALLOW_HTTP"] == environ["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] == "true"


def test_an_explicit_endpoint_on_the_dev_ports_is_run_by_the_launcher() -> None:
    environ = {
        "AZURE_STORAGE_CONNECTION_STRING": "BlobEndpoint=http://localhost:21000/devstoreaccount1;AccountName=x",
        "AzureWebJobsStorage": "UseDevelopmentStorage=true",
        "MONGODB_URI": "mongodb://localhost:28017/?directConnection=true",
    }
    assert resolve_environment(environ, custom_ports()) == Emulators(azurite=True, secantus=True)
    assert environ["MONGODB_URI"] == "mongodb://localhost:28017/?directConnection=true"


def test_local_endpoints_on_other_ports_are_used_as_they_are() -> None:
    storage = "BlobEndpoint=http://127.0.0.1:45000/devstoreaccount1;QueueEndpoint=http://127.0.0.1:45001/x"
    environ = {
        "AZURE_STORAGE_CONNECTION_STRING": storage,
        "AzureWebJobsStorage": storage,
        "MONGODB_URI": "mongodb://127.0.0.1:45002/",
    }
    emulators = resolve_environment(environ, DevSettings())
    assert emulators == Emulators(
        azurite=False,
        secantus=False,
        external=(
            ("AZURE_STORAGE_CONNECTION_STRING", 45000),
            ("AzureWebJobsStorage", 45000),
            ("MONGODB_URI", 45002),
        ),
    )
    assert environ["AZURE_STORAGE_CONNECTION_STRING"] == storage


def test_remote_services_are_neither_started_nor_checked() -> None:
    environ = {
        "AZURE_STORAGE_CONNECTION_STRING": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k;EndpointSuffix=core.windows.net",
        "AzureWebJobsStorage": "DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k",
        "MONGODB_URI": "mongodb+srv://user:pw@cluster.example.net/",
    }
    assert resolve_environment(environ, DevSettings()) == Emulators(azurite=False, secantus=False)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("UseDevelopmentStorage=true", True),
        ("usedevelopmentstorage=true;", True),
        (" UseDevelopmentStorage = true ", True),
        ("UseDevelopmentStorage=false", False),
        ("AccountName=devstoreaccount1", False),
    ],
)
def test_development_storage_shorthand(value: str, expected: bool) -> None:
    assert is_development_storage(value) is expected


# -- reuse or refuse ------------------------------------------------------------------------------


def marker(ports: list[int], data: Path = DATA) -> Marker:
    return Marker("Azurite", 4242, {str(i): port for i, port in enumerate(ports)}, str(data), 4000)


def test_nothing_answering_means_start() -> None:
    decision = decide("Azurite", PORTS, {20000: False, 20001: False}, None, False, DATA)
    assert decision.action == "start"


def test_a_stale_marker_on_free_ports_means_start() -> None:
    decision = decide("Azurite", PORTS, {20000: False, 20001: False}, marker([20000, 20001]), False, DATA)
    assert decision.action == "start"


def test_this_checkouts_running_service_is_reused() -> None:
    decision = decide("Azurite", PORTS, {20000: True, 20001: True}, marker([20000, 20001]), True, DATA)
    assert (decision.action, decision.pid) == ("reuse", 4242)


@pytest.mark.parametrize(
    ("the_marker", "alive"),
    [
        (None, False),  # no marker: someone else's
        (marker([20000, 20001]), False),  # the marked process is gone; the port went to another program
        (marker([20000, 20001], Path("/other/checkout/.local/azurite")), True),  # another checkout's
    ],
)
def test_a_foreign_listener_is_refused_naming_the_port_the_holder_and_the_setting(
    the_marker: Marker | None, alive: bool
) -> None:
    decision = decide(
        "Azurite",
        PORTS,
        {20000: False, 20001: True},
        the_marker,
        alive,
        DATA,
        lambda port: f"pid 9 (on {port})",
    )
    assert decision.action == "refuse"
    assert decision.message == (
        "DEV_AZURITE_QUEUE_PORT: port 20001 is in use by pid 9 (on 20001), not by this checkout's Azurite; "
        "stop that or set DEV_AZURITE_QUEUE_PORT to a free port"
    )


def test_this_checkouts_service_on_other_ports_is_refused_not_started_twice() -> None:
    decision = decide("Azurite", PORTS, {20000: False, 20001: False}, marker([30000, 30001]), True, DATA)
    assert decision.action == "refuse"
    assert "pid 4242" in decision.message and "30000" in decision.message


def test_this_checkouts_service_that_does_not_answer_is_refused() -> None:
    decision = decide("Azurite", PORTS, {20000: True, 20001: False}, marker([20000, 20001]), True, DATA)
    assert decision.action == "refuse"
    assert decision.message.startswith("DEV_AZURITE_QUEUE_PORT: Azurite of this checkout (pid 4242) runs but")


# -- markers and listeners --------------------------------------------------------------------------


def test_a_marker_survives_a_round_trip_and_a_broken_one_reads_as_none(tmp_path: Path) -> None:
    path = tmp_path / "azurite.pid.json"
    written = Marker("Azurite", 12, {"blob": 1, "queue": 2}, "/data", 11)
    written.write(path)
    assert Marker.read(path) == written
    path.write_text("{not json")
    assert Marker.read(path) is None
    assert Marker.read(tmp_path / "missing.json") is None


def test_a_marker_is_alive_only_while_its_process_runs_on_its_data(tmp_path: Path) -> None:
    data = tmp_path / "service-data"
    process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)", str(data)])
    try:
        # Right after exec, /proc/<pid>/cmdline can read empty for a moment.
        for _ in range(200):
            if command_line(process.pid):
                break
            time.sleep(0.01)
        assert Marker("x", process.pid, {}, str(data), os.getpid()).process_alive()
        assert not Marker("x", process.pid, {}, str(tmp_path / "other-data"), os.getpid()).process_alive()
    finally:
        process.kill()
        process.wait()
    assert not Marker("x", process.pid, {}, str(data), os.getpid()).process_alive()
    assert command_line(process.pid) is None


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="listeners are found through /proc (Linux)")
def test_the_holder_of_a_port_is_described() -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert os.getpid() in listener_pids(port)
        assert f"pid {os.getpid()} (" in describe_listener(port)


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="listeners are found through /proc (Linux)")
def test_a_service_another_launcher_started_is_recognised_by_its_marker(tmp_path: Path) -> None:
    data = tmp_path / "other-checkout" / ".local" / "mongodb"
    listen = (
        "import socket, time; s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen(); "
        "print(s.getsockname()[1], flush=True); time.sleep(60)"
    )
    with subprocess.Popen(
        [sys.executable, "-c", listen, "--storage-path", str(data)], stdout=subprocess.PIPE, text=True
    ) as service:
        try:
            assert service.stdout is not None
            port = int(service.stdout.readline())
            assert launcher_service_on(port) is None  # no marker: just some program
            marker = Marker("SecantusDB", service.pid, {"mongodb": port}, str(data), 1)
            marker.write(data.parent / "secantusdb.pid.json")
            assert launcher_service_on(port) == marker
        finally:
            service.kill()


# -- what it prints -------------------------------------------------------------------------------


def test_the_greeting_has_the_curl_and_the_webhook_secret() -> None:
    text = greeting("http://127.0.0.1:7071", DEFAULT_DEV_API_KEY, ["whsec_new", "whsec_old"])
    assert text.lstrip().startswith("Ready: http://127.0.0.1:7071")
    assert (
        'curl -X POST "http://127.0.0.1:7071/api/v1/tenants/tenant-001/projects/project-001/reports" \\\n'
        '  -F "file=@report.pdf" \\\n'
        f'  -H "X-API-Key: {DEFAULT_DEV_API_KEY}"\n'
    ) in text
    assert "Webhook signing secret of project-001 (standardwebhooks): whsec_new\n" in text
    assert "whsec_old" in text


def test_the_guides_polling_interval_is_reported_as_unused(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="dev"):
        warn_ignored_settings({"POLLING_INTERVAL_SECONDS": "120"})
        warn_ignored_settings({})
    (record,) = caplog.records
    assert "POLLING_INTERVAL_SECONDS is not used" in record.getMessage()
    assert "maxPollingInterval" in record.getMessage()
