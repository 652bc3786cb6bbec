"""The app as the Functions host indexes it: every function, its trigger and binding names."""

from __future__ import annotations

import importlib
import json
import logging
import sys

import pytest


def indexed_functions() -> dict[str, dict[str, object]]:
    """Import function_app fresh and index it once, as the host does."""
    for name in [m for m in sys.modules if m in ("function_app", "functions") or m.startswith("functions.")]:
        del sys.modules[name]
    module = importlib.import_module("function_app")
    result = {}
    for function in module.app.get_functions():
        bindings = json.loads(function.get_function_json())["bindings"]
        result[function.get_function_name()] = next(b for b in bindings if b["type"].endswith("Trigger"))
    return result


def test_every_function_is_registered_with_its_trigger(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        functions = indexed_functions()

    assert set(functions) == {
        "upload_report",
        "get_job_status",
        "get_job_fhir",
        "redeliver_job_webhook",
        "parse_job",
        "parse_job_poison",
        "deliver_job_webhook",
        "deliver_job_webhook_poison",
        "sweep_stuck_work",
        "list_project_jobs",
        "cancel_job_http",
        "delete_job_http",
        "health",
        "openapi_json",
    }
    upload, status = functions["upload_report"], functions["get_job_status"]
    assert upload["route"] == "v1/tenants/{tenant_id}/projects/{project_id}/reports"
    assert upload["methods"] == ["POST"] and upload["authLevel"] == "ANONYMOUS"
    assert status["route"] == "v1/job/status/{job_id}" and status["methods"] == ["GET"]
    assert functions["parse_job"]["queueName"] == "%PARSE_QUEUE_NAME%"
    assert functions["parse_job_poison"]["queueName"] == "%PARSE_QUEUE_NAME%-poison"
    assert {functions[name]["connection"] for name in ("parse_job", "parse_job_poison")} == {
        "AZURE_STORAGE_CONNECTION_STRING"
    }
    assert functions["redeliver_job_webhook"]["route"] == "v1/job/{job_id}/webhook/redeliver"
    assert functions["get_job_fhir"]["route"] == "v1/job/{job_id}/fhir"
    assert functions["get_job_fhir"]["methods"] == ["GET"]
    assert functions["deliver_job_webhook"]["queueName"] == "%WEBHOOK_QUEUE_NAME%"
    assert functions["deliver_job_webhook_poison"]["queueName"] == "%WEBHOOK_QUEUE_NAME%-poison"
    assert functions["sweep_stuck_work"]["schedule"] == "%SWEEP_SCHEDULE%"
    listing = functions["list_project_jobs"]
    assert listing["route"] == "v1/tenants/{tenant_id}/projects/{project_id}/jobs"
    assert listing["methods"] == ["GET"]
    assert functions["cancel_job_http"]["route"] == "v1/job/{job_id}/cancel"
    assert functions["cancel_job_http"]["methods"] == ["POST"]
    assert functions["delete_job_http"]["route"] == "v1/job/{job_id}"
    assert functions["delete_job_http"]["methods"] == ["DELETE"]
    assert "Parsing worker started" in caplog.messages


def test_importing_the_app_does_no_io(monkeypatch: pytest.MonkeyPatch) -> None:
    # No settings at all: importing and indexing must still work (settings are read on first use).
    for name in ("AZURE_STORAGE_CONNECTION_STRING", "MONGODB_URI"):
        monkeypatch.delenv(name, raising=False)

    assert len(indexed_functions()) == 14
