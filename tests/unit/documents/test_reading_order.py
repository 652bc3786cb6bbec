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


def test_a_heading_row_under_a_table_across_its_columns_is_not_one_of_its_rows() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 100, "Component", style="B")
        text_at(pdf, 240, 100, "Your Value", style="B")
        text_at(pdf, 330, 100, "Units", style="B")
        text_at(pdf, 430, 100, "Normal Range", style="B")
        for top, row in (
            (116, ("TSH", "6.01 + HIGH", "uIU/mL", "0.45-4.50")),
            (132, ("Free T4", "2.32", "ng/dL", "0.82-1.77")),
        ):
            for x, text in zip((40, 240, 330, 430), row, strict=True):
                text_at(pdf, x, top, text)
        text_at(pdf, 40, 158, "Conditions we are managing", size=11, style="B")
        text_at(pdf, 310, 158, "Your medications", size=11, style="B")

    page = read_page(draw)

    (table,) = page.tables
    assert [cell.text for cell in table.rows[-1]] == ["Free T4", "2.32", "ng/dL", "0.82-1.77"]
    assert texts(page)[-1] == "Conditions we are managing Your medications"


def test_two_lists_side_by_side_are_read_one_list_after_the_other() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 100, "Conditions we are managing", size=11, style="B")
        text_at(pdf, 310, 100, "Your medications", size=11, style="B")
        lines_at(pdf, 44, 116, ["-", "-"], pitch=13.5)
        lines_at(pdf, 56, 116, ["Osteoporosis", "Acute ischemic stroke"], pitch=13.5)
        lines_at(pdf, 314, 116, ["1.", "2.", "3."], pitch=13.5)
        lines_at(
            pdf,
            328,
            116,
            ["Aspirin 81 mg by mouth once daily", "Prednisone 10 mg PO daily", "Atorvastatin 40 mg PO QHS"],
            pitch=13.5,
        )

    page = read_page(draw)

    assert page.tables == ()
    assert texts(page) == [
        "Conditions we are managing",
        "- Osteoporosis",
        "- Acute ischemic stroke",
        "Your medications",
        "1. Aspirin 81 mg by mouth once daily",
        "2. Prednisone 10 mg PO daily",
        "3. Atorvastatin 40 mg PO QHS",
    ]


def test_a_hanging_list_missing_markers_keeps_one_line_per_row() -> None:
    def draw(pdf: FPDF) -> None:
        lines_at(pdf, 40, 100, ["1.", "", "", "4."], pitch=13.5)
        lines_at(
            pdf,
            56,
            100,
            [
                "Aspirin 81 mg oral QD",
                "Amlodipine 5 mg PO QD",
                "Heparin 5000 units SC q8h",
                "Losartan 50 mg daily",
            ],
            pitch=13.5,
        )

    page = read_page(draw)

    assert page.tables == ()
    assert texts(page) == [
        "1. Aspirin 81 mg oral QD",
        "Amlodipine 5 mg PO QD",
        "Heparin 5000 units SC q8h",
        "4. Losartan 50 mg daily",
    ]


def test_a_number_alone_on_its_line_is_not_a_heading() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 100, "Medications:", style="B")
        text_at(pdf, 40, 116, "Aspirin 81 mg oral daily")
        text_at(pdf, 40, 132, "3", style="B")
        text_at(pdf, 40, 148, "Amlodipine 5 mg oral daily")

    page = read_page(draw)

    assert [block.text for block in page.blocks if block.heading] == ["Medications:"]


def test_headings_side_by_side_over_justified_text_read_column_by_column() -> None:
    def words_at(pdf: FPDF, top: float, placed: list[tuple[float, str]]) -> None:
        for x, word in placed:
            text_at(pdf, x, top, word)

    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 100, "Conditions we are managing", size=11, style="B")
        text_at(pdf, 310, 100, "Your medications", size=11, style="B")
        # Justified lines: wide, even gaps between words that line up like a table's gutters.
        words_at(
            pdf,
            116,
            [
                (40, "1."),
                (56, "Acute"),
                (98, "pancreatitis"),
                (170, "without"),
                (222, "necrosis"),
                (278, "or"),
            ],
        )
        words_at(
            pdf,
            116,
            [
                (310, "Albuterol"),
                (370, "HFA"),
                (404, "90"),
                (428, "mcg/actuation"),
                (506, "2"),
                (522, "puffs"),
            ],
        )
        text_at(pdf, 56, 130, "infection, unspecified (K85.90)")
        text_at(pdf, 310, 130, "inhaled q4h PRN wheeze")
        text_at(pdf, 310, 144, "Ceftriaxone 1 g IV q24h")
        text_at(pdf, 40, 172, "Next steps: Book a follow-up visit in 3 months.")

    page = read_page(draw)

    assert page.tables == ()
    assert texts(page) == [
        "Conditions we are managing",
        "1. Acute pancreatitis without necrosis or",
        "infection, unspecified (K85.90)",
        "Your medications",
        "Albuterol HFA 90 mcg/actuation 2 puffs",
        "inhaled q4h PRN wheeze",
        "Ceftriaxone 1 g IV q24h",
        "Next steps: Book a follow-up visit in 3 months.",
    ]
    assert [block.text for block in page.blocks if block.heading] == [
        "Conditions we are managing",
        "Your medications",
    ]
