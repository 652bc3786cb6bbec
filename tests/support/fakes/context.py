"""A whole :class:`~lib.services.context.Context` of in-memory fakes, for service-level unit tests.

``fakes = build()`` gives the context (``fakes.ctx``) and every fake behind it, so
a test runs a use case and then asserts on what the fakes hold. The clock is a
:class:`FakeClock` the test moves; the parser answers from a script.
"""

from __future__ import annotations

import collections
import random
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from lib.domain.api_keys import issue_key
from lib.domain.parsing import ParseOutcome, ParseRequest
from lib.domain.report_schema import ParsedReport
from lib.domain.tenants import Project, WebhookSecret
from lib.services.auth import Authenticator
from lib.services.context import Context
from lib.settings import Settings
from tests.support.fakes.idempotency import FakeIdempotencyKeys
from tests.support.fakes.jobs import FakeCursors, FakeJobs, FakeReports
from tests.support.fakes.quotas import FakeQuotas
from tests.support.fakes.storage import FakeBlobs, FakeQueue
from tests.support.fakes.tenants import FakeTenants
from tests.support.fakes.webhooks import FakeDeliveries, FakeWebhookPoster
from tests.support.jobs import T0

__all__ = ["T0", "FakeClock", "FakeParser", "Fakes", "build"]


# Enough for Settings to validate; no fake ever connects anywhere.
_ENVIRONMENT = {
    "AZURE_STORAGE_CONNECTION_STRING": "UseDevelopmentStorage=true",
    "MONGODB_URI": "mongodb://fakes.invalid",
    "PARSER": "local",
    "RETRY_BASE_SECONDS": "10",
    "RETRY_MAX_SECONDS": "600",
    "AUTH_CACHE_SECONDS": "0",
}


class FakeClock:
    """A clock that stands still until the test moves it."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> datetime:
        """Move the clock on; returns the new time."""
        self.now += delta
        return self.now


Answer = ParseOutcome | Exception


class FakeParser:
    """A :class:`lib.domain.parsing.ReportParser` answering from a script (then :attr:`default`).

    An exception in the script is raised; ``requests`` records every request.
    """

    def __init__(self, *answers: Answer) -> None:
        self.default: Answer = ParseOutcome(ParsedReport(patient_name="Jane Q. Doe"), model="fake-model")
        self.requests: list[ParseRequest] = []
        self._script: collections.deque[Answer] = collections.deque(answers)

    def enqueue(self, *answers: Answer) -> None:
        """Add answers to the script."""
        self._script.extend(answers)

    def parse(self, request: ParseRequest) -> ParseOutcome:
        self.requests.append(request)
        answer = self._script.popleft() if self._script else self.default
        if isinstance(answer, Exception):
            raise answer
        return answer


@dataclass
class Fakes:
    """The context and the fakes it is made of."""

    ctx: Context
    clock: FakeClock
    jobs: FakeJobs
    reports: FakeReports
    cursors: FakeCursors
    deliveries: FakeDeliveries
    tenants: FakeTenants
    blobs: FakeBlobs
    parse_queue: FakeQueue
    webhook_queue: FakeQueue
    webhooks: FakeWebhookPoster
    parser: FakeParser
    idempotency: FakeIdempotencyKeys
    quotas: FakeQuotas

    def with_settings(self, **environment: str) -> Fakes:
        """The same fakes under other settings (environment names, as in ``local.settings.json``)."""
        settings = Settings.from_env({**_ENVIRONMENT, **environment})
        return replace(self, ctx=replace(self.ctx, settings=settings))

    def register(self, tenant_id: str = "tenant-001", project_id: str = "project-001") -> str:
        """A tenant with one project (with a signing secret) and a key; returns the key."""
        now = self.clock()
        if not self.tenants.tenant_exists(tenant_id):
            self.tenants.create_tenant(tenant_id, "Test Tenant", now)
        secret = WebhookSecret("whsec_" + "A" * 43, now)
        self.tenants.create_project(
            Project(tenant_id, project_id, "Test Project", webhook_secrets=(secret,)), now
        )
        key = issue_key()
        assert self.tenants.add_key(tenant_id, key, now)
        return key.plaintext


def public_resolver(host: str, port: int) -> list[str]:
    """Every webhook host resolves to a public address (TEST-NET-3 would be refused as reserved)."""
    return ["93.184.216.34"]


def build(environment: Mapping[str, str] | None = None, *, parser: FakeParser | None = None) -> Fakes:
    """A context of fakes under the test settings (plus ``environment``), its clock at :data:`T0`."""
    settings = Settings.from_env({**_ENVIRONMENT, **(environment or {})})
    clock = FakeClock()
    jobs, reports, cursors, tenants = FakeJobs(), FakeReports(), FakeCursors(), FakeTenants()
    deliveries, blobs = FakeDeliveries(jobs.jobs), FakeBlobs(clock)
    parse_queue, webhook_queue, webhooks = FakeQueue(), FakeQueue(), FakeWebhookPoster()
    parser = parser or FakeParser()
    idempotency = FakeIdempotencyKeys()
    quotas = FakeQuotas(jobs.jobs)
    ctx = Context(
        settings=settings,
        jobs=jobs,
        reports=reports,
        deliveries=deliveries,
        tenants=tenants,
        cursors=cursors,
        idempotency=idempotency,
        quotas=quotas,
        auth=Authenticator(tenants, settings.auth_cache_seconds),
        blobs=blobs,
        parse_queue=parse_queue,
        webhook_queue=webhook_queue,
        parser=parser,
        webhooks=webhooks,
        resolve=public_resolver,
        clock=clock,
        rng=random.Random(7),
        worker_id="worker-test",
    )
    return Fakes(
        ctx,
        clock,
        jobs,
        reports,
        cursors,
        deliveries,
        tenants,
        blobs,
        parse_queue,
        webhook_queue,
        webhooks,
        parser,
        idempotency,
        quotas,
    )
