"""Ports for Blob Storage (the report files) and Storage queues (parse and webhook messages).

Implemented by :class:`lib.adapters.storage.ReportBlobs` and
:class:`lib.adapters.storage.JobQueue`, and by
:class:`tests.support.fakes.storage.FakeBlobs` and
:class:`tests.support.fakes.storage.FakeQueue`; ``tests/contract`` runs the same
tests against each pair. Failures of the service are
:class:`lib.domain.errors.DependencyUnavailable`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol


class BlobEntry(Protocol):
    """A listed blob."""

    @property
    def name(self) -> str:
        """The blob's name."""
        ...

    @property
    def last_modified(self) -> datetime:
        """When it was last written."""
        ...


class BlobListing(Protocol):
    """One page of a listing."""

    @property
    def blobs(self) -> Sequence[BlobEntry]:
        """The page's blobs, in name order."""
        ...

    @property
    def next_marker(self) -> str | None:
        """Where the next page starts; ``None`` after the last."""
        ...


class Blobs(Protocol):
    """The report files of all jobs."""

    def ping(self, timeout_seconds: float) -> None:
        """One cheap request to the service within ``timeout_seconds``, without retries (the health
        check); :class:`lib.domain.errors.DependencyUnavailable` when it does not answer."""
        ...

    def put(self, name: str, data: bytes, *, sha256: str) -> None:
        """Write a new blob; never overwrites."""
        ...

    def get(self, name: str) -> bytes:
        """Read a blob whole; :class:`lib.domain.errors.PermanentParseError` (``report_file_missing``)
        when it is gone."""
        ...

    def delete_quietly(self, names: list[str]) -> list[str]:
        """Delete blobs, best effort; returns those left behind (a blob already gone is not)."""
        ...

    def delete_all(self, names: list[str]) -> None:
        """Delete blobs that must go; raises when some could not be deleted."""
        ...

    def list_page(self, marker: str | None, limit: int, prefix: str | None = None) -> BlobListing:
        """Up to ``limit`` blobs in name order from ``marker`` (``None``: the start)."""
        ...


class Queue(Protocol):
    """A queue of job messages (ids only, never patient data)."""

    def send(self, job_id: str, delay: timedelta = ..., *, message_id: str | None = None) -> None:
        """Enqueue a job's id (and a delivery's id), invisible for ``delay``."""
        ...
