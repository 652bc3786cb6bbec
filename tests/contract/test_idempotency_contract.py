"""The idempotency-key port: the fake and the MongoDB store claim, compare-and-set and release alike."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from pymongo.database import Database

from lib.adapters.idempotency_store import IdempotencyStore
from lib.adapters.indexes import IDEMPOTENCY_KEYS
from lib.domain import idempotency as keys
from lib.domain.idempotency import IdempotencyRecord, KeyState
from lib.ports.idempotency import IdempotencyKeys
from tests.contract.conftest import IMPLEMENTATIONS, _is_real
from tests.support.fakes.idempotency import FakeIdempotencyKeys
from tests.support.jobs import T0

LOCK = timedelta(seconds=60)
ANSWER = {
    "job_id": "6b0f71252601f669240ebb79",
    "report_id": "9f" * 12,
    "files_uploaded": 2,
    "total_size_mb": 0.125,
    "webhook_url": None,
}


@pytest.fixture(params=IMPLEMENTATIONS)
def store(request: pytest.FixtureRequest) -> IdempotencyKeys:
    if _is_real(request):
        real = IdempotencyStore(request.getfixturevalue("database"))
        real.ensure_indexes()
        return real
    return FakeIdempotencyKeys()


def claim(key: str = "key-1", tenant_id: str = "tenant-001", token: str = "token-1") -> IdempotencyRecord:
    return keys.new_claim(
        tenant_id=tenant_id,
        key=key,
        fingerprint=keys.fingerprint("project-001", ["a" * 64], None),
        job_id="6b0f71252601f669240ebb79",
        token=token,
        now=T0,
        lock_for=LOCK,
    )


def stored(store: IdempotencyKeys, record: IdempotencyRecord) -> IdempotencyRecord | None:
    return store.get(record.tenant_id, record.key_digest)


def test_a_key_is_claimed_once_and_reads_back_unchanged(store: IdempotencyKeys) -> None:
    first = claim()

    assert store.insert(first) is True
    assert store.insert(claim(token="token-2")) is False
    assert stored(store, first) == first


def test_keys_are_per_tenant(store: IdempotencyKeys) -> None:
    first, other_tenant = claim(), claim(tenant_id="tenant-002")

    assert store.insert(first) and store.insert(other_tenant)
    assert stored(store, other_tenant) == other_tenant
    assert store.get("tenant-003", first.key_digest) is None
    assert store.get("tenant-001", keys.key_digest("key-2")) is None


def test_forgetting_a_job_removes_only_the_records_that_answer_with_it(store: IdempotencyKeys) -> None:
    purged, other_key = claim(), claim(key="key-2")
    other_tenant = claim(tenant_id="tenant-002")
    other_job = replace(claim(key="key-3"), job_id="6b0f71252601f669240ebb80")
    for record in (purged, other_key, other_tenant, other_job):
        assert store.insert(record)

    store.forget_job("tenant-001", purged.job_id)

    assert stored(store, purged) is None and stored(store, other_key) is None
    assert stored(store, other_tenant) == other_tenant
    assert stored(store, other_job) == other_job


def test_forgetting_a_tenant_removes_all_its_records(store: IdempotencyKeys) -> None:
    mine, theirs = claim(), claim(tenant_id="tenant-002")
    assert store.insert(mine) and store.insert(theirs)

    store.forget_tenant("tenant-001")

    assert stored(store, mine) is None
    assert stored(store, theirs) == theirs


def test_a_completed_record_keeps_its_answer(store: IdempotencyKeys) -> None:
    first = claim()
    store.insert(first)

    done = keys.completed(first, ANSWER)

    assert store.replace(first, done) is True
    after = stored(store, first)
    assert after == done and after is not None and after.state is KeyState.COMPLETED
    assert dict(after.response or {}) == ANSWER


def test_writes_compare_and_set_on_the_token_and_the_lock(store: IdempotencyKeys) -> None:
    first = claim()
    store.insert(first)
    renewed = keys.relocked(first, now=T0 + timedelta(seconds=30), lock_for=LOCK)
    assert store.replace(first, renewed) is True

    stale_lock = keys.taken_over(first, token="token-2", job_id="1" * 24, now=T0 + LOCK * 2, lock_for=LOCK)
    assert store.replace(first, stale_lock) is False  # a take-over that read the record before the renewal
    stale_token = replace(renewed, token="token-9")
    assert store.replace(stale_token, keys.completed(stale_token, ANSWER)) is False
    assert stored(store, first) == renewed


def test_a_record_held_to_the_microsecond_matches_its_stored_millisecond_copy(store: IdempotencyKeys) -> None:
    held = replace(claim(), locked_until=T0 + LOCK + timedelta(microseconds=123_456))
    store.insert(held)

    assert store.replace(held, keys.completed(held, ANSWER)) is True


def test_only_one_of_many_simultaneous_claims_wins(store: IdempotencyKeys) -> None:
    claims = [claim(token=f"token-{number}") for number in range(8)]

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(store.insert, claims))

    assert won.count(True) == 1
    assert stored(store, claims[0]) == claims[won.index(True)]


def test_only_one_of_many_simultaneous_take_overs_wins(store: IdempotencyKeys) -> None:
    first = claim()
    store.insert(first)
    later = T0 + LOCK * 2
    takers = [
        keys.taken_over(first, token=f"taker-{n}", job_id=f"{n:024d}", now=later, lock_for=LOCK)
        for n in range(8)
    ]

    with ThreadPoolExecutor(8) as pool:
        won = list(pool.map(lambda taker: store.replace(first, taker), takers))

    assert won.count(True) == 1
    assert stored(store, first) == takers[won.index(True)]


def test_only_the_claimant_releases_a_key_in_progress(store: IdempotencyKeys) -> None:
    first, other = claim(), claim(key="key-2")
    store.insert(first)
    store.insert(other)
    done = keys.completed(other, ANSWER)
    store.replace(other, done)

    assert store.release(replace(first, token="token-9")) is False
    assert store.release(done) is False  # an answer, once stored, is kept
    assert store.release(first) is True
    assert stored(store, first) is None and stored(store, other) == done
    assert store.insert(claim(token="token-3")) is True


@pytest.mark.integration
def test_the_store_keeps_a_digest_of_the_key_and_a_ttl_index_on_expiry(
    database: Database[dict[str, Any]],
) -> None:
    store = IdempotencyStore(database)
    store.ensure_indexes()
    store.ensure_indexes()  # idempotent at start-up
    store.insert(claim(key="client-chosen-key"))

    [doc] = database[IDEMPOTENCY_KEYS].find()
    assert "client-chosen-key" not in str(doc)
    assert doc["expires_at"] == T0 + keys.REPLAY_WINDOW
    ttl = [index for index in database[IDEMPOTENCY_KEYS].list_indexes() if "expireAfterSeconds" in index]
    assert [(list(index["key"]), index["expireAfterSeconds"]) for index in ttl] == [(["expires_at"], 0)]
