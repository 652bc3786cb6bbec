"""The OpenAPI 3.1 document of the HTTP API, generated from the answer models.

:data:`lib.api.operations.OPERATIONS` describes every HTTP route the app registers:
its parameters, request body, and for each status the body model, the error codes
and the headers. :func:`openapi_document` turns that table and the JSON Schemas of
:mod:`lib.api.models` into the document served at ``GET /api/openapi.json`` and
committed as ``docs/openapi.json`` (``python -m tools.openapi`` rewrites it; a unit
test fails when the two differ).

The Functions host answers an unknown route and a method a route does not accept
with 404 and an empty body, before the app sees the request (Azure does the same):
those 404s are the host's, not described per operation.
"""

from __future__ import annotations

from typing import Any, Final

from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from lib.api.operations import (
    EVERY_ANSWER,
    HEADERS,
    JSON,
    KEYED,
    OPERATIONS,
    WEBHOOKS,
    Operation,
    Param,
    Reply,
)

OPENAPI_VERSION: Final = "3.1.0"
API_VERSION: Final = "1.0.0"
API_KEY_SCHEME: Final = "ApiKey"
_REF: Final = "#/components/schemas/{model}"


def openapi_document() -> dict[str, Any]:
    """The OpenAPI 3.1 document of the API, as a JSON-ready dict (deterministic: same code, same bytes)."""
    schemas = _schemas()
    paths: dict[str, dict[str, Any]] = {}
    for operation in OPERATIONS:
        paths.setdefault(operation.path, {})[operation.method] = _operation(operation)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Medical report parser",
            "version": API_VERSION,
            "description": (
                "Asynchronous parsing of medical reports (PDF) into structured data. Upload, then poll "
                "the status or receive a webhook. Every error is the JSON envelope "
                '`{"success": false, "error": {"code", "message"}}`. The Functions host answers an unknown '
                "route or an unsupported method with 404 and an empty body (Azure does not send 405)."
            ),
        },
        "servers": [{"url": "/api"}],
        "tags": [{"name": name} for name in ("reports", "jobs", "operations")],
        "paths": paths,
        "webhooks": {
            name: {
                "post": {
                    "operationId": f"webhook_{name}",
                    "summary": summary,
                    "requestBody": {
                        "required": True,
                        "content": {JSON: {"schema": {"$ref": _REF.format(model=model.__name__)}}},
                    },
                    "responses": {"2XX": {"description": "Delivered; anything else is retried with backoff"}},
                }
            }
            for name, (summary, model) in WEBHOOKS.items()
        },
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                API_KEY_SCHEME: {
                    "type": "apiKey",
                    "in": "header",
                    "name": "X-API-Key",
                    "description": "A key of the tenant (`python -m tools.admin create-key`)",
                }
            },
        },
    }


def route_methods() -> set[tuple[str, str]]:
    """Every (path, METHOD) the document describes, paths without the ``/api`` prefix."""
    return {(operation.path, operation.method.upper()) for operation in OPERATIONS}


def _schemas() -> dict[str, Any]:
    models: list[type[BaseModel]] = [
        model for model in {reply.model for op in OPERATIONS for reply in op.replies} if model is not None
    ]
    models += [model for _summary, model in WEBHOOKS.values()]
    unique = sorted(set(models), key=lambda model: model.__name__)
    _, top = models_json_schema([(model, "serialization") for model in unique], ref_template=_REF)
    definitions: dict[str, Any] = top.get("$defs", {})
    return dict(sorted(definitions.items()))


def _operation(operation: Operation) -> dict[str, Any]:
    body: dict[str, Any] = {
        "operationId": operation.operation_id,
        "summary": operation.summary,
        "description": operation.description,
        "tags": [operation.tag],
    }
    if operation.params:
        body["parameters"] = [_param(param) for param in operation.params]
    if operation.request_body is not None:
        body["requestBody"] = operation.request_body
    body["responses"] = {str(reply.status): _reply(reply, operation.secured) for reply in operation.replies}
    body["security"] = [{API_KEY_SCHEME: []}] if operation.secured else []
    return body


def _param(param: Param) -> dict[str, Any]:
    return {
        "name": param.name,
        "in": param.where,
        "required": param.required or param.where == "path",
        "description": param.description,
        "schema": param.schema,
    }


def _reply(reply: Reply, secured: bool) -> dict[str, Any]:
    description = reply.description
    if reply.codes:
        description += ". Error codes: " + ", ".join(f"`{code}`" for code in reply.codes)
    answer: dict[str, Any] = {"description": description}
    headers = {name: True for name in (*reply.headers, *EVERY_ANSWER)}
    headers.update({name: False for name in reply.optional_headers})
    if secured and reply.status != 401:
        headers.update({name: False for name in KEYED})
    answer["headers"] = {name: {**HEADERS[name], "required": required} for name, required in headers.items()}
    if reply.model is None:
        answer["content"] = {reply.media_type: {"schema": {"type": "object"}}}
    else:
        answer["content"] = {reply.media_type: {"schema": {"$ref": _REF.format(model=reply.model.__name__)}}}
    if reply.links:
        answer["links"] = {
            operation_id: {"operationId": operation_id, "parameters": {"job_id": "$response.body#/job_id"}}
            for operation_id in reply.links
        }
    return answer
