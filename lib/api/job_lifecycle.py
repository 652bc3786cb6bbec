"""The answer bodies of the job-lifecycle routes: a project's job list, cancel, delete.

Built like :mod:`lib.api.models` (frozen, no unknown fields, timestamps as ISO 8601
with ``Z``), so the OpenAPI document can be derived from these classes too.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from lib.api.models import ApiBody, JobStatusBody, Timestamp
from lib.domain.listing import DEFAULT_LIMIT, MAX_LIMIT

_Body = ApiBody  # success and status always written, though defaulted


class JobListBody(_Body):
    """One page of a project's jobs, newest first; each is its status document without ``parsed_data``."""

    jobs: list[JobStatusBody] = Field(
        description=f"At most `limit` jobs ({DEFAULT_LIMIT} by default, {MAX_LIMIT} at most)"
    )
    next_cursor: str | None = Field(
        description="Pass as `cursor` (with the same filters) for the next page; `null` on the last page"
    )


class JobCancelled(_Body):
    """The 202 answer to a cancel: the job is cancelled; a parse still running is discarded."""

    success: Literal[True] = True
    job_id: str
    status: Literal["cancelled"] = "cancelled"
    message: str
    cancelled_at: Timestamp


class JobDeleted(_Body):
    """The 202 answer to a delete: the job's files, report and details are removed; a tombstone stays."""

    success: Literal[True] = True
    job_id: str
    status: Literal["deleted"] = "deleted"
    message: str
    deleted_at: Timestamp
