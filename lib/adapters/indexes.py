"""Index plans: which indexes a collection needs, created only where none covers them yet.

:data:`JOB_INDEXES` is the plan of ``parsing_jobs`` and ``parsed_reports``; every
sweeper query and tenant listing of the job store is backed by one of them.
"""

from __future__ import annotations

import functools
from typing import Any

from pymongo import ASCENDING
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

#: The indexes of jobs and their reports; every sweeper query and tenant listing is backed by one.
JOB_INDEXES: IndexPlan = {
    JOBS: [
        ("tenant_created", [("tenant_id", ASCENDING), ("created_at", ASCENDING)], {}),
        ("status_next_attempt", [("status", ASCENDING), ("next_attempt_at", ASCENDING)], {}),
        ("status_lease_expiry", [("status", ASCENDING), ("lease.expires_at", ASCENDING)], {}),
        ("status_created", [("status", ASCENDING), ("created_at", ASCENDING)], {}),
        ("status_message_sent", [("status", ASCENDING), ("message_sent", ASCENDING)], {}),
        ("webhook_state_next", [("webhook.state", ASCENDING), ("webhook.next_attempt_at", ASCENDING)], {}),
    ],
    REPORTS: [("job", [("job_id", ASCENDING)], {})],
}
