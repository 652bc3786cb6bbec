"""Small PDFs drawn in the tests with fpdf2, in points (top-left origin, like the model).

Each page is a function that draws on an :class:`FPDF`; helpers place text at a box
(so a test can draw cells in any order it likes) and draw ruled grids.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from fpdf import FPDF
from pypdf import PdfReader, PdfWriter

from lib.documents import Document, Page, Table, read_document

Draw = Callable[[FPDF], None]


def make_pdf(*pages: Draw) -> bytes:
    """One page per ``pages`` function, A4 in points, Helvetica 10."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(False)
    for draw in pages:
        pdf.add_page()
        pdf.set_font("Helvetica", size=10)
        draw(pdf)
    return bytes(pdf.output())


def read(*pages: Draw) -> Document:
    """The document of one file made of ``pages``."""
    return read_document([make_pdf(*pages)])


def read_page(draw: Draw) -> Page:
    """The single page drawn by ``draw``."""
    return read(draw).pages[0]


def text_at(pdf: FPDF, x: float, top: float, text: str, *, size: float = 10, style: str = "") -> None:
    """``text`` with its top at ``top`` (the baseline sits about 0.8 size lower)."""
    pdf.set_font("Helvetica", style=style, size=size)
    pdf.text(x, top + 0.8 * size, text)


def lines_at(pdf: FPDF, x: float, top: float, texts: Sequence[str], *, pitch: float = 14) -> None:
    """``texts`` one under the other from ``top``."""
    for index, text in enumerate(texts):
        text_at(pdf, x, top + index * pitch, text)


def grid(
    pdf: FPDF,
    x: float,
    top: float,
    widths: Sequence[float],
    rows: Sequence[Sequence[str]],
    *,
    height: float = 18,
    column_order: Sequence[int] | None = None,
    bold_first_row: bool = False,
) -> None:
    """A ruled table; ``column_order`` is the order columns are drawn in (default left to right).

    A cell's text may hold "\\n" for a multi-line cell: the row is then as many lines high.
    """
    lines_per_row = [max(cell.count("\n") + 1 for cell in row) for row in rows]
    tops = [top + sum(lines_per_row[:index]) * height for index in range(len(rows))]
    lefts = [x + sum(widths[:index]) for index in range(len(widths))]
    for column in column_order or range(len(widths)):
        for index, row in enumerate(rows):
            pdf.rect(lefts[column], tops[index], widths[column], lines_per_row[index] * height)
            style = "B" if bold_first_row and index == 0 else ""
            for number, part in enumerate(row[column].split("\n")):
                text_at(pdf, lefts[column] + 3, tops[index] + 4 + number * height, part, style=style)


def columns_at(
    pdf: FPDF, x_positions: Sequence[float], top: float, rows: Sequence[Sequence[str]], *, pitch: float = 16
) -> None:
    """An unruled table: cell ``j`` of each row at ``x_positions[j]``, rows ``pitch`` apart."""
    for index, row in enumerate(rows):
        for x, cell in zip(x_positions, row, strict=True):
            if cell:
                text_at(pdf, x, top + index * pitch, cell)


def encrypt(data: bytes, password: str = "s3cret") -> bytes:
    """``data`` encrypted so it needs ``password`` to open."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    writer.encrypt(user_password=password, owner_password="owner-" + password, algorithm="AES-256")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def texts(page: Page) -> list[str]:
    """The page's content lines."""
    return [line.text for line in page.lines]


def rows_of(table: Table) -> list[list[str]]:
    """A table's cell texts, row by row."""
    return [[cell.text for cell in row] for row in table.rows]
