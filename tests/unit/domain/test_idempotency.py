"""Idempotency-Key rules: key syntax, the request fingerprint, and the verdict on a repeat."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from lib.domain import idempotency as keys
from lib.domain.clock import CLOCK_SLACK
from lib.domain.errors import InvalidRequest
from lib.domain.idempotency import KeyState, Verdict
from tests.support.jobs import T0

LOCK = timedelta(seconds=60)
SHA_A, SHA_B = "a" * 64, "b" * 64
PRINT = keys.fingerprint("project-001", [SHA_A, SHA_B], "https://example.com/hook")


def claim(**changes: object) -> keys.IdempotencyRecord:
    record = keys.new_claim(
        tenant_id="tenant-001",
        key="key-1",
        fingerprint=PRINT,
        job_id="0" * 24,
        token="token-1",
        now=T0,
        lock_for=LOCK,
    )
    return replace(record, **changes)  # type: ignore[arg-type]


# -- the header ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "key"),
    [
        (None, None),
        ("8e03978e-40d5-43e8-bc93-6894a57f9324", "8e03978e-40d5-43e8-bc93-6894a57f9324"),
        ('"8e03978e-40d5-43e8-bc93-6894a57f9324"', "8e03978e-40d5-43e8-bc93-6894a57f9324"),  # sf-string
        ("  order 42 retry  ", "order 42 retry"),
        ("k" * 255, "k" * 255),
        ("~!#$%&'()*+,-./:;<=>?@[]^_`{|}", "~!#$%&'()*+,-./:;<=>?@[]^_`{|}"),
    ],
)
def test_a_well_formed_key_is_accepted(raw: str | None, key: str | None) -> None:
    assert keys.parse_key(raw) == key


@pytest.mark.parametrize(
    "raw",
    ["", "   ", '""', "k" * 256, "clé-1", "tab\there", "new\nline", "nul\x00"],
)
def test_a_malformed_key_is_refused_with_its_code(raw: str) -> None:
    with pytest.raises(InvalidRequest) as caught:
        keys.parse_key(raw)

    assert caught.value.code == "idempotency_key_invalid"
    assert caught.value.http_status == 400


def test_the_key_is_stored_as_a_digest() -> None:
    digest = keys.key_digest("key-1")

    assert len(digest) == 64 and "key-1" not in digest
    assert digest == keys.key_digest("key-1") != keys.key_digest("key-2")


# -- the fingerprint ---------------------------------------------------------------------


def test_the_fingerprint_is_stable_for_the_same_request() -> None:
    assert keys.fingerprint("project-001", [SHA_A, SHA_B], "https://example.com/hook") == PRINT


@pytest.mark.parametrize(
    ("project", "files", "webhook"),
    [
        ("project-002", [SHA_A, SHA_B], "https://example.com/hook"),
        ("project-001", [SHA_B, SHA_A], "https://example.com/hook"),  # same files, other order
        ("project-001", [SHA_A], "https://example.com/hook"),
        ("project-001", [SHA_A, SHA_B, SHA_B], "https://example.com/hook"),
        ("project-001", [SHA_A, SHA_B], "https://example.com/other"),
        ("project-001", [SHA_A, SHA_B], None),
    ],
)
def test_the_fingerprint_changes_with_project_files_order_and_webhook(
    project: str, files: list[str], webhook: str | None
) -> None:
    assert keys.fingerprint(project, files, webhook) != PRINT


# -- the verdict ---------------------------------------------------------------------------


def test_a_completed_request_is_replayed() -> None:
    record = keys.completed(claim(), {"job_id": "0" * 24})

    assert record.state is KeyState.COMPLETED and record.response == {"job_id": "0" * 24}
    assert keys.judge(record, PRINT, T0 + timedelta(hours=23)) is Verdict.REPLAY


def test_different_content_is_refused_whatever_the_first_request_is_doing() -> None:
    other = keys.fingerprint("project-001", [SHA_A], None)

    assert keys.judge(claim(), other, T0) is Verdict.REUSED
    assert keys.judge(keys.completed(claim(), {}), other, T0) is Verdict.REUSED
    assert keys.judge(claim(), other, T0 + LOCK + CLOCK_SLACK) is Verdict.REUSED


def test_a_request_in_progress_holds_its_key_until_its_lock_and_the_clock_slack_run_out() -> None:
    record = claim()

    assert keys.judge(record, PRINT, T0) is Verdict.IN_PROGRESS
    assert keys.retry_after_seconds(record, T0) == (LOCK + CLOCK_SLACK).total_seconds()
    almost = T0 + LOCK + CLOCK_SLACK - timedelta(milliseconds=1)
    assert keys.judge(record, PRINT, almost) is Verdict.IN_PROGRESS
    assert keys.retry_after_seconds(record, almost) == 1
    assert keys.judge(record, PRINT, T0 + LOCK + CLOCK_SLACK) is Verdict.TAKE_OVER


def test_a_record_older_than_the_window_counts_as_absent_whatever_it_holds() -> None:
    later = T0 + keys.REPLAY_WINDOW
    other = keys.fingerprint("project-002", [SHA_A], None)

    assert claim().expires_at == later
    assert keys.judge(keys.completed(claim(), {}), PRINT, later - timedelta(seconds=1)) is Verdict.REPLAY
    assert keys.judge(keys.completed(claim(), {}), PRINT, later) is Verdict.EXPIRED
    assert keys.judge(claim(), other, later) is Verdict.EXPIRED
    assert keys.judge(claim(), PRINT, later) is Verdict.EXPIRED


def test_a_take_over_keeps_the_key_content_and_window_with_its_own_token_job_and_lock() -> None:
    now = T0 + timedelta(minutes=5)

    taken = keys.taken_over(claim(), token="token-2", job_id="1" * 24, now=now, lock_for=LOCK)

    assert (taken.key_digest, taken.fingerprint, taken.created_at) == (keys.key_digest("key-1"), PRINT, T0)
    assert (taken.token, taken.job_id, taken.locked_until) == ("token-2", "1" * 24, now + LOCK)
    assert taken.state is KeyState.IN_PROGRESS
    assert keys.judge(taken, PRINT, now) is Verdict.IN_PROGRESS


def test_a_renewed_lock_runs_from_the_renewal() -> None:
    now = T0 + timedelta(seconds=50)

    renewed = keys.relocked(claim(), now=now, lock_for=LOCK)

    assert renewed.locked_until == now + LOCK and renewed.token == "token-1"
    assert keys.judge(renewed, PRINT, T0 + LOCK + CLOCK_SLACK) is Verdict.IN_PROGRESS
