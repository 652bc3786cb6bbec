"""Shared HTTP glue: JSON answers and the error envelope, for every HTTP function.

Headers every answer gets here, so no route has to repeat them:

- ``X-Content-Type-Options: nosniff`` and ``Cache-Control: no-store`` on every JSON
  answer (:func:`json_response`): status, FHIR, list and upload answers can carry
  patient data, and an error answer is no use to a cache either. A route may pass its
  own ``Cache-Control`` for a document that is public (the OpenAPI description).
- ``RateLimit-Policy`` and ``RateLimit`` (:mod:`lib.services.quotas`) on every answer
  to a request whose key checked out, errors included; ``Retry-After`` on a 429.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from datetime import datetime
from typing import Any

import azure.functions as func

from lib.api.models import ErrorBody, ErrorDetail, dump
from lib.bootstrap import context
from lib.domain.errors import (
    ConfigurationError,
    DependencyThrottled,
    DependencyUnavailable,
    Gone,
    RateLimited,
    RequestRejected,
)
from lib.services.quotas import Seen, rate_limit_headers, request_scope

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
FHIR_JSON = "application/fhir+json"
#: On every JSON answer unless the route passes its own value (see the module docstring).
DEFAULT_HEADERS = {"X-Content-Type-Options": "nosniff", "Cache-Control": "no-store"}


def json_response(
    body: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
    mimetype: str = "application/json",
) -> func.HttpResponse:
    """A JSON response (``mimetype`` for JSON media types such as FHIR's), with :data:`DEFAULT_HEADERS`."""
    return func.HttpResponse(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers={**DEFAULT_HEADERS, **(headers or {})},
        mimetype=mimetype,
    )


def error_response(
    status: int,
    code: str,
    message: str,
    headers: dict[str, str] | None = None,
    *,
    expired_at: datetime | None = None,
) -> func.HttpResponse:
    """The error envelope every failure uses: ``{"success": false, "error": {code, message}}``.

    ``expired_at`` joins ``error`` for a job its retention purged (410 ``result_expired``).
    """
    detail = ErrorDetail(code=code, message=message, **({"expired_at": expired_at} if expired_at else {}))
    return json_response(dump(ErrorBody(success=False, error=detail)), status, headers)


def answer(call: Callable[[], func.HttpResponse]) -> func.HttpResponse:
    """Run a request handler and map every error to its JSON answer; never a stack trace.

    An answer to a key that checked out carries the tenant's RateLimit headers.
    """
    with request_scope() as seen:
        response = _answer(call)
        if seen.tenant_id is not None:
            _add_rate_limit_headers(response, seen)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _add_rate_limit_headers(response: func.HttpResponse, seen: Seen) -> None:
    try:
        # The context exists: the handler authenticated through it.
        headers = rate_limit_headers(context(), seen)
    except Exception as exc:  # noqa: BLE001 - the headers inform; they must not turn an answer into a 500
        log.error("RateLimit headers failed: %s", type(exc).__name__)
        return
    for name, value in headers.items():
        response.headers[name] = value


def _answer(call: Callable[[], func.HttpResponse]) -> func.HttpResponse:
    try:
        return call()
    except RateLimited as exc:
        return error_response(
            exc.http_status, exc.code, exc.message, {"Retry-After": str(exc.retry_after_seconds)}
        )
    except Gone as exc:
        return error_response(exc.http_status, exc.code, exc.message, expired_at=exc.expired_at)
    except RequestRejected as exc:
        return error_response(exc.http_status, exc.code, exc.message)
    except DependencyThrottled as exc:
        retry_after = str(max(1, round(exc.retry_after_seconds or 1)))
        return error_response(
            503, exc.code, "the service is busy; retry shortly", {"Retry-After": retry_after}
        )
    except DependencyUnavailable as exc:
        return error_response(
            503,
            exc.code,
            f"{exc.dependency} is unavailable; nothing was stored, retry later",
            {"Retry-After": "5"},
        )
    except ConfigurationError as exc:
        log.error("Configuration error: %s", exc.message)
        return error_response(500, exc.code, "the service is misconfigured")
    except Exception as exc:  # noqa: BLE001 - the last guard: a JSON 500, never a trace to the client
        log.error("Unhandled %s\n%s", type(exc).__name__, "".join(traceback.format_tb(exc.__traceback__)))
        return error_response(500, "internal_error", "an unexpected error occurred")
