"""``read_document``: every file of one report becomes one :class:`Document`.

The steps, in order: open every file and count its pages (refusing the report if
there are too many before any page is parsed); read each page's text layer, or OCR
a page that has none; set aside the furniture that repeats across pages; lay out
each page's content; link tables that continue onto the next page.

An OCR page from a skewed scan is laid out from level copies of its words and then
given its reported words back (:mod:`lib.documents.deskew`), so rows and columns are
found as on a straight page while every box still points at the page as uploaded.
The ruling lines OCR saw on a scan are levelled the same way and given to the same
table finder as a text page's strokes (:func:`lib.documents.pdf.grids_from_rules`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from lib.documents.deskew import Level, level_words, needs_levelling, restore_page
from lib.documents.furniture import find_furniture
from lib.documents.layout import lay_out
from lib.documents.limits import Deadline, ReadLimits
from lib.documents.model import BBox, Document, DocumentWarning, Line, Page, Rule, TextSource, Word
from lib.documents.pdf import PageContent, PdfFile, grids_from_rules
from lib.documents.rows import group_rows
from lib.documents.tables import Grid, mark_continuations
from lib.domain.errors import PermanentParseError

logger = logging.getLogger(__name__)

# An image covering this share of a text page, with no text over it, is read by OCR.
_INSERT_SHARE = 0.15


class OcrResult(Protocol):
    """What OCR made of one page (``lib.documents.ocr.OcrPage``).

    A result may also carry ``rules``, the ruling lines seen on the scan
    (:class:`Rule` objects, page points); one without them has no ruled tables.
    """

    @property
    def words(self) -> tuple[Word, ...]: ...

    @property
    def readable(self) -> bool: ...

    @property
    def skew_degrees(self) -> float:
        """The slope of the scan's text lines (positive: falling to the right), 0.0 if none."""
        ...


class OcrEngine(Protocol):
    """Reads page ``page_index`` of ``pdf`` (numbered ``page_number`` in the report) by OCR.

    ``deadline`` is a ``time.monotonic()`` value the engine must not run past;
    ``clip`` limits reading to a region of the page (in page points).
    """

    def __call__(
        self, pdf: bytes, page_index: int, *, page_number: int, deadline: float, clip: BBox | None = None
    ) -> OcrResult: ...


def installed_ocr() -> OcrEngine | None:
    """The OCR engine of :mod:`lib.documents.ocr`, or ``None`` where tesserocr is not installed.

    Imported on first need: a report with a text layer never pays for loading it.
    """
    try:
        from lib.documents.ocr import ocr_page
    except ImportError:
        return None
    return ocr_page


class _Ocr:
    """The OCR engine a caller gave, or the installed one, looked up when first needed."""

    def __init__(self, engine: OcrEngine | None) -> None:
        self._engine = engine
        self._looked_up = engine is not None

    def get(self) -> OcrEngine | None:
        if not self._looked_up:
            self._engine = installed_ocr()
            self._looked_up = True
        return self._engine


@dataclass(frozen=True)
class _PageText:
    """A page's words before layout, however they were read."""

    number: int
    width: float
    height: float
    words: tuple[Word, ...]
    watermarks: tuple[Line, ...]
    grids: tuple[Grid, ...]
    source: TextSource
    unread: bool
    # OCR pages read from a skewed scan: words are level copies (see lib.documents.deskew).
    level: Level | None = None
    originals: dict[int, Word] = field(default_factory=dict)


def read_document(
    files: Sequence[bytes], limits: ReadLimits | None = None, *, ocr: OcrEngine | None = None
) -> Document:
    """Read all ``files`` of one report; pages are numbered 1.. across files in upload order.

    ``ocr`` reads pages without a usable text layer; by default the installed engine
    (``lib.documents.ocr``). A page nothing can read is kept, marked ``unread``, and
    reported in the document's warnings.

    Raises :class:`PermanentParseError` with code ``pdf_unreadable`` (not a PDF, or
    damaged beyond reading), ``pdf_encrypted`` (needs a password), ``too_many_pages``
    (over ``limits.max_pages``) or ``pdf_too_complex`` (a page over its content or
    object limit, or the report over its time budget).
    """
    limits = limits or ReadLimits()
    deadline = Deadline(limits.time_budget_seconds)
    engine = _Ocr(ocr)
    pdfs = [PdfFile(data, position) for position, data in enumerate(files, start=1)]
    total = 0
    for pdf in pdfs:
        total += pdf.count_pages(limits.max_pages - total)
        if total > limits.max_pages:
            raise PermanentParseError(
                f"the report has more than {limits.max_pages} pages", code="too_many_pages"
            )
    texts: list[_PageText] = []
    file_of: list[int] = []
    warnings: list[DocumentWarning] = []
    for pdf in pdfs:
        for index in range(pdf.page_count):
            deadline.check()
            text = _read_page(pdf, index, len(texts) + 1, limits, deadline, engine)
            if text.unread:
                warnings.append(
                    DocumentWarning(
                        "unread_pages", f"page {text.number} has no readable text", page=text.number
                    )
                )
            texts.append(text)
            file_of.append(pdf.position)
    pages = mark_continuations(_lay_out(texts, file_of, deadline))
    logger.debug(
        "document read files=%d pages=%d ocr_pages=%d unread_pages=%d tables=%d",
        len(pdfs),
        len(pages),
        sum(1 for page in pages if page.source is TextSource.OCR),
        len(warnings),
        sum(len(page.tables) for page in pages),
    )
    return Document(tuple(pages), tuple(warnings))


def _read_page(
    pdf: PdfFile, index: int, number: int, limits: ReadLimits, deadline: Deadline, engine: _Ocr
) -> _PageText:
    content = pdf.read_page(index, number, limits, deadline)
    layer = content.layer
    if not content.needs_ocr and layer is not None:
        words = layer.words
        inserts = _scanned_inserts(content, words)
        reader = engine.get() if inserts else None
        if reader is not None:
            for box in inserts:
                result = reader(pdf.data, index, page_number=number, deadline=deadline.at, clip=box)
                deadline.check()
                words += tuple(word for word in result.words if word.text.strip())
        return _PageText(
            number, content.width, content.height, words, layer.watermarks, content.grids,
            TextSource.TEXT_LAYER, unread=False,
        )  # fmt: skip
    watermarks = layer.watermarks if layer is not None else ()
    ocr = engine.get()
    if ocr is None:
        return _PageText(number, content.width, content.height, (), watermarks, (), TextSource.OCR, True)
    result = ocr(pdf.data, index, page_number=number, deadline=deadline.at)
    deadline.check()
    words = tuple(word for word in result.words if word.text.strip())
    unread = not result.readable or not words
    rules: Sequence[Rule] = getattr(result, "rules", ())
    if not needs_levelling(result.skew_degrees):
        grids = grids_from_rules(rules)
        return _PageText(
            number, content.width, content.height, words, watermarks, grids, TextSource.OCR, unread
        )
    level = Level(result.skew_degrees, (content.width / 2, content.height / 2))
    copies, originals = level_words(words, level)
    grids = grids_from_rules([_level_rule(rule, level) for rule in rules])
    return _PageText(
        number, content.width, content.height, tuple(copies), watermarks, grids, TextSource.OCR, unread,
        level=level, originals=originals,
    )  # fmt: skip


def _level_rule(rule: Rule, level: Level) -> Rule:
    """``rule`` on the level page, where the level copies of the words are."""
    return Rule(*level.level_point(rule.x0, rule.y0), *level.level_point(rule.x1, rule.y1))


def _scanned_inserts(content: PageContent, words: Sequence[Word]) -> list[BBox]:
    """Images on a text page large enough to be a scan pasted in, with no text over them."""
    page_area = content.width * content.height
    inserts: list[BBox] = []
    for box in content.images:
        if (box.x1 - box.x0) * (box.bottom - box.top) < _INSERT_SHARE * page_area:
            continue  # a logo or a signature
        if not any(
            box.x0 <= (w.bbox.x0 + w.bbox.x1) / 2 <= box.x1
            and box.top <= (w.bbox.top + w.bbox.bottom) / 2 <= box.bottom
            for w in words
        ):
            inserts.append(box)
    return inserts


def _lay_out(texts: Sequence[_PageText], file_of: Sequence[int], deadline: Deadline) -> list[Page]:
    rows = [group_rows(text.words) for text in texts]
    furniture = find_furniture(rows, [text.height for text in texts])
    pages: list[Page] = []
    for text, file, page_rows, furniture_rows in zip(texts, file_of, rows, furniture, strict=True):
        deadline.check()
        content = [word for i, row in enumerate(page_rows) if i not in furniture_rows for word in row.words]
        layout = lay_out(content, page=text.number, grids=text.grids, check=deadline.check)
        set_aside = tuple(page_rows[i].line(text.number) for i in sorted(furniture_rows))
        page = Page(
            number=text.number,
            width=text.width,
            height=text.height,
            words=tuple(word for line in layout.lines for word in line.words),
            lines=layout.lines,
            blocks=layout.blocks,
            tables=layout.tables,
            key_values=layout.key_values,
            furniture=set_aside,
            source=text.source,
            unread=text.unread,
            file=file,
        )
        if text.level is not None:
            page = restore_page(page, text.originals, text.level)
        pages.append(replace(page, furniture=page.furniture + text.watermarks))
    return pages
