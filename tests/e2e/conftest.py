"""Fixtures for the end-to-end tier: the app in ``python -m tools.dev`` subprocesses, over real HTTP.

Every host gets the session's Azurite and SecantusDB (``tests/conftest.py``) but its own
database, container and queues, and a Gemini stand-in (:class:`GeminiStub`) running in
this process. ``app`` is one host per test module for tests that do not disturb each
other; ``make_host`` starts hosts of this test only (special settings, crash and restart).
When a test fails, the tail of every host's log is added to its report.
"""

from __future__ import annotations

import contextlib
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from tests.support.app_host import LIVE_HOSTS, AppHost, MakeHost, isolated_settings
from tests.support.gemini_stub import GeminiStub
from tools.services import ServiceProcess


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        for host in LIVE_HOSTS:
            report.sections.append((f"{host.name} log ({host.log_path}), last lines", host.tail()))
    return report


@pytest.fixture(scope="session")
def mongo(mongodb_uri: str) -> Iterator[MongoClient[dict[str, Any]]]:
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri, tz_aware=True)
    with client:
        yield client


def _finish(host: AppHost, mongo: MongoClient[dict[str, Any]]) -> None:
    try:
        host.stop()
    finally:
        if host in LIVE_HOSTS:
            LIVE_HOSTS.remove(host)
        mongo.drop_database(host.database)


@pytest.fixture(scope="module")
def gemini() -> Iterator[GeminiStub]:
    """The module's Gemini stand-in; tests set ``default`` or enqueue replies."""
    with GeminiStub() as stub:
        yield stub


@pytest.fixture(scope="module")
def app(
    azurite: ServiceProcess,
    mongodb_uri: str,
    mongo: MongoClient[dict[str, Any]],
    gemini: GeminiStub,
    tmp_path_factory: pytest.TempPathFactory,
    request: pytest.FixtureRequest,
) -> Iterator[AppHost]:
    """One running app for the whole test module."""
    settings = isolated_settings(azurite.env["AZURE_STORAGE_CONNECTION_STRING"], mongodb_uri, gemini.base_url)
    name = f"{request.module.__name__.rsplit('.', 1)[-1]}-host"
    host = AppHost(settings, tmp_path_factory.mktemp("e2e-logs"), name=name)
    try:
        yield host.start()
    finally:
        _finish(host, mongo)


@pytest.fixture
def make_host(
    azurite: ServiceProcess,
    mongodb_uri: str,
    mongo: MongoClient[dict[str, Any]],
    tmp_path: Path,
) -> Iterator[MakeHost]:
    """``make_host(gemini_stub, **extra_settings)``: a started host of this test, stopped after it."""
    hosts: list[AppHost] = []

    def make(stub: GeminiStub, **extra: str) -> AppHost:
        settings = isolated_settings(
            azurite.env["AZURE_STORAGE_CONNECTION_STRING"], mongodb_uri, stub.base_url
        )
        host = AppHost({**settings, **extra}, tmp_path, name=f"host-{len(hosts) + 1}")
        hosts.append(host)
        return host.start()

    yield make
    with contextlib.ExitStack() as finishing:  # every host is finished even if one fails to
        for host in hosts:
            finishing.callback(_finish, host, mongo)
