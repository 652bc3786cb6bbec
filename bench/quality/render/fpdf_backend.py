"""The fpdf2 back end: blocks placed by hand with a cursor, tables cell by cell in any stream order."""

from __future__ import annotations

from datetime import UTC, datetime

from fpdf import FPDF

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

_MARGIN = 50.0
_GAP = 7.0
_FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


class _Pdf(FPDF):
    """FPDF with the document's running header, footer and watermark."""

    def __init__(self, document: Document, unicode: bool) -> None:
        super().__init__(unit="pt", format=document.page_size)
        self.document = document
        if unicode:
            for family, styles in fonts.DEJAVU.items():
                for style, path in styles.items():
                    self.add_font(family, style, str(path))
            self.sans, self.mono = ("DejaVuSerif" if document.serif else "DejaVuSans"), "DejaVuSansMono"
        else:
            self.sans, self.mono = ("times" if document.serif else "helvetica"), "courier"
        top = _MARGIN + (14 if document.header else 0)
        self.set_margins(_MARGIN, top, _MARGIN)
        self.set_auto_page_break(True, margin=_MARGIN + (12 if document.footer else 0))
        self.set_creation_date(_FIXED_DATE)
        self.set_title(document.title)

    def font(self, size: float, bold: bool = False, mono: bool = False) -> None:
        self.set_font(self.mono if mono else self.sans, "B" if bold else "", size)

    def header(self) -> None:
        document = self.document
        if document.watermark:
            self.font(64, bold=True)
            self.set_text_color(222, 222, 222)
            with self.rotation(40, x=self.w / 2, y=self.h / 2):
                width = self.get_string_width(document.watermark)
                self.text(self.w / 2 - width / 2, self.h / 2, document.watermark)
            self.set_text_color(0, 0, 0)
        if document.header and (self.page_no() > 1 or document.header_on_first):
            self.font(7.5)
            self.set_xy(_MARGIN, _MARGIN - 18)
            self.cell(self.w - 2 * _MARGIN, 10, document.header)
            self.line(_MARGIN, _MARGIN - 6, self.w - _MARGIN, _MARGIN - 6)
            self.set_xy(_MARGIN, self.t_margin)

    def footer(self) -> None:
        if not self.document.footer:
            return
        self.font(7.5)
        self.set_xy(_MARGIN, self.h - _MARGIN + 4)
        text = self.document.footer.replace("{page}", str(self.page_no())).replace("{pages}", "{nb}")
        self.cell(self.w - 2 * _MARGIN, 10, text, align="C")


def _fit(pdf: _Pdf, text: str, width: float, size: float, bold: bool = False) -> None:
    """Set a font size at which ``text`` fits ``width``."""
    pdf.font(size, bold)
    while size > 5 and pdf.get_string_width(text) > width - 4:
        size -= 0.5
        pdf.font(size, bold)


def _letterhead(pdf: _Pdf, block: Letterhead) -> None:
    align = "C" if block.centered else "L"
    pdf.font(15, bold=True)
    pdf.cell(pdf.epw, 18, block.name, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.font(8)
    for line in block.lines:
        pdf.cell(pdf.epw, 10, line, align=align, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(4)


def _title(pdf: _Pdf, block: Title) -> None:
    pdf.font(block.size, bold=True)
    pdf.cell(pdf.epw, block.size + 6, block.text, align="C", new_x="LMARGIN", new_y="NEXT")


def _fields(pdf: _Pdf, block: Fields, size: float) -> None:
    if block.style is FieldStyle.INLINE:
        _inline_fields(pdf, block, size)
        return
    width = pdf.epw / block.columns
    height = 2.6 * size if block.style is FieldStyle.STACKED else 1.8 * size
    for start in range(0, len(block.pairs), block.columns):
        if pdf.will_page_break(height):
            pdf.add_page()
        y = pdf.get_y()
        for index, (label, value) in enumerate(block.pairs[start : start + block.columns]):
            x = pdf.l_margin + index * width
            if block.style is FieldStyle.STACKED:
                pdf.set_text_color(90, 90, 90)
                _fit(pdf, label, width, size - 2)
                pdf.text(x + 2, y + size - 1, label)
                pdf.set_text_color(0, 0, 0)
                _fit(pdf, value, width, size, bold=True)
                pdf.text(x + 2, y + 2.2 * size, value)
            else:
                label_width = width * 0.42
                pdf.set_fill_color(236, 236, 236)
                pdf.rect(x, y, label_width, height, style="DF")
                pdf.rect(x + label_width, y, width - label_width, height)
                _fit(pdf, label, label_width, size - 1, bold=True)
                pdf.text(x + 3, y + 1.25 * size, label)
                _fit(pdf, value, width - label_width, size)
                pdf.text(x + label_width + 3, y + 1.25 * size, value)
        pdf.set_y(y + height)


def _inline_fields(pdf: _Pdf, block: Fields, size: float) -> None:
    """Pairs one after another, ``columns`` at most per line, wrapping when the line is full."""
    line_height = 1.5 * size
    x, count = pdf.l_margin, 0
    for label, value in block.pairs:
        pdf.font(size, bold=True)
        label_width = pdf.get_string_width(label + " ")
        pdf.font(size)
        width = label_width + pdf.get_string_width(value)
        if count == block.columns or (count and x + width > pdf.w - pdf.r_margin):
            pdf.ln(line_height)
            x, count = pdf.l_margin, 0
        pdf.set_x(x)
        pdf.font(size, bold=True)
        pdf.cell(label_width, line_height, label + " ")
        pdf.font(size)
        pdf.cell(width - label_width, line_height, value)
        x += width + 22
        count += 1
    pdf.ln(line_height)


def _text_table(pdf: _Pdf, block: Table, size: float) -> None:
    mono = block.style is TableStyle.MONO
    for text, bold in text_lines(block):
        if mono:
            _fit_mono(pdf, text, size, bold)
        else:
            pdf.font(size, bold)
        pdf.cell(pdf.epw, 1.45 * size, text, new_x="LMARGIN", new_y="NEXT")


def _fit_mono(pdf: _Pdf, text: str, size: float, bold: bool) -> None:
    pdf.font(size - 1, bold, mono=True)
    while pdf.get_string_width(text) > pdf.epw and size > 6:
        size -= 0.5
        pdf.font(size - 1, bold, mono=True)


def _table(pdf: _Pdf, block: Table, size: float) -> None:
    if block.caption:
        pdf.font(size + 0.5, bold=True)
        pdf.cell(pdf.epw, 1.8 * size, block.caption, new_x="LMARGIN", new_y="NEXT")
    if block.style in (TableStyle.PIPE, TableStyle.MONO):
        _text_table(pdf, block, size)
        return
    height = 1.7 * size
    rows = list(block.rows)
    while rows:
        room = int((pdf.page_break_trigger - pdf.get_y()) // height) - (1 if block.header else 0)
        if room < 2:
            pdf.add_page()
            continue
        chunk, rows = rows[:room], rows[room:]
        _table_chunk(pdf, block, chunk, size, height)
        if rows:
            pdf.add_page()
            if block.caption:
                pdf.font(size, bold=True)
                pdf.cell(pdf.epw, 1.6 * size, f"{block.caption} (continued)", new_x="LMARGIN", new_y="NEXT")


def _table_chunk(pdf: _Pdf, block: Table, rows: list[Row], size: float, height: float) -> None:
    """Draw ``rows`` (plus the header) starting at the cursor, cells in the table's stream order."""
    top = pdf.get_y()
    xs = [pdf.l_margin]
    for fraction in block.widths:
        xs.append(xs[-1] + fraction * pdf.epw)
    placed: list[tuple[int, float, Row, bool]] = []  # (row number, y, row, is_header)
    if block.header:
        placed.append((0, top, Row(tuple(Cell(text, bold=True) for text in block.header)), True))
    for row in rows:
        placed.append((len(placed), top + len(placed) * height, row, False))
    columns = list(range(len(block.widths)))
    if block.order is DrawOrder.REVERSED:
        columns.reverse()
    if block.order is DrawOrder.ROWS:
        operations = [(column, item) for item in placed for column in range(len(item[2].cells))]
    else:
        operations = [(column, item) for column in columns for item in placed if column < len(item[2].cells)]
    for column, (_, y, row, is_header) in operations:
        cell = row.cells[column]
        width = (xs[-1] - xs[0]) if row.heading else xs[column + 1] - xs[column]
        if block.style is TableStyle.GRID and (is_header or row.heading):
            pdf.set_fill_color(230, 230, 230)
            pdf.rect(xs[column], y, width, height, style="F")
        _fit(pdf, cell.text, width, size, bold=cell.bold or is_header)
        pdf.text(xs[column] + 3, y + height * 0.7, cell.text)
    bottom = top + len(placed) * height
    if block.style is TableStyle.GRID:
        for _, y, row, _ in placed:
            if row.heading:
                pdf.rect(xs[0], y, xs[-1] - xs[0], height)
            else:
                for column in range(len(block.widths)):
                    pdf.rect(xs[column], y, xs[column + 1] - xs[column], height)
    elif block.style is TableStyle.LINES:
        if block.header:
            pdf.line(xs[0], top + height, xs[-1], top + height)
        pdf.line(xs[0], bottom, xs[-1], bottom)
    pdf.set_y(bottom)


def _section(pdf: _Pdf, block: Section, size: float) -> None:
    line_height = 1.45 * size
    if block.inline and block.paragraphs:
        pdf.font(size, bold=True)
        pdf.write(line_height, block.heading + " ")
        pdf.font(size)
        pdf.write(line_height, block.paragraphs[0])
        pdf.ln(line_height)
        rest = block.paragraphs[1:]
    else:
        pdf.font(size + 0.5, bold=True)
        pdf.cell(pdf.epw, 1.7 * size, block.heading, new_x="LMARGIN", new_y="NEXT")
        rest = block.paragraphs
    pdf.font(size)
    for paragraph in rest:
        pdf.multi_cell(pdf.epw, line_height, paragraph, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)


def _item_list(pdf: _Pdf, block: ItemList, size: float) -> None:
    if block.heading:
        pdf.font(size + 0.5, bold=True)
        pdf.cell(pdf.epw, 1.7 * size, block.heading, new_x="LMARGIN", new_y="NEXT")
    pdf.font(size)
    for number, item in enumerate(block.items, start=1):
        marker = f"{number}." if block.numbered else "•" if pdf.sans.startswith("DejaVu") else "-"
        pdf.set_x(pdf.l_margin + 6)
        pdf.cell(16, 1.45 * size, marker)
        pdf.multi_cell(pdf.epw - 22, 1.45 * size, item, new_x="LMARGIN", new_y="NEXT")


def _cards(pdf: _Pdf, block: Cards, size: float) -> None:
    width = pdf.epw / block.columns
    height = 74.0
    for start in range(0, len(block.cards), block.columns):
        if pdf.will_page_break(height + 6):
            pdf.add_page()
        y = pdf.get_y()
        for index, card in enumerate(block.cards[start : start + block.columns]):
            x = pdf.l_margin + index * width
            if card.highlight:
                pdf.set_fill_color(253, 236, 228)
            else:
                pdf.set_fill_color(238, 245, 251)
            pdf.rect(x + 3, y, width - 6, height, style="DF", round_corners=True, corner_radius=6)
            pdf.set_text_color(70, 70, 70)
            _fit(pdf, card.caption, width - 8, size - 1, bold=True)
            pdf.text(x + 10, y + 15, card.caption)
            pdf.set_text_color(0, 0, 0)
            _fit(pdf, card.big, width - 8, 22, bold=True)
            pdf.text(x + 10, y + 44, card.big)
            _fit(pdf, card.note, width - 8, size - 1.5)
            pdf.text(x + 10, y + 62, card.note)
        pdf.set_y(y + height + 6)


def _columns(pdf: _Pdf, block: Columns, size: float) -> None:
    """Each column drawn in turn between its own margins, from the same top; the cursor ends below the longest."""
    gutter = 14.0
    left, right = pdf.l_margin, pdf.r_margin
    width = (pdf.epw - gutter * (len(block.columns) - 1)) / len(block.columns)
    top, bottom = pdf.get_y(), pdf.get_y()
    for index, column in enumerate(block.columns):
        x = left + index * (width + gutter)
        pdf.set_left_margin(x)
        pdf.set_right_margin(pdf.w - x - width)
        pdf.set_xy(x, top)
        for inner in column:
            _draw(pdf, inner, size)
        bottom = max(bottom, pdf.get_y())
    pdf.set_left_margin(left)
    pdf.set_right_margin(right)
    pdf.set_xy(left, bottom)


def _draw(pdf: _Pdf, block: Block, size: float) -> None:
    match block:
        case Letterhead():
            _letterhead(pdf, block)
        case Title():
            _title(pdf, block)
        case Fields():
            _fields(pdf, block, size)
        case Table():
            _table(pdf, block, size)
        case Section():
            _section(pdf, block, size)
        case ItemList():
            _item_list(pdf, block, size)
        case Cards():
            _cards(pdf, block, size)
        case Columns():
            _columns(pdf, block, size)
        case Rule():
            pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
        case PageBreak():
            pdf.add_page()
            return
    pdf.ln(_GAP)


def render(document: Document) -> bytes:
    """``document`` as PDF bytes, laid out by fpdf2 (byte-identical for the same document)."""
    pdf = _Pdf(document, unicode=fonts.needs_unicode(all_text(document)))
    pdf.add_page()
    for block in document.blocks:
        _draw(pdf, block, document.font_size)
    return bytes(pdf.output())
