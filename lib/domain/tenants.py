"""Tenants, their projects and the choices a project makes: pure values and rules, no I/O.

A project's webhook secrets rotate: :func:`rotate_secrets` computes the new list
from the one that was read, and :class:`SecretRotation` carries that list with the
list it was computed from, so the store writes it only if nobody changed the
secrets in between (two concurrent rotations then cannot lose one).
"""

from __future__ import annotations

import base64
import secrets as _random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from lib.domain.output_policy import OutputPolicy
from lib.domain.webhooks import PayloadMode

#: How a signing secret starts (Standard Webhooks).
SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret


class AlreadyExists(Exception):
    """Raised by the admin operations when the tenant or project id is taken."""


@dataclass(frozen=True)
class StoredKey:
    """The stored half of an API key and the tenant it belongs to."""

    tenant_id: str
    key_id: str
    secret_sha256: str


@dataclass(frozen=True)
class WebhookSecret:
    """A project's webhook signing secret (``whsec_...``); an old one expires after rotation.

    The secret is kept out of ``repr`` so that it never reaches a log line.
    """

    secret: str = field(repr=False)
    created_at: datetime
    expires_at: datetime | None = None

    def active(self, now: datetime) -> bool:
        """Whether this secret still signs at ``now``."""
        return self.expires_at is None or self.expires_at > now


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
    #: Days a job is kept before the sweeper purges it; ``None``: ``RETENTION_DAYS_DEFAULT``.
    retention_days: int | None = None

    def signing_secrets(self, now: datetime) -> list[str]:
        """The secrets to sign with now: every one not yet expired (two during a rotation)."""
        return [item.secret for item in self.webhook_secrets if item.active(now)]


@dataclass(frozen=True)
class AiModel:
    """Which Gemini model and prompt a project uses; ``None`` fields mean the defaults."""

    model_id: str
    model: str | None
    prompt: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class SecretRotation:
    """A project's new secret list, valid only if its secrets are still ``expected``."""

    expected: tuple[WebhookSecret, ...]
    secrets: tuple[WebhookSecret, ...]

    @property
    def newest(self) -> WebhookSecret:
        """The secret this rotation added."""
        return self.secrets[0]


def new_webhook_secret() -> str:
    """A fresh signing secret: ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(_random.token_bytes(32)).decode("ascii")


def rotate_secrets(
    current: Sequence[WebhookSecret], new: str, overlap: timedelta, now: datetime
) -> SecretRotation:
    """Put ``new`` first; active secrets without an expiry get ``now + overlap``; expired ones go.

    A secret that already expires (an earlier rotation) keeps its expiry.
    """
    if overlap < timedelta(0):
        raise ValueError("the overlap cannot be negative")
    expire_at = now + overlap
    kept = tuple(
        WebhookSecret(item.secret, item.created_at, item.expires_at or expire_at)
        for item in current
        if item.active(now)
    )
    return SecretRotation(tuple(current), (WebhookSecret(new, now), *kept))
