"""``tenants``, ``projects`` and ``ai_models`` in MongoDB: who may call, and how a project parses.

API keys live inside their tenant's document as ``{key_id, secret_sha256,
created_at, revoked_at}``; the plaintext is never stored. The values and rules are
:mod:`lib.domain.tenants`'; this module maps documents (pydantic) and writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from pymongo import ASCENDING, ReturnDocument
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from lib.adapters.indexes import IndexPlan, ensure_indexes
from lib.adapters.mongo_client import mongo_call
from lib.domain.api_keys import IssuedKey
from lib.domain.output_policy import MixedPatientPolicy, OutputPolicy, UngroundedPolicy
from lib.domain.tenants import AiModel, AlreadyExists, Project, SecretRotation, StoredKey, WebhookSecret
from lib.domain.webhooks import PayloadMode

# Re-exported: callers that only catch the error import it from here.
__all__ = ["AI_MODELS", "PROJECTS", "TENANTS", "AlreadyExists", "TenantStore"]

Document = dict[str, Any]

TENANTS = "tenants"
PROJECTS = "projects"
AI_MODELS = "ai_models"

_INDEXES: IndexPlan = {
    TENANTS: [("api_key_id", [("api_keys.key_id", ASCENDING)], {})],
    PROJECTS: [("tenant_project", [("tenant_id", ASCENDING), ("project_id", ASCENDING)], {"unique": True})],
}


class _Doc(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class _SecretDoc(_Doc):
    secret: str
    created_at: datetime
    expires_at: datetime | None = None


class _ProjectDoc(_Doc):
    """A ``projects`` document; the output policy's fields sit at the top level."""

    tenant_id: str
    project_id: str
    name: str = ""
    ai_model_id: str | None = None
    webhook_secrets: list[_SecretDoc] = []
    webhook_payload: PayloadMode = PayloadMode.FULL
    ungrounded: UngroundedPolicy = UngroundedPolicy.FLAG
    mixed_patient: MixedPatientPolicy = MixedPatientPolicy.WARN
    fhir_in_webhooks: bool = False
    retention_days: int | None = None

    def to_project(self) -> Project:
        return Project(
            tenant_id=self.tenant_id,
            project_id=self.project_id,
            name=self.name,
            ai_model_id=self.ai_model_id,
            webhook_secrets=tuple(WebhookSecret(**item.model_dump()) for item in self.webhook_secrets),
            webhook_payload=self.webhook_payload,
            output=OutputPolicy(self.ungrounded, self.mixed_patient, self.fhir_in_webhooks),
            retention_days=self.retention_days,
        )


class _AiModelDoc(_Doc):
    model_config = ConfigDict(extra="ignore", frozen=True, protected_namespaces=())

    id: str
    model: str | None = None
    prompt: str | None = None


def _secrets_doc(secrets: tuple[WebhookSecret, ...]) -> list[Document]:
    # Field order matters: the rotation's condition compares the stored array as a whole.
    return [_SecretDoc(**vars(item)).model_dump() for item in secrets]


def _policy_doc(policy: OutputPolicy) -> Document:
    return {
        "ungrounded": policy.ungrounded.value,
        "mixed_patient": policy.mixed_patient.value,
        "fhir_in_webhooks": policy.fhir_in_webhooks,
    }


class TenantStore:
    """The :class:`lib.ports.tenants.Tenants` port on MongoDB."""

    def __init__(self, db: Database[Document]) -> None:
        self._db = db
        self._tenants = db[TENANTS]
        self._projects = db[PROJECTS]
        self._models = db[AI_MODELS]

    def ensure_indexes(self) -> None:
        """Create this store's indexes (idempotent)."""
        ensure_indexes(self._db, _INDEXES)

    def find_key(self, key_id: str) -> StoredKey | None:
        """The active (not revoked) key with this id, or ``None``."""
        doc = mongo_call(lambda: self._tenants.find_one({"api_keys.key_id": key_id}, {"api_keys": 1}))
        if doc is None:
            return None
        for key in doc.get("api_keys", []):
            if key["key_id"] == key_id and key.get("revoked_at") is None:
                return StoredKey(doc["_id"], key_id, key["secret_sha256"])
        return None

    def key_registered(self, key_id: str) -> bool:
        """Whether a key with this id was ever stored, active or revoked."""
        return mongo_call(lambda: self._tenants.count_documents({"api_keys.key_id": key_id}, limit=1)) == 1

    def tenant_exists(self, tenant_id: str) -> bool:
        """Whether the tenant is registered."""
        return mongo_call(lambda: self._tenants.count_documents({"_id": tenant_id}, limit=1)) == 1

    def get_project(self, tenant_id: str, project_id: str) -> Project | None:
        """The project, or ``None`` when the tenant has no such project."""
        doc = mongo_call(lambda: self._projects.find_one({"tenant_id": tenant_id, "project_id": project_id}))
        return None if doc is None else _ProjectDoc.model_validate(doc).to_project()

    def get_ai_model(self, model_id: str) -> AiModel | None:
        """The ``ai_models`` entry, or ``None``."""
        doc = mongo_call(lambda: self._models.find_one({"_id": model_id}))
        if doc is None:
            return None
        entry = _AiModelDoc.model_validate({**doc, "id": doc["_id"]})
        return AiModel(entry.id, entry.model, entry.prompt)

    # -- administration ---------------------------------------------------------------------

    def create_tenant(self, tenant_id: str, name: str, now: datetime) -> None:
        """Add a tenant with no keys; :class:`AlreadyExists` if the id is taken."""
        try:
            mongo_call(
                lambda: self._tenants.insert_one(
                    {"_id": tenant_id, "name": name, "api_keys": [], "created_at": now}
                )
            )
        except DuplicateKeyError as exc:
            raise AlreadyExists(f"tenant {tenant_id} already exists") from exc

    def create_project(self, project: Project, now: datetime) -> None:
        """Add a project to an existing tenant; :class:`AlreadyExists` if the id is taken."""
        doc = {
            "tenant_id": project.tenant_id,
            "project_id": project.project_id,
            "name": project.name,
            "ai_model_id": project.ai_model_id,
            "webhook_secrets": _secrets_doc(project.webhook_secrets),
            "webhook_payload": project.webhook_payload.value,
            **_policy_doc(project.output),
            "retention_days": project.retention_days,
            "created_at": now,
        }
        try:
            mongo_call(lambda: self._projects.insert_one(doc))
        except DuplicateKeyError as exc:
            raise AlreadyExists(f"project {project.project_id} already exists") from exc

    def apply_rotation(self, tenant_id: str, project_id: str, rotation: SecretRotation) -> bool:
        """Store the rotation's secrets, if the project still has the ones it was computed from.

        One conditional write: the filter holds the whole secret array as it was read.
        """
        expected: Document = (
            {"webhook_secrets": _secrets_doc(rotation.expected)}
            if rotation.expected
            else {"$or": [{"webhook_secrets": {"$exists": False}}, {"webhook_secrets": {"$size": 0}}]}
        )
        result = mongo_call(
            lambda: self._projects.update_one(
                {"tenant_id": tenant_id, "project_id": project_id, **expected},
                {"$set": {"webhook_secrets": _secrets_doc(rotation.secrets)}},
            )
        )
        return result.matched_count == 1

    def set_webhook_payload(self, tenant_id: str, project_id: str, mode: PayloadMode) -> bool:
        """Choose full or thin webhook bodies for a project; ``False`` if no such project."""
        return self._set_project(tenant_id, project_id, {"webhook_payload": mode.value})

    def set_output_policy(self, tenant_id: str, project_id: str, policy: OutputPolicy) -> bool:
        """Store a project's output choices; ``False`` if no such project."""
        return self._set_project(tenant_id, project_id, _policy_doc(policy))

    def set_project_ai_model(self, tenant_id: str, project_id: str, model_id: str | None) -> bool:
        """Point a project at an ``ai_models`` entry (``None``: the defaults); ``False`` if no such project."""
        return self._set_project(tenant_id, project_id, {"ai_model_id": model_id})

    def set_retention_days(self, tenant_id: str, project_id: str, days: int | None) -> bool:
        """Keep the project's jobs ``days`` days (``None``: the default); ``False`` if no such project."""
        return self._set_project(tenant_id, project_id, {"retention_days": days})

    def projects_page(self, after: tuple[str, str] | None, limit: int) -> list[Project]:
        """Up to ``limit`` projects in ``(tenant_id, project_id)`` order after ``after`` (index ``tenant_project``)."""
        query: Document = {}
        if after is not None:
            tenant_id, project_id = after
            query = {
                "$or": [
                    {"tenant_id": {"$gt": tenant_id}},
                    {"tenant_id": tenant_id, "project_id": {"$gt": project_id}},
                ]
            }
        order = [("tenant_id", ASCENDING), ("project_id", ASCENDING)]
        docs = mongo_call(lambda: list(self._projects.find(query).sort(order).limit(limit)))
        return [_ProjectDoc.model_validate(doc).to_project() for doc in docs]

    def put_ai_model(self, model: AiModel) -> None:
        """Create or replace an ``ai_models`` entry."""
        mongo_call(
            lambda: self._models.replace_one(
                {"_id": model.model_id}, {"model": model.model, "prompt": model.prompt}, upsert=True
            )
        )

    def add_key(self, tenant_id: str, key: IssuedKey, now: datetime) -> bool:
        """Store a new key's hash for the tenant; ``False`` if the tenant does not exist."""
        entry = {
            "key_id": key.key_id,
            "secret_sha256": key.secret_sha256,
            "created_at": now,
            "revoked_at": None,
        }
        result = mongo_call(
            lambda: self._tenants.update_one({"_id": tenant_id}, {"$push": {"api_keys": entry}})
        )
        return result.matched_count == 1

    def revoke_key(self, key_id: str, now: datetime) -> bool:
        """Mark a key revoked; ``False`` if no active key has that id.

        Running instances remember a key they have seen for ``AUTH_CACHE_SECONDS``.
        """
        result = mongo_call(
            lambda: self._tenants.update_one(
                {"api_keys": {"$elemMatch": {"key_id": key_id, "revoked_at": None}}},
                {"$set": {"api_keys.$.revoked_at": now}},
            )
        )
        return result.modified_count == 1

    def begin_deletion(self, tenant_id: str, now: datetime) -> list[str] | None:
        """Revoke every key of the tenant and mark it as being deleted; its key ids, or ``None``.

        One write: keys already revoked keep their time, and a key added meanwhile is
        revoked too.
        """
        doc = mongo_call(
            lambda: self._tenants.find_one_and_update(
                {"_id": tenant_id},
                {"$set": {"api_keys.$[active].revoked_at": now, "deleting_at": now}},
                array_filters=[{"active.revoked_at": None}],
                projection={"api_keys.key_id": 1},
                return_document=ReturnDocument.AFTER,
            )
        )
        if doc is None:
            return None
        return [key["key_id"] for key in doc.get("api_keys", [])]

    def delete_tenant(self, tenant_id: str) -> None:
        """Remove the tenant's projects, then the tenant with its (revoked) keys."""
        mongo_call(lambda: self._projects.delete_many({"tenant_id": tenant_id}))
        mongo_call(lambda: self._tenants.delete_one({"_id": tenant_id}))

    def _set_project(self, tenant_id: str, project_id: str, fields: Document) -> bool:
        result = mongo_call(
            lambda: self._projects.update_one(
                {"tenant_id": tenant_id, "project_id": project_id}, {"$set": fields}
            )
        )
        return result.matched_count == 1
