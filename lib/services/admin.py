"""Use cases for operators: register tenants and projects, issue and revoke API keys."""

from __future__ import annotations

from lib.adapters.tenant_store import Project
from lib.domain.api_keys import issue_key
from lib.domain.errors import InvalidRequest, NotFound
from lib.domain.uploads import check_resource_id
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
    ctx: Context, tenant_id: str, project_id: str, name: str, ai_model_id: str | None = None
) -> None:
    """Register a project under an existing tenant."""
    if not ctx.tenants.tenant_exists(tenant_id):
        raise NotFound(f"tenant {tenant_id} not found", code="tenant_not_found")
    project = Project(tenant_id, _checked_id(project_id, "project"), name, ai_model_id)
    ctx.tenants.create_project(project, ctx.clock())


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
