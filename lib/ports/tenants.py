"""Ports for tenants, projects, API keys and ``ai_models``, and for who is calling.

:class:`Tenants` is implemented by :class:`lib.adapters.tenant_store.TenantStore`
(MongoDB) and :class:`tests.support.fakes.tenants.FakeTenants`;
:class:`Authentication` by :class:`lib.services.auth.Authenticator`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from lib.domain.api_keys import IssuedKey
from lib.domain.output_policy import OutputPolicy
from lib.domain.tenants import AiModel, Project, SecretRotation, StoredKey
from lib.domain.webhooks import PayloadMode


class Tenants(Protocol):
    """Reads for authentication and project lookup, writes for the admin commands.

    Writes that name a tenant or project return ``False`` when it does not exist.
    """

    def find_key(self, key_id: str) -> StoredKey | None:
        """The active (not revoked) key with this id, or ``None``."""
        ...

    def key_registered(self, key_id: str) -> bool:
        """Whether a key with this id was ever stored, active or revoked."""
        ...

    def tenant_exists(self, tenant_id: str) -> bool:
        """Whether the tenant is registered."""
        ...

    def get_project(self, tenant_id: str, project_id: str) -> Project | None:
        """The project, or ``None`` when the tenant has no such project."""
        ...

    def get_ai_model(self, model_id: str) -> AiModel | None:
        """The ``ai_models`` entry, or ``None``."""
        ...

    def create_tenant(self, tenant_id: str, name: str, now: datetime) -> None:
        """Add a tenant with no keys; :class:`lib.domain.tenants.AlreadyExists` if the id is taken."""
        ...

    def create_project(self, project: Project, now: datetime) -> None:
        """Add a project; :class:`lib.domain.tenants.AlreadyExists` if the id is taken."""
        ...

    def apply_rotation(self, tenant_id: str, project_id: str, rotation: SecretRotation) -> bool:
        """Store ``rotation.secrets`` if the project's secrets are still ``rotation.expected``.

        ``False`` when they are not (a concurrent rotation) or there is no such project.
        """
        ...

    def set_webhook_payload(self, tenant_id: str, project_id: str, mode: PayloadMode) -> bool:
        """Choose full or thin webhook bodies for a project."""
        ...

    def set_output_policy(self, tenant_id: str, project_id: str, policy: OutputPolicy) -> bool:
        """Store a project's output choices."""
        ...

    def set_project_ai_model(self, tenant_id: str, project_id: str, model_id: str | None) -> bool:
        """Point a project at an ``ai_models`` entry (``None``: the parser's defaults)."""
        ...

    def set_retention_days(self, tenant_id: str, project_id: str, days: int | None) -> bool:
        """Keep the project's jobs ``days`` days (``None``: the default setting)."""
        ...

    def projects_page(self, after: tuple[str, str] | None, limit: int) -> list[Project]:
        """Up to ``limit`` projects of every tenant in ``(tenant_id, project_id)`` order, starting
        strictly after ``after`` (``None``: the first)."""
        ...

    def put_ai_model(self, model: AiModel) -> None:
        """Create or replace an ``ai_models`` entry."""
        ...

    def add_key(self, tenant_id: str, key: IssuedKey, now: datetime) -> bool:
        """Store a new key's hash for the tenant."""
        ...

    def revoke_key(self, key_id: str, now: datetime) -> bool:
        """Mark a key revoked; ``False`` if no active key has that id."""
        ...

    def begin_deletion(self, tenant_id: str, now: datetime) -> list[str] | None:
        """Revoke every key of the tenant and mark it as being deleted; its key ids, or ``None``."""
        ...

    def delete_tenant(self, tenant_id: str) -> None:
        """Remove the tenant's projects, then the tenant with its (revoked) keys."""
        ...


class Authentication(Protocol):
    """Who is calling: an ``X-API-Key`` resolved to its tenant, and the projects it may name."""

    def tenant_of(self, api_key: str | None) -> str:
        """The key's tenant id; :class:`lib.domain.errors.AuthenticationFailed` when missing or wrong."""
        ...

    def require_tenant(self, api_key: str | None, tenant_id: str) -> None:
        """Authenticate, then :class:`lib.domain.errors.NotFound` unless the key's tenant is ``tenant_id``."""
        ...

    def require_project(self, tenant_id: str, project_id: str) -> None:
        """:class:`lib.domain.errors.NotFound` unless the tenant has this project."""
        ...

    def project(self, tenant_id: str, project_id: str) -> Project | None:
        """The tenant's project, possibly as read a short while ago (a cache), or ``None``."""
        ...

    def forget_key(self, key_id: str) -> None:
        """Drop a key from any cache (it was just revoked)."""
        ...

    def forget_project(self, tenant_id: str, project_id: str) -> None:
        """Drop a project from any cache (it was just changed)."""
        ...

    def forget_tenant(self, tenant_id: str, key_ids: list[str]) -> None:
        """Drop a tenant's keys and projects from any cache (it is being deleted)."""
        ...
