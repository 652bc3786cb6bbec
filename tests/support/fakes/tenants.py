"""An in-memory stand-in for the :class:`lib.ports.tenants.Tenants` port.

The contract suite (``tests/contract/test_tenants_contract.py``) runs the same
tests against it and :class:`lib.adapters.tenant_store.TenantStore`.
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass, field
from datetime import datetime

from lib.domain.api_keys import IssuedKey
from lib.domain.output_policy import OutputPolicy
from lib.domain.tenants import AiModel, AlreadyExists, Project, SecretRotation, StoredKey
from lib.domain.webhooks import PayloadMode

__all__ = ["FakeTenants"]


@dataclass
class _Key:
    key_id: str
    secret_sha256: str
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass
class _Tenant:
    name: str
    created_at: datetime
    keys: list[_Key] = field(default_factory=list)
    deleting_at: datetime | None = None


class FakeTenants:
    """Tenants, projects and ``ai_models`` in dicts; the public attributes are for tests to inspect."""

    def __init__(self) -> None:
        self.tenants: dict[str, _Tenant] = {}
        self.projects: dict[tuple[str, str], Project] = {}
        self.ai_models: dict[str, AiModel] = {}
        self._lock = threading.Lock()

    def find_key(self, key_id: str) -> StoredKey | None:
        with self._lock:
            for tenant_id, tenant in self.tenants.items():
                for key in tenant.keys:
                    if key.key_id == key_id and key.revoked_at is None:
                        return StoredKey(tenant_id, key_id, key.secret_sha256)
        return None

    def key_registered(self, key_id: str) -> bool:
        with self._lock:
            return any(key.key_id == key_id for tenant in self.tenants.values() for key in tenant.keys)

    def tenant_exists(self, tenant_id: str) -> bool:
        return tenant_id in self.tenants

    def get_project(self, tenant_id: str, project_id: str) -> Project | None:
        return self.projects.get((tenant_id, project_id))

    def get_ai_model(self, model_id: str) -> AiModel | None:
        return self.ai_models.get(model_id)

    def create_tenant(self, tenant_id: str, name: str, now: datetime) -> None:
        with self._lock:
            if tenant_id in self.tenants:
                raise AlreadyExists(f"tenant {tenant_id} already exists")
            self.tenants[tenant_id] = _Tenant(name, now)

    def create_project(self, project: Project, now: datetime) -> None:
        with self._lock:
            key = (project.tenant_id, project.project_id)
            if key in self.projects:
                raise AlreadyExists(f"project {project.project_id} already exists")
            self.projects[key] = project

    def apply_rotation(self, tenant_id: str, project_id: str, rotation: SecretRotation) -> bool:
        with self._lock:
            project = self.projects.get((tenant_id, project_id))
            if project is None or project.webhook_secrets != rotation.expected:
                return False
            self.projects[tenant_id, project_id] = dataclasses.replace(
                project, webhook_secrets=rotation.secrets
            )
            return True

    def set_webhook_payload(self, tenant_id: str, project_id: str, mode: PayloadMode) -> bool:
        return self._change_project(tenant_id, project_id, webhook_payload=mode)

    def set_output_policy(self, tenant_id: str, project_id: str, policy: OutputPolicy) -> bool:
        return self._change_project(tenant_id, project_id, output=policy)

    def set_project_ai_model(self, tenant_id: str, project_id: str, model_id: str | None) -> bool:
        return self._change_project(tenant_id, project_id, ai_model_id=model_id)

    def set_retention_days(self, tenant_id: str, project_id: str, days: int | None) -> bool:
        return self._change_project(tenant_id, project_id, retention_days=days)

    def projects_page(self, after: tuple[str, str] | None, limit: int) -> list[Project]:
        keys = sorted(key for key in list(self.projects) if after is None or key > after)
        return [self.projects[key] for key in keys[:limit]]

    def put_ai_model(self, model: AiModel) -> None:
        self.ai_models[model.model_id] = model

    def add_key(self, tenant_id: str, key: IssuedKey, now: datetime) -> bool:
        with self._lock:
            tenant = self.tenants.get(tenant_id)
            if tenant is None:
                return False
            tenant.keys.append(_Key(key.key_id, key.secret_sha256, now))
            return True

    def revoke_key(self, key_id: str, now: datetime) -> bool:
        with self._lock:
            for tenant in self.tenants.values():
                for key in tenant.keys:
                    if key.key_id == key_id and key.revoked_at is None:
                        key.revoked_at = now
                        return True
        return False

    def begin_deletion(self, tenant_id: str, now: datetime) -> list[str] | None:
        with self._lock:
            tenant = self.tenants.get(tenant_id)
            if tenant is None:
                return None
            for key in tenant.keys:
                key.revoked_at = key.revoked_at or now
            tenant.deleting_at = now
            return [key.key_id for key in tenant.keys]

    def delete_tenant(self, tenant_id: str) -> None:
        with self._lock:
            for key in [key for key in self.projects if key[0] == tenant_id]:
                del self.projects[key]
            self.tenants.pop(tenant_id, None)

    def _change_project(self, tenant_id: str, project_id: str, **values: object) -> bool:
        with self._lock:
            project = self.projects.get((tenant_id, project_id))
            if project is None:
                return False
            self.projects[tenant_id, project_id] = dataclasses.replace(project, **values)  # type: ignore[arg-type]
            return True
