"""A project's job list: the query a client may send, and the cursor between pages."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from lib.domain.errors import InvalidRequest
from lib.domain.jobs import JobStatus
from lib.domain.listing import (
    DEFAULT_LIMIT,
    LISTED,
    MAX_LIMIT,
    JobFilter,
    ListQuery,
    Position,
    decode_cursor,
    encode_cursor,
    parse_list_query,
)

T, P = "tenant-001", "project-001"
AT = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)
JOB = "65a1b2c3d4e5f60718293a4b"


def parse(**params: str) -> ListQuery:
    return parse_list_query(params, T, P)


def code_of(**params: str) -> str:
    with pytest.raises(InvalidRequest) as caught:
        parse(**params)
    return caught.value.code


def test_no_parameters_list_every_live_status_newest_first_twenty_at_a_time() -> None:
    query = parse()

    assert query == ListQuery(JobFilter(), DEFAULT_LIMIT, None)
    assert DEFAULT_LIMIT == 20 and JobStatus.DELETED not in query.where.statuses
    assert query.where.statuses == LISTED


def test_filters_are_read_and_times_are_normalised_to_utc() -> None:
    query = parse(
        status="completed,cancelled",
        created_after="2026-11-01T00:00:00Z",
        created_before="2026-11-02T01:00:00+01:00",
        limit="100",
    )

    assert query.where.statuses == {JobStatus.COMPLETED, JobStatus.CANCELLED}
    assert query.where.created_after == datetime(2026, 11, 1, tzinfo=UTC)
    assert query.where.created_before == datetime(2026, 11, 2, tzinfo=UTC)
    assert query.limit == MAX_LIMIT


@pytest.mark.parametrize(
    "params",
    [
        {"limit": "0"},
        {"limit": "101"},
        {"limit": "-1"},
        {"limit": "ten"},
        {"limit": "²"},
        {"status": "deleted"},
        {"status": "done"},
        {"status": "completed,"},
        {"created_after": "yesterday"},
        {"created_after": "2026-11-01T00:00:00"},  # no offset: ambiguous
        {"created_after": "2026-11-02T00:00:00Z", "created_before": "2026-11-01T00:00:00Z"},
        {"created_after": "2026-11-01T00:00:00Z", "created_before": "2026-11-01T00:00:00Z"},
        {"page": "2"},
    ],
)
def test_malformed_queries_are_refused_as_invalid_query(params: dict[str, str]) -> None:
    assert code_of(**params) == "invalid_query"


def test_a_cursor_round_trips_the_position_to_the_microsecond() -> None:
    cursor = encode_cursor(Position(AT, JOB), T, P, JobFilter())

    assert decode_cursor(cursor, T, P, JobFilter()) == Position(AT, JOB)
    assert parse(cursor=cursor).after == Position(AT, JOB)
    assert "=" not in cursor and JOB not in cursor  # opaque, URL-safe


def test_a_cursor_is_only_good_for_the_list_it_came_from() -> None:
    cursor = encode_cursor(Position(AT, JOB), T, P, JobFilter(frozenset({JobStatus.FAILED})))

    assert parse(cursor=cursor, status="failed").after == Position(AT, JOB)
    assert code_of(cursor=cursor) == "invalid_cursor"  # other filters
    with pytest.raises(InvalidRequest):
        decode_cursor(cursor, T, "project-002", JobFilter(frozenset({JobStatus.FAILED})))
    with pytest.raises(InvalidRequest):
        decode_cursor(cursor, "tenant-002", P, JobFilter(frozenset({JobStatus.FAILED})))


def forged(payload: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not a cursor",
        "%%%",
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
        forged([1, 2]),
        forged({"v": 2, "t": 1, "i": JOB, "q": "x"}),
        forged({"v": 1, "t": "1", "i": JOB, "q": "x"}),
        forged({"v": 1, "t": 1, "i": "not-an-id", "q": "x"}),
        forged({"v": 1, "t": 10**30, "i": JOB, "q": "x"}),
    ],
)
def test_a_cursor_that_was_not_issued_is_refused_as_invalid_cursor(cursor: str) -> None:
    assert code_of(cursor=cursor) == "invalid_cursor"


def test_an_edited_position_with_the_right_fingerprint_still_decodes_only_to_a_valid_position() -> None:
    # Not signed: an edited cursor is still only a position within the caller's own list.
    real = json.loads(base64.urlsafe_b64decode(encode_cursor(Position(AT, JOB), T, P, JobFilter()) + "=="))
    edited = forged({**real, "t": 0})

    assert decode_cursor(edited, T, P, JobFilter()) == Position(datetime(1970, 1, 1, tzinfo=UTC), JOB)
