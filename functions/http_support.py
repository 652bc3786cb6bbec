"""Shared HTTP glue: JSON answers and the error envelope, for every HTTP function."""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Callable
from typing import Any

import azure.functions as func

from lib.domain.errors import ConfigurationError, DependencyThrottled, DependencyUnavailable, RequestRejected

log = logging.getLogger(__name__)

API_KEY_HEADER = "X-API-Key"
FHIR_JSON = "application/fhir+json"


def json_response(
    body: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
    mimetype: str = "application/json",
) -> func.HttpResponse:
    """A JSON response (``mimetype`` for JSON media types such as FHIR's)."""
    return func.HttpResponse(
        json.dumps(body, separators=(",", ":")),
        status_code=status,
        headers=headers,
        mimetype=mimetype,
    )


def error_response(
    status: int, code: str, message: str, headers: dict[str, str] | None = None
) -> func.HttpResponse:
    """The error envelope every failure uses: ``{"success": false, "error": {code, message}}``."""
    return json_response({"success": False, "error": {"code": code, "message": message}}, status, headers)


def answer(call: Callable[[], func.HttpResponse]) -> func.HttpResponse:
    """Run a request handler and map every error to its JSON answer; never a stack trace."""
    try:
        return call()
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
