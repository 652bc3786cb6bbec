"""Listing a project's jobs: the query a client may ask for, and the opaque cursor between pages.

Pages are newest first and keyed on ``(created_at, job id)`` descending (keyset
pagination): a page starts strictly after the last job of the previous one, so jobs
uploaded while a client pages through are never shown twice nor shift a page.

The cursor is ``base64url(JSON)`` of that position plus a fingerprint of the query it
belongs to (tenant, project, filters). It is not signed: it holds nothing secret,
and the store's query is scoped to the key's tenant and project whatever the cursor
says, so an edited cursor can only move within the caller's own jobs. Anything that
does not decode to a position of this very query is refused (400 ``invalid_cursor``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from lib.domain.errors import InvalidRequest
from lib.domain.jobs import JobStatus

#: Jobs per page when the client does not say, and the most it may ask for.
DEFAULT_LIMIT = 20
MAX_LIMIT = 100

#: The statuses a list shows and may be filtered on (a tombstone is never listed).
LISTED = frozenset(status for status in JobStatus if status is not JobStatus.DELETED)

_VERSION = 1
_JOB_ID = re.compile(r"[0-9a-f]{24}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_PARAMETERS = frozenset({"status", "created_after", "created_before", "limit", "cursor"})


@dataclass(frozen=True)
class JobFilter:
    """Which jobs a list shows: these statuses, created in ``[created_after, created_before)``."""

    statuses: frozenset[JobStatus] = LISTED
    created_after: datetime | None = None
    created_before: datetime | None = None


@dataclass(frozen=True)
class Position:
    """Where a page ended: the last job's creation time and id."""

    created_at: datetime
    job_id: str


@dataclass(frozen=True)
class ListQuery:
    """A client's list request, checked: the filter, the page size, where the page starts."""

    where: JobFilter = field(default_factory=JobFilter)
    limit: int = DEFAULT_LIMIT
    after: Position | None = None


def parse_list_query(params: Mapping[str, str], tenant_id: str, project_id: str) -> ListQuery:
    """The list request in ``params`` (the query string); :class:`InvalidRequest` when it is malformed.

    ``status`` is one status or several, comma-separated; ``created_after`` (inclusive)
    and ``created_before`` (exclusive) are ISO 8601 times with a UTC offset or ``Z``;
    ``limit`` is 1..:data:`MAX_LIMIT`; ``cursor`` is a previous page's ``next_cursor``
    for the same filters. Unknown parameters are refused, so a typo is not silently ignored.
    """
    unknown = sorted(set(params) - _PARAMETERS)
    if unknown:
        raise _invalid(f"unknown query parameter {unknown[0]!r}; expected {', '.join(sorted(_PARAMETERS))}")
    where = JobFilter(
        statuses=_statuses(params.get("status")),
        created_after=_moment(params.get("created_after"), "created_after"),
        created_before=_moment(params.get("created_before"), "created_before"),
    )
    if where.created_after and where.created_before and where.created_after >= where.created_before:
        raise _invalid("created_after must be earlier than created_before")
    limit = _limit(params.get("limit"))
    cursor = params.get("cursor")
    after = decode_cursor(cursor, tenant_id, project_id, where) if cursor else None
    return ListQuery(where, limit, after)


def encode_cursor(position: Position, tenant_id: str, project_id: str, where: JobFilter) -> str:
    """The opaque ``next_cursor`` that continues the list after ``position``."""
    payload = {
        "v": _VERSION,
        "t": _micros(position.created_at),
        "i": position.job_id,
        "q": _fingerprint(tenant_id, project_id, where),
    }
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, tenant_id: str, project_id: str, where: JobFilter) -> Position:
    """The position a cursor of this query holds; :class:`InvalidRequest` (``invalid_cursor``) otherwise."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        raise _bad_cursor("the cursor is not one this service issued") from None
    if not isinstance(payload, dict) or payload.get("v") != _VERSION:
        raise _bad_cursor("the cursor is not one this service issued")
    micros, job_id = payload.get("t"), payload.get("i")
    if type(micros) is not int or not isinstance(job_id, str) or not _JOB_ID.fullmatch(job_id):
        raise _bad_cursor("the cursor is not one this service issued")
    if payload.get("q") != _fingerprint(tenant_id, project_id, where):
        raise _bad_cursor("the cursor belongs to another list: repeat the filters it was issued with")
    try:
        created_at = _EPOCH + timedelta(microseconds=micros)
    except OverflowError:
        raise _bad_cursor("the cursor is not one this service issued") from None
    return Position(created_at, job_id)


def _statuses(value: str | None) -> frozenset[JobStatus]:
    if value is None or value == "":
        return LISTED
    names = [name.strip() for name in value.split(",")]
    known = {status.value: status for status in LISTED}
    wrong = [name for name in names if name not in known]
    if wrong:
        raise _invalid(f"status must be one or more of {', '.join(sorted(known))} (comma-separated)")
    return frozenset(known[name] for name in names)


def _moment(value: str | None, name: str) -> datetime | None:
    if value is None or value == "":
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise _invalid(f"{name} must be an ISO 8601 time, e.g. 2026-01-31T09:30:00Z") from None
    if moment.tzinfo is None:
        raise _invalid(f"{name} needs a UTC offset or Z, e.g. 2026-01-31T09:30:00Z")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # e.g. 0001-01-01T00:00:00+01:00 is before the first representable UTC time
        raise _invalid(f"{name} is out of range") from None


def _limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIMIT
    if not value.isascii() or not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT:
        raise _invalid(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def _micros(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(microseconds=1)


def _fingerprint(tenant_id: str, project_id: str, where: JobFilter) -> str:
    parts = [
        tenant_id,
        project_id,
        ",".join(sorted(status.value for status in where.statuses)),
        str(_micros(where.created_after)) if where.created_after else "",
        str(_micros(where.created_before)) if where.created_before else "",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def _invalid(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_query")


def _bad_cursor(message: str) -> InvalidRequest:
    return InvalidRequest(message, code="invalid_cursor")
