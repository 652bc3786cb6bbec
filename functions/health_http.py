"""HTTP: the health check (no key): 200 when the database and storage answer, 503 otherwise."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.http_support import json_response
from lib.api.models import HealthBody, dump
from lib.bootstrap import context
from lib.domain.errors import ServiceError
from lib.services.health import check_health

log = logging.getLogger(__name__)

bp = func.Blueprint()

_NO_STORE = {"Cache-Control": "no-store"}


@bp.route(route="health", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def health(req: func.HttpRequest) -> func.HttpResponse:
    """``{"status": "ok"}`` or 503 ``{"status": "unavailable"}``: no versions, hosts or errors."""
    try:
        healthy = check_health(context()).ok
    except ServiceError as exc:  # the context could not be built: the database is down, or the settings bad
        log.warning("Health check failed before probing: %s", exc.code)
        healthy = False
    except Exception as exc:  # noqa: BLE001 - anything else is unhealthy too, and says nothing to the caller
        log.error("Health check failed: %s", type(exc).__name__)
        healthy = False
    body = HealthBody(status="ok" if healthy else "unavailable")
    return json_response(dump(body), 200 if healthy else 503, _NO_STORE)
