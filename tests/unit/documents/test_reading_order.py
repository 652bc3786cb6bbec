"""Reading order: columns read column by column, table rows left to right, lines top to bottom."""

from __future__ import annotations

from fpdf import FPDF

from tests.unit.documents.pdfs import lines_at, read_page, text_at, texts


def test_a_two_column_header_block_reads_column_by_column() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Riverside General Hospital", size=15, style="B")
        # The right column is drawn first, as some generators do.
        lines_at(pdf, 300, 80, ["MRN: 0048213", "Sex: Female", "Physician: Dr. Alan Smithee"])
        lines_at(
            pdf, 40, 80, ["Patient Name: Jane Q. Doe", "Date of Birth: 03/14/1962", "Report Date: 05/21/2024"]
        )
        text_at(pdf, 40, 140, "Diagnoses:", size=11, style="B")
        text_at(pdf, 40, 158, "- Type 2 diabetes mellitus without complications, on metformin since 2019")

    page = read_page(draw)

    assert texts(page) == [
        "Riverside General Hospital",
        "Patient Name: Jane Q. Doe",
        "Date of Birth: 03/14/1962",
        "Report Date: 05/21/2024",
        "MRN: 0048213",
        "Sex: Female",
        "Physician: Dr. Alan Smithee",
        "Diagnoses:",
        "- Type 2 diabetes mellitus without complications, on metformin since 2019",
    ]
    blocks = [block.text for block in page.blocks]
    assert "Patient Name: Jane Q. Doe\nDate of Birth: 03/14/1962\nReport Date: 05/21/2024" in blocks
    assert "MRN: 0048213\nSex: Female\nPhysician: Dr. Alan Smithee" in blocks


def test_two_columns_of_text_are_read_one_after_the_other() -> None:
    left = ["The patient was admitted", "with chest pain and", "shortness of breath."]
    right = ["Troponin was negative", "on two occasions and", "the ECG was normal."]

    def draw(pdf: FPDF) -> None:
        lines_at(pdf, 320, 100, right)
        lines_at(pdf, 40, 100, left)

    assert texts(read_page(draw)) == left + right


def test_a_heading_is_a_block_of_its_own_and_marked() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Findings:", size=11, style="B")
        lines_at(pdf, 40, 58, ["- No peripheral edema.", "- Lungs clear."])
        text_at(pdf, 40, 110, "IMPRESSION")
        text_at(pdf, 40, 126, "Stable.")

    page = read_page(draw)

    assert [(block.text, block.heading) for block in page.blocks] == [
        ("Findings:", True),
        ("- No peripheral edema.\n- Lungs clear.", False),
        ("IMPRESSION", True),
        ("Stable.", False),
    ]


def test_words_keep_their_font_weight_size_and_unicode() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Vitamin B12", style="B", size=12)
        text_at(pdf, 40, 60, "Folate 12 µg/L")

    page = read_page(draw)

    vitamin, folate = page.lines
    assert [(w.text, w.bold, w.font_size) for w in vitamin.words] == [
        ("Vitamin", True, 12.0),
        ("B12", True, 12.0),
    ]
    assert folate.text == "Folate 12 µg/L"
    assert not any(word.bold for word in folate.words)
    assert page.words == vitamin.words + folate.words
