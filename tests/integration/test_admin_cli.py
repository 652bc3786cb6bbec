"""The operator command, run as operators run it: a subprocess against a real database."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from pymongo import MongoClient

from lib.bootstrap import build_context
from lib.domain.errors import AuthenticationFailed
from lib.domain.output_policy import MixedPatientPolicy, OutputPolicy, UngroundedPolicy
from lib.settings import Settings
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
