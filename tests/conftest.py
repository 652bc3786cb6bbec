"""Shared fixtures: real Azurite and a real MongoDB-wire server, started once per session.

Store tests run against SecantusDB (in memory, test commands on) unless
``MONGODB_URI`` names another server (a real MongoDB, Cosmos DB): then they run there.
Each test gets its own database, container and queue names, so tests never see
each other's data.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from pymongo import MongoClient
from pymongo.errors import OperationFailure

from lib.adapters.report_pipeline import ReportPipeline
from lib.bootstrap import build_context, close_context
from lib.services import admin
from lib.services.context import Context
from lib.settings import Settings
from tests.support.failpoints import FailPoints
from tools.services import ServiceProcess, start_azurite, start_secantus


@pytest.fixture(scope="session")
def azurite(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceProcess]:
    service = start_azurite(tmp_path_factory.mktemp("azurite"))
    yield service
    service.stop()


@pytest.fixture(scope="session")
def mongodb_uri(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    external = os.environ.get("MONGODB_URI")
    if external:
        yield external
        return
    service = start_secantus(None, tmp_path_factory.mktemp("secantus"))
    yield service.env["MONGODB_URI"]
    service.stop()


@pytest.fixture
def app_settings(azurite: ServiceProcess, mongodb_uri: str) -> dict[str, str]:
    """Environment-style settings isolated to this test."""
    suffix = uuid.uuid4().hex[:10]
    return {
        **azurite.env,
        "MONGODB_URI": mongodb_uri,
        "MONGODB_DATABASE": f"test_{suffix}",
        "AZURE_CONTAINER_NAME": f"reports-{suffix}",
        "PARSE_QUEUE_NAME": f"parse-{suffix}",
        "WEBHOOK_QUEUE_NAME": f"hooks-{suffix}",
        "PARSER": "local",
        "RETRY_BASE_SECONDS": "1",
        "RETRY_MAX_SECONDS": "5",
        "MONGODB_TIMEOUT_MS": "3000",
    }


@pytest.fixture
def settings(app_settings: dict[str, str]) -> Settings:
    return Settings.from_env(app_settings)


@pytest.fixture
def ctx(settings: Settings) -> Iterator[Context]:
    context = build_context(settings, parser=ReportPipeline())
    yield context
    context.close()
    with MongoClient(settings.mongodb_uri) as client:
        client.drop_database(settings.mongodb_database)


@dataclass(frozen=True)
class Credentials:
    """A registered tenant, one of its projects, and a working key."""

    tenant_id: str
    project_id: str
    api_key: str


@pytest.fixture
def tenant(ctx: Context) -> Credentials:
    admin.create_tenant(ctx, "tenant-001", "Test Tenant")
    admin.create_project(ctx, "tenant-001", "project-001", "Test Project")
    return Credentials("tenant-001", "project-001", admin.create_api_key(ctx, "tenant-001"))


@pytest.fixture
def failpoints(mongodb_uri: str) -> Iterator[FailPoints]:
    """Fault injection; skipped on servers without test commands (a real Cosmos DB)."""
    with MongoClient(mongodb_uri) as client:
        points = FailPoints(client)
        try:
            points.clear()
        except OperationFailure:
            pytest.skip("this MongoDB server does not accept configureFailPoint")
        yield points
        points.clear()


@pytest.fixture
def app_env(app_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., None]]:
    """Point the Blueprint functions' environment at this test's services.

    Yields ``configure(**overrides)`` to change settings; the composition root is
    rebuilt from the new environment on the next call.
    """

    def configure(**overrides: str) -> None:
        for name, value in {**app_settings, **overrides}.items():
            monkeypatch.setenv(name, value)
        close_context()

    configure()
    yield configure
    close_context()
