"""The bounded multipart reader: what it returns, and each bound with its own code."""

from __future__ import annotations

import tracemalloc

import pytest
from urllib3.filepost import encode_multipart_formdata

from lib.adapters.multipart_form import EXTRA_PARTS, FIELD_BYTES, max_body_bytes, read_upload_form
from lib.domain.errors import InvalidRequest, PayloadTooLarge, RequestRejected
from lib.domain.uploads import UploadLimits

LIMITS = UploadLimits(max_file_bytes=1000, max_upload_bytes=2500, max_files=3, max_pages=10)
PDF = b"%PDF-1.7 " + b"x" * 100
MIB = 1024 * 1024


def form(*fields: tuple[str, bytes | str | tuple[str, bytes]]) -> tuple[bytes, str]:
    body, content_type = encode_multipart_formdata(list(fields), boundary="b0undary")
    return body, content_type


def read(body: bytes, content_type: str | None = "multipart/form-data; boundary=b0undary") -> object:
    return read_upload_form(body, content_type, LIMITS)


def refusal(body: bytes, content_type: str = "multipart/form-data; boundary=b0undary") -> RequestRejected:
    with pytest.raises(RequestRejected) as caught:
        read_upload_form(body, content_type, LIMITS)
    return caught.value


def test_files_come_back_in_order_with_the_first_of_each_field() -> None:
    body, content_type = form(
        ("file", ("a.pdf", PDF + b"1")),
        ("webhook_url", "https://example.com/hook"),
        ("file", ("b.pdf", PDF + b"2")),
        ("webhook_url", "https://example.com/second"),
    )

    result = read_upload_form(body, content_type, LIMITS)

    assert [item.data for item in result.files] == [PDF + b"1", PDF + b"2"]
    assert result.fields == {"webhook_url": "https://example.com/hook"}


def test_parts_under_other_names_and_text_parts_named_file_are_not_files() -> None:
    body, content_type = form(("other", ("a.pdf", PDF)), ("file", "not a file upload"))

    result = read_upload_form(body, content_type, LIMITS)

    assert result.files == ()
    assert result.fields == {"file": "not a file upload"}


def test_an_empty_file_part_is_kept_for_the_empty_file_check() -> None:
    body, content_type = form(("file", ("a.pdf", b"")))

    assert [item.data for item in read_upload_form(body, content_type, LIMITS).files] == [b""]


@pytest.mark.parametrize("content_type", [None, "application/pdf", "application/json", "multipart/form-data"])
def test_a_body_that_is_not_multipart_holds_no_files(content_type: str | None) -> None:
    assert read_upload_form(PDF, content_type, LIMITS).files == ()


def test_too_many_parts_are_refused_at_the_first_one_over_the_count() -> None:
    allowed = LIMITS.max_files + EXTRA_PARTS
    # Tiny parts far beyond the count, and then a malformed tail that is never reached.
    body, _ = form(*[(f"f{i}", "x") for i in range(allowed + 1)])
    head, _, _ = body.rpartition(b"--b0undary--")
    error = refusal(head + b"garbage that would be malformed")

    assert isinstance(error, InvalidRequest)
    assert error.code == "too_many_parts"


def test_exactly_the_allowed_number_of_parts_is_fine() -> None:
    body, content_type = form(*[(f"f{i}", "x") for i in range(LIMITS.max_files + EXTRA_PARTS)])

    assert len(read_upload_form(body, content_type, LIMITS).fields) == LIMITS.max_files + EXTRA_PARTS


def test_a_file_part_over_the_per_file_limit_is_413_file_too_large() -> None:
    body, _ = form(("file", ("a.pdf", b"%PDF-" + b"x" * 1000)))

    error = refusal(body)

    assert isinstance(error, PayloadTooLarge)
    assert error.code == "file_too_large"


def test_files_over_the_total_limit_are_413_upload_too_large() -> None:
    body, _ = form(*[("file", (f"{n}.pdf", b"%PDF-" + b"x" * 900)) for n in range(3)])

    error = refusal(body)

    assert isinstance(error, PayloadTooLarge)
    assert error.code == "upload_too_large"


def test_a_body_larger_than_any_allowed_upload_is_refused_before_decoding() -> None:
    body = b"not even multipart" * (max_body_bytes(LIMITS) // 18 + 1)

    error = refusal(body)

    assert error.code == "upload_too_large"


def test_a_long_text_field_is_400_form_field_too_large() -> None:
    body, _ = form(("webhook_url", "https://example.com/" + "a" * FIELD_BYTES))

    error = refusal(body)

    assert isinstance(error, InvalidRequest)
    assert error.code == "form_field_too_large"


@pytest.mark.parametrize(
    "body",
    [
        b"--b0undary\r\nContent-Type: text/plain\r\n\r\nno disposition\r\n--b0undary--\r\n",
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n\r\n%PDF-cut short',
        b"no boundary anywhere",
    ],
    ids=["part without disposition", "cut short", "no boundary"],
)
def test_a_malformed_body_is_400_malformed_multipart(body: bytes) -> None:
    error = refusal(body)

    assert isinstance(error, InvalidRequest)
    assert error.code == "malformed_multipart"


@pytest.mark.parametrize("line_break", [b"\r\n", b"\n"])
def test_a_file_is_exactly_its_part_whatever_it_holds(line_break: bytes) -> None:
    # Content that looks like part syntax, and a header block ended by LF alone (the decoder allows it).
    content = b"%PDF-1.7\r\n--b0undar\r\n\r\n" + bytes(range(256)) * 3 + b"\r\n-"
    body = (
        b'--b0undary\r\nContent-Disposition: form-data; name="file"; filename="a.pdf"\r\n'
        + line_break
        + content
        + b"\r\n--b0undary--\r\n"
    )

    files = read_upload_form(body, "multipart/form-data; boundary=b0undary", LIMITS).files

    assert [item.data for item in files] == [content]


def test_a_large_file_costs_one_copy_of_itself() -> None:
    limits = UploadLimits(max_file_bytes=8 * MIB, max_upload_bytes=8 * MIB, max_files=1, max_pages=10)
    data = PDF + bytes(4 * MIB)
    body, content_type = form(("file", ("a.pdf", data)))

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        files = read_upload_form(body, content_type, limits).files
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert files[0].data == data
    assert peak - before < 1.2 * len(data)  # one slice of the body (before: a bytearray and a copy of it)
