"""HTTP: the API's OpenAPI 3.1 document (no key), generated from the answer models."""

from __future__ import annotations

import functools
import json

import azure.functions as func

from lib.api.openapi import openapi_document

bp = func.Blueprint()

# Public and the same for every caller until the next deployment: caches may keep it a while.
_HEADERS = {"Cache-Control": "public, max-age=300", "X-Content-Type-Options": "nosniff"}


@functools.cache
def _document() -> str:
    return json.dumps(openapi_document(), separators=(",", ":"))


@bp.route(route="openapi.json", methods=["GET"], auth_level=func.AuthLevel.ANONYMOUS)
def openapi_json(req: func.HttpRequest) -> func.HttpResponse:
    """The document, the same as ``docs/openapi.json``."""
    return func.HttpResponse(_document(), status_code=200, headers=_HEADERS, mimetype="application/json")
