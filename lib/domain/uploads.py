"""Checks on an upload that need no I/O: ids, file count, sizes, the PDF header (the webhook URL: webhook_urls)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from lib.domain.errors import InvalidRequest, NotFound, PayloadTooLarge, UnsupportedMediaType

MB = 1024 * 1024
# The PDF header may follow a little junk; readers look for it in the first 1024 bytes.
PDF_MAGIC = b"%PDF-"
PDF_HEADER_WINDOW = 1024
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


@dataclass(frozen=True)
class UploadedFile:
    """One ``file`` part of the multipart body. Its client-side name is deliberately not kept."""

    data: bytes


@dataclass(frozen=True)
class UploadForm:
    """A decoded upload body: the ``file`` parts in order, and the text fields by name (first wins)."""

    files: tuple[UploadedFile, ...]
    fields: dict[str, str]


@dataclass(frozen=True)
class UploadLimits:
    """How much one upload may carry."""

    max_file_bytes: int
    max_upload_bytes: int
    max_files: int
    max_pages: int

    @classmethod
    def from_megabytes(
        cls, max_file_mb: float, max_upload_mb: float, max_files: int, max_pages: int
    ) -> UploadLimits:
        """Limits from the settings' megabyte values."""
        return cls(int(max_file_mb * MB), int(max_upload_mb * MB), max_files, max_pages)


def check_resource_id(value: str, kind: str) -> None:
    """Tenant and project ids become blob path segments: anything odd is simply unknown."""
    if not _ID.fullmatch(value):
        raise NotFound(f"{kind} not found", code=f"{kind}_not_found")


def check_files(files: Sequence[UploadedFile], limits: UploadLimits) -> None:
    """Refuse an upload whose files are missing, too many, empty, too large or not PDFs."""
    if not files:
        raise InvalidRequest(
            "no file: send the report as multipart/form-data in a field named 'file'", code="missing_file"
        )
    if len(files) > limits.max_files:
        raise InvalidRequest(
            f"too many files: {len(files)} sent, at most {limits.max_files} per report", code="too_many_files"
        )
    total = 0
    for number, item in enumerate(files, start=1):
        size = len(item.data)
        if size == 0:
            raise InvalidRequest(f"file {number} is empty", code="empty_file")
        if size > limits.max_file_bytes:
            raise PayloadTooLarge(
                f"file {number} is {size / MB:.1f} MB; the limit is {limits.max_file_bytes / MB:g} MB per file",
                code="file_too_large",
            )
        if PDF_MAGIC not in item.data[:PDF_HEADER_WINDOW]:
            raise UnsupportedMediaType(f"file {number} is not a PDF", code="not_a_pdf")
        total += size
    if total > limits.max_upload_bytes:
        raise PayloadTooLarge(
            f"the files add up to {total / MB:.1f} MB; the limit is {limits.max_upload_bytes / MB:g} MB per report",
            code="upload_too_large",
        )
