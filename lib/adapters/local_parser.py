"""The offline report parser: the document engine reads the PDFs, rules read the fields.

:class:`LocalReportParser` hands every file of a request to
:func:`lib.documents.read_document` (text layer, OCR for pages without one) and the
resulting document to :func:`lib.offline.parse_document`.

Error codes (all :class:`PermanentParseError`): ``pdf_encrypted`` and
``pdf_unreadable`` (from the engine), ``too_many_pages`` and ``pdf_too_complex``
(the engine's limits), and ``pdf_no_text`` when neither the text layer nor OCR gave
any text on any page. Messages name a document by its position in the upload, never
by name or content. Pages OCR could not read are reported as an ``unread_pages``
warning instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from lib.domain.errors import PermanentParseError
from lib.domain.parsing import ParseOutcome, ParseRequest

if TYPE_CHECKING:  # the engine (pdfplumber, pypdfium2) loads in the parse process, on first use
    from lib.documents import Document, OcrEngine, ReadLimits

MODEL_NAME = "local-rules"

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocalReportParser:
    """Parses reports offline with the document engine and text rules.

    Cheap to build and picklable (the isolated parser sends it to its parse
    processes with every request); OCR and the rules' tables load on first use,
    once per process. The request's ``model`` and ``prompt`` are ignored: the rules
    are the model, reported as ``"local-rules"``, and no tokens are used.
    """

    limits: ReadLimits | None = None
    ocr: OcrEngine | None = None  # None: the installed engine (tesserocr), looked up on first need

    def parse(self, request: ParseRequest) -> ParseOutcome:
        """Parse all documents of ``request`` as one report; pages are numbered across them."""
        from lib.documents import read_document

        return self.read(read_document(request.documents, self.limits, ocr=self.ocr))

    def read(self, document: Document) -> ParseOutcome:
        """The report the rules read from ``document`` (already read by the engine)."""
        from lib.offline import parse_document

        if not document.pages or all(page.unread or not page.words for page in document.pages):
            raise PermanentParseError(
                "the report has no text that could be read, from its text layer or by OCR",
                code="pdf_no_text",
            )
        report = parse_document(document)
        logger.debug(
            "local parse pages=%d labs=%d medications=%d diagnoses=%d warnings=%d",
            len(document.pages),
            len(report.lab_results),
            len(report.medications),
            len(report.diagnosis),
            len(report.warnings),
        )
        return ParseOutcome(report=report, model=MODEL_NAME, usage=None)
