"""Database round trips per use case: a budget, next to the floor (one insert, one claim, one
report write, one completion per job). The counts are what Cosmos DB bills are made of; a change
that adds a round trip to a hot path should show up here, on purpose."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
from pymongo import MongoClient, monitoring

from lib.adapters.delivery_store import DeliveryStore
from lib.adapters.job_store import JobStore
from lib.adapters.quota_store import QuotaStore
from lib.adapters.report_store import ReportStore
from lib.adapters.tenant_store import TenantStore
from lib.domain.errors import TransientParseError
from lib.domain.parsing import ParseOutcome, ParseRequest
from lib.services.auth import Authenticator
from lib.services.context import Context
from lib.services.parse import ParseResult, fail_poisoned, process_job
from lib.services.quotas import LimitCache
from lib.services.status import job_status
from lib.services.submit import submit_report
from lib.settings import Settings
from tests.conftest import Credentials
from tests.support.jobs import upload_form
from tests.support.pdf_factory import SampleReport, make_report_pdf

pytestmark = pytest.mark.integration

_HANDSHAKES = {
    "hello",
    "isMaster",
    "ismaster",
    "ping",
    "endSessions",
    "saslStart",
    "saslContinue",
    "buildInfo",
}


class Commands(monitoring.CommandListener):
    """The commands a client sent (handshakes and heartbeats left out)."""

    def __init__(self) -> None:
        self.names: list[str] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if event.command_name not in _HANDSHAKES:
            self.names.append(event.command_name)

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass

    def during(self, action: Callable[[], object]) -> list[str]:
        self.names.clear()
        action()
        return list(self.names)


@pytest.fixture
def counted(ctx: Context, settings: Settings) -> Iterator[tuple[Context, Commands]]:
    """``ctx`` with its stores on a client whose commands are counted."""
    commands = Commands()
    client: MongoClient[dict[str, Any]] = MongoClient(
        settings.mongodb_uri, tz_aware=True, event_listeners=[commands]
    )
    db = client[settings.mongodb_database]
    tenants = TenantStore(db)
    yield (
        replace(
            ctx,
            jobs=JobStore(db),
            reports=ReportStore(db),
            tenants=tenants,
            auth=Authenticator(tenants, ctx.settings.auth_cache_seconds),
            deliveries=DeliveryStore(db),
            quotas=LimitCache(QuotaStore(db), ctx.settings.auth_cache_seconds),
        ),
        commands,
    )
    client.close()


class Busy:
    def parse(self, request: ParseRequest) -> ParseOutcome:
        raise TransientParseError("the model is busy", code="gemini_unavailable")


def upload(ctx: Context, tenant: Credentials, pdf: bytes) -> str:
    return submit_report(
        ctx,
        tenant_id=tenant.tenant_id,
        project_id=tenant.project_id,
        api_key=tenant.api_key,
        read_form=upload_form(pdf),
        webhook_url=None,
    ).job_id


def test_round_trips_per_use_case(counted: tuple[Context, Commands], tenant: Credentials) -> None:
    ctx, commands = counted
    pdf = make_report_pdf(SampleReport(patient_name="Jane Q. Doe"))
    upload(ctx, tenant, pdf)  # the key and the project are cached from here on

    job_id: list[str] = []
    # The tenant's jobs in flight (a count), its upload counter (one increment), the job.
    assert commands.during(lambda: job_id.append(upload(ctx, tenant, pdf))) == [
        "aggregate",
        "findAndModify",
        "insert",
    ]
    parse = commands.during(lambda: process_job(ctx, job_id[0]))
    # The job's read, the tenant's running parses (its fair share), the claim (the project is cached
    # with the key), the report, the completion.
    assert sorted(parse) == ["aggregate", "find", "findAndModify", "findAndModify", "update"]
    assert commands.during(lambda: process_job(ctx, job_id[0])) == ["find"]  # a duplicate message
    assert commands.during(lambda: job_status(ctx, api_key=tenant.api_key, job_id=job_id[0])) == [
        "find",
        "find",
    ]

    retried = upload(ctx, tenant, pdf)
    result: list[ParseResult] = []
    slow_retries = ctx.settings.model_copy(update={"retry_base_seconds": 60, "retry_max_seconds": 600})
    busy = replace(ctx, parser=Busy(), settings=slow_retries)
    retry = commands.during(lambda: result.append(process_job(busy, retried)))
    assert result == [ParseResult.RETRY_SCHEDULED]
    assert sorted(retry) == ["aggregate", "find", "findAndModify", "findAndModify"]
    assert commands.during(lambda: process_job(ctx, retried)) == ["find"]  # early: backoff not over

    poisoned = upload(ctx, tenant, pdf)
    assert commands.during(lambda: fail_poisoned(ctx, poisoned)) == ["find", "findAndModify"]
