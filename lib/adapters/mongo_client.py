"""The MongoDB connection and the one place pymongo's errors are translated.

Works against MongoDB, SecantusDB and Cosmos DB for MongoDB. For Cosmos DB the
connection string must carry ``retrywrites=false``. Cosmos RU accounts throttle
with error 16500 and put ``RetryAfterMs=N`` in the message; :func:`mongo_call`
waits that long (or backs off when there is no hint) and tries again, a few
times, before giving up with :class:`DependencyThrottled`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, TypeVar

import stamina
from pymongo import MongoClient
from pymongo.errors import ConnectionFailure, ExecutionTimeout, OperationFailure, WriteConcernError

from lib.domain.errors import DependencyThrottled, DependencyUnavailable

T = TypeVar("T")

log = logging.getLogger(__name__)

THROTTLED = 16500
_RETRY_AFTER = re.compile(r"RetryAfterMs=(\d+)")
# A write concern error (a time-out among them) comes after the write was applied: like a
# time-out, it leaves the caller not knowing, and callers treat it so.
_UNAVAILABLE = (ConnectionFailure, ExecutionTimeout, WriteConcernError)

# Bounded in-process retries on throttling only; anything longer belongs to the
# caller (a 503 for a client, a re-enqueued message for a worker).
THROTTLE_ATTEMPTS = 5
THROTTLE_BUDGET_SECONDS = 10.0
WAIT_INITIAL_SECONDS = 0.05
WAIT_MAX_SECONDS = 2.0


def connect(uri: str, timeout_ms: int) -> MongoClient[dict[str, Any]]:
    """A client that connects on first use; ``timeout_ms`` bounds every operation."""
    return MongoClient(
        uri,
        tz_aware=True,
        connect=False,
        timeoutMS=timeout_ms,
        serverSelectionTimeoutMS=timeout_ms,
        connectTimeoutMS=timeout_ms,
        appname="medical-report-parser",
    )


def retry_after_seconds(exc: OperationFailure) -> float | None:
    """The server's ``RetryAfterMs`` hint from a throttling error, in seconds."""
    details = exc.details or {}
    text = str(details.get("errmsg", "")) + " " + str(exc)
    match = _RETRY_AFTER.search(text)
    return int(match.group(1)) / 1000 if match else None


def _throttle_backoff(exc: Exception) -> bool | float:
    """Retry throttling only, after the server's hint when it gives one (never longer than the cap)."""
    if isinstance(exc, OperationFailure) and exc.code == THROTTLED:
        hint = retry_after_seconds(exc)
        return min(hint, WAIT_MAX_SECONDS) if hint else True
    return False


@stamina.retry(
    on=_throttle_backoff,
    attempts=THROTTLE_ATTEMPTS,
    timeout=THROTTLE_BUDGET_SECONDS,
    wait_initial=WAIT_INITIAL_SECONDS,
    wait_max=WAIT_MAX_SECONDS,
    wait_jitter=0.1,
)
def _call(operation: Callable[[], T]) -> T:
    return operation()


def mongo_call(operation: Callable[[], T]) -> T:
    """Run one MongoDB operation, retrying throttling and translating pymongo's errors.

    Raises :class:`DependencyThrottled` when throttling outlasts the retries and
    :class:`DependencyUnavailable` when the server cannot be reached or times out.
    Other :class:`OperationFailure` (a duplicate key, say) reach the caller as they are.
    """
    try:
        return _call(operation)
    # Time-outs are OperationFailures too, so they are matched first.
    except _UNAVAILABLE as exc:
        log.warning("MongoDB unavailable: %s", type(exc).__name__)
        raise DependencyUnavailable("mongodb") from exc
    except OperationFailure as exc:
        if exc.code == THROTTLED:
            log.warning("MongoDB kept throttling after %d attempts", THROTTLE_ATTEMPTS)
            raise DependencyThrottled("mongodb", retry_after_seconds(exc)) from exc
        raise
