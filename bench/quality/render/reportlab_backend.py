"""The reportlab back end: platypus flowables, so reportlab breaks lines, rows and pages itself.

Tables drawn in row order are platypus ``Table`` objects (cells wrap, rows split across
pages with the header repeated); tables drawn column by column are a small flowable of
our own that writes each column top to bottom, which is what puts them into the content
stream out of reading order.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from xml.sax.saxutils import escape

from reportlab.lib import colors  # type: ignore[import-untyped]
from reportlab.lib.enums import TA_CENTER  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import A4, LETTER  # type: ignore[import-untyped]
from reportlab.lib.styles import ParagraphStyle  # type: ignore[import-untyped]
from reportlab.pdfbase import pdfmetrics  # type: ignore[import-untyped]
from reportlab.pdfbase.ttfonts import TTFont  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]
from reportlab.platypus import (  # type: ignore[import-untyped]
    BaseDocTemplate,
    Flowable,
    Frame,
    HRFlowable,
    PageTemplate,
    Paragraph,
    Preformatted,
    Spacer,
)
from reportlab.platypus import PageBreak as RLPageBreak
from reportlab.platypus import Table as RLTable
from reportlab.platypus import TableStyle as RLTableStyle

from bench.quality.document import (
    Block,
    Cards,
    Cell,
    Columns,
    Document,
    DrawOrder,
    Fields,
    FieldStyle,
    ItemList,
    Letterhead,
    PageBreak,
    Row,
    Rule,
    Section,
    Table,
    TableStyle,
    Title,
    all_text,
    text_lines,
)
from bench.quality.render import fonts

_MARGIN = 48.0
_LIGHT = colors.Color(0.9, 0.9, 0.9)


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    mono: str
    mono_bold: str


def _fonts(document: Document) -> _Fonts:
    if not fonts.needs_unicode(all_text(document)):
        if document.serif:
            return _Fonts("Times-Roman", "Times-Bold", "Courier", "Courier-Bold")
        return _Fonts("Helvetica", "Helvetica-Bold", "Courier", "Courier-Bold")
    for family, styles in fonts.DEJAVU.items():
        if family in pdfmetrics.getRegisteredFontNames():
            continue
        pdfmetrics.registerFont(TTFont(family, str(styles[""])))
        pdfmetrics.registerFont(TTFont(f"{family}-Bold", str(styles["B"])))
        # <b> inside a Paragraph looks the bold face up through the family.
        pdfmetrics.registerFontFamily(
            family, normal=family, bold=f"{family}-Bold", italic=family, boldItalic=f"{family}-Bold"
        )
    family = "DejaVuSerif" if document.serif else "DejaVuSans"
    return _Fonts(family, f"{family}-Bold", "DejaVuSansMono", "DejaVuSansMono-Bold")


class _Styles:
    """Paragraph styles for one document."""

    def __init__(self, font: _Fonts, size: float) -> None:
        self.font = font
        self.size = size
        self.body = ParagraphStyle("body", fontName=font.regular, fontSize=size, leading=size * 1.35)
        self.bold = ParagraphStyle("bold", parent=self.body, fontName=font.bold)
        self.small = ParagraphStyle("small", parent=self.body, fontSize=size - 2, leading=(size - 2) * 1.3)
        self.label = ParagraphStyle("label", parent=self.small, textColor=colors.Color(0.35, 0.35, 0.35))
        self.heading = ParagraphStyle(
            "heading", parent=self.bold, fontSize=size + 1, spaceBefore=4, spaceAfter=2
        )
        self.item = ParagraphStyle("item", parent=self.body, leftIndent=22, bulletIndent=6)
        self.mono = ParagraphStyle("mono", parent=self.body, fontName=font.mono, fontSize=size - 1.2)


def _p(text: str, style: ParagraphStyle, bold: bool = False) -> Paragraph:
    body = escape(text)
    return Paragraph(f"<b>{body}</b>" if bold else body, style)


class _ColumnOrderTable(Flowable):  # type: ignore[misc]  # reportlab is untyped
    """A table of single-line cells written column by column (or right column first)."""

    def __init__(self, block: Table, rows: tuple[Row, ...], styles: _Styles, width: float) -> None:
        super().__init__()
        self.block, self.rows, self.styles, self.width = block, rows, styles, width
        self.row_height = styles.size * 1.75

    def _lines(self) -> list[tuple[Row, bool]]:
        header = (
            [(Row(tuple(Cell(text, bold=True) for text in self.block.header)), True)]
            if self.block.header
            else []
        )
        return header + [(row, False) for row in self.rows]

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.row_height * len(self._lines())

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        fit = int(avail_height // self.row_height) - (1 if self.block.header else 0)
        if fit < 2 or fit >= len(self.rows):
            return []
        return [
            _ColumnOrderTable(self.block, self.rows[:fit], self.styles, self.width),
            _ColumnOrderTable(self.block, self.rows[fit:], self.styles, self.width),
        ]

    def draw(self) -> None:
        canvas: Canvas = self.canv
        lines = self._lines()
        xs = [0.0]
        for fraction in self.block.widths:
            xs.append(xs[-1] + fraction * self.width)
        top = self.row_height * len(lines)
        columns = list(range(len(self.block.widths)))
        if self.block.order is DrawOrder.REVERSED:
            columns.reverse()
        for column in columns:
            for number, (row, is_header) in enumerate(lines):
                if column >= len(row.cells):
                    continue
                cell = row.cells[column]
                width = xs[-1] if row.heading else xs[column + 1] - xs[column]
                font = self.styles.font.bold if cell.bold or is_header else self.styles.font.regular
                size = self.styles.size
                while size > 5 and pdfmetrics.stringWidth(cell.text, font, size) > width - 4:
                    size -= 0.5
                canvas.setFont(font, size)
                canvas.drawString(xs[column] + 3, top - (number + 0.7) * self.row_height, cell.text)
        canvas.setLineWidth(0.5)
        if self.block.style is TableStyle.GRID:
            for number, (row, _) in enumerate(lines):
                y = top - (number + 1) * self.row_height
                spans = [(xs[0], xs[-1])] if row.heading else list(itertools.pairwise(xs))
                for left, right in spans:
                    canvas.rect(left, y, right - left, self.row_height)
        elif self.block.style is TableStyle.LINES:
            if self.block.header:
                canvas.line(0, top - self.row_height, xs[-1], top - self.row_height)
            canvas.line(0, 0, xs[-1], 0)


def _platypus_table(block: Table, styles: _Styles, width: float) -> RLTable:
    data: list[list[object]] = []
    commands: list[tuple[object, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    if block.header:
        data.append([_p(text, styles.body, bold=True) for text in block.header])
    for row in block.rows:
        number = len(data)
        if row.heading:
            data.append([_p(row.cells[0].text, styles.body, bold=True)] + [""] * (len(block.widths) - 1))
            commands.append(("SPAN", (0, number), (-1, number)))
            if block.style is TableStyle.GRID:
                commands.append(("BACKGROUND", (0, number), (-1, number), _LIGHT))
        else:
            data.append([_p(cell.text, styles.body, bold=cell.bold) for cell in row.cells])
    if block.style is TableStyle.GRID:
        commands.append(("GRID", (0, 0), (-1, -1), 0.5, colors.black))
        if block.header:
            commands.append(("BACKGROUND", (0, 0), (-1, 0), _LIGHT))
    elif block.style is TableStyle.LINES:
        commands.append(("LINEBELOW", (0, -1), (-1, -1), 0.8, colors.black))
        if block.header:
            commands.append(("LINEBELOW", (0, 0), (-1, 0), 0.8, colors.black))
    return RLTable(
        data,
        colWidths=[fraction * width for fraction in block.widths],
        repeatRows=1 if block.header else 0,
        style=RLTableStyle(commands),
        hAlign="LEFT",
    )


def _table(block: Table, styles: _Styles, width: float) -> list[Flowable]:
    flowables: list[Flowable] = []
    if block.caption:
        flowables.append(_p(block.caption, styles.heading))
    if block.style is TableStyle.MONO:
        flowables.append(Preformatted("\n".join(text for text, _ in text_lines(block)), styles.mono))
    elif block.style is TableStyle.PIPE:
        flowables += [_p(text, styles.body, bold=bold) for text, bold in text_lines(block)]
    elif block.order is DrawOrder.ROWS:
        flowables.append(_platypus_table(block, styles, width))
    else:
        flowables.append(_ColumnOrderTable(block, block.rows, styles, width))
    return flowables


def _fields(block: Fields, styles: _Styles, width: float) -> list[Flowable]:
    pairs = block.pairs
    rows = [pairs[start : start + block.columns] for start in range(0, len(pairs), block.columns)]
    if block.style is FieldStyle.INLINE:
        spacer = "&nbsp;" * 6
        return [
            Paragraph(
                spacer.join(f"<b>{escape(label)}</b> {escape(value)}" for label, value in row), styles.body
            )
            for row in rows
        ]
    if block.style is FieldStyle.STACKED:
        grid: list[list[object]] = [
            [[_p(label, styles.label), _p(value, styles.body, bold=True)] for label, value in row]
            + [""] * (block.columns - len(row))
            for row in rows
        ]
        return [RLTable(grid, colWidths=[width / block.columns] * block.columns, hAlign="LEFT")]
    data: list[list[object]] = []
    commands: list[tuple[object, ...]] = [("GRID", (0, 0), (-1, -1), 0.5, colors.black)]
    for row in rows:
        cells: list[object] = []
        for label, value in row:
            cells += [_p(label, styles.small, bold=True), _p(value, styles.body)]
        data.append(cells + [""] * (2 * block.columns - len(cells)))
    for column in range(0, 2 * block.columns, 2):
        commands.append(("BACKGROUND", (column, 0), (column, -1), _LIGHT))
    pair_width = width / block.columns
    col_widths = [pair_width * 0.42, pair_width * 0.58] * block.columns
    return [RLTable(data, colWidths=col_widths, style=RLTableStyle(commands), hAlign="LEFT")]


def _cards(block: Cards, styles: _Styles, width: float) -> list[Flowable]:
    big = ParagraphStyle("big", parent=styles.bold, fontSize=20, leading=26)
    rows: list[list[object]] = []
    commands: list[tuple[object, ...]] = [("VALIGN", (0, 0), (-1, -1), "TOP")]
    for start in range(0, len(block.cards), block.columns):
        row: list[object] = []
        for index, card in enumerate(block.cards[start : start + block.columns]):
            row.append(
                [_p(card.caption, styles.label, bold=True), _p(card.big, big), _p(card.note, styles.small)]
            )
            position = (index, len(rows))
            commands.append(("BOX", position, position, 0.8, colors.Color(0.4, 0.5, 0.6)))
            shade = colors.Color(0.99, 0.92, 0.89) if card.highlight else colors.Color(0.93, 0.96, 0.98)
            commands.append(("BACKGROUND", position, position, shade))
        rows.append(row + [""] * (block.columns - len(row)))
    return [RLTable(rows, colWidths=[width / block.columns] * block.columns, style=RLTableStyle(commands))]


def _flowables(block: Block, styles: _Styles, width: float) -> list[Flowable]:
    match block:
        case Letterhead():
            align = TA_CENTER if block.centered else 0
            name = ParagraphStyle("lh", parent=styles.bold, fontSize=15, leading=19, alignment=align)
            small = ParagraphStyle("lhs", parent=styles.small, alignment=align)
            return [
                _p(block.name, name),
                *(_p(line, small) for line in block.lines),
                HRFlowable(width="100%"),
            ]
        case Title():
            style = ParagraphStyle("title", parent=styles.bold, fontSize=block.size, leading=block.size * 1.4)
            return [Spacer(1, 4), Paragraph(escape(block.text), style.clone("t", alignment=TA_CENTER))]
        case Fields():
            return _fields(block, styles, width)
        case Table():
            return _table(block, styles, width)
        case Section():
            if block.inline and block.paragraphs:
                first = Paragraph(
                    f"<b>{escape(block.heading)}</b> {escape(block.paragraphs[0])}", styles.body
                )
                return [first, *(_p(text, styles.body) for text in block.paragraphs[1:])]
            return [_p(block.heading, styles.heading), *(_p(text, styles.body) for text in block.paragraphs)]
        case ItemList():
            head = [_p(block.heading, styles.heading)] if block.heading else []
            bullet = "•" if styles.font.regular.startswith("DejaVu") else "-"
            return head + [
                Paragraph(escape(item), styles.item, bulletText=f"{number}." if block.numbered else bullet)
                for number, item in enumerate(block.items, start=1)
            ]
        case Cards():
            return _cards(block, styles, width)
        case Columns():
            gutter = 14.0
            inner_width = (width - gutter * (len(block.columns) - 1)) / len(block.columns)
            cells = [
                [f for inner in column for f in _flowables(inner, styles, inner_width)]
                for column in block.columns
            ]
            commands = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0)]
            col_widths = [inner_width + gutter] * (len(block.columns) - 1) + [inner_width]
            return [RLTable([cells], colWidths=col_widths, style=RLTableStyle(commands), hAlign="LEFT")]
        case Rule():
            return [HRFlowable(width="100%", thickness=0.6)]
        case PageBreak():
            return [RLPageBreak()]
    raise TypeError(block)


def _build(document: Document, total_pages: int) -> tuple[bytes, int]:
    page_size = A4 if document.page_size == "a4" else LETTER
    font = _fonts(document)
    styles = _Styles(font, document.font_size)
    buffer = io.BytesIO()
    top = _MARGIN + (14 if document.header else 0)
    template = BaseDocTemplate(
        buffer, pagesize=page_size, leftMargin=_MARGIN, rightMargin=_MARGIN, topMargin=top, bottomMargin=_MARGIN + 10,
        title=document.title, invariant=1,
    )  # fmt: skip

    def decorate(canvas: Canvas, doc: BaseDocTemplate) -> None:
        width, height = page_size
        canvas.saveState()
        if document.watermark:
            canvas.setFillColor(colors.Color(0.87, 0.87, 0.87))
            canvas.setFont(font.bold, 64)
            canvas.translate(width / 2, height / 2)
            canvas.rotate(40)
            canvas.drawCentredString(0, 0, document.watermark)
            canvas.rotate(-40)
            canvas.translate(-width / 2, -height / 2)
        canvas.setFillColor(colors.black)
        canvas.setFont(font.regular, 7.5)
        if document.header and (doc.page > 1 or document.header_on_first):
            canvas.drawString(_MARGIN, height - _MARGIN + 6, document.header)
            canvas.line(_MARGIN, height - _MARGIN + 2, width - _MARGIN, height - _MARGIN + 2)
        if document.footer:
            text = document.footer.replace("{page}", str(doc.page)).replace("{pages}", str(total_pages))
            canvas.drawCentredString(width / 2, _MARGIN - 12, text)
        canvas.restoreState()

    frame = Frame(
        _MARGIN, _MARGIN + 10, template.width, template.height, id="body", leftPadding=0, rightPadding=0
    )
    template.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=decorate)])
    story: list[Flowable] = []
    for block in document.blocks:
        story += _flowables(block, styles, template.width)
        story.append(Spacer(1, 6))
    template.build(story)
    return buffer.getvalue(), template.page


def render(document: Document) -> bytes:
    """``document`` as PDF bytes, laid out by reportlab's platypus (two passes, for "Page X of Y")."""
    _, pages = _build(document, 0)
    data, _ = _build(document, pages)
    return data
