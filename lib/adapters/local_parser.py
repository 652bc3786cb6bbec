"""The offline report parser: text from pypdf, fields by rules, no model call.

:class:`LocalReportParser` reads every page of every document with pypdf and hands
the text to :func:`lib.adapters.report_rules.parse_report_text`..

Error codes (all :class:`PermanentParseError`): ``pdf_encrypted``,
``pdf_unreadable`` and ``pdf_no_text``. Messages name the document by its position
in the upload, never by name or content.
"""

from __future__ import annotations

import io

from pypdf import PdfReader

from lib.adapters.report_rules import parse_report_text
from lib.domain.errors import PdfTooComplex, PermanentParseError
from lib.domain.parsing import ParseOutcome, ParseRequest

MODEL_NAME = "local-rules"
# A page's drawing instructions, decoded; text pages need kilobytes, dense drawings a few MB.
MAX_PAGE_CONTENT_BYTES = 16 * 1024 * 1024

# What pypdf raises on a damaged or hostile file is open-ended: its own PyPdfError
# family, but fuzzing also produced NotImplementedError (an unknown stream filter),
# TypeError and AttributeError from its object readers, and DeprecationError. Only
# pypdf calls run inside these handlers, so no bug of ours is swallowed.
_PYPDF_FAILURES = Exception


def _open_pdf(data: bytes, what: str) -> PdfReader:
    """Open ``data`` and check that it is an unencrypted PDF with pages; ``what`` names it in errors."""
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
        page_count = 0 if encrypted else len(reader.pages)
    except _PYPDF_FAILURES as exc:
        raise PermanentParseError(f"{what} is damaged or not a PDF", code="pdf_unreadable") from exc
    if encrypted:
        raise PermanentParseError(
            f"{what} is encrypted; upload it without password protection", code="pdf_encrypted"
        )
    if page_count == 0:
        raise PermanentParseError(f"{what} has no pages", code="pdf_unreadable")
    return reader


def _page_texts(data: bytes, what: str) -> list[str]:
    reader = _open_pdf(data, what)
    texts = []
    try:
        for page in reader.pages:
            # Measured before the text is extracted: a small file can inflate to a stream
            # that takes a minute of CPU to interpret.
            contents = page.get_contents()
            if contents is not None and len(contents.get_data()) > MAX_PAGE_CONTENT_BYTES:
                raise PdfTooComplex("decoded content per page")
            texts.append(page.extract_text())
    except PdfTooComplex:
        raise
    except _PYPDF_FAILURES as exc:
        raise PermanentParseError(f"{what} is damaged or not a PDF", code="pdf_unreadable") from exc
    return texts


class LocalReportParser:
    """Parses reports offline with pypdf and text rules.

    The request's ``model`` and ``prompt`` are ignored: the rules are the model,
    reported as ``"local-rules"``, and no tokens are used. PDFs without a text
    layer (scanned reports) cannot be read this way.
    """

    def parse(self, request: ParseRequest) -> ParseOutcome:
        """Parse all documents of ``request`` as one report; pages are numbered across them."""
        pages: list[str] = []
        for position, data in enumerate(request.documents, start=1):
            pages += _page_texts(data, f"document {position}")
        if not any(text.strip() for text in pages):
            raise PermanentParseError(
                "the report has no extractable text (it may be a scanned image); "
                "use a Gemini model to parse scanned reports",
                code="pdf_no_text",
            )
        return ParseOutcome(report=parse_report_text(pages), model=MODEL_NAME, usage=None)
