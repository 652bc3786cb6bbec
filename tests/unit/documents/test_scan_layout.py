"""Layout of OCR words: skew undone before rows are found, bold measured, OCR box noise tolerated.

The layout tests give :func:`read_document` an OCR engine that reports words where a
skewed scan would have them, so they run without tesseract; the bold test reads a real
generated scan (built as in ``test_ocr.py``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pytest
from fpdf import FPDF

from lib.documents import BBox, TextSource, Word, read_document
from lib.documents.deskew import Level
from lib.documents.ocr import ocr_page
from lib.documents.rows import group_rows
from tests.unit.documents.pdfs import make_pdf
from tests.unit.documents.test_ocr import _image_pdf, _scan_image, _soon
from tests.unit.documents.test_reader import FakeOcrPage, scanned_page

A4 = (595.0, 842.0)


@dataclass
class SkewedOcr:
    """Reports ``lines`` of (x, text) words, 14 pt apart, as a scan falling ``degrees`` to the right."""

    lines: list[list[tuple[float, str]]]
    degrees: float

    def words(self, page_number: int) -> tuple[Word, ...]:
        level = Level(self.degrees, (A4[0] / 2, A4[1] / 2))
        out = []
        for number, line in enumerate(self.lines):
            top = 100.0 + 14 * number
            for x, text in line:
                box = level.page_box(BBox(x, top, x + 6 * len(text), top + 8))
                out.append(Word(text, box, page_number, TextSource.OCR, confidence=0.9))
        return tuple(out)

    def __call__(
        self, pdf: bytes, page_index: int, *, page_number: int, deadline: float, clip: BBox | None = None
    ) -> FakeOcrPage:
        return FakeOcrPage(self.words(page_number), readable=True, skew_degrees=self.degrees)


def _scan_a4() -> bytes:
    return make_pdf(scanned_page)


def test_a_level_box_turned_back_is_the_reported_box() -> None:
    level = Level(-2.1, (300.0, 400.0))
    reported = level.page_box(BBox(50.0, 120.0, 170.0, 129.0))

    back = level.page_box(level.level_box(reported))

    assert back.as_list() == pytest.approx(reported.as_list(), abs=0.01)


@pytest.mark.parametrize("degrees", [2.5, -2.5, 1.0])
def test_lines_of_a_skewed_scan_are_read_as_lines_with_their_reported_boxes(degrees: float) -> None:
    lines = [
        [(60.0, "Potassium"), (260.0, "4.1"), (360.0, "mmol/L"), (480.0, "N")],
        [(60.0, "Sodium"), (260.0, "139"), (360.0, "mmol/L"), (480.0, "N")],
        [(60.0, "Glucose"), (260.0, "5.8"), (360.0, "mmol/L"), (480.0, "H")],
    ]
    ocr = SkewedOcr(lines, degrees)

    page = read_document([_scan_a4()], ocr=ocr).pages[0]

    assert [line.text for line in page.lines] == [" ".join(text for _, text in line) for line in lines]
    # Provenance stays on the page as scanned: every word keeps the box OCR reported.
    assert set(page.words) == set(ocr.words(1))


def test_a_skewed_table_is_found_with_its_columns() -> None:
    lines = [
        [(60.0, "Test"), (260.0, "Result"), (360.0, "Units"), (480.0, "Flag")],
        [(60.0, "Potassium"), (260.0, "4.1"), (360.0, "mmol/L"), (480.0, "N")],
        [(60.0, "Sodium"), (260.0, "139"), (360.0, "mmol/L"), (480.0, "N")],
        [(60.0, "Glucose"), (260.0, "5.8"), (360.0, "mmol/L"), (480.0, "H")],
    ]
    ocr = SkewedOcr(lines, 2.0)

    page = read_document([_scan_a4()], ocr=ocr).pages[0]

    assert len(page.tables) == 1
    table = page.tables[0]
    assert [[cell.text for cell in row] for row in table.body][2] == ["Glucose", "5.8", "mmol/L", "H"]
    on_page = {word.bbox for word in ocr.words(1)}
    assert all(word.bbox in on_page for row in table.rows for cell in row for word in cell.words)


def test_an_ocr_box_spanning_several_lines_does_not_merge_them() -> None:
    def word(text: str, x: float, top: float, bottom: float) -> Word:
        return Word(text, BBox(x, top, x + 30, bottom), 1, TextSource.OCR, confidence=0.9)

    words = [word(f"line{n}", 90, 100 + 12.6 * n, 108 + 12.6 * n) for n in range(6)]
    words.append(word("OK", 70, 100, 170))  # tesseract read the list numbers as one tall word

    rows = group_rows(words)

    assert sum(1 for row in rows if any(w.text.startswith("line") for w in row.words)) == 6


def test_bold_words_of_a_scan_are_marked_bold() -> None:
    pdf = FPDF(unit="pt", format=(300, 160))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", style="B", size=10)
    pdf.cell(0, 16, text="COMPLETE BLOOD COUNT", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", size=10)
    for line in ("Hemoglobin 11.2 g/dL low", "Platelets 250 x10^9/L normal", "Sodium 139 mmol/L normal"):
        pdf.cell(0, 16, text=line, new_x="LMARGIN", new_y="NEXT")
    scan = _image_pdf(_scan_image(bytes(pdf.output()), 150, angle=1.0), 150)

    words = ocr_page(scan, 0, page_number=1, deadline=_soon()).words

    bold = {word.text for word in words if word.bold}
    assert {"COMPLETE", "BLOOD", "COUNT"} <= bold
    assert not bold & {"Hemoglobin", "Platelets", "Sodium", "normal"}


def test_level_boxes_keep_a_word_its_own_size() -> None:
    level = Level(2.0, (0.0, 0.0))
    theta = math.radians(2.0)
    reported = level.page_box(BBox(0.0, 0.0, 100.0, 10.0))

    own = level.level_box(reported)

    assert reported.bottom - reported.top == pytest.approx(100 * math.sin(theta) + 10 * math.cos(theta))
    assert (own.x1 - own.x0, own.bottom - own.top) == pytest.approx((100.0, 10.0))
