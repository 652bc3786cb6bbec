"""In-memory stand-ins for :mod:`lib.ports.storage`: :class:`FakeBlobs` and :class:`FakeQueue`.

Outages are staged by setting :attr:`FakeBlobs.down` / :attr:`FakeQueue.down`
(every call fails with :class:`DependencyUnavailable`), or by naming the blob
number of writes that still succeed (:attr:`FakeBlobs.puts_left`).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from lib.domain.errors import DependencyUnavailable, PermanentParseError

__all__ = ["FakeBlobs", "FakeQueue", "Listed", "ListedPage", "SentMessage"]


@dataclass(frozen=True)
class Listed:
    """A blob in a listing."""

    name: str
    last_modified: datetime


@dataclass(frozen=True)
class ListedPage:
    """One page of a listing."""

    blobs: list[Listed]
    next_marker: str | None


class FakeBlobs:
    """The :class:`lib.ports.storage.Blobs` port over a dict; ``clock`` stamps each write."""

    def __init__(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.blobs: dict[str, tuple[bytes, datetime]] = {}
        self.down = False
        self.puts_left: int | None = None  # after this many more writes, writes fail (None: never)
        self._clock = clock
        self._lock = threading.Lock()

    def ping(self, timeout_seconds: float) -> None:
        self._check()

    def put(self, name: str, data: bytes, *, sha256: str) -> None:
        self._check()
        with self._lock:
            if self.puts_left is not None:
                if self.puts_left <= 0:
                    raise DependencyUnavailable("blob")
                self.puts_left -= 1
            if name in self.blobs:
                raise ValueError(f"blob {name} exists")  # names are unique per job: a bug
            self.blobs[name] = (data, self._clock())

    def get(self, name: str) -> bytes:
        self._check()
        stored = self.blobs.get(name)
        if stored is None:
            raise PermanentParseError(
                "a file of this report is missing from storage", code="report_file_missing"
            )
        return stored[0]

    def delete_quietly(self, names: list[str]) -> list[str]:
        if self.down:
            return [name for name in names if name in self.blobs]
        with self._lock:
            for name in names:
                self.blobs.pop(name, None)
        return []

    def delete_all(self, names: list[str]) -> None:
        if self.delete_quietly(names):
            raise DependencyUnavailable("blob", "some blobs could not be deleted; run the purge again")

    def list_page(self, marker: str | None, limit: int, prefix: str | None = None) -> ListedPage:
        self._check()
        names = sorted(
            name for name in self.blobs if name.startswith(prefix or "") and name >= (marker or "")
        )
        page = [Listed(name, self.blobs[name][1]) for name in names[:limit]]
        return ListedPage(page, names[limit] if len(names) > limit else None)

    def _check(self) -> None:
        if self.down:
            raise DependencyUnavailable("blob")


@dataclass(frozen=True)
class SentMessage:
    """A message as :class:`FakeQueue` received it."""

    job_id: str
    delay: timedelta
    message_id: str | None


class FakeQueue:
    """The :class:`lib.ports.storage.Queue` port: a list of the messages sent."""

    def __init__(self) -> None:
        self.messages: list[SentMessage] = []
        self.down = False

    def send(self, job_id: str, delay: timedelta = timedelta(0), *, message_id: str | None = None) -> None:
        if self.down:
            raise DependencyUnavailable("queue")
        self.messages.append(SentMessage(job_id, delay, message_id))

    def take(self) -> list[SentMessage]:
        """The messages sent so far, removing them (as a trigger would)."""
        taken, self.messages = self.messages, []
        return taken
