"""What every use case needs, built once per worker process by :mod:`lib.bootstrap`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from lib.domain.backoff import Backoff
from lib.domain.parsing import ReportParser
from lib.domain.webhook_urls import Resolver
from lib.ports.idempotency import IdempotencyKeys
from lib.ports.jobs import Cursors, Jobs, Reports
from lib.ports.quotas import Quotas
from lib.ports.storage import Blobs, Queue
from lib.ports.tenants import Authentication, Tenants
from lib.ports.webhooks import Deliveries, WebhookPoster
from lib.services.health import HealthCache
from lib.settings import Settings


@dataclass(frozen=True)
class Context:
    """The application's collaborators. Tests build one directly with their own parts.

    ``clock`` returns an aware UTC datetime; ``rng`` drives backoff jitter;
    ``worker_id`` names this process in leases and job history; ``closers`` release
    what the adapters hold (the database client), :meth:`close` calls them and
    closes ``webhooks``.
    ``resolve`` turns a host name into addresses for the webhook URL guard;
    ``auth`` answers who is calling, from ``tenants`` through a short-lived cache;
    ``reports`` holds the parsed reports; ``cursors`` keeps where the sweeper's
    bounded scans stopped; ``idempotency`` holds the uploads' Idempotency-Keys;
    ``quotas`` the per-tenant upload counters, job counts and limit overrides;
    ``health`` keeps the last health probe for a moment.
    """

    settings: Settings
    jobs: Jobs
    reports: Reports
    deliveries: Deliveries
    tenants: Tenants
    cursors: Cursors
    idempotency: IdempotencyKeys
    quotas: Quotas
    auth: Authentication
    blobs: Blobs
    parse_queue: Queue
    webhook_queue: Queue
    parser: ReportParser
    webhooks: WebhookPoster
    resolve: Resolver
    clock: Callable[[], datetime]
    rng: random.Random
    worker_id: str
    closers: tuple[Callable[[], None], ...] = ()
    health: HealthCache = field(default_factory=HealthCache)

    def close(self) -> None:
        """Release the connections (at shutdown, or when a test is done)."""
        for close in self.closers:
            close()
        self.webhooks.close()

    @property
    def parse_backoff(self) -> Backoff:
        """Backoff between parse attempts, from the settings."""
        return Backoff.exponential(self.settings.retry_base_seconds, self.settings.retry_max_seconds)
