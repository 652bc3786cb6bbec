"""``ping`` of the job store and of the blob store: the fakes and the real adapters behave the same.

Up, a ping returns; down (a staged outage for a fake, nothing listening for a real
adapter), it raises :class:`DependencyUnavailable` within its time-out, nothing else.
"""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import MongoClient

from lib.adapters.job_store import JobStore
from lib.adapters.mongo_client import connect
from lib.adapters.storage import ReportBlobs, blob_service
from lib.domain.errors import DependencyUnavailable
from lib.ports.jobs import Jobs
from lib.ports.storage import Blobs
from lib.settings import Settings
from tests.contract.conftest import IMPLEMENTATIONS, JobBackend
from tests.support.fakes.jobs import FakeJobs
from tests.support.fakes.storage import FakeBlobs
from tools.services import azurite_connection_string, free_port


def test_a_job_store_that_answers_pings(backend: JobBackend) -> None:
    backend.jobs.ping(2.0)


def test_a_blob_store_that_answers_pings(blobs: Blobs) -> None:
    blobs.ping(2.0)  # whether or not the container exists yet


def _jobs_down(request: pytest.FixtureRequest) -> Jobs:
    if request.param == "real":
        request.applymarker(pytest.mark.integration)
        client: MongoClient[dict[str, Any]] = connect(f"mongodb://127.0.0.1:{free_port()}/", 2000)
        request.addfinalizer(client.close)
        return JobStore(client["down"])
    fake = FakeJobs()
    fake.down = True
    return fake


def _blobs_down(request: pytest.FixtureRequest) -> Blobs:
    if request.param == "real":
        request.applymarker(pytest.mark.integration)
        nothing = azurite_connection_string(free_port(), free_port())
        settings = Settings.from_env(
            {"AZURE_STORAGE_CONNECTION_STRING": nothing, "MONGODB_URI": "mongodb://x"}
        )
        return ReportBlobs(blob_service(settings).get_container_client("down"))
    fake = FakeBlobs()
    fake.down = True
    return fake


@pytest.fixture(params=IMPLEMENTATIONS)
def jobs_down(request: pytest.FixtureRequest) -> Jobs:
    return _jobs_down(request)


@pytest.fixture(params=IMPLEMENTATIONS)
def blobs_down(request: pytest.FixtureRequest) -> Blobs:
    return _blobs_down(request)


def test_a_job_store_that_does_not_answer_is_unavailable(jobs_down: Jobs) -> None:
    with pytest.raises(DependencyUnavailable):
        jobs_down.ping(1.0)


def test_a_blob_store_that_does_not_answer_is_unavailable(blobs_down: Blobs) -> None:
    with pytest.raises(DependencyUnavailable):
        blobs_down.ping(1.0)
