"""Per-tenant quotas and fair sharing of the parse workers, as pure rules.

Three limits apply to each tenant (the settings give the defaults; an admin can
override each one per tenant):

- **uploads per minute**: a fixed window of :data:`WINDOW_SECONDS` aligned to the
  epoch. Every upload request that passes the key check counts one unit in the
  window it arrives in; past the limit the upload is refused (429) until the
  window ends. A fixed window lets one counter document per (tenant, window) hold
  the state, changed by one atomic increment, which Cosmos DB and MongoDB both do
  without transactions. Its known cost: a client can send up to twice the limit
  across a window boundary; a sliding approximation would need a second read per
  upload to halve that, and the limit guards against runaway clients, not billing.
- **jobs in flight**: pending plus processing jobs, counted on the ``(tenant_id,
  status)`` index at each upload. A counter kept by the transitions would drift
  whenever a worker dies between a change and its count; a count cannot drift.
- **parses at once**: processing jobs per tenant, checked when a worker is about to
  claim a job. A tenant at its cap gets its message back later (:func:`defer`)
  without an attempt being used, so one tenant's burst leaves workers for others.

Headers follow the field syntax of draft-ietf-httpapi-ratelimit-headers (draft 10,
the same in drafts 08 to 10): ``RateLimit-Policy`` declares each policy once, as a
Structured-Fields list of quoted policy names with ``q`` (quota) and ``w``
(window, seconds); ``RateLimit`` gives the current state, ``r`` (remaining) and
``t`` (seconds until the quota resets).
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Final

from lib.domain.jobs import Change, Expect, Job, JobStatus

#: Length of an upload-rate window.
WINDOW_SECONDS: Final = 60
#: Policy names in the RateLimit headers (and the admin CLI's vocabulary).
UPLOADS_POLICY: Final = "uploads"
IN_FLIGHT_POLICY: Final = "jobs-in-flight"
#: The job states that count as "in flight" for the upload limit.
IN_FLIGHT: Final = frozenset({JobStatus.PENDING, JobStatus.PROCESSING})
#: How long a counter document outlives its window (then the TTL index removes it).
COUNTER_GRACE: Final = timedelta(minutes=5)

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class TenantLimits:
    """A tenant's overrides; ``None`` means "the setting's default"."""

    uploads_per_minute: int | None = None
    jobs_in_flight: int | None = None
    parses_at_once: int | None = None

    def __post_init__(self) -> None:
        for name in ("uploads_per_minute", "jobs_in_flight", "parses_at_once"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1")

    def merged(self, other: TenantLimits) -> TenantLimits:
        """These overrides with ``other``'s set values taking their place."""
        return TenantLimits(
            other.uploads_per_minute if other.uploads_per_minute is not None else self.uploads_per_minute,
            other.jobs_in_flight if other.jobs_in_flight is not None else self.jobs_in_flight,
            other.parses_at_once if other.parses_at_once is not None else self.parses_at_once,
        )


@dataclass(frozen=True)
class Limits:
    """The limits in force for one tenant."""

    uploads_per_minute: int
    jobs_in_flight: int
    parses_at_once: int

    def with_overrides(self, overrides: TenantLimits) -> Limits:
        """The defaults (``self``) with the tenant's overrides applied."""
        return Limits(
            overrides.uploads_per_minute or self.uploads_per_minute,
            overrides.jobs_in_flight or self.jobs_in_flight,
            overrides.parses_at_once or self.parses_at_once,
        )


@dataclass(frozen=True)
class Window:
    """One upload-rate window: ``[start, start + seconds)``."""

    start: datetime
    seconds: int = WINDOW_SECONDS

    @property
    def end(self) -> datetime:
        """The first instant after the window."""
        return self.start + timedelta(seconds=self.seconds)

    @property
    def expires_at(self) -> datetime:
        """When its counter may be removed."""
        return self.end + COUNTER_GRACE

    def reset_seconds(self, now: datetime) -> int:
        """Whole seconds until the window ends, at least 1 (a client waiting that long is in the next one)."""
        return max(1, math.ceil((self.end - now).total_seconds()))


def window_at(now: datetime, seconds: int = WINDOW_SECONDS) -> Window:
    """The window ``now`` falls in; windows are aligned to the Unix epoch, so every instance agrees."""
    elapsed = math.floor((now - _EPOCH).total_seconds())
    return Window(_EPOCH + timedelta(seconds=elapsed - elapsed % seconds), seconds)


@dataclass(frozen=True)
class UploadUsage:
    """The upload window's state after (or without) this request: ``count`` units used of ``limit``."""

    count: int
    limit: int
    reset_seconds: int

    @property
    def exceeded(self) -> bool:
        """Whether this request went over the limit (the counter includes it)."""
        return self.count > self.limit

    @property
    def remaining(self) -> int:
        """Units left in the window."""
        return max(0, self.limit - self.count)


@dataclass(frozen=True)
class InFlightUsage:
    """How many of the tenant's jobs are pending or processing, of ``limit``."""

    count: int
    limit: int

    @property
    def full(self) -> bool:
        """Whether another upload would go over the limit."""
        return self.count >= self.limit

    @property
    def remaining(self) -> int:
        """Jobs the tenant may still add."""
        return max(0, self.limit - self.count)


def policy_header(limits: Limits) -> str:
    """The ``RateLimit-Policy`` value: the upload window and the in-flight cap (no window: a level)."""
    return (
        f'"{UPLOADS_POLICY}";q={limits.uploads_per_minute};w={WINDOW_SECONDS}, '
        f'"{IN_FLIGHT_POLICY}";q={limits.jobs_in_flight}'
    )


def ratelimit_header(uploads: UploadUsage, in_flight: InFlightUsage | None = None) -> str:
    """The ``RateLimit`` value: what is left of each policy known for this answer.

    The in-flight level is counted only where an upload needs it; other answers
    report the upload window alone (the draft lets a server omit policies here).
    """
    items = [f'"{UPLOADS_POLICY}";r={uploads.remaining};t={uploads.reset_seconds}']
    if in_flight is not None:
        items.append(f'"{IN_FLIGHT_POLICY}";r={in_flight.remaining}')
    return ", ".join(items)


def defer_delay(base_seconds: float, rng: random.Random) -> timedelta:
    """How long a parse over its tenant's cap waits: ``base`` to ``2 x base`` so deferred work spreads out."""
    return timedelta(seconds=base_seconds * rng.uniform(1.0, 2.0))


def over_parse_cap(job: Job, running: int, cap: int) -> bool:
    """Whether the tenant already runs ``cap`` parses, so this pending job must wait.

    Only a pending job is held back: taking over an expired lease continues work the
    tenant already had running (the dead worker's job is among those counted).
    """
    return job.status is JobStatus.PENDING and running >= cap


def defer(job: Job, now: datetime, delay: timedelta) -> Change | None:
    """pending -> pending, due after ``delay``: the tenant is at its parse cap.

    No attempt is used and nothing of the job's history changes. The delayed
    message that brings it back is recorded as sent with the same write, as for a
    retry, so the sweeper does not take it for lost; a duplicate message arriving
    meanwhile finds the job not due. Conditional on the status and attempt count
    read, so it never undoes a claim made meanwhile. ``None`` unless pending.
    """
    if job.status is not JobStatus.PENDING:
        return None
    due = now + delay
    after = replace(job, next_attempt_at=due, message_sent=True, message_sent_at=now, updated_at=now)
    fields = frozenset({"next_attempt_at", "message_sent", "message_sent_at", "updated_at"})
    return Change(after, fields, Expect(JobStatus.PENDING, attempts=job.attempts))
