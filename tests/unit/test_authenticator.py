"""The Authenticator's cache: what it saves, and what it must never save."""

from __future__ import annotations

from typing import cast

import pytest

from lib.adapters.tenant_store import Project, StoredKey, TenantStore
from lib.domain.api_keys import IssuedKey, issue_key
from lib.domain.errors import AuthenticationFailed, NotFound
from lib.services.auth import Authenticator


class CountingTenants:
    """Answers from dicts and counts the look-ups (a stand-in for the store, unit tests only)."""

    def __init__(self) -> None:
        self.keys: dict[str, StoredKey] = {}
        self.projects: set[tuple[str, str]] = set()
        self.key_reads = 0
        self.project_reads = 0

    def add(self, tenant_id: str) -> IssuedKey:
        key = issue_key()
        self.keys[key.key_id] = StoredKey(tenant_id, key.key_id, key.secret_sha256)
        return key

    def find_key(self, key_id: str) -> StoredKey | None:
        self.key_reads += 1
        return self.keys.get(key_id)

    def get_project(self, tenant_id: str, project_id: str) -> Project | None:
        self.project_reads += 1
        return Project(tenant_id, project_id, "p") if (tenant_id, project_id) in self.projects else None


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def store() -> CountingTenants:
    return CountingTenants()


@pytest.fixture
def clock() -> Clock:
    return Clock()


def authenticator(store: CountingTenants, clock: Clock, ttl: float = 30) -> Authenticator:
    return Authenticator(cast(TenantStore, store), ttl, clock)


def test_a_key_is_read_once_while_remembered_then_read_again(store: CountingTenants, clock: Clock) -> None:
    key = store.add("tenant-1")
    auth = authenticator(store, clock)

    tenants = [auth.tenant_of(key.plaintext) for _ in range(5)]
    clock.now += 29
    auth.tenant_of(key.plaintext)
    reads_within_ttl = store.key_reads
    clock.now += 2
    auth.tenant_of(key.plaintext)

    assert tenants == ["tenant-1"] * 5
    assert (reads_within_ttl, store.key_reads) == (1, 2)


def test_a_key_revoked_elsewhere_stops_working_once_the_ttl_has_passed(
    store: CountingTenants, clock: Clock
) -> None:
    key = store.add("tenant-1")
    auth = authenticator(store, clock)
    auth.tenant_of(key.plaintext)
    del store.keys[key.key_id]

    still = auth.tenant_of(key.plaintext)
    clock.now += 31

    assert still == "tenant-1"
    with pytest.raises(AuthenticationFailed):
        auth.tenant_of(key.plaintext)


def test_forgetting_a_key_makes_its_revocation_immediate(store: CountingTenants, clock: Clock) -> None:
    key = store.add("tenant-1")
    auth = authenticator(store, clock)
    auth.tenant_of(key.plaintext)
    del store.keys[key.key_id]

    auth.forget_key(key.key_id)

    with pytest.raises(AuthenticationFailed):
        auth.tenant_of(key.plaintext)


def test_the_secret_is_checked_on_every_request_even_for_a_remembered_key(
    store: CountingTenants, clock: Clock
) -> None:
    key = store.add("tenant-1")
    auth = authenticator(store, clock)
    auth.tenant_of(key.plaintext)
    forged = key.plaintext[:-4] + ("AAAA" if not key.plaintext.endswith("AAAA") else "BBBB")

    with pytest.raises(AuthenticationFailed) as raised:
        auth.tenant_of(forged)

    assert raised.value.code == "invalid_api_key"
    assert store.key_reads == 1


def test_unknown_keys_are_not_remembered_so_a_new_key_works_at_once(
    store: CountingTenants, clock: Clock
) -> None:
    auth = authenticator(store, clock)
    key = issue_key()
    with pytest.raises(AuthenticationFailed):
        auth.tenant_of(key.plaintext)

    store.keys[key.key_id] = StoredKey("tenant-2", key.key_id, key.secret_sha256)

    assert auth.tenant_of(key.plaintext) == "tenant-2"


def test_another_tenants_key_is_not_found_not_forbidden(store: CountingTenants, clock: Clock) -> None:
    key = store.add("tenant-1")
    auth = authenticator(store, clock)

    with pytest.raises(NotFound) as raised:
        auth.require_tenant(key.plaintext, "tenant-2")

    assert raised.value.code == "tenant_not_found"


@pytest.mark.parametrize(
    ("header", "code"), [(None, "missing_api_key"), ("", "missing_api_key"), ("x", "invalid_api_key")]
)
def test_missing_and_malformed_keys_never_reach_the_store(
    store: CountingTenants, clock: Clock, header: str | None, code: str
) -> None:
    with pytest.raises(AuthenticationFailed) as raised:
        authenticator(store, clock).tenant_of(header)

    assert raised.value.code == code
    assert store.key_reads == 0


def test_an_existing_project_is_remembered_a_missing_one_is_not(store: CountingTenants, clock: Clock) -> None:
    auth = authenticator(store, clock)
    with pytest.raises(NotFound) as raised:
        auth.require_project("tenant-1", "p-1")
    store.projects.add(("tenant-1", "p-1"))

    for _ in range(3):
        auth.require_project("tenant-1", "p-1")

    assert raised.value.code == "project_not_found"
    assert store.project_reads == 2


def test_a_ttl_of_zero_reads_the_store_every_time(store: CountingTenants, clock: Clock) -> None:
    key = store.add("tenant-1")
    store.projects.add(("tenant-1", "p-1"))
    auth = authenticator(store, clock, ttl=0)

    for _ in range(3):
        auth.tenant_of(key.plaintext)
        auth.require_project("tenant-1", "p-1")

    assert (store.key_reads, store.project_reads) == (3, 3)
