"""Operator use cases: tenants, projects, webhook secrets, ai_models, API keys (fakes only)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from lib.domain.api_keys import hash_secret, parse_key
from lib.domain.errors import AuthenticationFailed, Conflict, InvalidRequest, NotFound
from lib.domain.output_policy import MixedPatientPolicy, OutputPolicy, UngroundedPolicy
from lib.domain.tenants import (
    AiModel,
    AlreadyExists,
    SecretRotation,
    WebhookSecret,
    new_webhook_secret,
    rotate_secrets,
)
from lib.domain.webhooks import PayloadMode
from lib.services import admin
from tests.support.fakes.context import Fakes
from tests.support.fakes.tenants import FakeTenants
from tests.support.jobs import T0


@pytest.fixture
def tenant(fakes: Fakes) -> str:
    admin.create_tenant(fakes.ctx, "tenant-001", "Acme")
    return "tenant-001"


@pytest.fixture
def project(fakes: Fakes, tenant: str) -> str:
    """project-001 of tenant-001; returns its first webhook secret."""
    return admin.create_project(fakes.ctx, tenant, "project-001", "Letters")


def test_create_tenant_and_its_refusals(fakes: Fakes) -> None:
    admin.create_tenant(fakes.ctx, "tenant-001", "Acme")
    assert fakes.tenants.tenants["tenant-001"].name == "Acme"
    with pytest.raises(AlreadyExists):
        admin.create_tenant(fakes.ctx, "tenant-001", "Again")
    for bad in ("../etc", "", "x" * 65, "-lead"):
        with pytest.raises(InvalidRequest, match="tenant id must be"):
            admin.create_tenant(fakes.ctx, bad, "Bad")


def test_create_project_returns_its_secret_once(fakes: Fakes, tenant: str) -> None:
    secret = admin.create_project(
        fakes.ctx, tenant, "project-001", "Letters", webhook_payload=PayloadMode.THIN
    )
    project = fakes.tenants.get_project(tenant, "project-001")
    assert project is not None
    assert secret.startswith("whsec_")
    assert project.webhook_secrets == (WebhookSecret(secret, T0),)
    assert (project.name, project.webhook_payload, project.ai_model_id) == ("Letters", PayloadMode.THIN, None)
    assert project.signing_secrets(T0) == [secret]


def test_create_project_refusals(fakes: Fakes, tenant: str) -> None:
    with pytest.raises(NotFound) as unknown:
        admin.create_project(fakes.ctx, "tenant-404", "project-001", "x")
    assert unknown.value.code == "tenant_not_found"
    with pytest.raises(InvalidRequest, match="project id must be"):
        admin.create_project(fakes.ctx, tenant, "a/b", "x")
    with pytest.raises(NotFound) as no_model:
        admin.create_project(fakes.ctx, tenant, "project-001", "x", ai_model_id="missing")
    assert no_model.value.code == "ai_model_not_found"
    admin.create_project(fakes.ctx, tenant, "project-001", "x")
    with pytest.raises(AlreadyExists):
        admin.create_project(fakes.ctx, tenant, "project-001", "x")


def test_rotation_signs_with_both_secrets_during_the_overlap(fakes: Fakes, project: str) -> None:
    new = admin.rotate_webhook_secret(fakes.ctx, "tenant-001", "project-001", timedelta(hours=24))
    stored = fakes.tenants.get_project("tenant-001", "project-001")
    assert stored is not None
    assert stored.signing_secrets(T0) == [new, project]
    assert stored.signing_secrets(T0 + timedelta(hours=24)) == [new]


def test_rotation_refusals(fakes: Fakes, project: str) -> None:
    with pytest.raises(NotFound) as unknown:
        admin.rotate_webhook_secret(fakes.ctx, "tenant-001", "project-404", timedelta(hours=1))
    assert unknown.value.code == "project_not_found"
    with pytest.raises(InvalidRequest, match="negative"):
        admin.rotate_webhook_secret(fakes.ctx, "tenant-001", "project-001", timedelta(hours=-1))


class RacingTenants(FakeTenants):
    """Another operator rotates the same project's secret between our read and our write, ``races`` times."""

    def __init__(self, source: FakeTenants, races: int) -> None:
        super().__init__()
        self.tenants, self.projects, self.ai_models = source.tenants, source.projects, source.ai_models
        self.races = races
        self.theirs: list[str] = []

    def apply_rotation(self, tenant_id: str, project_id: str, rotation: SecretRotation) -> bool:
        if self.races:
            self.races -= 1
            project = self.get_project(tenant_id, project_id)
            assert project is not None
            theirs = rotate_secrets(project.webhook_secrets, new_webhook_secret(), timedelta(hours=2), T0)
            assert super().apply_rotation(tenant_id, project_id, theirs)
            self.theirs.append(theirs.newest.secret)
        return super().apply_rotation(tenant_id, project_id, rotation)


def test_two_concurrent_rotations_both_land(fakes: Fakes, project: str) -> None:
    racing = RacingTenants(fakes.tenants, races=1)
    ctx = replace(fakes.ctx, tenants=racing)

    ours = admin.rotate_webhook_secret(ctx, "tenant-001", "project-001", timedelta(hours=24))

    stored = racing.get_project("tenant-001", "project-001")
    assert stored is not None
    assert stored.signing_secrets(T0) == [ours, *racing.theirs, project]  # nobody's secret was lost


def test_a_rotation_that_keeps_losing_the_race_gives_up(fakes: Fakes, project: str) -> None:
    racing = RacingTenants(fakes.tenants, races=admin.ROTATION_TRIES)
    ctx = replace(fakes.ctx, tenants=racing)

    with pytest.raises(Conflict) as caught:
        admin.rotate_webhook_secret(ctx, "tenant-001", "project-001", timedelta(hours=24))

    assert caught.value.code == "rotation_conflict"
    stored = racing.get_project("tenant-001", "project-001")
    assert stored is not None
    assert stored.signing_secrets(T0) == [*reversed(racing.theirs), project]


def test_set_webhook_payload(fakes: Fakes, project: str) -> None:
    admin.set_webhook_payload(fakes.ctx, "tenant-001", "project-001", PayloadMode.THIN)
    stored = fakes.tenants.get_project("tenant-001", "project-001")
    assert stored is not None
    assert stored.webhook_payload is PayloadMode.THIN
    with pytest.raises(NotFound):
        admin.set_webhook_payload(fakes.ctx, "tenant-001", "project-404", PayloadMode.FULL)


def test_set_output_policy_changes_only_what_is_given(fakes: Fakes, project: str) -> None:
    first = admin.set_output_policy(fakes.ctx, "tenant-001", "project-001", ungrounded=UngroundedPolicy.DROP)
    second = admin.set_output_policy(fakes.ctx, "tenant-001", "project-001", fhir_in_webhooks=True)
    assert first == OutputPolicy(UngroundedPolicy.DROP)
    assert second == OutputPolicy(UngroundedPolicy.DROP, MixedPatientPolicy.WARN, fhir_in_webhooks=True)
    stored = fakes.tenants.get_project("tenant-001", "project-001")
    assert stored is not None
    assert stored.output == second
    with pytest.raises(NotFound):
        admin.set_output_policy(fakes.ctx, "tenant-001", "project-404", fhir_in_webhooks=False)


def test_set_ai_model_creates_and_replaces_an_entry(fakes: Fakes) -> None:
    made = admin.set_ai_model(fakes.ctx, "cardio-v2", model=" gemini-x ", prompt="Read it.")
    assert made == AiModel("cardio-v2", "gemini-x", "Read it.")
    admin.set_ai_model(fakes.ctx, "cardio-v2", model=None, prompt="Read it again.")
    assert fakes.tenants.get_ai_model("cardio-v2") == AiModel("cardio-v2", None, "Read it again.")


@pytest.mark.parametrize(
    ("model_id", "model", "prompt", "message"),
    [
        ("m1", None, None, "a model, a prompt, or both"),
        ("m1", "  ", None, "cannot be empty"),
        ("m1", None, " \n", "cannot be empty"),
        ("m1", None, "x" * (admin.MAX_PROMPT_CHARS + 1), "longer than"),
        ("../m", "gemini-x", None, "ai model id must be"),
    ],
)
def test_set_ai_model_refusals(
    fakes: Fakes, model_id: str, model: str | None, prompt: str | None, message: str
) -> None:
    with pytest.raises(InvalidRequest, match=message):
        admin.set_ai_model(fakes.ctx, model_id, model=model, prompt=prompt)
    assert fakes.tenants.ai_models == {}


def test_assign_ai_model_and_back_to_the_default(fakes: Fakes, project: str) -> None:
    admin.set_ai_model(fakes.ctx, "cardio-v2", model="gemini-x", prompt=None)
    admin.assign_ai_model(fakes.ctx, "tenant-001", "project-001", "cardio-v2")
    stored = fakes.tenants.get_project("tenant-001", "project-001")
    assert stored is not None
    assert stored.ai_model_id == "cardio-v2"
    admin.assign_ai_model(fakes.ctx, "tenant-001", "project-001", None)
    stored = fakes.tenants.get_project("tenant-001", "project-001")
    assert stored is not None
    assert stored.ai_model_id is None


def test_assign_ai_model_refusals(fakes: Fakes, project: str) -> None:
    with pytest.raises(NotFound) as unknown_model:
        admin.assign_ai_model(fakes.ctx, "tenant-001", "project-001", "nope")
    assert unknown_model.value.code == "ai_model_not_found"
    admin.set_ai_model(fakes.ctx, "cardio-v2", model="gemini-x", prompt=None)
    with pytest.raises(NotFound) as unknown_project:
        admin.assign_ai_model(fakes.ctx, "tenant-001", "project-404", "cardio-v2")
    assert unknown_project.value.code == "project_not_found"


def test_create_api_key_works_at_once_and_is_stored_as_a_hash(fakes: Fakes, tenant: str) -> None:
    key = admin.create_api_key(fakes.ctx, tenant)
    assert fakes.ctx.auth.tenant_of(key) == tenant
    presented = parse_key(key)
    assert presented is not None
    [stored] = fakes.tenants.tenants[tenant].keys
    assert (stored.key_id, stored.secret_sha256) == (presented.key_id, hash_secret(presented.secret))
    with pytest.raises(NotFound):
        admin.create_api_key(fakes.ctx, "tenant-404")


def test_revoke_api_key(fakes: Fakes, tenant: str) -> None:
    key = admin.create_api_key(fakes.ctx, tenant)
    key_id = key.split("_")[1]
    admin.revoke_api_key(fakes.ctx, key_id)
    with pytest.raises(AuthenticationFailed):
        fakes.ctx.auth.tenant_of(key)
    with pytest.raises(NotFound) as again:
        admin.revoke_api_key(fakes.ctx, key_id)
    assert again.value.code == "api_key_not_found"


def test_register_api_key_keeps_a_stored_key_as_it_is(fakes: Fakes, tenant: str) -> None:
    key = "mrp_0123456789ab_" + "k" * 43
    admin.register_api_key(fakes.ctx, tenant, key)
    assert fakes.ctx.auth.tenant_of(key) == tenant
    admin.revoke_api_key(fakes.ctx, "0123456789ab")
    admin.register_api_key(fakes.ctx, tenant, key)  # a revoked key stays revoked
    with pytest.raises(AuthenticationFailed):
        fakes.ctx.auth.tenant_of(key)
    with pytest.raises(InvalidRequest, match="not an API key"):
        admin.register_api_key(fakes.ctx, tenant, "mrp_short")
    with pytest.raises(NotFound):
        admin.register_api_key(fakes.ctx, "tenant-404", "mrp_ba9876543210_" + "k" * 43)
