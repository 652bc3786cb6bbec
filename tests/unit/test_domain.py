"""The pure domain: states and transitions, retry policy, API keys, upload checks."""

from __future__ import annotations

import pytest

from lib.domain import api_keys
from lib.domain.errors import InvalidRequest, NotFound, PayloadTooLarge, UnsupportedMediaType
from lib.domain.jobs import ALLOWED, JobStatus
from lib.domain.uploads import UploadedFile, UploadLimits, check_files, check_resource_id

PDF = b"%PDF-1.7\n" + b"x" * 100
LIMITS = UploadLimits(max_file_bytes=2000, max_upload_bytes=5000, max_files=3, max_pages=20)


def test_final_states_have_no_way_out_but_their_purge() -> None:
    final = {JobStatus.COMPLETED, JobStatus.FAILED, JobStatus.CANCELLED}
    assert {status for status in JobStatus if status.is_final} == final | {JobStatus.DELETED}
    assert all(ALLOWED[status] == {JobStatus.DELETED} for status in final)
    assert ALLOWED[JobStatus.DELETED] == frozenset()


@pytest.mark.parametrize(
    ("source", "targets"),
    [
        (JobStatus.PENDING, {JobStatus.PROCESSING, JobStatus.FAILED, JobStatus.CANCELLED, JobStatus.DELETED}),
        (
            JobStatus.PROCESSING,
            {
                JobStatus.PROCESSING,
                JobStatus.PENDING,
                JobStatus.COMPLETED,
                JobStatus.FAILED,
                JobStatus.CANCELLED,
                JobStatus.DELETED,
            },
        ),
    ],
)
def test_transitions_table(source: JobStatus, targets: set[JobStatus]) -> None:
    assert ALLOWED[source] == targets


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


@pytest.mark.parametrize("value", ["..", "../etc", "a/b", "", "x" * 65, "-lead", "sp ace", "%2e%2e"])
def test_odd_resource_ids_are_unknown(value: str) -> None:
    with pytest.raises(NotFound):
        check_resource_id(value, "project")


def test_plain_resource_ids_pass() -> None:
    check_resource_id("tenant-001", "tenant")
    check_resource_id("Project_2.v1", "project")
