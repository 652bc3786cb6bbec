"""The operator command, run as operators run it: a subprocess against a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient

from functions.jobs_http import get_job_status
from functions.parse_queue import parse_job
from functions.reports_http import upload_report
from lib.bootstrap import build_context
from lib.domain.errors import AuthenticationFailed
from lib.domain.output_policy import MixedPatientPolicy, OutputPolicy, UngroundedPolicy
from lib.settings import Settings
from tests.support.functions import parse_queue_client, receive, status_request, upload_request
from tests.support.gemini_stub import SAMPLE_REPORT, GeminiReply, GeminiStub
from tests.support.pdf_factory import SampleReport, make_report_pdf
from tools.services import PROJECT_ROOT

pytestmark = pytest.mark.integration


def admin(app_settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tools.admin", *args],
        cwd=PROJECT_ROOT,
        env={**os.environ, **app_settings},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def tenant_docs(settings: Settings) -> list[dict[str, Any]]:
    with MongoClient(settings.mongodb_uri) as client:
        return list(client[settings.mongodb_database]["tenants"].find())


def test_bootstrap_issues_a_working_key_stored_only_as_a_hash(
    app_settings: dict[str, str], settings: Settings
) -> None:
    result = admin(app_settings, "bootstrap", "tenant-009", "project-009")

    assert result.returncode == 0, result.stderr
    key = result.stdout.strip()
    ctx = build_context(settings)
    try:
        assert ctx.auth.tenant_of(key) == "tenant-009"
        assert ctx.tenants.get_project("tenant-009", "project-009") is not None
    finally:
        ctx.close()
    assert key.split("_")[2] not in repr(tenant_docs(settings))


def test_duplicates_and_unknown_tenants_are_errors(app_settings: dict[str, str]) -> None:
    assert admin(app_settings, "create-tenant", "tenant-010").returncode == 0

    again = admin(app_settings, "create-tenant", "tenant-010")
    orphan = admin(app_settings, "create-project", "tenant-404", "project-1")
    bad_id = admin(app_settings, "create-tenant", "../etc")

    assert again.returncode == 1 and "already exists" in again.stderr
    assert orphan.returncode == 1 and "tenant-404 not found" in orphan.stderr
    assert bad_id.returncode == 1 and "tenant id must be" in bad_id.stderr


def test_a_revoked_key_no_longer_authenticates(app_settings: dict[str, str], settings: Settings) -> None:
    key = admin(app_settings, "bootstrap", "tenant-011", "project-1").stdout.strip()

    result = admin(app_settings, "revoke-key", key.split("_")[1])

    assert result.returncode == 0, result.stderr
    ctx = build_context(settings)
    try:
        with pytest.raises(AuthenticationFailed):
            ctx.auth.tenant_of(key)
    finally:
        ctx.close()


def test_delete_tenant_asks_for_yes_then_removes_the_tenant(
    app_settings: dict[str, str], settings: Settings
) -> None:
    assert admin(app_settings, "bootstrap", "tenant-011", "project-011").returncode == 0

    refused = admin(app_settings, "delete-tenant", "tenant-011")
    assert refused.returncode == 2
    assert "--yes" in refused.stderr
    assert [doc["_id"] for doc in tenant_docs(settings)] == ["tenant-011"]

    deleted = admin(app_settings, "delete-tenant", "tenant-011", "--yes")

    assert deleted.returncode == 0, deleted.stderr
    assert "tenant-011 deleted: 0 job(s)" in deleted.stdout
    assert tenant_docs(settings) == []
    assert admin(app_settings, "delete-tenant", "tenant-011", "--yes").returncode == 1


def test_set_output_policy_changes_only_what_it_is_given(
    app_settings: dict[str, str], settings: Settings
) -> None:
    assert admin(app_settings, "bootstrap", "tenant-012", "project-012").returncode == 0

    first = admin(app_settings, "set-output-policy", "tenant-012", "project-012", "--ungrounded", "drop")
    second = admin(app_settings, "set-output-policy", "tenant-012", "project-012", "--fhir-webhooks", "on")
    unknown = admin(app_settings, "set-output-policy", "tenant-012", "project-404", "--mixed-patient", "fail")

    assert first.returncode == second.returncode == 0, first.stderr + second.stderr
    assert "ungrounded facts drop, mixed patients warn, FHIR in webhooks on" in second.stdout
    assert unknown.returncode == 1
    ctx = build_context(settings)
    try:
        project = ctx.tenants.get_project("tenant-012", "project-012")
    finally:
        ctx.close()
    assert project is not None
    assert project.output == OutputPolicy(
        UngroundedPolicy.DROP, MixedPatientPolicy.WARN, fhir_in_webhooks=True
    )


PROMPT = "Read this discharge letter for the cardiology team.\nList every medication with its dose."


def test_a_projects_ai_model_and_prompt_reach_gemini(
    app_settings: dict[str, str], settings: Settings, app_env: Callable[..., None], tmp_path: Path
) -> None:
    key = admin(app_settings, "bootstrap", "tenant-013", "project-013").stdout.strip()
    prompt_file = tmp_path / "prompt.txt"
    prompt_file.write_text(PROMPT, encoding="utf-8")

    made = admin(
        app_settings,
        "set-ai-model",
        "cardio-v2",
        "--model",
        "gemini-9-test",
        "--prompt-file",
        str(prompt_file),
    )
    assigned = admin(app_settings, "assign-ai-model", "tenant-013", "project-013", "cardio-v2")

    assert made.returncode == 0, made.stderr
    assert f"ai model cardio-v2: model gemini-9-test, prompt {len(PROMPT)} characters" in made.stdout
    assert assigned.returncode == 0, assigned.stderr
    pdf = make_report_pdf(SampleReport(patient_name="Jane Q. Doe"))
    with GeminiStub() as gemini:
        gemini.enqueue(GeminiReply.ok(SAMPLE_REPORT))
        app_env(PARSER="gemini", GEMINI_API_KEY="test-key", GEMINI_BASE_URL=gemini.base_url)
        response = upload_report(upload_request("tenant-013", "project-013", [pdf], api_key=key))
        assert response.status_code == 202
        job_id = json.loads(response.get_body())["job_id"]
        message = receive(parse_queue_client(settings))
        assert message is not None
        parse_job(message)

        request = gemini.last_request
        assert request is not None
        assert request.model == "gemini-9-test"
        assert PROMPT in request.prompt
        assert request.pdfs == [pdf]
    body = json.loads(get_job_status(status_request(job_id, key)).get_body())
    assert (body["status"], body["model"]) == ("completed", "gemini-9-test")


def test_ai_model_commands_refuse_what_they_cannot_do(app_settings: dict[str, str], tmp_path: Path) -> None:
    assert admin(app_settings, "bootstrap", "tenant-014", "project-014").returncode == 0

    nothing = admin(app_settings, "set-ai-model", "empty")
    bad_id = admin(app_settings, "set-ai-model", "../x", "--model", "m")
    missing_file = admin(app_settings, "set-ai-model", "m1", "--prompt-file", str(tmp_path / "none.txt"))
    unknown_model = admin(app_settings, "assign-ai-model", "tenant-014", "project-014", "nope")
    assert admin(app_settings, "set-ai-model", "m2", "--model", "gemini-x").returncode == 0
    unknown_project = admin(app_settings, "assign-ai-model", "tenant-014", "project-404", "m2")
    back_to_default = admin(app_settings, "assign-ai-model", "tenant-014", "project-014", "--default")

    assert nothing.returncode == 1 and "a model, a prompt, or both" in nothing.stderr
    assert bad_id.returncode == 1 and "ai model id must be" in bad_id.stderr
    assert missing_file.returncode == 1 and "cannot read the prompt file" in missing_file.stderr
    assert unknown_model.returncode == 1 and "ai model nope not found" in unknown_model.stderr
    assert unknown_project.returncode == 1 and "project-404 not found" in unknown_project.stderr
    assert back_to_default.returncode == 0, back_to_default.stderr
    assert "ai model (default)" in back_to_default.stdout


def test_set_retention_keeps_a_projects_jobs_that_many_days_or_the_default(
    app_settings: dict[str, str], settings: Settings
) -> None:
    assert admin(app_settings, "bootstrap", "tenant-ret", "project-ret").returncode == 0

    kept = admin(app_settings, "set-retention", "tenant-ret", "project-ret", "90")
    assert (kept.returncode, kept.stdout.strip()) == (
        0,
        "project project-ret: jobs are purged 90 day(s) after upload",
    )
    ctx = build_context(settings)
    try:
        project = ctx.tenants.get_project("tenant-ret", "project-ret")
        assert project is not None and project.retention_days == 90
        back = admin(app_settings, "set-retention", "tenant-ret", "project-ret", "default")
        assert back.returncode == 0 and "30 day(s)" in back.stdout
        project = ctx.tenants.get_project("tenant-ret", "project-ret")
        assert project is not None and project.retention_days is None
    finally:
        ctx.close()
    for args in (("project-ret", "0"), ("project-ret", "forever"), ("project-404", "10")):
        refused = admin(app_settings, "set-retention", "tenant-ret", *args)
        assert refused.returncode == 1 and refused.stderr.startswith("error: ")
