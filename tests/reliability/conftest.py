"""Fixtures of the reliability suite: the app under load and faults, over real HTTP.

Hosts are ``python -m tools.dev`` subprocesses (``tests/support/app_host.py``) on the session's
Azurite and SecantusDB, or on a dedicated Azurite / durable SecantusDB that a test stops and
restarts. Every host, stand-in and dedicated service is finished when its test ends, failed or
not. The suite's size comes from :func:`tests.reliability.harness.scale` (``RELIABILITY_FULL=1``).
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from tests.reliability.harness import (
    AppFailPoints,
    DedicatedAzurite,
    DedicatedMongoDB,
    HostFactory,
    ScriptedGemini,
)
from tests.support.app_host import LIVE_HOSTS
from tests.support.failpoints import FailPoints
from tools.services import ServiceProcess


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, Any]:
    report = yield
    if report.failed and report.when in ("setup", "call"):
        for host in LIVE_HOSTS:
            report.sections.append((f"{host.name} log ({host.log_path}), last lines", host.tail(80)))
    return report


@pytest.fixture(scope="session")
def mongo(mongodb_uri: str) -> Iterator[MongoClient[dict[str, Any]]]:
    """The test's own client on the session's database server (never hit by app-scoped fail points)."""
    client: MongoClient[dict[str, Any]] = MongoClient(mongodb_uri, tz_aware=True)
    with client:
        yield client


@pytest.fixture
def gemini() -> Iterator[ScriptedGemini]:
    with ScriptedGemini() as stub:
        yield stub


@pytest.fixture
def make_host(azurite: ServiceProcess, mongodb_uri: str, tmp_path: Path) -> Iterator[HostFactory]:
    """``make_host(stub, **settings)``: hosts of this test, all finished after it."""
    factory = HostFactory(azurite.env["AZURE_STORAGE_CONNECTION_STRING"], mongodb_uri, tmp_path)
    try:
        yield factory
    finally:
        factory.finish()


@pytest.fixture(scope="module")
def module_gemini() -> Iterator[ScriptedGemini]:
    """A Gemini stand-in shared by a module's tests (its scripts are per document)."""
    with ScriptedGemini() as stub:
        yield stub


@pytest.fixture(scope="module")
def module_hosts(
    azurite: ServiceProcess, mongodb_uri: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[HostFactory]:
    """Like ``make_host``, for a host shared by a module's tests; finished after the module."""
    factory = HostFactory(
        azurite.env["AZURE_STORAGE_CONNECTION_STRING"], mongodb_uri, tmp_path_factory.mktemp("hosts")
    )
    try:
        yield factory
    finally:
        factory.finish()


@pytest.fixture
def dedicated_azurite(tmp_path: Path) -> Iterator[DedicatedAzurite]:
    """A started Azurite of this test only (its own folder and ports): stop it, start it again."""
    service = DedicatedAzurite(tmp_path / "azurite").start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def durable_mongodb(tmp_path: Path) -> Iterator[DedicatedMongoDB]:
    """A started, durable SecantusDB of this test only: its data survive a stop and a start."""
    service = DedicatedMongoDB(tmp_path / "mongodb").start()
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def app_failpoints(failpoints: FailPoints, mongo: MongoClient[dict[str, Any]]) -> Iterator[AppFailPoints]:
    """Fail points on the app's connections only; skipped where the server has no test commands."""
    points = AppFailPoints(mongo)
    try:
        yield points
    finally:
        points.clear()
