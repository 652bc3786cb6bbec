"""Scanned tables: rules found in the page image become the grid a text layer's strokes give,
and decimal points tesseract drops from numbers are put back or the number marked unsure.

The scans are made in the test from a generated ruled lab table (as in ``test_ocr.py``):
rendered at 150-200 dpi, turned, blurred, noised and JPEG-compressed.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest
from fpdf import FPDF
from PIL import Image

from lib.documents import Rule, read_document
from lib.documents.ocr import (
    DOUBTFUL_NUMBER_CONFIDENCE,
    REPAIRED_NUMBER_CONFIDENCE,
    _checked_number,
    _decimal_points,
    _RawWord,
    _word,
)
from lib.documents.pdf import grids_from_rules
from lib.documents.raster import Raster
from lib.documents.rules import erase_rules, find_rules
from tests.unit.documents.test_ocr import _image_pdf, _scan_image

_ROWS = [
    ("Test", "Result", "Units", "Reference"),
    ("CHEMISTRY",),
    ("Potassium", "4.9", "mmol/L", "3.5 - 5.0"),
    ("Sodium", "139", "mmol/L", "135 - 145"),
    ("HAEMATOLOGY",),
    ("Haemoglobin", "11.2", "g/dL", "12.0 - 16.0"),
    ("Platelets", "250", "g/L", "150 - 400"),
]
_WIDTHS = (180, 90, 90, 130)


def _ruled_table() -> bytes:
    """A lab table ruled cell by cell, with bold section headings across the whole table."""
    pdf = FPDF(unit="pt", format="A4")
    pdf.set_auto_page_break(auto=False)
    pdf.add_page()
    pdf.set_font("Helvetica", size=10)
    pdf.set_xy(50, 60)
    pdf.cell(0, 14, text="Patient: Jane Doe")
    pdf.set_line_width(0.5)
    top = 100.0
    for row in _ROWS:
        bold = len(row) == 1 or row[0] == "Test"
        pdf.set_font("Helvetica", style="B" if bold else "", size=10)
        if len(row) == 1:
            pdf.set_xy(50, top)
            pdf.cell(sum(_WIDTHS), 18, text=row[0], border=1)
        else:
            left = 50.0
            for width, text in zip(_WIDTHS, row, strict=True):
                pdf.set_xy(left, top)
                pdf.cell(width, 18, text=text, border=1)
                left += width
        top += 18
    pdf.set_font("Helvetica", size=10)
    pdf.set_xy(50, top + 12)
    pdf.cell(0, 14, text="Comment: repeat potassium in one week.")
    return bytes(pdf.output())


@pytest.mark.parametrize(("dpi", "angle"), [(150, 1.5), (200, -0.4), (150, -2.2)])
def test_a_scanned_ruled_table_keeps_its_grid(dpi: int, angle: float) -> None:
    scan = _image_pdf(_scan_image(_ruled_table(), dpi, angle=angle), dpi)

    page = read_document([scan]).pages[0]

    assert len(page.tables) == 1
    table = page.tables[0]
    # One table across the bold section headings, its header found, nothing after it taken in.
    assert len(table.rows) == len(_ROWS)
    assert table.header == ("Test", "Result", "Units", "Reference")
    assert [cell.text for cell in table.rows[1]] == ["CHEMISTRY", "", "", ""]
    assert [row[0].text for row in table.body] == [row[0] for row in _ROWS[1:]]
    units = [row[2].text for row in table.body if row[1].text]
    assert units[:3] == ["mmol/L", "mmol/L", "g/dL"] and len(units) == 4 and units[3]
    assert any(line.text.startswith("Comment") for line in page.lines)
    assert not any("Comment" in cell.text for row in table.rows for cell in row)


def test_rules_are_found_in_pixels_and_text_strokes_are_not() -> None:
    pixels = np.full((400, 600), 255, dtype=np.uint8)
    for y in (50, 100, 150):
        pixels[y : y + 2, 40:560] = 0  # three rules across the table
    for x in (40, 300, 558):
        pixels[50:152, x : x + 2] = 0  # and three down it
    pixels[250:262, 100:300] = 0  # a filled bar: too thick to be a rule
    pixels[320:322, 100:400] = 0  # an underline meeting no other rule

    rules = find_rules(pixels, pixels_per_point=2.0)

    assert sorted(rule.at for rule in rules if rule.horizontal) == [50.5, 100.5, 150.5]
    assert sorted(rule.at for rule in rules if not rule.horizontal) == [40.5, 300.5, 558.5]
    erased = erase_rules(pixels, rules)
    assert erased[40:160].min() == 255
    assert erased[250:262, 100:300].max() == 0


def test_rules_become_the_grid_of_cells_the_table_finder_gives_a_text_page() -> None:
    rules = [Rule(40.0, y, 560.0, y) for y in (50.0, 70.0, 90.0)]
    rules += [Rule(x, 50.0, x, 90.0) for x in (40.0, 300.0, 560.0)]
    rules.append(Rule(40.0, 200.0, 300.0, 200.0))  # an underline: no cells

    (grid,) = grids_from_rules(rules)

    assert [[(box.x0, box.top) for box in row if box is not None] for row in grid] == [
        [(40.0, 50.0), (300.0, 50.0)],
        [(40.0, 70.0), (300.0, 70.0)],
    ]


def _digits_image(dot: bool, foot: bool = False) -> npt.NDArray[np.uint8]:
    """Two 8x20 px "digits" on a white strip, with a 3 px point between them at the baseline."""
    pixels = np.full((30, 60), 255, dtype=np.uint8)
    pixels[5:25, 10:18] = 0
    pixels[5:25, 26:34] = 0
    if dot:
        pixels[22:25, 20:23] = 0
    if foot:
        pixels[22:25, 18:21] = 0  # the foot of a "2", touching its digit
    return pixels


def test_a_decimal_point_tesseract_dropped_is_put_back_and_the_number_marked_unsure() -> None:
    raw = _RawWord("49", 0.95, (10, 5, 34, 25), symbols=((10, 18), (26, 34)))

    points = _decimal_points(_digits_image(dot=True), raw)
    text, confidence = _checked_number(raw, points)

    assert (text, confidence) == ("4.9", REPAIRED_NUMBER_CONFIDENCE)
    # Without one box per character the point cannot be placed: the number is only doubted.
    unplaced = _RawWord("49", 0.95, (10, 5, 34, 25))
    assert _checked_number(unplaced, points) == ("49", DOUBTFUL_NUMBER_CONFIDENCE)


def test_a_dropped_point_inside_a_digits_box_is_put_back_between_the_digits() -> None:
    # At 150-200 dpi tesseract's box for the "4" of "4.9" often takes the point in.
    raw = _RawWord("49", 0.95, (10, 5, 34, 25), symbols=((10, 23), (26, 34)))

    points = _decimal_points(_digits_image(dot=True), raw)

    assert _checked_number(raw, points) == ("4.9", REPAIRED_NUMBER_CONFIDENCE)


@pytest.mark.parametrize("text", ["49", "4.9"])
def test_a_number_whose_image_shows_no_missing_point_is_left_alone(text: str) -> None:
    raw = _RawWord(text, 0.95, (10, 5, 34, 25), symbols=((10, 18), (26, 34)))

    assert _checked_number(raw, _decimal_points(_digits_image(dot=False, foot=True), raw)) == (text, 0.95)


@pytest.mark.parametrize(("read", "written"), [("5,1", "5.1"), ("12,75", "12.75"), ("1,234", "1,234")])
def test_a_decimal_comma_ocr_read_is_written_as_a_point_and_a_thousands_comma_kept(
    read: str, written: str
) -> None:
    raster = Raster(Image.new("L", (100, 40), 255), scale=150 / 72, origin=(0.0, 0.0), scanned=True)
    word = _word(_RawWord(read, 0.9, (10, 5, 34, 25)), raster, page_number=1)

    assert (word.text, word.confidence) == (written, 0.9)
