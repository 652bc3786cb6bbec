"""The composition root: settings read once, clients built once per worker process, lazily.

Nothing here runs at import time; the first call to :func:`context` reads the
environment, builds the clients and creates missing indexes. A failure (a
database that is down) is not cached, so the next invocation tries again.
"""

from __future__ import annotations

import os
import random
import socket
import threading
import uuid
from datetime import UTC, datetime

from lib.adapters.cursor_store import CursorStore
from lib.adapters.delivery_store import DeliveryStore
from lib.adapters.idempotency_store import IdempotencyStore
from lib.adapters.indexes import JOB_INDEXES, ensure_indexes
from lib.adapters.isolated_parser import Budgeted, IsolatedParser, WorkLimits
from lib.adapters.job_store import JobStore
from lib.adapters.mongo_client import connect
from lib.adapters.quota_store import QuotaStore
from lib.adapters.report_pipeline import PRELOAD, GroundedParser, ReportPipeline
from lib.adapters.report_store import ReportStore
from lib.adapters.storage import JobQueue, ReportBlobs, blob_service, queue_service
from lib.adapters.tenant_store import TenantStore
from lib.adapters.webhook_sender import WebhookSender, build_http_client
from lib.domain.parsing import ReportParser
from lib.domain.webhook_urls import Resolver, system_resolver
from lib.log_safety import silence_document_loggers
from lib.services.auth import Authenticator
from lib.services.context import Context
from lib.services.quotas import LimitCache
from lib.settings import Settings


def utc_now() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


def build_parser(settings: Settings) -> ReportParser:
    """Gemini when configured (``PARSER``/``GEMINI_API_KEY``), else the offline rules; checked either way.

    Whatever reads the report, the report pipeline reads the PDFs too (grounding,
    codes, plausibility), in a parse process under the ``PARSE_*`` limits: that is
    where hostile input meets this machine's CPU. A Gemini call is made before, in
    the worker, and its answer handed to the pipeline; the call waits for the same
    byte budget as the parse processes, since it holds the report (and its request,
    about five times the upload) in the worker.
    """
    limits = WorkLimits(
        cpu_seconds=settings.parse_cpu_seconds,
        wall_seconds=settings.parse_wall_seconds,
        memory_bytes=settings.parse_memory_mb * 1024 * 1024,
    )
    pipeline = IsolatedParser(ReportPipeline(), limits, settings.parse_max_concurrent, preload=PRELOAD)
    if not settings.use_gemini:
        return pipeline
    from lib.adapters.gemini_parser import GeminiReportParser  # imported only when used: a heavy SDK

    assert settings.gemini_api_key is not None
    gemini = GeminiReportParser(
        api_key=settings.gemini_api_key,
        default_model=settings.gemini_model,
        base_url=settings.gemini_base_url,
        timeout_seconds=settings.gemini_timeout_seconds,
    )
    return Budgeted(GroundedParser(gemini, pipeline), pipeline.budget)


def build_context(
    settings: Settings, parser: ReportParser | None = None, resolver: Resolver | None = None
) -> Context:
    """Build every client from ``settings``; ``parser`` and ``resolver`` (DNS) replace the real ones."""
    silence_document_loggers()
    mongo = connect(settings.mongodb_uri, settings.mongodb_timeout_ms)
    db = mongo[settings.mongodb_database]
    jobs, tenants, deliveries = JobStore(db), TenantStore(db), DeliveryStore(db)
    idempotency, quotas = IdempotencyStore(db), QuotaStore(db)
    try:
        ensure_indexes(db, JOB_INDEXES)
        tenants.ensure_indexes()
        idempotency.ensure_indexes()
        quotas.ensure_indexes()
    except Exception:
        mongo.close()
        raise
    queues = queue_service(settings)
    resolve = resolver or system_resolver
    return Context(
        settings=settings,
        jobs=jobs,
        reports=ReportStore(db),
        deliveries=deliveries,
        tenants=tenants,
        cursors=CursorStore(db),
        idempotency=idempotency,
        quotas=LimitCache(quotas, settings.auth_cache_seconds),
        auth=Authenticator(tenants, settings.auth_cache_seconds),
        blobs=ReportBlobs(blob_service(settings).get_container_client(settings.container_name)),
        parse_queue=JobQueue(queues, settings.parse_queue_name),
        webhook_queue=JobQueue(queues, settings.webhook_queue_name),
        parser=parser or build_parser(settings),
        webhooks=WebhookSender(
            build_http_client(settings.webhook_timeout_seconds), settings.webhook_policy, resolve
        ),
        resolve=resolve,
        clock=utc_now,
        rng=random.Random(),  # noqa: S311 - backoff jitter, not security
        worker_id=f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}",
        closers=(mongo.close,),
    )


_lock = threading.Lock()
_context: Context | None = None


def context() -> Context:
    """The process-wide context, built on first use from the environment.

    Locked, because the first invocations of a cold worker arrive on several threads
    at once and each would otherwise build its own set of clients.
    """
    global _context
    if _context is None:
        with _lock:
            if _context is None:
                _context = build_context(Settings.from_env(os.environ))
    return _context


def close_context() -> None:
    """Close the process-wide context if it was built, so the next use builds a fresh one."""
    global _context
    with _lock:
        if _context is not None:
            _context.close()
            _context = None
