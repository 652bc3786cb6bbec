"""The contract suite: each test runs against the in-memory fake and against the real adapter.

A fixture below gives one implementation of a port per parameter: ``fake`` (from
``tests/support/fakes``) or ``real`` (MongoDB-wire server or Azurite, started by the
session fixtures in ``tests/conftest.py`` only when a real run needs them). What
passes against both cannot drift apart.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from azure.storage.queue import QueueClient, TextBase64DecodePolicy, TextBase64EncodePolicy
from pymongo import MongoClient
from pymongo.database import Database

from lib.adapters.cursor_store import CursorStore
from lib.adapters.indexes import JOB_INDEXES, ensure_indexes
from lib.adapters.job_store import JobStore
from lib.adapters.report_store import ReportStore
from lib.adapters.storage import JobQueue, ReportBlobs, blob_service, queue_service
from lib.ports.jobs import Cursors, Jobs, Reports
from lib.ports.storage import Blobs, Queue
from lib.settings import Settings
from tests.support.fakes.jobs import FakeCursors, FakeJobs, FakeReports
from tests.support.fakes.storage import FakeBlobs, FakeQueue

IMPLEMENTATIONS = ["fake", "real"]

Document = dict[str, object]


def _is_real(request: pytest.FixtureRequest) -> bool:
    if request.param == "real":
        request.applymarker(pytest.mark.integration)
        return True
    return False


@pytest.fixture
def database(request: pytest.FixtureRequest) -> Iterator[Database[Document]]:
    """A fresh database of its own on the test server (only for ``real`` runs)."""
    uri = request.getfixturevalue("mongodb_uri")
    name = f"contract_{uuid.uuid4().hex[:10]}"
    client: MongoClient[Document]
    with MongoClient(uri, tz_aware=True) as client:
        db: Database[Document] = client[name]
        ensure_indexes(db, JOB_INDEXES)
        yield db
        client.drop_database(name)


@dataclass
class JobBackend:
    """The job and report stores of one implementation, sharing one database."""

    jobs: Jobs
    reports: Reports
    cursors: Cursors


@pytest.fixture(params=IMPLEMENTATIONS)
def backend(request: pytest.FixtureRequest) -> JobBackend:
    if _is_real(request):
        db = request.getfixturevalue("database")
        return JobBackend(JobStore(db), ReportStore(db), CursorStore(db))
    return JobBackend(FakeJobs(), FakeReports(), FakeCursors())


@pytest.fixture
def storage_settings(request: pytest.FixtureRequest) -> Settings:
    return Settings.from_env(request.getfixturevalue("app_settings"))


@pytest.fixture(params=IMPLEMENTATIONS)
def blobs(request: pytest.FixtureRequest) -> Blobs:
    if _is_real(request):
        settings: Settings = request.getfixturevalue("storage_settings")
        return ReportBlobs(blob_service(settings).get_container_client(settings.container_name))
    return FakeBlobs()


#: Takes the messages that are visible now: ``(job_id, message_id)`` each.
Receive = Callable[[], list[tuple[str, str | None]]]


@pytest.fixture(params=IMPLEMENTATIONS)
def queue(request: pytest.FixtureRequest) -> tuple[Queue, Receive]:
    if _is_real(request):
        settings: Settings = request.getfixturevalue("storage_settings")
        assert settings.storage_connection_string is not None
        reader = QueueClient.from_connection_string(
            settings.storage_connection_string,
            settings.parse_queue_name,
            message_encode_policy=TextBase64EncodePolicy(),
            message_decode_policy=TextBase64DecodePolicy(),
        )

        def receive_real() -> list[tuple[str, str | None]]:
            taken = []
            for message in reader.receive_messages(max_messages=32, visibility_timeout=60):
                body = json.loads(message.content)
                taken.append((body["job_id"], body.get("message_id")))
                reader.delete_message(message)
            return taken

        return JobQueue(queue_service(settings), settings.parse_queue_name), receive_real

    fake = FakeQueue()

    def receive_fake() -> list[tuple[str, str | None]]:
        visible = [m for m in fake.messages if m.delay.total_seconds() <= 0]
        fake.messages = [m for m in fake.messages if m not in visible]
        return [(m.job_id, m.message_id) for m in visible]

    return fake, receive_fake
