"""The :class:`lib.ports.tenants.Tenants` contract, run against the fake and the MongoDB store."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pymongo import MongoClient

from lib.adapters.tenant_store import TenantStore
from lib.domain.api_keys import issue_key
from lib.domain.output_policy import MixedPatientPolicy, OutputPolicy, UngroundedPolicy
from lib.domain.tenants import AiModel, AlreadyExists, Project, WebhookSecret, rotate_secrets
from lib.domain.webhooks import PayloadMode
from lib.ports.tenants import Tenants
from tests.support.fakes.tenants import FakeTenants
from tests.support.jobs import T0

SECRET = WebhookSecret("whsec_" + "A" * 43, T0)


@pytest.fixture(params=["fake", "real"])
def tenants(request: pytest.FixtureRequest) -> Iterator[Tenants]:
    if request.param == "fake":
        yield FakeTenants()
        return
    request.applymarker(pytest.mark.integration)
    uri = request.getfixturevalue("mongodb_uri")
    name = f"contract_tenants_{uuid.uuid4().hex[:10]}"
    with MongoClient[dict[str, Any]](uri, tz_aware=True) as client:
        store = TenantStore(client[name])
        store.ensure_indexes()
        yield store
        client.drop_database(name)


@pytest.fixture
def project(tenants: Tenants) -> Project:
    tenants.create_tenant("tenant-001", "Acme", T0)
    made = Project("tenant-001", "project-001", "Letters", webhook_secrets=(SECRET,))
    tenants.create_project(made, T0)
    return made


def stored(tenants: Tenants, tenant_id: str = "tenant-001", project_id: str = "project-001") -> Project:
    found = tenants.get_project(tenant_id, project_id)
    assert found is not None
    return found


def test_tenants_are_created_once(tenants: Tenants) -> None:
    assert not tenants.tenant_exists("tenant-001")
    tenants.create_tenant("tenant-001", "Acme", T0)
    assert tenants.tenant_exists("tenant-001")
    with pytest.raises(AlreadyExists):
        tenants.create_tenant("tenant-001", "Again", T0)


def test_a_project_reads_back_as_written(tenants: Tenants) -> None:
    tenants.create_tenant("tenant-001", "Acme", T0)
    policy = OutputPolicy(UngroundedPolicy.DROP, MixedPatientPolicy.FAIL, fhir_in_webhooks=True)
    made = Project("tenant-001", "p-2", "Two", "model-1", (SECRET,), PayloadMode.THIN, policy)
    tenants.create_project(made, T0)
    assert stored(tenants, project_id="p-2") == made
    assert tenants.get_project("tenant-001", "p-404") is None
    assert tenants.get_project("tenant-404", "p-2") is None
    with pytest.raises(AlreadyExists):
        tenants.create_project(made, T0)


def test_keys_are_found_until_revoked(tenants: Tenants) -> None:
    tenants.create_tenant("tenant-001", "Acme", T0)
    key = issue_key()
    assert not tenants.add_key("tenant-404", key, T0)
    assert tenants.find_key(key.key_id) is None
    assert not tenants.key_registered(key.key_id)

    assert tenants.add_key("tenant-001", key, T0)
    found = tenants.find_key(key.key_id)
    assert found is not None
    assert (found.tenant_id, found.key_id, found.secret_sha256) == (
        "tenant-001",
        key.key_id,
        key.secret_sha256,
    )

    assert tenants.revoke_key(key.key_id, T0)
    assert not tenants.revoke_key(key.key_id, T0)
    assert tenants.find_key(key.key_id) is None
    assert tenants.key_registered(key.key_id)
    assert not tenants.revoke_key("000000000000", T0)


def test_a_rotation_applies_only_to_the_secrets_it_was_computed_from(
    tenants: Tenants, project: Project
) -> None:
    rotation = rotate_secrets(project.webhook_secrets, "whsec_new", timedelta(hours=24), T0)
    assert tenants.apply_rotation("tenant-001", "project-001", rotation)
    assert stored(tenants).webhook_secrets == rotation.secrets
    assert not tenants.apply_rotation("tenant-001", "project-001", rotation)  # computed from the old list
    assert stored(tenants).webhook_secrets == rotation.secrets
    assert not tenants.apply_rotation("tenant-001", "project-404", rotation)


def test_two_rotations_from_one_read_cannot_both_apply(tenants: Tenants, project: Project) -> None:
    read = stored(tenants).webhook_secrets
    first = rotate_secrets(read, "whsec_first", timedelta(hours=24), T0)
    second = rotate_secrets(read, "whsec_second", timedelta(hours=24), T0 + timedelta(seconds=1))

    assert tenants.apply_rotation("tenant-001", "project-001", first)
    assert not tenants.apply_rotation("tenant-001", "project-001", second)

    retried = rotate_secrets(stored(tenants).webhook_secrets, "whsec_second", timedelta(hours=24), T0)
    assert tenants.apply_rotation("tenant-001", "project-001", retried)
    assert stored(tenants).signing_secrets(T0) == ["whsec_second", "whsec_first", SECRET.secret]


def test_a_project_without_secrets_can_be_given_one(tenants: Tenants) -> None:
    tenants.create_tenant("tenant-001", "Acme", T0)
    tenants.create_project(Project("tenant-001", "bare", "Bare"), T0)
    rotation = rotate_secrets((), "whsec_first", timedelta(hours=1), T0)
    assert tenants.apply_rotation("tenant-001", "bare", rotation)
    assert stored(tenants, project_id="bare").signing_secrets(T0) == ["whsec_first"]


def test_project_settings_change_one_at_a_time(tenants: Tenants, project: Project) -> None:
    policy = OutputPolicy(UngroundedPolicy.DROP)
    assert tenants.set_webhook_payload("tenant-001", "project-001", PayloadMode.THIN)
    assert tenants.set_output_policy("tenant-001", "project-001", policy)
    assert tenants.set_project_ai_model("tenant-001", "project-001", "model-1")
    after = stored(tenants)
    assert (after.webhook_payload, after.output, after.ai_model_id, after.webhook_secrets) == (
        PayloadMode.THIN,
        policy,
        "model-1",
        project.webhook_secrets,
    )
    assert tenants.set_project_ai_model("tenant-001", "project-001", None)
    assert stored(tenants).ai_model_id is None
    assert not tenants.set_webhook_payload("tenant-001", "p-404", PayloadMode.FULL)
    assert not tenants.set_output_policy("tenant-001", "p-404", policy)
    assert not tenants.set_project_ai_model("tenant-001", "p-404", "model-1")


def test_ai_models_are_created_and_replaced(tenants: Tenants) -> None:
    assert tenants.get_ai_model("model-1") is None
    tenants.put_ai_model(AiModel("model-1", "gemini-x", "Read it."))
    assert tenants.get_ai_model("model-1") == AiModel("model-1", "gemini-x", "Read it.")
    tenants.put_ai_model(AiModel("model-1", None, "Only a prompt."))
    assert tenants.get_ai_model("model-1") == AiModel("model-1", None, "Only a prompt.")


def test_deleting_a_tenant_revokes_its_keys_first_then_removes_everything(
    tenants: Tenants, project: Project
) -> None:
    keys = [issue_key(), issue_key()]
    for key in keys:
        assert tenants.add_key("tenant-001", key, T0)
    assert tenants.revoke_key(keys[0].key_id, T0)

    key_ids = tenants.begin_deletion("tenant-001", T0 + timedelta(seconds=1))

    assert key_ids == [key.key_id for key in keys]
    assert [tenants.find_key(key.key_id) for key in keys] == [None, None]
    assert tenants.tenant_exists("tenant-001")
    tenants.delete_tenant("tenant-001")
    assert not tenants.tenant_exists("tenant-001")
    assert tenants.get_project("tenant-001", "project-001") is None
    assert tenants.begin_deletion("tenant-001", T0) is None


def test_a_projects_retention_is_kept_and_can_go_back_to_the_default(
    tenants: Tenants, project: Project
) -> None:
    assert stored(tenants).retention_days is None

    assert tenants.set_retention_days("tenant-001", "project-001", 90)
    assert stored(tenants).retention_days == 90
    assert tenants.set_retention_days("tenant-001", "project-001", None)
    assert stored(tenants).retention_days is None
    assert not tenants.set_retention_days("tenant-001", "project-404", 90)
    tenants.create_project(Project("tenant-001", "project-002", "Kept", retention_days=7), T0)
    assert stored(tenants, project_id="project-002").retention_days == 7


def test_projects_are_paged_in_tenant_then_project_order(tenants: Tenants) -> None:
    for tenant_id in ("tenant-b", "tenant-a"):
        tenants.create_tenant(tenant_id, tenant_id, T0)
        for project_id in ("p-2", "p-1"):
            tenants.create_project(Project(tenant_id, project_id, ""), T0)

    first = tenants.projects_page(None, 3)
    rest = tenants.projects_page((first[-1].tenant_id, first[-1].project_id), 3)

    order = [(item.tenant_id, item.project_id) for item in first + rest]
    assert order == [("tenant-a", "p-1"), ("tenant-a", "p-2"), ("tenant-b", "p-1"), ("tenant-b", "p-2")]
    assert tenants.projects_page(("tenant-b", "p-2"), 3) == []
