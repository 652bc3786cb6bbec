"""Who is calling: an ``X-API-Key`` resolved to its tenant, and the project a request names.

Every upload and status request needs these answers, and every parse attempt and
webhook delivery needs its project (output policy, model, signing secrets). They
change rarely, so :class:`Authenticator` keeps what the database said for
``ttl_seconds``: a project changed by the admin commands (a secret rotation, an
output policy, a model) applies on other instances within that time. The
secret is still checked against the stored hash on every request; only the
look-up is saved. What a cache costs: a key revoked by another process keeps
working there for up to ``ttl_seconds`` (one revoked through this process's
:meth:`Authenticator.forget_key` stops at once). Unknown keys are never cached,
so a new key works at once and made-up key ids cannot crowd out real ones.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable

from cachetools import TTLCache

from lib.domain.api_keys import parse_key, secret_matches
from lib.domain.errors import AuthenticationFailed, NotFound
from lib.domain.tenants import Project, StoredKey
from lib.ports.tenants import Tenants
from lib.services.quotas import note_caller

# Keys and projects of every tenant one instance serves; least recently used go first.
CACHE_ENTRIES = 4096


class Authenticator:
    """The :class:`lib.ports.tenants.Authentication` port: API keys and project existence,
    read from the :class:`lib.ports.tenants.Tenants` port through a short-lived in-process cache."""

    def __init__(
        self,
        tenants: Tenants,
        ttl_seconds: float,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        self._tenants = tenants
        self._cache: TTLCache[Hashable, StoredKey | Project] | None = (
            TTLCache(CACHE_ENTRIES, ttl_seconds, timer) if ttl_seconds > 0 else None
        )
        self._lock = threading.Lock()

    def tenant_of(self, api_key: str | None) -> str:
        """The tenant id the key belongs to; :class:`AuthenticationFailed` when it is missing or wrong."""
        if not api_key:
            raise AuthenticationFailed("missing X-API-Key header", code="missing_api_key")
        presented = parse_key(api_key)
        stored = self._key(presented.key_id) if presented else None
        if presented is None or stored is None or not secret_matches(presented, stored.secret_sha256):
            raise AuthenticationFailed("invalid API key", code="invalid_api_key")
        note_caller(stored.tenant_id)  # the answer will carry this tenant's RateLimit headers
        return stored.tenant_id

    def require_tenant(self, api_key: str | None, tenant_id: str) -> None:
        """Authenticate, then require the key's tenant to be ``tenant_id``.

        Another tenant's id answers like an unknown one (404), so a key cannot be used
        to learn which tenants exist.
        """
        if self.tenant_of(api_key) != tenant_id:
            raise NotFound("tenant not found", code="tenant_not_found")

    def require_project(self, tenant_id: str, project_id: str) -> None:
        """:class:`NotFound` unless the tenant has this project."""
        if self.project(tenant_id, project_id) is None:
            raise NotFound("project not found", code="project_not_found")

    def project(self, tenant_id: str, project_id: str) -> Project | None:
        """The tenant's project as read at most ``ttl_seconds`` ago, or ``None`` (never cached)."""
        entry = ("project", tenant_id, project_id)
        cached = self._cached(entry)
        if isinstance(cached, Project):
            return cached
        found = self._tenants.get_project(tenant_id, project_id)
        if found is not None:
            self._remember(entry, found)
        return found

    def forget_key(self, key_id: str) -> None:
        """Drop a key from this process's cache (it was just revoked here)."""
        if self._cache is not None:
            with self._lock:
                self._cache.pop(("key", key_id), None)

    def forget_project(self, tenant_id: str, project_id: str) -> None:
        """Drop a project from this process's cache (it was just changed here)."""
        if self._cache is not None:
            with self._lock:
                self._cache.pop(("project", tenant_id, project_id), None)

    def forget_tenant(self, tenant_id: str, key_ids: list[str]) -> None:
        """Drop a tenant's keys and projects from this process's cache (it is being deleted here)."""
        if self._cache is None:
            return
        with self._lock:
            for key_id in key_ids:
                self._cache.pop(("key", key_id), None)
            for entry in [entry for entry in self._cache if _is_project_of(entry, tenant_id)]:
                self._cache.pop(entry, None)

    def _key(self, key_id: str) -> StoredKey | None:
        stored = self._cached(("key", key_id))
        if isinstance(stored, StoredKey):
            return stored
        found = self._tenants.find_key(key_id)
        if found is not None:
            self._remember(("key", key_id), found)
        return found

    def _cached(self, entry: Hashable) -> StoredKey | Project | None:
        if self._cache is None:
            return None
        with self._lock:
            return self._cache.get(entry)

    def _remember(self, entry: Hashable, value: StoredKey | Project) -> None:
        if self._cache is not None:
            with self._lock:
                self._cache[entry] = value


def _is_project_of(entry: Hashable, tenant_id: str) -> bool:
    return isinstance(entry, tuple) and entry[:2] == ("project", tenant_id)
