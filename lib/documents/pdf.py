"""One uploaded PDF, read with pdfplumber (pdfminer.six) inside the report's limits.

This is the only module that touches pdfplumber and pdfminer objects. It maps their
failures to :class:`PermanentParseError` codes (naming a file only by its position,
never by content), refuses a page whose decoded drawing content is over the limit
before interpreting it, and interprets a page through a device that counts what it
draws and checks the report's deadline as it goes.
"""

from __future__ import annotations

import io
import itertools
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pdfminer.layout import LTChar, LTComponent, LTContainer, LTCurve, LTImage, LTLine, LTPage, LTRect
from pdfminer.pdfdocument import PDFEncryptionError
from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
from pdfminer.pdfpage import PDFPage
from pdfminer.pdftypes import LITERALS_FLATE_DECODE, PDFStream, resolve1
from pdfminer.psexceptions import PSException
from pdfminer.psparser import LIT
from pdfplumber.page import Page as PlumberPage
from pdfplumber.page import PDFPageAggregatorWithMarkedContent
from pdfplumber.pdf import PDF
from pdfplumber.table import (
    Table,
    TableFinder,
    TableSettings,
    cells_to_tables,
    edges_to_intersections,
    intersections_to_cells,
    merge_edges,
)
from pdfplumber.utils.exceptions import MalformedPDFException, PdfminerException
from pdfplumber.utils.geometry import filter_edges

from lib.documents.limits import Deadline, ReadLimits
from lib.documents.model import BBox, Rule
from lib.documents.tables import Grid
from lib.documents.words import Glyph, TextLayer, read_text_layer
from lib.domain.errors import PdfTooComplex, PermanentParseError

# pdfminer raises built-in errors as well as its own on malformed input; these are
# what a damaged file can cause (MemoryError is left to the process limits).
_PARSE_FAILURES: tuple[type[BaseException], ...] = (
    PSException,
    PdfminerException,
    MalformedPDFException,
    ArithmeticError,
    AssertionError,
    AttributeError,
    EOFError,
    LookupError,
    RecursionError,
    TypeError,
    ValueError,
    struct.error,
    zlib.error,
)
_FORM = LIT("Form")
# The table finder does not run on drawings with thousands of strokes (its
# intersection search grows with their square).
_MAX_EDGES = 4000
# An image covering this share of the page, under a text layer this thin, is a scan.
_SCAN_COVER = 0.6
_SCAN_MAX_WORDS = 20
# A scanned rule must meet this many rules across it (see grids_from_rules).
_MIN_RULE_CROSSINGS = 2
# Points added at each end of a scanned rule (see _rule_edge).
_RULE_END_SLACK = 1.5
# The page size assumed when a page's own boxes cannot be read.
_LETTER = (612.0, 792.0)
# The deadline is looked at every this many drawn objects.
_CHECK_EVERY = 2000


@dataclass(frozen=True)
class PageContent:
    """What a page's text layer and drawing gave.

    ``layer`` is ``None`` when pdfminer could not interpret the page (a damaged
    content stream): it may still be rendered and read by OCR. ``drawn`` is true
    when the page paints images or curves, which OCR might read; ``images`` are the
    boxes of the images it paints.
    """

    width: float
    height: float
    layer: TextLayer | None
    grids: tuple[Grid, ...]
    drawn: bool
    images: tuple[BBox, ...] = ()

    @property
    def image_cover(self) -> float:
        """The share of the page its largest image covers."""
        return max((_area(box) / max(self.width * self.height, 1.0) for box in self.images), default=0.0)

    @property
    def needs_ocr(self) -> bool:
        """True when the text layer is missing, unusable or just a stamp on a scan."""
        if self.layer is None:
            return True
        if not self.layer.usable:
            return self.drawn or self.layer.glyphs > 0
        return self.image_cover >= _SCAN_COVER and len(self.layer.words) < _SCAN_MAX_WORDS


class PdfFile:
    """The file at ``position`` (1-based) of a report, opened for reading page by page."""

    def __init__(self, data: bytes, position: int) -> None:
        self.data = data
        self.position = position
        try:
            self._pdf = PDF(io.BytesIO(data))
        except PdfminerException as exc:
            cause = exc.args[0] if exc.args else exc
            if isinstance(cause, PDFEncryptionError):
                raise PermanentParseError(
                    f"document {position} is encrypted and cannot be read", code="pdf_encrypted"
                ) from exc
            raise PermanentParseError(
                f"document {position} is not a readable PDF", code="pdf_unreadable"
            ) from exc
        self._pages: list[PDFPage] = []

    @property
    def page_count(self) -> int:
        """Pages counted by :meth:`count_pages`."""
        return len(self._pages)

    def count_pages(self, limit: int) -> int:
        """Walk the page tree, stopping after ``limit + 1`` pages; returns how many were found."""
        try:
            self._pages = list(itertools.islice(PDFPage.create_pages(self._pdf.doc), max(limit, 0) + 1))
        except _PARSE_FAILURES as exc:
            raise PermanentParseError(
                f"document {self.position} has a damaged page tree", code="pdf_unreadable"
            ) from exc
        if not self._pages:
            raise PermanentParseError(f"document {self.position} has no pages", code="pdf_unreadable")
        return len(self._pages)

    def read_page(self, index: int, number: int, limits: ReadLimits, deadline: Deadline) -> PageContent:
        """Page ``index`` of this file, numbered ``number`` in the report."""
        page_obj = self._pages[index]
        try:
            content_bytes = _content_size(page_obj, limits.max_page_content_bytes)
        except _PARSE_FAILURES:
            content_bytes = 0  # the interpreter meets the same damage and reports the page
        if content_bytes > limits.max_page_content_bytes:
            raise PdfTooComplex("decoded content per page")
        counter = _Counter(limits.max_page_objects, deadline)
        try:
            page = _BoundedPage(self._pdf, page_obj, number, counter)
        except _PARSE_FAILURES:
            return PageContent(_LETTER[0], _LETTER[1], None, (), drawn=False)
        width, height = float(page.width), float(page.height)
        try:
            drawing = _Drawing.of(page)
            layer = read_text_layer(drawing.glyphs, page=number, width=width, height=height)
            grids = _grids(page, drawing.edges)
        except _PARSE_FAILURES:
            return PageContent(width, height, None, (), drawn=False)
        finally:
            page.close()
        return PageContent(width, height, layer, grids, drawing.drawn, tuple(drawing.images))


@dataclass
class _Drawing:
    """What the interpreter drew on a page, in page points with a top-left origin.

    Read straight from pdfminer's layout objects: pdfplumber's per-object
    dictionaries cost more than the interpretation itself on a text-dense page.
    """

    glyphs: list[Glyph]
    edges: list[dict[str, Any]]
    images: list[BBox]
    drawn: bool

    @classmethod
    def of(cls, page: PlumberPage) -> _Drawing:
        # pdfminer measures from the MediaBox's lower-left corner, the model from the
        # page's upper-left: the same shift pdfplumber applies to its objects.
        left = float(page.mediabox[0])
        flip = float(page.mediabox[1]) + float(page.height)
        drawing = cls([], [], [], False)
        pending: list[LTComponent] = list(page.layout)
        while pending:
            item = pending.pop()
            if isinstance(item, LTChar):
                drawing.glyphs.append(_glyph(item, left, flip))
            elif isinstance(item, LTContainer):
                pending.extend(item)
            elif isinstance(item, LTImage):
                drawing.images.append(BBox(item.x0 + left, flip - item.y1, item.x1 + left, flip - item.y0))
                drawing.drawn = True
            elif isinstance(item, LTRect):
                x0, top, x1, bottom = item.x0 + left, flip - item.y1, item.x1 + left, flip - item.y0
                drawing.edges.extend(_edges([(x0, top), (x1, top), (x1, bottom), (x0, bottom), (x0, top)]))
            elif isinstance(item, LTCurve):
                drawing.edges.extend(_edges([(x + left, flip - y) for x, y in item.pts]))
                drawing.drawn = drawing.drawn or not isinstance(item, LTLine)
        # Popping reversed the drawing order, which watermark lines follow.
        drawing.glyphs.reverse()
        return drawing


def _area(box: BBox) -> float:
    return max(box.x1 - box.x0, 0.0) * max(box.bottom - box.top, 0.0)


def _glyph(char: LTChar, left: float, flip: float) -> Glyph:
    colour = char.graphicstate.ncolor
    if isinstance(colour, tuple):
        fill = tuple(float(v) for v in colour if isinstance(v, int | float))
    else:
        fill = (float(colour),) if isinstance(colour, int | float) else ()
    a, b, c, d, e, f = (float(v) for v in char.matrix)
    return Glyph(
        text=char.get_text(),
        x0=char.x0 + left,
        top=flip - char.y1,
        x1=char.x1 + left,
        bottom=flip - char.y0,
        size=float(char.size),
        fontname=str(char.fontname),
        matrix=(a, b, c, d, e, f),
        upright=bool(char.upright),
        fill=fill,
    )


def _edges(points: list[tuple[float, float]]) -> list[dict[str, Any]]:
    """The horizontal and vertical strokes of a path, as pdfplumber's table finder takes them."""
    edges: list[dict[str, Any]] = []
    for (ax, ay), (bx, by) in itertools.pairwise(points):
        horizontal = abs(ay - by) < 0.5
        if not horizontal and abs(ax - bx) >= 0.5:
            continue  # a diagonal stroke rules no table
        x0, x1, top, bottom = min(ax, bx), max(ax, bx), min(ay, by), max(ay, by)
        edges.append(
            {
                "object_type": "path_edge",
                "orientation": "h" if horizontal else "v",
                "x0": x0,
                "x1": x1 if horizontal else x0,
                "top": top,
                "bottom": top if horizontal else bottom,
                "doctop": top,
                "width": x1 - x0 if horizontal else 0.0,
                "height": 0.0 if horizontal else bottom - top,
            }
        )
    return edges


def _grids(page: PlumberPage, edges: list[dict[str, Any]]) -> tuple[Grid, ...]:
    """Ruled tables from the page's strokes: pdfplumber's table finder, given the strokes."""
    vertical = [edge for edge in edges if edge["orientation"] == "v"]
    horizontal = [edge for edge in edges if edge["orientation"] == "h"]
    if len(vertical) < 2 or len(horizontal) < 2 or len(edges) > _MAX_EDGES:
        return ()
    settings = TableSettings.resolve(
        {
            "vertical_strategy": "explicit",
            "horizontal_strategy": "explicit",
            "explicit_vertical_lines": vertical,
            "explicit_horizontal_lines": horizontal,
        }
    )
    return tuple(
        tuple(
            tuple(None if cell is None else BBox(*map(float, cell)) for cell in row.cells)
            for row in table.rows
        )
        for table in TableFinder(page, settings).tables
    )


def grids_from_rules(rules: Sequence[Rule]) -> tuple[Grid, ...]:
    """Ruled tables from the rules of a level scan, found as :func:`_grids` finds them on a text page.

    A rule is horizontal or vertical by its larger extent. Like a stroke on a text
    page, a rule only makes cells where it meets others: each must cross two rules
    of the other direction, or it is left out (an underline, a stroke of text).
    """
    horizontal = [_rule_edge(rule) for rule in rules if abs(rule.x1 - rule.x0) >= abs(rule.y1 - rule.y0)]
    vertical = [_rule_edge(rule) for rule in rules if abs(rule.x1 - rule.x0) < abs(rule.y1 - rule.y0)]
    vertical = [v for v in vertical if sum(_crosses(h, v) for h in horizontal) >= _MIN_RULE_CROSSINGS]
    horizontal = [h for h in horizontal if sum(_crosses(h, v) for v in vertical) >= _MIN_RULE_CROSSINGS]
    if len(vertical) < 2 or len(horizontal) < 2 or len(vertical) + len(horizontal) > _MAX_EDGES:
        return ()
    # What TableFinder does with explicit lines, without a pdfplumber page to hang it on.
    settings = TableSettings.resolve({})
    edges = merge_edges(
        [*vertical, *horizontal],
        snap_x_tolerance=settings.snap_x_tolerance,
        snap_y_tolerance=settings.snap_y_tolerance,
        join_x_tolerance=settings.join_x_tolerance,
        join_y_tolerance=settings.join_y_tolerance,
    )
    edges = filter_edges(edges, min_length=settings.edge_min_length)
    intersections = edges_to_intersections(
        edges, settings.intersection_x_tolerance, settings.intersection_y_tolerance
    )
    cells = intersections_to_cells(intersections)
    return tuple(
        tuple(
            tuple(None if cell is None else BBox(*map(float, cell)) for cell in row.cells)
            for row in Table(None, group).rows  # type: ignore[arg-type]  # rows never read the page
        )
        for group in cells_to_tables(cells)
    )


def _rule_edge(rule: Rule) -> dict[str, Any]:
    """``rule`` as a stroke for the table finder, made exactly level or upright, ends lengthened.

    Detected ends stop short of the rule they meet by up to a pixel or two, more
    than the finder's 1 pt intersection tolerance.
    """
    if abs(rule.x1 - rule.x0) >= abs(rule.y1 - rule.y0):
        y = (rule.y0 + rule.y1) / 2
        x0, x1 = min(rule.x0, rule.x1) - _RULE_END_SLACK, max(rule.x0, rule.x1) + _RULE_END_SLACK
        points = [(x0, y), (x1, y)]
    else:
        x = (rule.x0 + rule.x1) / 2
        top, bottom = min(rule.y0, rule.y1) - _RULE_END_SLACK, max(rule.y0, rule.y1) + _RULE_END_SLACK
        points = [(x, top), (x, bottom)]
    return _edges(points)[0]


def _crosses(horizontal: dict[str, Any], vertical: dict[str, Any]) -> bool:
    return bool(
        horizontal["x0"] - 1 <= vertical["x0"] <= horizontal["x1"] + 1
        and vertical["top"] - 1 <= horizontal["top"] <= vertical["bottom"] + 1
    )


class _Counter:
    """Counts objects the interpreter draws on one page and checks the deadline."""

    def __init__(self, limit: int, deadline: Deadline) -> None:
        self.limit = limit
        self.deadline = deadline
        self.count = 0

    def tick(self) -> None:
        self.count += 1
        if self.count > self.limit:
            raise PdfTooComplex("drawing objects per page")
        if self.count % _CHECK_EVERY == 0:
            self.deadline.check()


class _CountingAggregator(PDFPageAggregatorWithMarkedContent):
    def __init__(self, rsrcmgr: PDFResourceManager, pageno: int, counter: _Counter) -> None:
        super().__init__(rsrcmgr, pageno=pageno, laparams=None)
        self._counter = counter

    def render_char(self, *args: Any, **kwargs: Any) -> float:
        self._counter.tick()
        return super().render_char(*args, **kwargs)

    def render_image(self, *args: Any, **kwargs: Any) -> None:
        self._counter.tick()
        super().render_image(*args, **kwargs)

    def paint_path(self, *args: Any, **kwargs: Any) -> None:
        self._counter.tick()
        super().paint_path(*args, **kwargs)


class _BoundedPage(PlumberPage):
    """A pdfplumber page whose interpretation is counted and can be stopped."""

    def __init__(self, pdf: PDF, page_obj: PDFPage, number: int, counter: _Counter) -> None:
        super().__init__(pdf, page_obj, page_number=number)
        self._counter = counter

    @property
    def layout(self) -> LTPage:
        if hasattr(self, "_layout"):
            return self._layout
        device = _CountingAggregator(self.pdf.rsrcmgr, self.page_number, self._counter)
        PDFPageInterpreter(self.pdf.rsrcmgr, device).process_page(self.page_obj)
        self._layout: LTPage = device.get_result()
        return self._layout


def _content_size(page: PDFPage, limit: int) -> int:
    """Decoded bytes of the page's content streams and the form XObjects it can draw.

    Stops counting past ``limit``; a Flate stream (nearly all of them) is inflated in
    bounded steps, so a "zip bomb" costs at most ``limit`` bytes of work to detect.
    """
    total = 0
    seen: set[int] = set()
    pending: list[object] = [*page.contents, *_forms(page.resources)]
    while pending and total <= limit:
        stream = resolve1(pending.pop())
        if not isinstance(stream, PDFStream) or id(stream) in seen:
            continue
        seen.add(id(stream))
        total += _decoded_size(stream, limit - total)
        resources = resolve1(stream.get("Resources"))
        if isinstance(resources, dict):
            pending.extend(_forms(resources))
    return total


def _forms(resources: object) -> list[object]:
    resources = resolve1(resources)
    if not isinstance(resources, dict):
        return []
    xobjects = resolve1(resources.get("XObject"))
    if not isinstance(xobjects, dict):
        return []
    forms: list[object] = []
    for ref in xobjects.values():
        xobject = resolve1(ref)
        if isinstance(xobject, PDFStream) and resolve1(xobject.get("Subtype")) is _FORM:
            forms.append(xobject)
    return forms


def _decoded_size(stream: PDFStream, budget: int) -> int:
    if stream.data is not None:
        return len(stream.data)
    filters = stream.get_filters()
    raw = stream.rawdata
    if (
        stream.decipher is not None
        or raw is None
        or len(filters) != 1
        or filters[0][0] not in LITERALS_FLATE_DECODE
    ):
        return len(stream.get_data())
    inflater = zlib.decompressobj()
    size = 0
    chunk = raw
    try:
        while chunk and size <= budget:
            size += len(inflater.decompress(chunk, budget + 1 - size))
            chunk = inflater.unconsumed_tail
    except zlib.error:
        pass  # pdfminer keeps what a damaged stream inflates to; so does the count
    return size
