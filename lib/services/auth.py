"""Who is calling: an ``X-API-Key`` resolved to its tenant."""

from __future__ import annotations

from lib.adapters.tenant_store import TenantStore
from lib.domain.api_keys import parse_key, secret_matches
from lib.domain.errors import AuthenticationFailed, NotFound


def authenticate(tenants: TenantStore, api_key: str | None) -> str:
    """The tenant id the key belongs to; :class:`AuthenticationFailed` when it is missing or wrong."""
    if not api_key:
        raise AuthenticationFailed("missing X-API-Key header", code="missing_api_key")
    presented = parse_key(api_key)
    stored = tenants.find_key(presented.key_id) if presented else None
    if presented is None or stored is None or not secret_matches(presented, stored.secret_sha256):
        raise AuthenticationFailed("invalid API key", code="invalid_api_key")
    return stored.tenant_id


def authenticate_for_tenant(tenants: TenantStore, api_key: str | None, tenant_id: str) -> None:
    """Authenticate, then require the key's tenant to be ``tenant_id``.

    Another tenant's id answers like an unknown one (404), so a key cannot be used
    to learn which tenants exist.
    """
    if authenticate(tenants, api_key) != tenant_id:
        raise NotFound("tenant not found", code="tenant_not_found")
