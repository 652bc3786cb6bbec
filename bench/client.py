"""The client side: multipart uploads over HTTP, and the job documents the app writes.

Bodies are encoded once, before timing, so a latency figure is the app's (and the
network stack's), not the client's multipart encoder.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

from tests.support.app_host import API_KEY, AppHost

FINAL = ("completed", "failed")


@dataclass(frozen=True)
class Body:
    """A ready-to-send ``multipart/form-data`` body."""

    content_type: str
    data: bytes


def multipart(files: Sequence[bytes]) -> Body:
    """One ``file`` part per PDF, the way curl ``-F file=@x.pdf`` sends them."""
    boundary = f"bench-{uuid.uuid4().hex}"
    chunks: list[bytes] = []
    for number, data in enumerate(files, start=1):
        chunks += [
            f"--{boundary}\r\n".encode(),
            f'Content-Disposition: form-data; name="file"; filename="report-{number}.pdf"\r\n'.encode(),
            b"Content-Type: application/pdf\r\n\r\n",
            data,
            b"\r\n",
        ]
    chunks.append(f"--{boundary}--\r\n".encode())
    return Body(f"multipart/form-data; boundary={boundary}", b"".join(chunks))


class Uploader:
    """One keep-alive HTTP connection to a host's upload route."""

    def __init__(self, host: AppHost, timeout: float = 120.0) -> None:
        self.host = host
        self.client = httpx.Client(timeout=timeout, headers={"X-API-Key": API_KEY})

    def __enter__(self) -> Uploader:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.client.close()

    def upload(self, body: Body) -> tuple[float, str]:
        """Send one report; ``(seconds until the whole answer arrived, job id)``."""
        started = time.perf_counter()
        response = self.client.post(
            self.host.reports_url, content=body.data, headers={"Content-Type": body.content_type}
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 202:
            raise RuntimeError(f"upload answered {response.status_code}: {response.text[:300]}")
        job_id: str = response.json()["job_id"]
        return elapsed, job_id

    def refused(self, body: Body) -> float:
        """The same body with a malformed key: seconds until the 401 arrived.

        The key is checked before the body is decoded, and a malformed key is refused
        without a database look-up, so this is the HTTP leg alone: the body sent,
        received and handed to the function, and a JSON answer.
        """
        started = time.perf_counter()
        response = self.client.post(
            self.host.reports_url,
            content=body.data,
            headers={"Content-Type": body.content_type, "X-API-Key": "not-a-key"},
        )
        elapsed = time.perf_counter() - started
        if response.status_code != 401:
            raise RuntimeError(f"a malformed key answered {response.status_code}: {response.text[:300]}")
        return elapsed


class HostGone(RuntimeError):
    """The app host exited while the bench was waiting for its work (stopped from outside, or crashed)."""


def wait_for_jobs(
    jobs: Any,
    ids: Iterable[str],
    *,
    timeout: float,
    host: AppHost | None = None,
    statuses: Sequence[str] = FINAL,
    interval: float = 0.25,
) -> list[dict[str, Any]]:
    """Block until every job has one of ``statuses``; return their documents.

    Raises :class:`TimeoutError` after ``timeout`` seconds, and :class:`HostGone` at once
    when ``host`` is given and its process has exited.
    """
    wanted = list(ids)
    deadline = time.monotonic() + timeout
    while True:
        done = jobs.count_documents({"_id": {"$in": wanted}, "status": {"$in": list(statuses)}})
        if done == len(wanted):
            return list(jobs.find({"_id": {"$in": wanted}}))
        if host is not None and not host.running:
            code = host.process.returncode if host.process else None
            raise HostGone(
                f"{host.name} exited ({code}) with {len(wanted) - done} of {len(wanted)} jobs unfinished; "
                f"its log: {host.log_path}"
            )
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{len(wanted) - done} of {len(wanted)} jobs not {'/'.join(statuses)} after {timeout:.0f} s"
            )
        time.sleep(interval)


@dataclass(frozen=True)
class JobTimes:
    """A finished job's own timestamps (the app's clock), in seconds since its ``created_at``."""

    job_id: str
    status: str
    started: float | None  # the first attempt claimed the job (status processing)
    completed: float | None
    parse_ms: float | None  # the parser call alone, measured by the worker
    attempts: int

    @classmethod
    def of(cls, doc: dict[str, Any]) -> JobTimes:
        created: datetime = doc["created_at"]

        def since(value: datetime | None) -> float | None:
            return None if value is None else (value - created).total_seconds()

        history = doc.get("history") or []
        return cls(
            job_id=doc["_id"],
            status=doc["status"],
            started=since(history[0].get("started_at")) if history else None,
            completed=since(doc.get("completed_at")),
            parse_ms=doc.get("parse_ms"),
            attempts=int(doc.get("attempts", 0)),
        )


def max_overlap(docs: Iterable[dict[str, Any]]) -> int:
    """The most attempts that ran at the same moment (from each job's history)."""
    events: list[tuple[datetime, int]] = []
    for doc in docs:
        for attempt in doc.get("history") or []:
            if attempt.get("started_at") and attempt.get("ended_at"):
                events += [(attempt["started_at"], 1), (attempt["ended_at"], -1)]
    running = peak = 0
    for _, step in sorted(events, key=lambda event: (event[0], event[1])):
        running += step
        peak = max(peak, running)
    return peak
