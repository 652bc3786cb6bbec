"""Tables: ruled, aligned and pipe-separated; multi-line cells, heading rows, continuations."""

from __future__ import annotations

from fpdf import FPDF

from lib.documents.model import Cell
from lib.documents.tables import header_row_count
from tests.unit.documents.pdfs import columns_at, grid, read, read_page, rows_of, text_at, texts

LABS = [
    ["Test", "Result", "Units", "Reference"],
    ["Potassium", "4.1", "mmol/L", "3.5-5.1"],
    ["Sodium", "139", "mmol/L", "135-145"],
    ["Hemoglobin", "11.2", "g/dL", "12.0-16.0"],
]


def test_a_ruled_table_drawn_column_by_column_comes_out_row_by_row() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Lab Results:", style="B")
        grid(pdf, 40, 60, [120, 60, 70, 90], LABS, column_order=[2, 0, 1, 3])

    page = read_page(draw)

    (table,) = page.tables
    assert rows_of(table) == LABS
    assert table.header_rows == 1
    assert table.header == ("Test", "Result", "Units", "Reference")
    # Each table row is one content line, in reading order after the heading.
    assert texts(page) == ["Lab Results:", *(" ".join(row) for row in LABS)]


def test_an_unruled_table_is_found_from_aligned_words() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Results of 05/21/2024 follow below.")
        columns_at(
            pdf,
            [40, 200, 260, 340, 440],
            70,
            [
                ["Test", "Result", "Units", "Range", "Flag"],
                *[
                    ["HbA1c", "7.2", "%", "4.0-5.6", "H"],
                    ["Fasting glucose", "182", "mg/dL", "70-99", "H"],
                    ["Potassium", "4.1", "mmol/L", "3.5-5.1", ""],
                ],
            ],
        )
        text_at(pdf, 40, 150, "Repeat in three months.")

    page = read_page(draw)

    (table,) = page.tables
    assert rows_of(table) == [
        ["Test", "Result", "Units", "Range", "Flag"],
        ["HbA1c", "7.2", "%", "4.0-5.6", "H"],
        ["Fasting glucose", "182", "mg/dL", "70-99", "H"],
        ["Potassium", "4.1", "mmol/L", "3.5-5.1", ""],
    ]
    assert table.header_rows == 1
    assert texts(page)[0] == "Results of 05/21/2024 follow below."
    assert texts(page)[-1] == "Repeat in three months."


def test_bold_headings_over_two_result_rows_are_a_table_not_labels_over_values() -> None:
    # Headings over one row would read as labels over their values; the second row has
    # no labels over it, so the band is a table.
    def draw(pdf: FPDF) -> None:
        for x, heading in ((40, "Component"), (200, "Result"), (280, "Ref. Range"), (380, "Units")):
            text_at(pdf, x, 70, heading, style="B")
        columns_at(
            pdf,
            [40, 200, 280, 380],
            86,
            [
                ["Thyroid Stimulating Hormone", "1.30", "0.45-4.50", "mIU/L"],
                ["Free T4", "1.52", "0.82-1.77", "ng/dL"],
            ],
        )

    (table,) = read_page(draw).tables
    assert rows_of(table) == [
        ["Component", "Result", "Ref. Range", "Units"],
        ["Thyroid Stimulating Hormone", "1.30", "0.45-4.50", "mIU/L"],
        ["Free T4", "1.52", "0.82-1.77", "ng/dL"],
    ]


def test_a_header_row_is_found_from_numbers_below_it_when_no_word_names_a_column() -> None:
    def draw(pdf: FPDF) -> None:
        columns_at(
            pdf,
            [40, 200, 300],
            70,
            [["Analysis", "Today", "Previous"], ["Creatinine", "1.1", "1.3"], ["Urea", "40", "38"]],
        )

    (table,) = read_page(draw).tables
    assert table.header_rows == 1
    assert [cell.text for cell in table.body[0]] == ["Creatinine", "1.1", "1.3"]


def test_pipe_separated_rows_are_a_table() -> None:
    def draw(pdf: FPDF) -> None:
        for index, row in enumerate(
            [
                "Test | Result | Units | Range",
                "Potassium | 4.1 | mmol/L | 3.5-5.1",
                "Sodium|139|mmol/L|135-145",
            ]
        ):
            text_at(pdf, 40, 60 + 14 * index, row)

    (table,) = read_page(draw).tables
    assert rows_of(table) == [
        ["Test", "Result", "Units", "Range"],
        ["Potassium", "4.1", "mmol/L", "3.5-5.1"],
        ["Sodium", "139", "mmol/L", "135-145"],
    ]
    assert table.header_rows == 1


def test_multi_line_cells_are_merged_in_ruled_and_unruled_tables() -> None:
    medications = [
        ["Drug", "Dose", "Route", "Frequency"],
        ["Insulin\nglargine", "12 units", "subcutaneous", "at bedtime"],
        ["Albuterol", "90 mcg", "inhaled", "every 6 hours\nas needed"],
    ]

    def ruled(pdf: FPDF) -> None:
        grid(pdf, 40, 60, [110, 70, 90, 110], medications)

    def unruled(pdf: FPDF) -> None:
        columns_at(
            pdf,
            [40, 160, 240, 340],
            60,
            [
                ["Drug", "Dose", "Route", "Frequency"],
                ["Insulin", "12 units", "subcutaneous", "at bedtime"],
                ["glargine", "", "", ""],
                ["Albuterol", "90 mcg", "inhaled", "every 6 hours"],
                ["", "", "", "as needed"],
            ],
            pitch=13,
        )

    expected = [
        ["Drug", "Dose", "Route", "Frequency"],
        ["Insulin glargine", "12 units", "subcutaneous", "at bedtime"],
        ["Albuterol", "90 mcg", "inhaled", "every 6 hours as needed"],
    ]
    for draw in (ruled, unruled):
        (table,) = read_page(draw).tables
        assert rows_of(table) == expected
        assert table.header_rows == 1


def test_a_bold_first_row_is_a_header() -> None:
    rows = [["Name", "Value", "Comment"], ["Ferritin", "12", "low"], ["B12", "300", "normal"]]

    def draw(pdf: FPDF) -> None:
        grid(pdf, 40, 60, [100, 80, 120], [["Analyte", "Today", "Note"], *rows[1:]], bold_first_row=True)

    (table,) = read_page(draw).tables
    assert table.header_rows == 1
    assert table.header == ("Analyte", "Today", "Note")


def test_a_table_at_the_bottom_of_a_page_continues_at_the_top_of_the_next() -> None:
    widths = [120, 60, 70, 90]

    def first(pdf: FPDF) -> None:
        text_at(pdf, 40, 600, "Lab Results:", style="B")
        grid(pdf, 40, 620, widths, LABS)

    def repeated_header(pdf: FPDF) -> None:
        grid(pdf, 40, 50, widths, [LABS[0], ["Chloride", "101", "mmol/L", "98-107"]])
        text_at(pdf, 40, 120, "End of results.")

    def no_header(pdf: FPDF) -> None:
        grid(
            pdf,
            40,
            50,
            widths,
            [["Calcium", "2.3", "mmol/L", "2.1-2.6"], ["Urea", "5.0", "mmol/L", "2.5-7.8"]],
        )

    def new_table(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Medications:", style="B")
        grid(
            pdf,
            40,
            60,
            widths,
            [["Drug", "Dose", "Route", "Frequency"], ["Metformin", "500 mg", "oral", "bid"]],
        )

    for follow, continues in ((repeated_header, True), (no_header, True), (new_table, False)):
        pages = read(first, follow).pages
        assert [table.continues for table in pages[0].tables] == [False]
        assert [table.continues for table in pages[1].tables] == [continues], follow.__name__


def test_a_stray_fragment_above_the_headings_does_not_hide_them() -> None:
    def rows(*texts: list[str]) -> list[tuple[Cell, ...]]:
        return [tuple(Cell(text, None) for text in row) for row in texts]

    headed = rows(
        ["", "", "IU/L", ""],
        ["Medication", "Dose", "Frequency", "Route"],
        ["Tamsulosin", "0.4 mg", "at bedtime", "oral"],
        ["Clopidogrel", "75 mg", "daily", "oral"],
    )
    data = rows(
        ["", "", "IU/L", ""],
        ["Tamsulosin", "0.4 mg", "at bedtime", "oral"],
        ["Aspirin", "81 mg", "daily", "oral"],
    )

    assert header_row_count(headed) == 2  # the fragment and the headings
    assert header_row_count(data) == 0  # a fragment above data heads nothing
