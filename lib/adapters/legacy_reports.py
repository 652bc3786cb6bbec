"""The old service's documents in ``parsed_reports``: read in ``_id`` order, and linked once imported.

The new service keeps its own reports in the same collection, each with a
``job_id``; the old service's documents have none, and that is how they are told
apart. They are read, never changed or removed: the import is non-destructive.
The new report of an imported document records the old ``_id`` as
``imported_from``, so a purge of the imported job can find and remove its source.
"""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Iterator
from typing import Any, Final

import bson
from bson import ObjectId
from pymongo import ASCENDING
from pymongo.database import Database

from lib.adapters.indexes import REPORTS
from lib.adapters.mongo_client import mongo_call
from lib.adapters.report_store import IMPORTED_FROM
from lib.legacy.model import LegacyDocument

Document = dict[str, Any]

#: Documents the new service did not write (every one of its reports has a job).
_LEGACY: Final = {"job_id": {"$exists": False}}


class LegacyReportSource:
    """The old documents of ``parsed_reports``, oldest ``_id`` first."""

    def __init__(self, db: Database[Document]) -> None:
        self._reports = db[
            REPORTS
        ]  # the guide's parsed_reports: the old service and the new one both write it

    def count(self) -> int:
        """How many old documents there are (imported ones included: they stay)."""
        return mongo_call(lambda: self._reports.count_documents(_LEGACY))

    def batches(self, size: int) -> Iterator[list[LegacyDocument]]:
        """The old documents in ``_id`` order, ``size`` at a time, through one server cursor.

        A run that stops (a crash, an outage, a limit) is resumed by running again:
        the service skips what is imported already.
        """
        cursor = self._reports.find(_LEGACY).sort("_id", ASCENDING).batch_size(size)
        try:
            while chunk := mongo_call(lambda: list(itertools.islice(cursor, size))):
                yield [legacy_document(doc) for doc in chunk]
        finally:
            cursor.close()

    def link(self, report_id: str, source_id: Any) -> None:
        """Record on the imported report which old document it came from."""
        mongo_call(lambda: self._reports.update_one({"_id": report_id}, {"$set": {IMPORTED_FROM: source_id}}))


def legacy_document(doc: Document) -> LegacyDocument:
    """The domain's view of one stored document: its ``_id`` in canonical form, the rest as it is."""
    source_id = doc.get("_id")
    fields = {key: value for key, value in doc.items() if key != "_id"}
    key, display = canonical_id(source_id)
    id_time = source_id.generation_time if isinstance(source_id, ObjectId) else None
    return LegacyDocument(key=key, display_id=display, fields=fields, source_id=source_id, id_time=id_time)


def canonical_id(value: Any) -> tuple[str, str]:
    """``(key, display)`` of an ``_id``: the key tells types apart (ObjectId vs its hex string)."""
    if isinstance(value, ObjectId):
        return f"oid:{value}", str(value)
    if isinstance(value, str):
        return f"str:{value}", value
    if isinstance(value, int) and not isinstance(value, bool):
        return f"int:{value}", str(value)
    digest = hashlib.sha256(bson.encode({"_id": value})).hexdigest()
    return f"bson:{digest}", f"{type(value).__name__}:{digest[:16]}"
