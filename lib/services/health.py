"""Use case: is this instance able to serve? One ping to the database and one to storage.

The answer is kept for :data:`HEALTH_CACHE_SECONDS` per worker process and
concurrent callers share one probe, so however often ``GET /api/health`` is called
(it needs no key), the dependencies see at most one ping each per that interval.
A ping gets :data:`PING_TIMEOUT_SECONDS` and no retries: a health check must answer
well within the platform's own probe time-out. Which dependency failed is logged,
never answered: the HTTP body says only ``ok`` or ``unavailable``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Final

from lib.domain.errors import DependencyUnavailable

if TYPE_CHECKING:
    from lib.ports.jobs import Jobs
    from lib.ports.storage import Blobs
    from lib.services.context import Context

log = logging.getLogger(__name__)

PING_TIMEOUT_SECONDS: Final = 2.0
HEALTH_CACHE_SECONDS: Final = 2.0


@dataclass(frozen=True)
class Health:
    """What one probe found, and when."""

    database: bool
    storage: bool
    checked_at: datetime

    @property
    def ok(self) -> bool:
        """Whether both dependencies answered."""
        return self.database and self.storage


class HealthCache:
    """The last :class:`Health` of this process, reused while it is younger than ``ttl_seconds``."""

    def __init__(self, ttl_seconds: float = HEALTH_CACHE_SECONDS) -> None:
        self._ttl = timedelta(seconds=ttl_seconds)
        self._last: Health | None = None
        self._lock = threading.Lock()

    def get(self, now: datetime, probe: Callable[[], Health]) -> Health:
        """The cached answer if fresh at ``now``; else ``probe()`` (one caller probes, the others wait)."""
        with self._lock:
            last = self._last
            if last is not None and last.checked_at <= now < last.checked_at + self._ttl:
                return last
            self._last = probe()
            return self._last


def check_health(ctx: Context) -> Health:
    """Whether the job store and the blob store answer (cached, see the module docstring)."""
    return ctx.health.get(ctx.clock(), lambda: probe(ctx.jobs, ctx.blobs, ctx.clock()))


def probe(jobs: Jobs, blobs: Blobs, now: datetime) -> Health:
    """Ping the database, then storage, each once within :data:`PING_TIMEOUT_SECONDS`."""
    health = Health(
        database=_answers("mongodb", lambda: jobs.ping(PING_TIMEOUT_SECONDS)),
        storage=_answers("blob", lambda: blobs.ping(PING_TIMEOUT_SECONDS)),
        checked_at=now,
    )
    if not health.ok:
        log.warning(
            "Health check failed: database %s, storage %s", _word(health.database), _word(health.storage)
        )
    return health


def _answers(dependency: str, ping: Callable[[], None]) -> bool:
    try:
        ping()
    except DependencyUnavailable:
        return False
    return True


def _word(up: bool) -> str:
    return "up" if up else "down"
