"""The health check against real servers: 200 with both up, 503 with storage or the database stopped.

Each test that stops a server starts its own (SecantusDB or Azurite), so the session's
servers stay up for everything else. The body never says which dependency failed, nor
anything else about the deployment.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import azure.functions as func
import pytest

from functions.health_http import health
from lib.bootstrap import context
from lib.services.health import HEALTH_CACHE_SECONDS, check_health
from tools.services import ServiceProcess, start_azurite, start_secantus

pytestmark = pytest.mark.integration


def get_health() -> func.HttpResponse:
    return health(func.HttpRequest(method="GET", url="/api/health", body=b""))


def assert_bare(response: func.HttpResponse, status: int, word: str) -> None:
    assert response.status_code == status
    assert json.loads(response.get_body()) == {"status": word}  # nothing else: no versions, hosts, errors
    assert response.headers["Cache-Control"] == "no-store"


@pytest.fixture
def own_mongodb(tmp_path: Path) -> Iterator[ServiceProcess]:
    service = start_secantus(None, tmp_path / "secantus")
    try:
        yield service
    finally:
        service.stop()


@pytest.fixture
def own_azurite(tmp_path: Path) -> Iterator[ServiceProcess]:
    service = start_azurite(tmp_path / "azurite")
    try:
        yield service
    finally:
        service.stop()


def test_both_up_answers_200_ok(app_env: Callable[..., None]) -> None:
    assert_bare(get_health(), 200, "ok")


def test_storage_stopped_answers_503(app_env: Callable[..., None], own_azurite: ServiceProcess) -> None:
    app_env(**own_azurite.env)
    assert_bare(get_health(), 200, "ok")  # this Azurite answers

    own_azurite.stop()
    app_env(**own_azurite.env)  # a fresh process-wide context: no cached answer

    assert_bare(get_health(), 503, "unavailable")


def test_database_stopped_answers_503(app_env: Callable[..., None], own_mongodb: ServiceProcess) -> None:
    app_env(MONGODB_URI=own_mongodb.env["MONGODB_URI"])
    assert_bare(get_health(), 200, "ok")
    built = context()

    own_mongodb.stop()
    # The same worker, after the cached answer is stale: its ping fails.
    later = built.clock() + timedelta(seconds=HEALTH_CACHE_SECONDS + 1)
    assert check_health(replace(built, clock=lambda: later)).database is False
    # A cold worker cannot even build its context: 503 too, never the exception.
    app_env(MONGODB_URI=own_mongodb.env["MONGODB_URI"])
    assert_bare(get_health(), 503, "unavailable")
