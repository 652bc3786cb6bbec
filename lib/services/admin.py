"""Use cases for operators: tenants, projects and their webhook secrets, API keys."""

from __future__ import annotations

from datetime import timedelta

from lib.adapters.tenant_store import Project, WebhookSecret
from lib.adapters.webhook_sender import new_webhook_secret
from lib.domain.api_keys import IssuedKey, hash_secret, issue_key, parse_key
from lib.domain.errors import InvalidRequest, NotFound
from lib.domain.output_policy import MixedPatientPolicy, OutputPolicy, UngroundedPolicy
from lib.domain.uploads import check_resource_id
from lib.domain.webhooks import PayloadMode
from lib.services.context import Context


def _checked_id(value: str, kind: str) -> str:
    try:
        check_resource_id(value, kind)
    except NotFound:
        raise InvalidRequest(
            f"{kind} id must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit"
        ) from None
    return value


def create_tenant(ctx: Context, tenant_id: str, name: str) -> None:
    """Register a tenant (no keys yet)."""
    ctx.tenants.create_tenant(_checked_id(tenant_id, "tenant"), name, ctx.clock())


def create_project(
    ctx: Context,
    tenant_id: str,
    project_id: str,
    name: str,
    ai_model_id: str | None = None,
    webhook_payload: PayloadMode = PayloadMode.FULL,
) -> str:
    """Register a project under an existing tenant; returns its webhook signing secret (shown once)."""
    if not ctx.tenants.tenant_exists(tenant_id):
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
    now = ctx.clock()
    secret = WebhookSecret(new_webhook_secret(), now)
    project = Project(
        tenant_id, _checked_id(project_id, "project"), name, ai_model_id, (secret,), webhook_payload
    )
    ctx.tenants.create_project(project, now)
    return secret.secret


def rotate_webhook_secret(ctx: Context, tenant_id: str, project_id: str, overlap: timedelta) -> str:
    """A new signing secret; the current one keeps signing too for ``overlap``, then expires."""
    now = ctx.clock()
    secret = WebhookSecret(new_webhook_secret(), now)
    if not ctx.tenants.rotate_webhook_secret(tenant_id, project_id, secret, now + overlap):
        raise NotFound(f"project {project_id} not found", code="project_not_found")
    return secret.secret


def set_webhook_payload(ctx: Context, tenant_id: str, project_id: str, mode: PayloadMode) -> None:
    """Choose what the project's webhooks carry: ``full`` (with parsed_data) or ``thin``."""
    if not ctx.tenants.set_webhook_payload(tenant_id, project_id, mode):
        raise NotFound(f"project {project_id} not found", code="project_not_found")


def set_output_policy(
    ctx: Context,
    tenant_id: str,
    project_id: str,
    *,
    ungrounded: UngroundedPolicy | None = None,
    mixed_patient: MixedPatientPolicy | None = None,
    fhir_in_webhooks: bool | None = None,
) -> OutputPolicy:
    """Change the project's output choices that are given; returns the policy now in force."""
    project = ctx.tenants.get_project(tenant_id, project_id)
    if project is None:
        raise NotFound(f"project {project_id} not found", code="project_not_found")
    current = project.output
    policy = OutputPolicy(
        ungrounded=ungrounded or current.ungrounded,
        mixed_patient=mixed_patient or current.mixed_patient,
        fhir_in_webhooks=current.fhir_in_webhooks if fhir_in_webhooks is None else fhir_in_webhooks,
    )
    if not ctx.tenants.set_output_policy(tenant_id, project_id, policy):
        raise NotFound(f"project {project_id} not found", code="project_not_found")
    return policy


def create_api_key(ctx: Context, tenant_id: str) -> str:
    """Issue a key for the tenant; the plaintext is returned once and never stored."""
    key = issue_key()
    if not ctx.tenants.add_key(tenant_id, key, ctx.clock()):
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
    return key.plaintext


def revoke_api_key(ctx: Context, key_id: str) -> None:
    """Revoke a key by its id (the 12 hex characters after ``mrp_``)."""
    if not ctx.tenants.revoke_key(key_id, ctx.clock()):
        raise NotFound(f"no active key {key_id}", code="api_key_not_found")
    ctx.auth.forget_key(key_id)


def register_api_key(ctx: Context, tenant_id: str, plaintext: str) -> None:
    """Store a key chosen by the operator (the local dev key); a key already stored is kept as it is."""
    presented = parse_key(plaintext)
    if presented is None:
        raise InvalidRequest("not an API key: expected mrp_<12 hex>_<43 characters>")
    if ctx.tenants.key_registered(presented.key_id):
        return  # active or revoked: a revoked key stays revoked
    key = IssuedKey(presented.key_id, plaintext, hash_secret(presented.secret))
    if not ctx.tenants.add_key(tenant_id, key, ctx.clock()):
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
