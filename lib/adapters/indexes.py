"""Index plans: which indexes a collection needs, created only where none covers them yet.

:data:`JOB_INDEXES` is the plan of ``parsing_jobs`` and ``parsed_reports``; every
sweeper query and tenant listing of the job store is backed by one of them.
"""

from __future__ import annotations

import functools
from typing import Any

from pymongo import ASCENDING, DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database

from lib.adapters.mongo_client import mongo_call

Document = dict[str, Any]

#: collection -> [(name, [(field, direction)], create_index options)]
IndexPlan = dict[str, list[tuple[str, list[tuple[str, int]], dict[str, Any]]]]


def ensure_indexes(db: Database[Document], indexes: IndexPlan) -> None:
    """Create the indexes whose fields no existing index covers yet.

    Indexes are matched by their field list, not by name or direction: on Cosmos DB
    (RU) the infrastructure declares them without names, and Cosmos refuses to add
    a unique index to a collection that already holds documents.
    """
    for collection_name, wanted in indexes.items():
        collection = db[collection_name]
        existing = mongo_call(functools.partial(_index_fields, collection))
        for name, keys, options in wanted:
            if tuple(field for field, _ in keys) not in existing:
                mongo_call(functools.partial(collection.create_index, keys, name=name, **options))


def _index_fields(collection: Collection[Document]) -> set[tuple[str, ...]]:
    return {tuple(index["key"].keys()) for index in collection.list_indexes()}


JOBS = "parsing_jobs"
REPORTS = "parsed_reports"

#: The indexes of jobs and their reports; every sweeper query, project list and tenant listing is
#: backed by one. ``infra/modules/cosmos-ru.bicep`` declares the same key lists.
JOB_INDEXES: IndexPlan = {
    JOBS: [
        ("tenant_created", [("tenant_id", ASCENDING), ("created_at", ASCENDING)], {}),
        ("status_next_attempt", [("status", ASCENDING), ("next_attempt_at", ASCENDING)], {}),
        ("status_lease_expiry", [("status", ASCENDING), ("lease.expires_at", ASCENDING)], {}),
        ("status_created", [("status", ASCENDING), ("created_at", ASCENDING)], {}),
        ("status_message_sent", [("status", ASCENDING), ("message_sent", ASCENDING)], {}),
        ("webhook_state_next", [("webhook.state", ASCENDING), ("webhook.next_attempt_at", ASCENDING)], {}),
        # The project's job list: newest first, keyset on (created_at, _id).
        (
            "project_created",
            [
                ("tenant_id", ASCENDING),
                ("project_id", ASCENDING),
                ("created_at", DESCENDING),
                ("_id", DESCENDING),
            ],
            {},
        ),
        # Retention: a project's live jobs by age (tombstones fall outside the status ranges).
        (
            "project_status_created",
            [
                ("tenant_id", ASCENDING),
                ("project_id", ASCENDING),
                ("status", ASCENDING),
                ("created_at", ASCENDING),
            ],
            {},
        ),
    ],
    REPORTS: [("job", [("job_id", ASCENDING)], {})],
}

IDEMPOTENCY_KEYS = "idempotency_keys"

#: Records of upload Idempotency-Keys. Uniqueness of (tenant, key) is the ``_id``'s, so no
#: unique index is needed (Cosmos DB RU builds those only on empty collections). The TTL index
#: removes a record once its ``expires_at`` has passed (MongoDB, Cosmos DB vCore, SecantusDB);
#: Cosmos DB RU accepts TTL on ``_ts`` only, see ``IdempotencyStore.ensure_indexes``.
IDEMPOTENCY_INDEXES: IndexPlan = {
    IDEMPOTENCY_KEYS: [
        # First: the TTL index below is refused on Cosmos DB RU, which stops the plan there.
        ("tenant_job", [("tenant_id", ASCENDING), ("job_id", ASCENDING)], {}),
        ("expiry", [("expires_at", ASCENDING)], {"expireAfterSeconds": 0}),
    ],
}

QUOTA_WINDOWS = "quota_windows"
TENANT_LIMITS = "tenant_limits"

#: Quotas (lib/adapters/quota_store.py): the jobs-in-flight and parses-at-once counts run on
#: ``(tenant_id, status)``; upload counters expire through ``expires_at`` (Cosmos DB RU: on
#: ``_ts``, declared in the infrastructure). ``tenant_limits`` is read by ``_id`` only.
QUOTA_INDEXES: IndexPlan = {
    JOBS: [("tenant_status", [("tenant_id", ASCENDING), ("status", ASCENDING)], {})],
    QUOTA_WINDOWS: [("expiry", [("expires_at", ASCENDING)], {"expireAfterSeconds": 0})],
}
