"""Running headers, footers, page numbers and watermarks are set aside from the content."""

from __future__ import annotations

from fpdf import FPDF

from tests.unit.documents.pdfs import Draw, read, read_page, text_at, texts


def report_page(number: int, pages: int, body: str) -> Draw:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 30, "Riverside General Hospital - Laboratory", size=8)
        if number == 1:
            text_at(pdf, 40, 60, "Discharge Summary", size=13, style="B")
        text_at(pdf, 40, 100, body)
        text_at(pdf, 250, 800, f"Page {number} of {pages}", size=8)
        with pdf.rotation(45, 300, 420):
            text_at(pdf, 200, 420, "CONFIDENTIAL", size=60)
        pdf.set_text_color(215)
        text_at(pdf, 150, 600, "DRAFT", size=48)
        pdf.set_text_color(0)

    return draw


def test_headers_footers_and_watermarks_repeating_on_pages_are_furniture() -> None:
    bodies = ["Potassium 4.1 mmol/L", "Sodium 139 mmol/L", "Chloride 101 mmol/L"]
    document = read(*(report_page(n, 3, body) for n, body in enumerate(bodies, start=1)))

    assert [texts(page) for page in document.pages] == [
        ["Discharge Summary", "Potassium 4.1 mmol/L"],
        ["Sodium 139 mmol/L"],
        ["Chloride 101 mmol/L"],
    ]
    for number, page in enumerate(document.pages, start=1):
        assert [line.text for line in page.furniture] == [
            "Riverside General Hospital - Laboratory",
            f"Page {number} of 3",
            "CONFIDENTIAL",
            "DRAFT",
        ]
    assert "CONFIDENTIAL" not in document.text
    assert "Page 2" not in document.text


def test_a_header_on_one_page_only_is_content_but_a_page_number_is_not() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 30, "Riverside General Hospital - Laboratory", size=8)
        text_at(pdf, 40, 100, "Potassium 4.1 mmol/L")
        text_at(pdf, 280, 805, "- 1 -", size=8)

    page = read_page(draw)

    assert texts(page) == ["Riverside General Hospital - Laboratory", "Potassium 4.1 mmol/L"]
    assert [line.text for line in page.furniture] == ["- 1 -"]


def test_a_table_heading_repeated_at_the_top_of_each_page_stays_content() -> None:
    def draw(number: int) -> Draw:
        def page(pdf: FPDF) -> None:
            for x, text in ((40, "Test"), (200, "Result"), (300, "Units")):
                text_at(pdf, x, 40, text)
            for x, text in ((40, f"Analyte {number}"), (200, "4.1"), (300, "mmol/L")):
                text_at(pdf, x, 56, text)
            for x, text in ((40, f"Other {number}"), (200, "139"), (300, "mmol/L")):
                text_at(pdf, x, 72, text)

        return page

    document = read(draw(1), draw(2), draw(3))

    assert all(page.furniture == () for page in document.pages)
    assert all(page.tables[0].header == ("Test", "Result", "Units") for page in document.pages)
