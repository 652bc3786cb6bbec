"""The upload-time PDF check: page counts without walking the page tree, and what it refuses."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfWriter

from lib.adapters.pdf_inspect import check_page_total, count_pages
from lib.domain.errors import InvalidRequest, PayloadTooLarge
from tests.support.hostile_pdfs import PHI_MARKERS, many_pages_pdf, phi_quoting_pdfs, shared_stream_bomb_pdf
from tests.support.pdf_factory import (
    make_corrupt_pdf,
    make_encrypted_pdf,
    make_image_only_pdf,
    make_large_pdf,
    make_report_pdf,
)


def _owner_password_only() -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(make_report_pdf()))
    writer.encrypt(user_password="", owner_password="owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_pages_are_counted_for_readable_files_of_any_kind() -> None:
    assert count_pages(make_report_pdf(), "file 1") >= 1
    assert count_pages(make_large_pdf(2_500_000), "file 1") >= 2
    assert count_pages(make_image_only_pdf(3), "file 1") == 3  # scans are the parser's business
    assert count_pages(shared_stream_bomb_pdf(), "file 1") == 5  # content is never decoded here


def test_fifty_thousand_pages_are_counted_without_reading_them() -> None:
    assert count_pages(many_pages_pdf(50_000), "file 1") == 50_000


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (make_encrypted_pdf, "pdf_encrypted"),
        (_owner_password_only, "pdf_encrypted"),
        (make_corrupt_pdf, "pdf_unreadable"),
        (lambda: b"", "pdf_unreadable"),
        (lambda: many_pages_pdf(0), "pdf_unreadable"),
    ],
    ids=["user password", "owner password only", "corrupt", "empty", "no pages"],
)
def test_encrypted_and_unreadable_files_are_refused(make: object, code: str) -> None:
    assert callable(make)
    with pytest.raises(InvalidRequest) as caught:
        count_pages(make(), "file 2")

    assert caught.value.code == code
    assert caught.value.message.startswith("file 2 ")


@pytest.mark.parametrize("name", list(phi_quoting_pdfs()))
def test_damaged_files_are_checked_without_quoting_them(name: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    message = ""
    try:
        count_pages(phi_quoting_pdfs()[name], "file 1")
    except InvalidRequest as exc:
        message = exc.message
    assert not any(marker in message + caplog.text for marker in PHI_MARKERS)


def test_the_page_total_is_over_all_files() -> None:
    check_page_total([100, 200], 300)
    with pytest.raises(PayloadTooLarge) as caught:
        check_page_total([100, 201], 300)

    assert caught.value.code == "too_many_pages"
    assert "301" in caught.value.message
