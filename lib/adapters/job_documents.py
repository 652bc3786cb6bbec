"""How a :class:`~lib.domain.jobs.Job` is stored in ``parsing_jobs``: pydantic maps it both ways.

Datetimes stay datetimes (BSON dates), enums are stored as their values, the
job's ``id`` is the document's ``_id``. Fields a document has and the job does not
(written by another version of the app) are ignored; fields it lacks take the
job's defaults. The ``webhook`` sub-document is the delivery store's mapping.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import Enum
from typing import Any

from pydantic import TypeAdapter

from lib.adapters.delivery_store import delivery_from_doc, delivery_to_doc
from lib.domain.jobs import Job

Document = dict[str, Any]

_JOB = TypeAdapter(Job)
_OWN = {"id", "webhook"}


def job_to_doc(job: Job) -> Document:
    """The whole document of a job (for its insert)."""
    return {"_id": job.id, **fields_to_doc(job, (name for name in _field_names() if name != "id"))}


def fields_to_doc(job: Job, fields: Iterable[str]) -> Document:
    """The stored form of some of the job's fields, keyed by field name (a ``$set``)."""
    names = set(fields)
    plain = _JOB.dump_python(job, include=names - _OWN)
    doc: Document = {name: _stored(value) for name, value in plain.items()}
    if "webhook" in names:
        doc["webhook"] = delivery_to_doc(job.webhook) if job.webhook else None
    return doc


def job_from_doc(doc: Document) -> Job:
    """The job a stored document describes; ``ValueError`` when it is not a readable job."""
    fields = {key: value for key, value in doc.items() if key not in {"_id", "webhook"}}
    fields["id"] = doc["_id"]
    if doc.get("webhook"):
        fields["webhook"] = delivery_from_doc(doc["webhook"])
    return _JOB.validate_python(fields)


def _field_names() -> list[str]:
    return list(Job.__dataclass_fields__)


def _stored(value: Any) -> Any:
    """BSON's form of a dumped value: enums by value, tuples as lists."""
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, dict):
        return {key: _stored(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_stored(item) for item in value]
    return value
