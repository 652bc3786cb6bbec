"""Who is calling: the Authenticator's cache over the tenants port, and revocation through the admin use case."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from lib.domain.api_keys import IssuedKey, issue_key
from lib.domain.errors import AuthenticationFailed, NotFound
from lib.domain.output_policy import UngroundedPolicy
from lib.domain.tenants import Project, StoredKey
from lib.services import admin
from lib.services.auth import Authenticator
from tests.support.fakes.context import Fakes
from tests.support.fakes.tenants import FakeTenants
from tests.support.jobs import T0


class CountingTenants(FakeTenants):
    """The tenants fake, counting the look-ups the cache is there to save."""

    def __init__(self) -> None:
        super().__init__()
        self.key_reads = 0
        self.project_reads = 0
        self.create_tenant("tenant-1", "one", T0)
        self.create_tenant("tenant-2", "two", T0)

    def add(self, tenant_id: str) -> IssuedKey:
        key = issue_key()
        assert self.add_key(tenant_id, key, T0)
        return key

    def add_project(self, tenant_id: str, project_id: str) -> None:
        self.create_project(Project(tenant_id, project_id, "p"), T0)

    def find_key(self, key_id: str) -> StoredKey | None:
        self.key_reads += 1
        return super().find_key(key_id)

    def get_project(self, tenant_id: str, project_id: str) -> Project | None:
        self.project_reads += 1
        return super().get_project(tenant_id, project_id)


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
    return Authenticator(store, ttl, clock)


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
    assert store.revoke_key(key.key_id, T0)

    still = auth.tenant_of(key.plaintext)
    clock.now += 31

    assert still == "tenant-1"
    with pytest.raises(AuthenticationFailed):
        auth.tenant_of(key.plaintext)


def test_forgetting_a_key_makes_its_revocation_immediate(store: CountingTenants, clock: Clock) -> None:
    key = store.add("tenant-1")
    auth = authenticator(store, clock)
    auth.tenant_of(key.plaintext)
    assert store.revoke_key(key.key_id, T0)

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

    assert store.add_key("tenant-2", key, T0)

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
    store.add_project("tenant-1", "p-1")

    for _ in range(3):
        auth.require_project("tenant-1", "p-1")

    assert raised.value.code == "project_not_found"
    assert store.project_reads == 2


def test_a_ttl_of_zero_reads_the_store_every_time(store: CountingTenants, clock: Clock) -> None:
    key = store.add("tenant-1")
    store.add_project("tenant-1", "p-1")
    auth = authenticator(store, clock, ttl=0)

    for _ in range(3):
        auth.tenant_of(key.plaintext)
        auth.require_project("tenant-1", "p-1")

    assert (store.key_reads, store.project_reads) == (3, 3)


def cached(fakes: Fakes) -> Fakes:
    """The fakes with a 30 s auth cache (the default settings turn it off)."""
    return replace(fakes, ctx=replace(fakes.ctx, auth=Authenticator(fakes.tenants, 30)))


def test_a_key_revoked_by_the_admin_command_is_refused_at_once_in_this_process(fakes: Fakes) -> None:
    here = cached(fakes)
    key = here.register()
    assert here.ctx.auth.tenant_of(key) == "tenant-001"

    admin.revoke_api_key(here.ctx, key.split("_")[1])

    with pytest.raises(AuthenticationFailed):
        here.ctx.auth.tenant_of(key)
    [stored] = here.tenants.tenants["tenant-001"].keys
    assert stored.revoked_at == T0


def test_a_tenant_being_deleted_is_forgotten_at_once(fakes: Fakes) -> None:
    here = cached(fakes)
    key = here.register()
    here.ctx.auth.require_project("tenant-001", "project-001")
    key_ids = here.tenants.begin_deletion("tenant-001", T0)
    here.tenants.delete_tenant("tenant-001")
    assert key_ids is not None

    here.ctx.auth.forget_tenant("tenant-001", key_ids)

    with pytest.raises(AuthenticationFailed):
        here.ctx.auth.tenant_of(key)
    with pytest.raises(NotFound):
        here.ctx.auth.require_project("tenant-001", "project-001")


def test_keys_are_refused_after_revocation_without_a_cache(fakes: Fakes) -> None:
    key = fakes.register()
    assert fakes.tenants.revoke_key(key.split("_")[1], T0)
    with pytest.raises(AuthenticationFailed):
        fakes.ctx.auth.tenant_of(key)


def test_a_project_is_read_once_while_remembered_then_read_again(
    store: CountingTenants, clock: Clock
) -> None:
    store.add_project("tenant-1", "p-1")
    auth = authenticator(store, clock)

    first = auth.project("tenant-1", "p-1")
    assert auth.project("tenant-1", "p-1") == first and store.project_reads == 1
    clock.now += 31

    assert auth.project("tenant-1", "p-1") == first and store.project_reads == 2
    assert auth.project("tenant-1", "p-2") is None and auth.project("tenant-1", "p-2") is None
    assert store.project_reads == 4  # a missing project is never remembered


def test_a_project_changed_by_an_admin_command_is_read_again_at_once_in_this_process(fakes: Fakes) -> None:
    here = cached(fakes)
    here.register()
    before = here.ctx.auth.project("tenant-001", "project-001")
    assert before is not None and before.output.ungrounded is UngroundedPolicy.FLAG

    admin.set_output_policy(here.ctx, "tenant-001", "project-001", ungrounded=UngroundedPolicy.DROP)
    secret = admin.rotate_webhook_secret(here.ctx, "tenant-001", "project-001", timedelta(hours=1))

    after = here.ctx.auth.project("tenant-001", "project-001")
    assert after is not None and after.output.ungrounded is UngroundedPolicy.DROP
    assert secret in after.signing_secrets(T0)
