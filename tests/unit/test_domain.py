"""The pure domain: states and transitions, retry policy, API keys, upload checks."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from lib.domain import api_keys
from lib.domain.errors import InvalidRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from lib.domain.jobs import ALLOWED, JobStatus, RetryPolicy, sources_of
from lib.domain.uploads import UploadedFile, UploadLimits, check_files, check_resource_id, check_webhook_url

PDF = b"%PDF-1.7\n" + b"x" * 100
LIMITS = UploadLimits(max_file_bytes=2000, max_upload_bytes=5000, max_files=3, max_pages=20)


def test_final_states_have_no_way_out() -> None:
    assert {status for status in JobStatus if status.is_final} == {JobStatus.COMPLETED, JobStatus.FAILED}
    assert all(not ALLOWED[status] for status in (JobStatus.COMPLETED, JobStatus.FAILED))


@pytest.mark.parametrize(
    ("target", "sources"),
    [
        (JobStatus.PROCESSING, {JobStatus.PENDING, JobStatus.PROCESSING}),
        (JobStatus.COMPLETED, {JobStatus.PROCESSING}),
        (JobStatus.PENDING, {JobStatus.PROCESSING}),
        (JobStatus.FAILED, {JobStatus.PENDING, JobStatus.PROCESSING}),
    ],
)
def test_transitions_table(target: JobStatus, sources: set[JobStatus]) -> None:
    assert set(sources_of(target)) == sources


def test_backoff_grows_exponentially_with_jitter_and_a_cap() -> None:
    policy = RetryPolicy(base_seconds=10, cap_seconds=60)
    rng = random.Random(7)

    delays = [[policy.delay(attempt, rng) for _ in range(200)] for attempt in (1, 2, 3, 4, 5)]

    for attempt, samples in enumerate(delays, start=1):
        ceiling = min(60, 10 * 2 ** (attempt - 1))
        assert min(samples) >= timedelta(seconds=ceiling * 0.5)
        assert max(samples) <= timedelta(seconds=ceiling)
        assert len(set(samples)) > 100  # jittered, not one fixed value


def test_issued_keys_parse_and_verify_and_are_not_stored_in_clear() -> None:
    issued = api_keys.issue_key()

    presented = api_keys.parse_key(issued.plaintext)

    assert presented is not None and presented.key_id == issued.key_id
    assert api_keys.secret_matches(presented, issued.secret_sha256)
    assert presented.secret not in issued.secret_sha256
    assert issued.plaintext != api_keys.issue_key().plaintext


@pytest.mark.parametrize(
    "value", [None, "", "key", "mrp_short_x", "mrp_0123456789ab_" + "a" * 42, "Bearer x"]
)
def test_malformed_keys_are_refused(value: str | None) -> None:
    assert api_keys.parse_key(value) is None


def test_a_wrong_secret_does_not_match() -> None:
    issued = api_keys.issue_key()
    other = api_keys.parse_key(api_keys.issue_key().plaintext)
    assert other is not None

    assert not api_keys.secret_matches(
        api_keys.PresentedKey(issued.key_id, other.secret), issued.secret_sha256
    )


def test_good_files_pass() -> None:
    check_files([UploadedFile(PDF), UploadedFile(b"\xef\xbb\xbf" + PDF)], LIMITS)


@pytest.mark.parametrize(
    ("files", "error", "code"),
    [
        ([], InvalidRequest, "missing_file"),
        ([b""], InvalidRequest, "empty_file"),
        ([PDF] * 4, InvalidRequest, "too_many_files"),
        ([b"%PDF-" + b"x" * 2000], PayloadTooLarge, "file_too_large"),
        ([PDF + b"x" * 1800] * 3, PayloadTooLarge, "upload_too_large"),
        ([b"PK\x03\x04 a zip"], UnsupportedMediaType, "not_a_pdf"),
        ([b" " * 1024 + b"%PDF-"], UnsupportedMediaType, "not_a_pdf"),
    ],
)
def test_bad_files_are_refused(files: list[bytes], error: type[Exception], code: str) -> None:
    with pytest.raises(error) as raised:
        check_files([UploadedFile(data) for data in files], LIMITS)
    assert getattr(raised.value, "code", None) == code


@pytest.mark.parametrize(
    "url", ["https://example.com/hook", "http://127.0.0.1:8080/x?y=1", " https://a.b/c "]
)
def test_webhook_urls_accepted(url: str) -> None:
    assert check_webhook_url(url) == url.strip()


def test_no_webhook_is_fine() -> None:
    assert check_webhook_url(None) is None
    assert check_webhook_url("  ") is None


@pytest.mark.parametrize(
    "url",
    [
        "example.com/hook",
        "/hook",
        "ftp://example.com/",
        "file:///etc/passwd",
        "https://",
        "https://a.b:99999/",
        "javascript:alert(1)",
        "https://a.b/" + "x" * 2100,
    ],
)
def test_webhook_urls_refused(url: str) -> None:
    with pytest.raises(InvalidRequest) as raised:
        check_webhook_url(url)
    assert raised.value.code == "invalid_webhook_url"


@pytest.mark.parametrize("value", ["..", "../etc", "a/b", "", "x" * 65, "-lead", "sp ace", "%2e%2e"])
def test_odd_resource_ids_are_unknown(value: str) -> None:
    with pytest.raises(NotFound):
        check_resource_id(value, "project")


def test_plain_resource_ids_pass() -> None:
    check_resource_id("tenant-001", "tenant")
    check_resource_id("Project_2.v1", "project")
