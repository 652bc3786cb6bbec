"""The OpenAPI document: committed as generated, valid OpenAPI 3.1, covering every route the app registers."""

from __future__ import annotations

import importlib
import json
import sys
from typing import Any

import azure.functions as func
import schemathesis

from functions.openapi_http import openapi_json
from lib.api.openapi import openapi_document, route_methods
from tools.openapi import DOCUMENT, main, render


def registered_routes() -> dict[str, tuple[str, frozenset[str]]]:
    """Every HTTP function of a freshly imported ``function_app``: name -> (route, methods)."""
    for name in [m for m in sys.modules if m in ("function_app", "functions") or m.startswith("functions.")]:
        del sys.modules[name]
    module = importlib.import_module("function_app")
    routes = {}
    for function in module.app.get_functions():
        trigger = next(
            b for b in json.loads(function.get_function_json())["bindings"] if b["type"].endswith("Trigger")
        )
        if trigger["type"] == "httpTrigger":
            methods = frozenset(method.upper() for method in trigger["methods"])
            routes[function.get_function_name()] = (trigger["route"], methods)
    return routes


def test_the_committed_document_is_what_the_code_generates() -> None:
    assert DOCUMENT.read_text(encoding="utf-8") == render(), "run: python -m tools.openapi"
    assert main(["--check"]) == 0


def test_every_registered_route_and_method_is_documented_and_nothing_else() -> None:
    routes = registered_routes()
    registered = {("/" + route, method) for route, methods in routes.values() for method in methods}

    assert registered == route_methods()
    assert {name for name in routes} == {
        operation["operationId"]
        for item in openapi_document()["paths"].values()
        for operation in item.values()
    }  # an operation is named after the function that serves it


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()

    schema = schemathesis.openapi.from_dict(document)
    schema.validate()  # against the OpenAPI 3.1 meta-schema

    assert document["openapi"] == "3.1.0"
    operations = [op for item in document["paths"].values() for op in item.values()]
    assert all(op["responses"] for op in operations)
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
        "description": document["components"]["securitySchemes"]["ApiKey"]["description"],
    }


def test_keyless_routes_are_only_health_and_the_document_itself() -> None:
    unsecured = {
        op["operationId"]
        for item in openapi_document()["paths"].values()
        for op in item.values()
        if op["security"] == []
    }

    assert unsecured == {"health", "openapi_json"}


def test_every_error_answer_names_its_codes_and_uses_the_envelope() -> None:
    document = openapi_document()
    for path, item in document["paths"].items():
        for method, op in item.items():
            for status, reply in op["responses"].items():
                schema: dict[str, Any] = next(iter(reply["content"].values()))["schema"]
                if int(status) >= 400 and op["operationId"] != "health":
                    assert schema == {"$ref": "#/components/schemas/ErrorBody"}, (path, method, status)
                    assert "Error codes: `" in reply["description"], (path, method, status)


def test_the_served_document_is_the_generated_one_and_public() -> None:
    response = openapi_json(func.HttpRequest(method="GET", url="/api/openapi.json", body=b""))

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert json.loads(response.get_body()) == openapi_document()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Cache-Control"].startswith("public")
