"""Shared pieces of the reliability suite: its size, a Gemini stand-in scripted per document,
hosts that are always finished, dedicated services that can be stopped and restarted, fault
injection aimed at the app's own database connections, and the end-state checks every test
ends with (every accepted job ended once, no blob without a job).

Size: the suite runs at a reduced size (CI) unless ``RELIABILITY_FULL=1`` is set (the bench
command sets it); :func:`scale` is the one place that reads it.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import hashlib
import os
import threading
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import requests
from azure.core.exceptions import ResourceNotFoundError
from azure.storage.blob import ContainerClient
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import PyMongoError

from tests.support.app_host import API_KEY, LIVE_HOSTS, AppHost, isolated_settings, wait_for
from tests.support.gemini_stub import GeminiReply, GeminiStub, RecordedRequest
from tools.services import ServiceProcess, free_port, start_azurite, start_secantus

FULL = os.environ.get("RELIABILITY_FULL", "") == "1"
EVERY_SECOND = "*/1 * * * * *"
# The application name the app's MongoDB client announces (lib/adapters/mongo_client.py):
# fail points scoped to it hit the app's commands, never the test's own reads.
APP_NAME = "medical-report-parser"
ENDED = ("completed", "failed")
Document = dict[str, Any]


def scale(reduced: int, full: int) -> int:
    """``full`` when ``RELIABILITY_FULL=1``, else ``reduced``: the suite's size, read here only."""
    return full if FULL else reduced


# -- the Gemini stand-in, scripted per document ---------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Hold:
    """A reply that is not sent until ``gate`` is set: a parse that hangs for as long as a test wants.

    If the stand-in stops first, the connection is closed without an answer.
    """

    gate: threading.Event
    then: GeminiReply


Scripted = GeminiReply | Hold


def document_key(pdf: bytes) -> str:
    return hashlib.sha256(pdf).hexdigest()


class ScriptedGemini(GeminiStub):
    """:class:`GeminiStub` whose replies are scripted per document (the request's first PDF).

    Jobs parsed at the same time each get their own script, so concurrent scenarios do not
    take each other's replies. A document without a script gets :attr:`fallback`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.fallback: Scripted = GeminiReply.ok()
        self._doc_lock = threading.Lock()
        self._scripts: dict[str, collections.deque[Scripted]] = {}
        self._answers: dict[str, Scripted] = {}
        self._calls: collections.Counter[str] = collections.Counter()
        self._gates: list[threading.Event] = []
        self._current = threading.local()

    def __enter__(self) -> ScriptedGemini:
        self.start()
        return self

    def script(self, pdf: bytes, *replies: Scripted, then: Scripted | None = None) -> None:
        """Serve ``replies`` in order to requests carrying ``pdf``, then ``then`` (default: fallback)."""
        key = document_key(pdf)
        with self._doc_lock:
            self._scripts.setdefault(key, collections.deque()).extend(replies)
            if then is not None:
                self._answers[key] = then

    def calls_for(self, pdf: bytes) -> int:
        """How many requests carrying ``pdf`` arrived."""
        with self._doc_lock:
            return self._calls[document_key(pdf)]

    def gate(self) -> threading.Event:
        """A new gate for :class:`Hold` replies; :meth:`release_all` opens every one."""
        gate = threading.Event()
        with self._doc_lock:
            self._gates.append(gate)
        return gate

    def release_all(self) -> None:
        """Open every gate: held replies go out (hosts are finished without hanging invocations)."""
        with self._doc_lock:
            gates = list(self._gates)
        for gate in gates:
            gate.set()

    # The handler records a request and then asks for the reply on the same thread.
    def _record(self, request: RecordedRequest) -> None:
        super()._record(request)
        try:
            pdfs = request.pdfs
        except ValueError:
            pdfs = []
        self._current.key = document_key(pdfs[0]) if pdfs else None

    def _next_reply(self) -> GeminiReply:
        key = getattr(self._current, "key", None)
        with self._doc_lock:
            if key is not None:
                self._calls[key] += 1
            script = self._scripts.get(key) if key is not None else None
            if script:
                item = script.popleft()
            elif key in self._answers:
                item = self._answers[key]
            else:
                item = self.fallback
        if isinstance(item, GeminiReply):
            return item
        while not item.gate.wait(0.05):
            if self._stopping.is_set():
                # _send sees the stand-in stopping and closes the connection unanswered.
                return dataclasses.replace(item.then, delay_seconds=1)
        return item.then


# -- hosts -------------------------------------------------------------------------------------------


class HostFactory:
    """Starts app hosts (``python -m tools.dev``) and finishes every one of them, even after a failure.

    Each host gets its own database, container and queues (``isolated_settings``);
    :meth:`again` starts another instance on the settings of an existing one.
    """

    def __init__(self, storage_connection: str, mongodb_uri: str, log_dir: Path) -> None:
        self.storage_connection = storage_connection
        self.mongodb_uri = mongodb_uri
        self.log_dir = log_dir
        self.hosts: list[AppHost] = []
        self.stubs: list[ScriptedGemini] = []

    def __call__(
        self, stub: ScriptedGemini, *, storage_connection: str = "", mongodb_uri: str = "", **settings: str
    ) -> AppHost:
        """A started host with its own data, talking to ``stub``; ``settings`` add to or override the defaults."""
        isolated = isolated_settings(
            storage_connection or self.storage_connection, mongodb_uri or self.mongodb_uri, stub.base_url
        )
        if stub not in self.stubs:
            self.stubs.append(stub)
        return self._start({**isolated, **settings})

    def again(self, host: AppHost) -> AppHost:
        """Another instance on the very same settings: same database, container and queues."""
        return self._start(host.settings)

    def _start(self, settings: Mapping[str, str]) -> AppHost:
        host = AppHost(settings, self.log_dir, name=f"host-{len(self.hosts) + 1}")
        self.hosts.append(host)
        return host.start()

    def finish(self) -> None:
        """Open every held Gemini reply (so no invocation hangs the stop), stop the hosts, drop their data."""
        for stub in self.stubs:
            stub.release_all()
        with contextlib.ExitStack() as finishing:
            for host in self.hosts:
                finishing.callback(_finish_host, host)


def _finish_host(host: AppHost) -> None:
    try:
        host.stop()
    finally:
        if host in LIVE_HOSTS:
            LIVE_HOSTS.remove(host)
        # Best effort: a dedicated server may already be gone with everything on it.
        client: MongoClient[Document] = MongoClient(
            host.settings["MONGODB_URI"], serverSelectionTimeoutMS=2000
        )
        with client, contextlib.suppress(PyMongoError):
            client.drop_database(host.database)


# -- dedicated services that a test stops and restarts ----------------------------------------------


class DedicatedAzurite:
    """An Azurite of one test: its own data folder and fixed ports, so it can come back as it was."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.blob_port, self.queue_port = free_port(), free_port()
        self.service: ServiceProcess | None = None

    @property
    def connection_string(self) -> str:
        assert self.service is not None
        return self.service.env["AZURE_STORAGE_CONNECTION_STRING"]

    def start(self) -> DedicatedAzurite:
        self.service = start_azurite(self.data_dir, self.blob_port, self.queue_port)
        return self

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


class DedicatedMongoDB:
    """A durable SecantusDB of one test (a storage folder, a fixed port), stopped and restarted at will."""

    def __init__(self, data_dir: Path) -> None:
        self.storage_path = data_dir / "data"
        self.log_dir = data_dir
        self.port = free_port()
        self.service: ServiceProcess | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/?directConnection=true"

    def start(self) -> DedicatedMongoDB:
        self.service = start_secantus(self.storage_path, self.log_dir, self.port)
        return self

    def stop(self) -> None:
        if self.service is not None:
            self.service.stop()


# -- database faults aimed at the app ----------------------------------------------------------------


# The jobs in ``parsing_jobs``: a refused upload's marker (status ``refused``) is not one.
JOBS_ONLY: Document = {"status": {"$ne": "refused"}}


def job_count(db: Database[Document]) -> int:
    return db["parsing_jobs"].count_documents(JOBS_ONLY)


class AppFailPoints:
    """``configureFailPoint failCommand`` scoped to the app's connections (``appName``).

    The test's own client, which checks the end state, is never hit. One fail point is
    active at a time: each call replaces the previous one.
    """

    def __init__(self, client: MongoClient[Document]) -> None:
        self._admin = client.admin

    def throttle(
        self, commands: Sequence[str], *, times: int | None = None, retry_after_ms: int = 10
    ) -> None:
        """Cosmos DB's "request rate is large" (16500 with ``RetryAfterMs``); ``times=None``: until cleared."""
        self._set(
            times,
            {
                "failCommands": list(commands),
                "errorCode": 16500,
                "errmsg": f"Request rate is large. RetryAfterMs={retry_after_ms}",
            },
        )

    def drop_connections(self, commands: Sequence[str], *, times: int | None = None) -> None:
        """Close the connection instead of answering; ``times=None``: until cleared."""
        self._set(times, {"failCommands": list(commands), "closeConnection": True})

    def block(self, commands: Sequence[str], *, milliseconds: int, times: int | None = None) -> None:
        """Hold each command for ``milliseconds`` before running it (it still runs: a late write)."""
        self._set(
            times, {"failCommands": list(commands), "blockConnection": True, "blockTimeMS": milliseconds}
        )

    def clear(self) -> None:
        self._admin.command("configureFailPoint", "failCommand", mode="off")

    def _set(self, times: int | None, data: Document) -> None:
        mode: Any = "alwaysOn" if times is None else {"times": times}
        self._admin.command(
            "configureFailPoint", "failCommand", mode=mode, data={**data, "appName": APP_NAME}
        )


# -- talking to the app --------------------------------------------------------------------------------


def upload(
    host: AppHost,
    files: bytes | Sequence[bytes],
    *,
    session: requests.Session | None = None,
    api_key: str | None = API_KEY,
    params: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> requests.Response:
    """POST one report (one or more PDFs) to the host's upload route."""
    documents = [files] if isinstance(files, bytes) else list(files)
    headers = {"X-API-Key": api_key} if api_key is not None else {}
    post = session.post if session is not None else requests.post
    return post(
        host.reports_url,
        files=[("file", (f"report-{n}.pdf", data, "application/pdf")) for n, data in enumerate(documents, 1)],
        headers=headers,
        params=dict(params or {}),
        timeout=timeout,
    )


def job_id_of(response: requests.Response) -> str:
    assert response.status_code == 202, f"{response.status_code}: {response.text}"
    job_id: str = response.json()["job_id"]
    return job_id


def status(host: AppHost, job_id: str, *, api_key: str = API_KEY) -> requests.Response:
    return requests.get(host.status_url(job_id), headers={"X-API-Key": api_key}, timeout=30)


def assert_error_envelope(
    response: requests.Response, status_code: int | None = None, code: str | None = None
) -> None:
    """The API's error shape: JSON ``{"success": false, "error": {"code", "message"}}``."""
    context = f"{response.status_code} {response.headers.get('content-type')}: {response.text[:300]}"
    if status_code is not None:
        assert response.status_code == status_code, context
    assert response.headers.get("content-type", "").startswith("application/json"), context
    body = response.json()
    assert body["success"] is False, context
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str), context
    if code is not None:
        assert body["error"]["code"] == code, context


# -- end state ----------------------------------------------------------------------------------------


def jobs_by_id(db: Database[Document], ids: Iterable[str] | None = None) -> dict[str, Document]:
    query: Document = JOBS_ONLY if ids is None else {"_id": {"$in": list(ids)}}
    return {doc["_id"]: doc for doc in db["parsing_jobs"].find(query)}


def wait_until_ended(
    db: Database[Document], ids: Sequence[str], *, timeout: float = 120, what: str = "every job to end"
) -> dict[str, Document]:
    """Wait until every job in ``ids`` is completed or failed (read from the database); return them."""
    wanted = set(ids)

    def probe() -> dict[str, Document] | None:
        ended = {
            doc["_id"]: doc
            for doc in db["parsing_jobs"].find({"_id": {"$in": list(wanted)}, "status": {"$in": list(ENDED)}})
        }
        return ended if set(ended) == wanted else None

    try:
        return wait_for(probe, timeout=timeout, interval=0.25, what=what)
    except AssertionError:
        states = collections.Counter(doc["status"] for doc in jobs_by_id(db, wanted).values())
        raise AssertionError(
            f"timed out after {timeout:.0f} s waiting for {what}; jobs by status: {dict(states)}"
        ) from None


def reports_per_job(db: Database[Document]) -> collections.Counter[str]:
    return collections.Counter(doc["job_id"] for doc in db["parsed_reports"].find({}, {"job_id": 1}))


def assert_completed_once(
    db: Database[Document], jobs: Mapping[str, Document], patients: Mapping[str, str] | None = None
) -> None:
    """Every job completed, with exactly one parsed report (its own), attempts matching its history."""
    reports = reports_per_job(db)
    not_completed = {
        job_id: (doc["status"], doc.get("error"))
        for job_id, doc in jobs.items()
        if doc["status"] != "completed"
    }
    assert not not_completed, f"jobs that did not complete: {not_completed}"
    wrong = {job_id: reports[job_id] for job_id in jobs if reports[job_id] != 1}
    assert not wrong, f"jobs without exactly one parsed report: {wrong}"
    for job_id, doc in jobs.items():
        report = db["parsed_reports"].find_one({"_id": doc["report_id"]})
        assert report is not None and report["job_id"] == job_id, job_id
        if patients is not None:
            assert report["parsed_data"]["patient_name"] == patients[job_id], job_id
        history = doc["history"]
        assert doc["attempts"] == len(history) >= 1, (job_id, doc["attempts"], history)
        assert history[-1]["outcome"] == "completed", (job_id, history)


def blob_names(connection: str, container: str) -> list[str]:
    client = ContainerClient.from_connection_string(connection, container)
    with client:
        try:
            return [blob.name for blob in client.list_blobs()]
        except ResourceNotFoundError:  # nothing was ever uploaded
            return []


def blob_names_of(host: AppHost) -> list[str]:
    """The blobs in the host's report container."""
    return blob_names(host.settings["AZURE_STORAGE_CONNECTION_STRING"], host.settings["AZURE_CONTAINER_NAME"])


def assert_no_orphan_blobs(host: AppHost, db: Database[Document]) -> None:
    """Every blob belongs to a stored job that lists it, and every stored job's files exist."""
    blobs = set(blob_names_of(host))
    listed = {
        item["blob_name"] for doc in db["parsing_jobs"].find(JOBS_ONLY, {"files": 1}) for item in doc["files"]
    }
    assert blobs - listed == set(), (
        f"blobs no job points to (a half-written upload): {sorted(blobs - listed)}"
    )
    assert listed - blobs == set(), f"jobs whose files are missing: {sorted(listed - blobs)}"
