"""What every use case needs, built once per worker process by :mod:`lib.bootstrap`."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pymongo import MongoClient

from lib.adapters.cursor_store import CursorStore
from lib.adapters.delivery_store import DeliveryStore
from lib.adapters.job_store import JobStore
from lib.adapters.storage import JobQueue, ReportBlobs
from lib.adapters.tenant_store import TenantStore
from lib.adapters.webhook_sender import WebhookSender
from lib.domain.jobs import RetryPolicy
from lib.domain.parsing import ReportParser
from lib.domain.webhook_urls import Resolver
from lib.services.auth import Authenticator
from lib.settings import Settings


@dataclass(frozen=True)
class Context:
    """The application's collaborators. Tests build one directly with their own parts.

    ``clock`` returns an aware UTC datetime; ``rng`` drives backoff jitter;
    ``worker_id`` names this process in leases and job history; ``mongo`` is the
    client the stores share, closed by :meth:`close` with the webhook HTTP client.
    ``resolve`` turns a host name into addresses for the webhook URL guard;
    ``auth`` answers who is calling, from ``tenants`` through a short-lived cache;
    ``cursors`` keeps where the sweeper's bounded scans stopped.
    """

    settings: Settings
    jobs: JobStore
    deliveries: DeliveryStore
    tenants: TenantStore
    cursors: CursorStore
    auth: Authenticator
    blobs: ReportBlobs
    parse_queue: JobQueue
    webhook_queue: JobQueue
    parser: ReportParser
    webhooks: WebhookSender
    resolve: Resolver
    clock: Callable[[], datetime]
    rng: random.Random
    worker_id: str
    mongo: MongoClient[dict[str, Any]]

    def close(self) -> None:
        """Release the database connections (at shutdown, or when a test is done)."""
        self.mongo.close()
        self.webhooks.close()

    @property
    def retry_policy(self) -> RetryPolicy:
        """Backoff between parse attempts, from the settings."""
        return RetryPolicy(self.settings.retry_base_seconds, self.settings.retry_max_seconds)
