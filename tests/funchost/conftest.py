"""Fixtures for the local host's tests: one Azurite and one in-process host per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.funchost.helpers import HostProcess, SampleApp, make_sample_app
from tools.funchost import Host
from tools.services import start_azurite

MAX_BODY = 64 * 1024  # the in-process host's request limit, small so 413 is cheap to test
MESSAGE_LEASE = 4  # seconds a received message stays hidden in the in-process host (Azure: 600)


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Azurite for the session; yields its connection string."""
    service = start_azurite(tmp_path_factory.mktemp("azurite"))
    try:
        yield service.env["AZURE_STORAGE_CONNECTION_STRING"]
    finally:
        service.stop()


@pytest.fixture(scope="session")
def sample(azurite: str, tmp_path_factory: pytest.TempPathFactory) -> SampleApp:
    """The sample app copy the in-process host runs."""
    return make_sample_app(tmp_path_factory.mktemp("sample"), azurite)


@pytest.fixture(scope="session")
def host(sample: SampleApp) -> Iterator[Host]:
    """The local host running the sample app in this process (a free port, small body limit)."""
    running = Host(
        sample.app_dir,
        port=0,
        grace_seconds=5,
        max_request_body_bytes=MAX_BODY,
        message_lease_seconds=MESSAGE_LEASE,
    ).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def processes() -> Iterator[list[HostProcess]]:
    """Host CLI processes a test starts; killed at its end."""
    started: list[HostProcess] = []
    yield started
    for process in started:
        process.stop()
