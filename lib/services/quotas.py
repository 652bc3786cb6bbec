"""Use cases around quotas: admit an upload, hold back a parse over its tenant's cap, and
the RateLimit headers of every answer to a key.

The rules are :mod:`lib.domain.quotas`'; the state is the :class:`lib.ports.quotas.Quotas`
port's, shared by every instance through the database.

How the headers reach every keyed answer without each route repeating them: the
HTTP glue (:func:`functions.http_support.answer`) opens a :func:`request_scope`
around each request; the authenticator calls :func:`note_caller` once a key checks
out; :func:`admit_upload` leaves the counts it has just read there; after the
handler, :func:`rate_limit_headers` turns what the scope holds into headers. A
route added later gets them by authenticating through ``ctx.auth`` like the others.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Set
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime

from cachetools import TTLCache

from lib.domain.errors import DependencyUnavailable, RateLimited
from lib.domain.jobs import Job, JobStatus
from lib.domain.quotas import (
    IN_FLIGHT,
    IN_FLIGHT_POLICY,
    UPLOADS_POLICY,
    InFlightUsage,
    Limits,
    TenantLimits,
    UploadUsage,
    Window,
    defer,
    defer_delay,
    over_parse_cap,
    policy_header,
    ratelimit_header,
    window_at,
)
from lib.ports.quotas import Quotas
from lib.services.context import Context
from lib.services.dispatch import dispatch_job

log = logging.getLogger(__name__)

RATELIMIT_POLICY_HEADER = "RateLimit-Policy"
RATELIMIT_HEADER = "RateLimit"


@dataclass
class Seen:
    """What one request learnt about its caller's quotas (the headers are made from it)."""

    tenant_id: str | None = None
    limits: Limits | None = None
    uploads: UploadUsage | None = None
    in_flight: InFlightUsage | None = None


_seen: ContextVar[Seen | None] = ContextVar("quota_seen", default=None)


@contextmanager
def request_scope() -> Iterator[Seen]:
    """A fresh :class:`Seen` for the request running in this context (thread or task)."""
    seen = Seen()
    token = _seen.set(seen)
    try:
        yield seen
    finally:
        _seen.reset(token)


def note_caller(tenant_id: str) -> None:
    """Record the tenant a key was just resolved to (outside a request scope: nothing)."""
    seen = _seen.get()
    if seen is not None:
        seen.tenant_id = tenant_id


def limits_for(ctx: Context, tenant_id: str) -> Limits:
    """The limits in force for the tenant: the settings' defaults with its overrides."""
    return ctx.settings.default_limits.with_overrides(ctx.quotas.get_limits(tenant_id))


def admit_upload(ctx: Context, tenant_id: str) -> None:
    """Count the upload against the tenant's quotas; :class:`RateLimited` when over one.

    Called once the key and the project are known and before the body is decoded,
    so a refused upload costs two database round trips and writes nothing else.
    Jobs in flight are counted first and a refusal for them uses no upload unit;
    then the upload window's counter is incremented, and a request past the limit
    is refused (it still counts: a client hammering a closed window learns nothing
    new by it). Both counts include this request, as the headers report them.
    """
    seen = _seen.get() or Seen()
    limits = seen.limits = limits_for(ctx, tenant_id)
    now = ctx.clock()
    window = window_at(now)
    in_flight = InFlightUsage(
        ctx.quotas.count_jobs(tenant_id, IN_FLIGHT, limits.jobs_in_flight), limits.jobs_in_flight
    )
    if in_flight.full:
        seen.in_flight = in_flight
        seen.uploads = _usage(ctx.quotas.uploads_in(tenant_id, window), limits, window, now)
        log.info("Tenant %s: upload refused, %d jobs in flight", tenant_id, in_flight.count)
        raise RateLimited(
            f"{limits.jobs_in_flight} jobs are pending or processing, the most a tenant may have;"
            " retry when some have finished",
            policy=IN_FLIGHT_POLICY,
            retry_after_seconds=ctx.settings.upload_retry_after_seconds,
        )
    uploads = seen.uploads = _usage(ctx.quotas.count_upload(tenant_id, window), limits, window, now)
    seen.in_flight = InFlightUsage(in_flight.count + 1, limits.jobs_in_flight)
    if uploads.exceeded:
        log.info("Tenant %s: upload refused, %d uploads this minute", tenant_id, uploads.count)
        raise RateLimited(
            f"more than {limits.uploads_per_minute} uploads per minute; retry after the window resets",
            policy=UPLOADS_POLICY,
            retry_after_seconds=uploads.reset_seconds,
        )


def _usage(count: int, limits: Limits, window: Window, now: datetime) -> UploadUsage:
    return UploadUsage(count, limits.uploads_per_minute, window.reset_seconds(now))


def rate_limit_headers(ctx: Context, seen: Seen) -> dict[str, str]:
    """``RateLimit-Policy`` and ``RateLimit`` for an answer to a key; none without a known caller.

    An answer that did not count an upload reads the window's counter (one read by
    ``_id``). If the database cannot say, the answer goes out without the headers:
    they inform, and must not turn a good answer into a 503.
    """
    if seen.tenant_id is None:
        return {}
    try:
        limits = seen.limits or limits_for(ctx, seen.tenant_id)
        uploads = seen.uploads
        if uploads is None:
            now = ctx.clock()
            window = window_at(now)
            uploads = _usage(ctx.quotas.uploads_in(seen.tenant_id, window), limits, window, now)
    except DependencyUnavailable:
        log.warning("RateLimit headers left out: quota state unavailable")
        return {}
    return {
        RATELIMIT_POLICY_HEADER: policy_header(limits),
        RATELIMIT_HEADER: ratelimit_header(uploads, seen.in_flight),
    }


def defer_over_cap(ctx: Context, job: Job, now: datetime) -> bool:
    """Hold a pending job back when its tenant already runs its cap of parses; ``True`` if held.

    The job stays pending, due after the defer delay, and a delayed message is sent
    for it; no attempt is used. Concurrent workers may each see the tenant one
    below its cap and claim together, so the cap can be passed by the number of
    claims racing within a few milliseconds; it is a fair-share bound, not a lock.
    """
    if job.status is not JobStatus.PENDING:
        return False
    cap = limits_for(ctx, job.tenant_id).parses_at_once
    running = ctx.quotas.count_jobs(job.tenant_id, frozenset({JobStatus.PROCESSING}), cap)
    if not over_parse_cap(job, running, cap):
        return False
    delay = defer_delay(ctx.settings.parse_defer_seconds, ctx.rng)
    change = defer(job, now, delay)
    deferred = ctx.jobs.apply(change) if change else None
    if deferred is None:
        return False  # claimed, cancelled or changed meanwhile: the normal path decides
    dispatch_job(ctx, deferred, delay)
    log.info(
        "Job %s deferred %.1f s: tenant %s runs %d parses (cap %d)",
        job.id,
        delay.total_seconds(),
        job.tenant_id,
        running,
        cap,
    )
    return True


class LimitCache:
    """The :class:`Quotas` port with each tenant's overrides remembered for ``ttl_seconds``.

    Every upload, status answer and parse needs the tenant's limits, and they change
    rarely, so they are cached as API keys are (``AUTH_CACHE_SECONDS``): a change
    made on another instance applies there within that time. Counters and counts
    are never cached.
    """

    def __init__(
        self, quotas: Quotas, ttl_seconds: float, timer: Callable[[], float] = time.monotonic
    ) -> None:
        self._quotas = quotas
        self._cache: TTLCache[str, TenantLimits] | None = (
            TTLCache(4096, ttl_seconds, timer) if ttl_seconds > 0 else None
        )
        self._lock = threading.Lock()

    def count_upload(self, tenant_id: str, window: Window) -> int:
        return self._quotas.count_upload(tenant_id, window)

    def uploads_in(self, tenant_id: str, window: Window) -> int:
        return self._quotas.uploads_in(tenant_id, window)

    def count_jobs(self, tenant_id: str, statuses: Set[JobStatus], limit: int) -> int:
        return self._quotas.count_jobs(tenant_id, statuses, limit)

    def get_limits(self, tenant_id: str) -> TenantLimits:
        if self._cache is None:
            return self._quotas.get_limits(tenant_id)
        with self._lock:
            cached = self._cache.get(tenant_id)
        if cached is not None:
            return cached
        found = self._quotas.get_limits(tenant_id)
        with self._lock:
            self._cache[tenant_id] = found
        return found

    def set_limits(self, tenant_id: str, limits: TenantLimits, now: datetime) -> None:
        self._quotas.set_limits(tenant_id, limits, now)
        self._forget(tenant_id)

    def forget_limits(self, tenant_id: str) -> None:
        self._quotas.forget_limits(tenant_id)
        self._forget(tenant_id)

    def _forget(self, tenant_id: str) -> None:
        if self._cache is not None:
            with self._lock:
                self._cache.pop(tenant_id, None)
