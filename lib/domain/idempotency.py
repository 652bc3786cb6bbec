"""Idempotency keys on uploads: the rules, no I/O (the IETF draft "The Idempotency-Key HTTP Header Field").

A client that sends ``Idempotency-Key`` with an upload may send the same upload
again with the same key: within :data:`REPLAY_WINDOW` of the first it gets the
first answer again, not a second job. The key is scoped to the tenant and kept
with a *fingerprint* of the request (project, each file's sha256 in order, the
webhook URL), so the same key on different content is refused.

A record goes through two states. It is *claimed* (``in_progress``) by one
conditional insert before anything is written, with the job id the upload will
use and a lock that runs out after ``lock_for``; it is *completed* with the
answer once the job is stored. A worker that dies in between leaves an
``in_progress`` record whose lock runs out: a repeat then looks for the job under
the reserved id and answers it if the dead worker stored it, or else fences that id
(an insert of it arriving late fails) and *takes the key over* with a job id of its
own (the dead worker's blobs, under the old id, are orphans the sweeper removes).
Every write after the claim is a compare-and-set on the claimant's ``token`` and
the ``locked_until`` it last wrote, and a claimant renews its lock right before it
inserts the job, so a claimant that stalled past its lock stops there. What a
repeat gets is :func:`judge`'s verdict.

Only accepted uploads are stored as answers. A request refused after its claim
(a dependency down, throttling) releases the key, since nothing was written; a
refusal before the claim (a bad file, a bad key) never touches it. Either way a
retry with the same key is a fresh attempt, and no error is pinned to a key.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from lib.domain.clock import CLOCK_SLACK
from lib.domain.errors import InvalidRequest

#: The request header, and the header that marks an answer given again.
KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"

#: How long a key holds its first answer (a record older than this counts as absent).
REPLAY_WINDOW = timedelta(hours=24)

#: Keys are 1-255 printable ASCII characters (Stripe's limit; the draft suggests UUIDs).
MAX_KEY_LENGTH = 255
_KEY = re.compile(r"[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?")


class KeyState(str, Enum):
    """Where the request that claimed a key is."""

    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"


class Verdict(str, Enum):
    """What a request carrying a key that is already stored gets (see :func:`judge`)."""

    REPLAY = "replay"  # the first request finished: its answer again
    REUSED = "reused"  # the same key on different content: 422
    IN_PROGRESS = "in_progress"  # the first request is still being written: 409 + Retry-After
    TAKE_OVER = "take_over"  # the first request's lock ran out (its worker died): continue its work
    EXPIRED = "expired"  # older than the window: as if the key were new


@dataclass(frozen=True)
class IdempotencyRecord:
    """One key of one tenant, and what became of the request that first used it.

    ``key_digest`` is the sha256 of the key (the key itself is not kept: clients
    choose it). ``token`` names the current claimant; each conditional write is
    made against it. ``job_id`` is reserved at the claim. ``response`` is the
    accepted upload's answer (plain JSON values), set when ``state`` is completed.
    """

    tenant_id: str
    key_digest: str
    fingerprint: str
    job_id: str
    token: str
    state: KeyState
    created_at: datetime
    locked_until: datetime
    response: Mapping[str, Any] | None = field(default=None)

    @property
    def expires_at(self) -> datetime:
        """When the key stops holding its answer (the TTL index removes the record after)."""
        return self.created_at + REPLAY_WINDOW


def parse_key(raw: str | None) -> str | None:
    """The key of an ``Idempotency-Key`` header value; ``None`` when the header is absent.

    The draft makes the value a Structured Fields string (``"..."``); a bare value,
    as Stripe's clients send it, is accepted too. Raises :class:`InvalidRequest`
    (``idempotency_key_invalid``) for an empty value, one longer than
    :data:`MAX_KEY_LENGTH`, or one with characters other than printable ASCII.
    """
    if raw is None:
        return None
    value = raw.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        value = value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    if not value:
        raise InvalidRequest("the Idempotency-Key header is empty", code="idempotency_key_invalid")
    if len(value) > MAX_KEY_LENGTH:
        raise InvalidRequest(
            f"the Idempotency-Key is {len(value)} characters long; at most {MAX_KEY_LENGTH} are allowed",
            code="idempotency_key_invalid",
        )
    if not _KEY.fullmatch(value):
        raise InvalidRequest(
            "the Idempotency-Key may hold printable ASCII characters only", code="idempotency_key_invalid"
        )
    return value


def key_digest(key: str) -> str:
    """The stored form of a key: its sha256, hex."""
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def fingerprint(project_id: str, file_sha256: Sequence[str], webhook_url: str | None) -> str:
    """What makes two uploads "the same request": the project, each file's sha256 in order, the webhook URL."""
    canonical = json.dumps(
        {"v": 1, "project_id": project_id, "files": list(file_sha256), "webhook_url": webhook_url},
        separators=(",", ":"),
        sort_keys=True,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def new_claim(
    *,
    tenant_id: str,
    key: str,
    fingerprint: str,
    job_id: str,
    token: str,
    now: datetime,
    lock_for: timedelta,
) -> IdempotencyRecord:
    """The record a first request inserts: in progress, locked for ``lock_for``."""
    return IdempotencyRecord(
        tenant_id=tenant_id,
        key_digest=key_digest(key),
        fingerprint=fingerprint,
        job_id=job_id,
        token=token,
        state=KeyState.IN_PROGRESS,
        created_at=now,
        locked_until=now + lock_for,
    )


def judge(record: IdempotencyRecord, request_fingerprint: str, now: datetime) -> Verdict:
    """What a request with this key and ``request_fingerprint`` gets, given the stored ``record``.

    Expiry is decided here, at read time, so correctness never waits for the TTL
    sweep. Different content is refused whatever state the first request is in. A
    lock counts as run out only :data:`CLOCK_SLACK` after its time, since the
    claimant's clock may be behind ours.
    """
    if now >= record.expires_at:
        return Verdict.EXPIRED
    if record.fingerprint != request_fingerprint:
        return Verdict.REUSED
    if record.state is KeyState.COMPLETED:
        return Verdict.REPLAY
    if now < record.locked_until + CLOCK_SLACK:
        return Verdict.IN_PROGRESS
    return Verdict.TAKE_OVER


def retry_after_seconds(record: IdempotencyRecord, now: datetime) -> int:
    """Whole seconds (at least 1) until a repeat of an in-progress request may be answered or take over."""
    left = (record.locked_until + CLOCK_SLACK - now).total_seconds()
    return max(1, math.ceil(left))


def taken_over(
    record: IdempotencyRecord, *, token: str, job_id: str, now: datetime, lock_for: timedelta
) -> IdempotencyRecord:
    """The record as a new claimant holds it: same key, content and window; its own token, job id and lock."""
    return replace(record, token=token, job_id=job_id, locked_until=now + lock_for)


def relocked(record: IdempotencyRecord, *, now: datetime, lock_for: timedelta) -> IdempotencyRecord:
    """The record with its lock renewed by its claimant (before the job is written)."""
    return replace(record, locked_until=now + lock_for)


def completed(record: IdempotencyRecord, response: Mapping[str, Any]) -> IdempotencyRecord:
    """The record holding the accepted upload's answer."""
    return replace(record, state=KeyState.COMPLETED, response=dict(response))
