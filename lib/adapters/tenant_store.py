"""``tenants``, ``projects`` and ``ai_models`` in MongoDB: who may call, and how a project parses.

API keys live inside their tenant's document as ``{key_id, secret_sha256,
created_at, revoked_at}``; the plaintext is never stored.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from lib.adapters.job_store import IndexPlan, ensure_indexes
from lib.adapters.mongo_client import from_fields, mongo_call
from lib.domain.api_keys import IssuedKey
from lib.domain.output_policy import MixedPatientPolicy, OutputPolicy, UngroundedPolicy
from lib.domain.webhooks import PayloadMode

Document = dict[str, Any]

TENANTS = "tenants"
PROJECTS = "projects"
AI_MODELS = "ai_models"

_INDEXES: IndexPlan = {
    TENANTS: [("api_key_id", [("api_keys.key_id", ASCENDING)], {})],
    PROJECTS: [("tenant_project", [("tenant_id", ASCENDING), ("project_id", ASCENDING)], {"unique": True})],
}


@dataclass(frozen=True)
class StoredKey:
    """The stored half of an API key and the tenant it belongs to."""

    tenant_id: str
    key_id: str
    secret_sha256: str


@dataclass(frozen=True)
class WebhookSecret:
    """A project's webhook signing secret (``whsec_...``); an old one expires after rotation."""

    secret: str
    created_at: datetime
    expires_at: datetime | None = None


@dataclass(frozen=True)
class Project:
    """A tenant's project; ``ai_model_id`` points into ``ai_models`` when set.

    Webhook secrets are kept in clear: signing needs them. The newest comes first.
    """

    tenant_id: str
    project_id: str
    name: str
    ai_model_id: str | None = None
    webhook_secrets: tuple[WebhookSecret, ...] = ()
    webhook_payload: PayloadMode = PayloadMode.FULL
    output: OutputPolicy = field(default_factory=OutputPolicy)

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets to sign with now: every one not yet expired (two during a rotation)."""
        return [
            item.secret for item in self.webhook_secrets if item.expires_at is None or item.expires_at > now
        ]


@dataclass(frozen=True)
class AiModel:
    """Which Gemini model and prompt a project uses; ``None`` fields mean the defaults."""

    model_id: str
    model: str | None
    prompt: str | None


class AlreadyExists(Exception):
    """Raised by the admin operations when the tenant or project id is taken."""


class TenantStore:
    """Reads for authentication and project lookup, writes for the admin command."""

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

    def get_project(self, tenant_id: str, project_id: str) -> Project | None:
        """The project, or ``None`` when the tenant has no such project."""
        doc = mongo_call(lambda: self._projects.find_one({"tenant_id": tenant_id, "project_id": project_id}))
        if doc is None:
            return None
        return Project(
            tenant_id=doc["tenant_id"],
            project_id=doc["project_id"],
            name=doc.get("name", ""),
            ai_model_id=doc.get("ai_model_id"),
            webhook_secrets=tuple(
                from_fields(WebhookSecret, item) for item in doc.get("webhook_secrets", [])
            ),
            webhook_payload=PayloadMode(doc.get("webhook_payload", PayloadMode.FULL.value)),
            output=OutputPolicy(
                ungrounded=UngroundedPolicy(doc.get("ungrounded", UngroundedPolicy.FLAG.value)),
                mixed_patient=MixedPatientPolicy(doc.get("mixed_patient", MixedPatientPolicy.WARN.value)),
                fhir_in_webhooks=bool(doc.get("fhir_in_webhooks", False)),
            ),
        )

    def get_ai_model(self, model_id: str) -> AiModel | None:
        """The ``ai_models`` entry, or ``None``."""
        doc = mongo_call(lambda: self._models.find_one({"_id": model_id}))
        if doc is None:
            return None
        return AiModel(doc["_id"], doc.get("model"), doc.get("prompt"))

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
            "webhook_secrets": [asdict(item) for item in project.webhook_secrets],
            "webhook_payload": project.webhook_payload.value,
            "created_at": now,
        }
        try:
            mongo_call(lambda: self._projects.insert_one(doc))
        except DuplicateKeyError as exc:
            raise AlreadyExists(f"project {project.project_id} already exists") from exc

    def rotate_webhook_secret(
        self, tenant_id: str, project_id: str, new: WebhookSecret, old_expire_at: datetime
    ) -> bool:
        """Put ``new`` first; secrets without an expiry get ``old_expire_at``. ``False`` if no project."""
        project = self.get_project(tenant_id, project_id)
        if project is None:
            return False
        kept = [
            WebhookSecret(item.secret, item.created_at, item.expires_at or old_expire_at)
            for item in project.webhook_secrets
            if item.expires_at is None or item.expires_at > new.created_at
        ]
        secrets = [asdict(item) for item in (new, *kept)]
        result = mongo_call(
            lambda: self._projects.update_one(
                {"tenant_id": tenant_id, "project_id": project_id}, {"$set": {"webhook_secrets": secrets}}
            )
        )
        return result.matched_count == 1

    def set_webhook_payload(self, tenant_id: str, project_id: str, mode: PayloadMode) -> bool:
        """Choose full or thin webhook bodies for a project; ``False`` if no such project."""
        result = mongo_call(
            lambda: self._projects.update_one(
                {"tenant_id": tenant_id, "project_id": project_id}, {"$set": {"webhook_payload": mode.value}}
            )
        )
        return result.matched_count == 1

    def set_output_policy(self, tenant_id: str, project_id: str, policy: OutputPolicy) -> bool:
        """Store a project's output choices; ``False`` if no such project."""
        fields = {
            "ungrounded": policy.ungrounded.value,
            "mixed_patient": policy.mixed_patient.value,
            "fhir_in_webhooks": policy.fhir_in_webhooks,
        }
        result = mongo_call(
            lambda: self._projects.update_one(
                {"tenant_id": tenant_id, "project_id": project_id}, {"$set": fields}
            )
        )
        return result.matched_count == 1

    def tenant_exists(self, tenant_id: str) -> bool:
        """Whether the tenant is registered."""
        return mongo_call(lambda: self._tenants.count_documents({"_id": tenant_id}, limit=1)) == 1

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

    def key_registered(self, key_id: str) -> bool:
        """Whether a key with this id was ever stored, active or revoked."""
        return mongo_call(lambda: self._tenants.count_documents({"api_keys.key_id": key_id}, limit=1)) == 1

    def begin_deletion(self, tenant_id: str, now: datetime) -> list[str] | None:
        """Revoke every key of the tenant and mark it as being deleted; its key ids, or ``None``.

        A key added at the same moment may be dropped by this write: it never becomes usable.
        """
        doc = mongo_call(lambda: self._tenants.find_one({"_id": tenant_id}, {"api_keys": 1}))
        if doc is None:
            return None
        keys = [{**key, "revoked_at": key.get("revoked_at") or now} for key in doc.get("api_keys", [])]
        mongo_call(
            lambda: self._tenants.update_one(
                {"_id": tenant_id}, {"$set": {"api_keys": keys, "deleting_at": now}}
            )
        )
        return [key["key_id"] for key in keys]

    def delete_tenant(self, tenant_id: str) -> None:
        """Remove the tenant's projects, then the tenant with its (revoked) keys."""
        mongo_call(lambda: self._projects.delete_many({"tenant_id": tenant_id}))
        mongo_call(lambda: self._tenants.delete_one({"_id": tenant_id}))

    def put_ai_model(self, model: AiModel) -> None:
        """Create or replace an ``ai_models`` entry."""
        mongo_call(
            lambda: self._models.replace_one(
                {"_id": model.model_id}, {"model": model.model, "prompt": model.prompt}, upsert=True
            )
        )
