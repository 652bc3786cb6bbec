"""Key-value pairs: on one line, in neighbouring grid cells, label above value."""

from __future__ import annotations

from fpdf import FPDF

from lib.documents import Page
from tests.unit.documents.pdfs import columns_at, grid, lines_at, read_page, text_at


def pairs(page: Page) -> list[tuple[str, str]]:
    return [(kv.label, kv.value) for kv in page.key_values]


def test_three_pairs_on_one_line_are_split_at_their_labels() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Name: DOE, Jane     DOB: 01/02/1960     MRN: 123")
        text_at(pdf, 40, 60, "Patient Name: Jane Doe Date of Birth: 01/02/1960 Sex: F")
        text_at(pdf, 40, 80, "MR#: 48213 | Acct #: 99-1 | Room:12B")

    assert pairs(read_page(draw)) == [
        ("Name", "DOE, Jane"),
        ("DOB", "01/02/1960"),
        ("MRN", "123"),
        ("Patient Name", "Jane Doe"),
        ("Date of Birth", "01/02/1960"),
        ("Sex", "F"),
        ("MR#", "48213"),
        ("Acct #", "99-1"),
        ("Room", "12B"),
    ]


def test_a_pair_keeps_the_boxes_of_its_label_and_value() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "Sex:   Female")

    (pair,) = read_page(draw).key_values
    assert pair.label_bbox is not None and pair.value_bbox is not None
    assert pair.label_bbox.x1 < pair.value_bbox.x0
    assert [word.text for word in pair.value_words] == ["Female"]
    assert pair.page == 1


def test_a_sentence_with_a_colon_is_not_a_pair() -> None:
    def draw(pdf: FPDF) -> None:
        text_at(pdf, 40, 40, "The patient was advised to continue as before: rest and fluids.")
        text_at(pdf, 40, 60, "Follow-up at 10:30 tomorrow.")

    assert pairs(read_page(draw)) == []


def test_a_label_cell_and_the_cell_beside_it_are_a_pair() -> None:
    def draw(pdf: FPDF) -> None:
        grid(
            pdf,
            40,
            60,
            [90, 150, 90, 120],
            [
                ["Patient:", "Jane Q. Doe", "MRN:", "0048213"],
                ["Physician:", "Dr. Alan Smithee", "Ward:", "4B"],
            ],
        )
        grid(pdf, 40, 140, [120, 200], [["Specimen", "Venous blood"], ["Collected", "05/21/2024 08:10"]])

    page = read_page(draw)

    assert pairs(page) == [
        ("Patient", "Jane Q. Doe"),
        ("MRN", "0048213"),
        ("Physician", "Dr. Alan Smithee"),
        ("Ward", "4B"),
        ("Specimen", "Venous blood"),
        ("Collected", "05/21/2024 08:10"),
    ]


def test_labels_printed_above_their_values_are_pairs() -> None:
    def draw(pdf: FPDF) -> None:
        pdf.set_font("Helvetica", size=7)
        for x, label in ((40, "PATIENT NAME"), (200, "DATE OF BIRTH"), (340, "MRN")):
            text_at(pdf, x, 60, label, size=7)
        columns_at(pdf, [40, 200, 340], 70, [["Doe, Jane", "01/02/1960", "0048213"]])
        text_at(pdf, 40, 120, "Ordering provider", size=7)
        text_at(pdf, 40, 129, "Dr. Alan Smithee")

    page = read_page(draw)

    assert pairs(page) == [
        ("PATIENT NAME", "Doe, Jane"),
        ("DATE OF BIRTH", "01/02/1960"),
        ("MRN", "0048213"),
        ("Ordering provider", "Dr. Alan Smithee"),
    ]
    assert page.tables == ()
    # Read column by column: each label is followed by its value.
    assert [line.text for line in page.lines][:2] == ["PATIENT NAME", "Doe, Jane"]


def test_a_column_of_labels_reads_with_its_values() -> None:
    def draw(pdf: FPDF) -> None:
        lines_at(pdf, 40, 60, ["Patient:", "DOB:", "Sex:"])
        lines_at(pdf, 130, 60, ["Jane Q. Doe", "03/14/1962", "Female"])
        lines_at(pdf, 330, 60, ["MRN:", "Visit:", "Room:"])
        lines_at(pdf, 400, 60, ["0048213", "A-77", "12"])

    page = read_page(draw)

    assert [line.text for line in page.lines] == [
        "Patient: Jane Q. Doe",
        "DOB: 03/14/1962",
        "Sex: Female",
        "MRN: 0048213",
        "Visit: A-77",
        "Room: 12",
    ]
    assert pairs(page)[:2] == [("Patient", "Jane Q. Doe"), ("DOB", "03/14/1962")]
    assert len(pairs(page)) == 6
