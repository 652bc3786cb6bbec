"""Azure Blob Storage (report files) and Queue Storage (parse messages), via the SDK clients.

azure-core's errors are translated here and nowhere else: no answer, a time-out,
throttling (503/500 from the service) → :class:`DependencyUnavailable`; a missing
blob → :class:`PermanentParseError` (``report_file_missing``), since the job can
never succeed without its file.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import (
    ClientAuthenticationError,
    DecodeError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)
from azure.identity import DefaultAzureCredential
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings
from azure.storage.queue import (
    LinearRetry,
    QueueClient,
    QueueServiceClient,
    TextBase64DecodePolicy,
    TextBase64EncodePolicy,
)

from lib.domain.errors import DependencyUnavailable, PermanentParseError
from lib.settings import Settings

log = logging.getLogger(__name__)

CONNECTION_TIMEOUT_SECONDS = 5
_CALLER_HANDLES = (400, 404, 409)
READ_TIMEOUT_SECONDS = 60
# Blob reads are ranged GETs of this size. The SDK holds about ten times a response's size
# while it reads one (measured: a 25 MiB blob in one GET peaked at 9x its size in Python
# allocations), so one GET per file would cost ~250 MB per concurrent 25 MB parse; 4 MiB
# GETs cost ~40 MB, and a report under 4 MiB (most) is still one GET.
BLOB_READ_CHUNK_BYTES = 4 * 1024 * 1024


def _client_options() -> dict[str, Any]:
    # The SDK's default is exponential retries starting at 15 s, which turns an outage
    # into a minute-long hang; a client waiting for an upload wants a fast 503 instead.
    return {
        "retry_policy": LinearRetry(backoff=1, random_jitter_range=1, retry_total=2),
        "connection_timeout": CONNECTION_TIMEOUT_SECONDS,
        "read_timeout": READ_TIMEOUT_SECONDS,
    }


def _credential(client_id: str | None) -> TokenCredential:
    # Managed identity in Azure (the user-assigned one when its client id is given); a developer's
    # az login elsewhere. Building it does no network I/O; tokens are fetched on first use.
    return DefaultAzureCredential(managed_identity_client_id=client_id)


def blob_service(settings: Settings) -> BlobServiceClient:
    """A Blob service client with short retries, by connection string or by managed identity."""
    options = {
        **_client_options(),
        "max_single_get_size": BLOB_READ_CHUNK_BYTES,
        "max_chunk_get_size": BLOB_READ_CHUNK_BYTES,
    }
    if settings.storage_connection_string:
        return BlobServiceClient.from_connection_string(settings.storage_connection_string, **options)
    assert settings.storage_blob_service_uri is not None  # Settings checks one of the two is set
    return BlobServiceClient(
        settings.storage_blob_service_uri, _credential(settings.storage_client_id), **options
    )


def queue_service(settings: Settings) -> QueueServiceClient:
    """A Queue service client with short retries, by connection string or by managed identity."""
    options = _client_options()
    if settings.storage_connection_string:
        return QueueServiceClient.from_connection_string(settings.storage_connection_string, **options)
    assert settings.storage_queue_service_uri is not None
    return QueueServiceClient(
        settings.storage_queue_service_uri, _credential(settings.storage_client_id), **options
    )


@contextmanager
def translated(dependency: str) -> Iterator[None]:
    """Turn azure-core's transport, server and credential errors into :class:`DependencyUnavailable`.

    A missing resource (404) and a conflict (409) pass through: callers handle them; so
    does 400, which means a request of ours is wrong (a bug to see, not to retry).
    Everything else (no status, 403, 408, 429, 5xx) and credential failures count as
    unavailability: with a managed identity those are most often a token endpoint
    timing out or a role assignment still propagating.
    """
    try:
        yield
    except (ServiceRequestError, ServiceResponseError, ClientAuthenticationError, DecodeError) as exc:
        log.warning("%s unreachable: %s", dependency, type(exc).__name__)
        raise DependencyUnavailable(dependency) from exc
    except HttpResponseError as exc:
        if exc.status_code in _CALLER_HANDLES:
            raise
        log.warning("%s answered %s", dependency, exc.status_code)
        raise DependencyUnavailable(dependency) from exc


@dataclass(frozen=True)
class StoredBlob:
    """A blob's name and when it was last written."""

    name: str
    last_modified: datetime


@dataclass(frozen=True)
class BlobPage:
    """One page of a listing, and the marker of the next (``None`` after the last)."""

    blobs: list[StoredBlob]
    next_marker: str | None


class ReportBlobs:
    """The report files of all jobs, in one private container."""

    def __init__(self, container: ContainerClient) -> None:
        self._container = container
        self._ready = False

    def ping(self, timeout_seconds: float) -> None:
        """Whether the container exists: one request, no retries, ``timeout_seconds`` to connect and read.

        Any answer counts (a container not created yet too): the service is up.
        """
        with translated("blob"):
            self._container.exists(
                retry_total=0, connection_timeout=timeout_seconds, read_timeout=timeout_seconds
            )

    def put(self, name: str, data: bytes, *, sha256: str) -> None:
        """Write a new PDF blob; never overwrites (names are unique per job).

        One Put Blob of ``data`` itself: the SDK sends ``bytes`` up to its single-put size
        (64 MiB, above ``MAX_FILE_MB``) without copying them.
        """
        with translated("blob"):
            self._ensure_container()
            self._container.upload_blob(
                name,
                data,
                overwrite=False,
                content_settings=ContentSettings(content_type="application/pdf"),
                metadata={"sha256": sha256},
            )

    def get(self, name: str) -> bytes:
        """Read a blob whole; ``report_file_missing`` when it is gone.

        In :data:`BLOB_READ_CHUNK_BYTES` ranged GETs (with a client from
        :func:`blob_service`), one after another, into one buffer that becomes the
        result: measured, the file plus ~1.5x its size in transient buffers at 25 MiB
        (one GET of the whole blob: 9x).
        """
        try:
            with translated("blob"):
                sink = io.BytesIO()
                self._container.download_blob(name, max_concurrency=1).readinto(sink)
                # getvalue() hands over the buffer itself when nothing else refers to it.
                return sink.getvalue()
        except ResourceNotFoundError as exc:
            raise PermanentParseError(
                "a file of this report is missing from storage", code="report_file_missing"
            ) from exc

    def delete_quietly(self, names: list[str]) -> list[str]:
        """Delete blobs, best effort (used to undo a refused upload); returns those left behind."""
        left = []
        for name in names:
            try:
                with translated("blob"):
                    self._container.delete_blob(name)
            except ResourceNotFoundError:
                continue
            except DependencyUnavailable:
                left.append(name)
        return left

    def delete_all(self, names: list[str]) -> None:
        """Delete blobs that must go (a purge); blobs already gone are fine, an outage raises."""
        if self.delete_quietly(names):
            raise DependencyUnavailable("blob", "some blobs could not be deleted; run the purge again")

    def list_page(self, marker: str | None, limit: int, prefix: str | None = None) -> BlobPage:
        """Up to ``limit`` blobs in name order from ``marker`` (``None``: the start)."""
        with translated("blob"):
            try:
                # by_page() gives azure-core's page iterator, which carries the next marker.
                pages: Any = self._container.list_blobs(
                    name_starts_with=prefix, results_per_page=limit
                ).by_page(continuation_token=marker)
                page: Iterator[Any] = next(pages, iter(()))
                entries = [StoredBlob(item.name, item.last_modified) for item in page]
            except ResourceNotFoundError:
                return BlobPage([], None)  # no container yet: no blobs
        return BlobPage(entries, pages.continuation_token or None)

    def _ensure_container(self) -> None:
        if self._ready:
            return
        with contextlib.suppress(ResourceExistsError):
            self._container.create_container()
        self._ready = True


class JobQueue:
    """A Storage queue of job messages, base64-encoded like the host expects.

    Bodies carry ids only: ``{"job_id"}`` for parsing, ``{"job_id", "message_id"}``
    for a webhook delivery.
    """

    def __init__(self, service: QueueServiceClient, name: str) -> None:
        self._client: QueueClient = service.get_queue_client(
            name,
            message_encode_policy=TextBase64EncodePolicy(),
            message_decode_policy=TextBase64DecodePolicy(),
        )
        self._ready = False

    def send(self, job_id: str, delay: timedelta = timedelta(0), *, message_id: str | None = None) -> None:
        """Enqueue a job's id (and a delivery's id), invisible for ``delay`` (backoff)."""
        body = encode_job_message(job_id, message_id)
        with translated("queue"):
            self._ensure_queue()
            self._client.send_message(body, visibility_timeout=visibility_seconds(delay))

    def _ensure_queue(self) -> None:
        if self._ready:
            return
        with contextlib.suppress(ResourceExistsError):
            self._client.create_queue()
        self._ready = True


# Azure Storage queues hide a message for at most seven days.
MAX_VISIBILITY_SECONDS = 7 * 24 * 3600 - 1


def visibility_seconds(delay: timedelta) -> int:
    """A queue visibility delay no shorter than ``delay`` (messages never arrive early), capped."""
    return max(0, min(MAX_VISIBILITY_SECONDS, math.ceil(delay.total_seconds())))


def encode_job_message(job_id: str, message_id: str | None = None) -> str:
    """The queue message body for a job or one of its webhook deliveries: ids, never patient data."""
    return json.dumps(
        {"job_id": job_id} if message_id is None else {"job_id": job_id, "message_id": message_id}
    )


def decode_job_message(body: bytes) -> str | None:
    """The job id in a parse message body (as the host hands it over), or ``None`` if it is not ours."""
    payload = _json_object(body)
    job_id = payload.get("job_id")
    return job_id if isinstance(job_id, str) else None


def decode_delivery_message(body: bytes) -> tuple[str, str] | None:
    """``(job_id, message_id)`` of a webhook delivery message, or ``None`` if it is not ours."""
    payload = _json_object(body)
    job_id, message_id = payload.get("job_id"), payload.get("message_id")
    return (job_id, message_id) if isinstance(job_id, str) and isinstance(message_id, str) else None


def _json_object(body: bytes) -> dict[str, object]:
    try:
        payload = json.loads(body)
    except ValueError:
        return {}
    return payload if isinstance(payload, dict) else {}
