"""Sections and labelled values, on documents built from the engine's model."""

from __future__ import annotations

from lib.documents import BBox, Block, Line, Page, TextSource, Word
from lib.extraction.diagnoses import DiagnosisSection
from lib.offline.reading import SectionKind, kind_of_heading, labelled_values, sections
from tests.unit.offline.builders import document, heading, page, table


def test_headings_open_sections_of_their_kind() -> None:
    assert kind_of_heading("DISCHARGE MEDICATIONS:") == (SectionKind.MEDICATIONS, None)
    assert kind_of_heading("Final Pathologic Diagnosis") == (
        SectionKind.DIAGNOSIS,
        DiagnosisSection.DIAGNOSIS,
    )
    assert kind_of_heading("IMPRESSION") == (SectionKind.IMPRESSION, DiagnosisSection.IMPRESSION)
    assert kind_of_heading("Findings (continued)") == (SectionKind.FINDINGS, None)
    assert kind_of_heading("Pertinent Laboratory Results") == (SectionKind.LABS, None)
    assert kind_of_heading("HISTORY") == (SectionKind.DIAGNOSIS, DiagnosisSection.INDICATION)
    assert kind_of_heading("Conditions we are managing") == (
        SectionKind.DIAGNOSIS,
        DiagnosisSection.PROBLEM_LIST,
    )
    assert kind_of_heading("No known drug allergies") is None
    assert kind_of_heading("Hospital course") is None


def test_a_section_runs_to_the_next_heading_and_over_a_page_break() -> None:
    parts = sections(
        document(
            page(heading("Medications"), "Metformin 500 mg PO BID", number=1),
            page("Lisinopril 10 mg daily", heading("Hospital Course"), "Uneventful.", number=2),
        )
    )

    meds = next(part for part in parts if part.kind is SectionKind.MEDICATIONS)
    assert [(piece.text, piece.page) for piece in meds.pieces] == [
        ("Metformin 500 mg PO BID", 1),
        ("Lisinopril 10 mg daily", 2),
    ]


def test_an_inline_heading_keeps_its_text_and_ends_with_its_paragraph() -> None:
    parts = sections(document(page("IMPRESSION: No acute process.", "Dictated by: Dr. Lee")))

    impression = next(part for part in parts if part.kind is SectionKind.IMPRESSION)
    assert [piece.text for piece in impression.pieces] == ["No acute process."]


def test_a_labelled_value_is_not_a_section() -> None:
    parts = sections(document(page(heading("Lab Results"), "TSH: 2.1 mIU/L Ref: 0.4-4.0")))

    assert [piece.text for piece in parts[-1].pieces] == ["TSH: 2.1 mIU/L Ref: 0.4-4.0"]


def test_tables_belong_to_the_section_they_are_printed_in() -> None:
    parts = sections(
        document(page(heading("Discharge Medications"), table([["Drug", "Dose"], ["Metformin", "500 mg"]])))
    )

    assert parts[-1].kind is SectionKind.MEDICATIONS
    assert len(parts[-1].tables) == 1


def test_labelled_values_come_from_lines_with_and_without_colons_and_from_grids() -> None:
    pairs = labelled_values(
        document(
            page(
                "Name: NOVAK, Chiara DOB: 02/07/1960 MRN: 36891114",
                "Patient Name Amara Zielinski Date of Birth February 24, 1965",
                table([["Patient ID", "Sex"], ["MVH.7176204", "F"]], header_rows=0),
            )
        )
    )

    found = {(pair.label, pair.value) for pair in pairs}
    assert {
        ("Name", "NOVAK, Chiara"),
        ("DOB", "02/07/1960"),
        ("MRN", "36891114"),
        ("Patient Name", "Amara Zielinski"),
        ("Date of Birth", "February 24, 1965"),
        ("Patient ID", "MVH.7176204"),
        ("Sex", "F"),
    } <= found


def test_a_sentence_starting_with_a_label_word_is_not_a_pair() -> None:
    pairs = labelled_values(document(page("Patient was seen in clinic today")))

    assert pairs == []


def test_a_grid_label_with_an_ocr_zero_for_o_still_labels_the_cell_below() -> None:
    pairs = labelled_values(
        document(
            page(table([["Patient", "D.0.B.:"], ["Mrs. Yevgenia Hartigan", "27/01/1952"]], header_rows=0))
        )
    )

    assert {("Patient", "Mrs. Yevgenia Hartigan"), ("D.0.B.", "27/01/1952")} <= {
        (pair.label, pair.value) for pair in pairs
    }


def test_stacked_labels_on_a_skewed_scan_each_take_the_value_under_them() -> None:
    def word(text: str, x: float, top: float, height: float = 6.0) -> Word:
        return Word(text, BBox(x, top, x + 6.0 * len(text), top + height), 1, TextSource.OCR, 0.95)

    # 1.5 degrees of skew: the right column sits 4 pt lower than the left one.
    lines = [
        Line((word("Patient", 60, 137),), 1),
        Line((word("Beatrix", 60, 147, 8), word("Jablonski", 110, 147, 8)), 1),
        Line((word("Sex", 405, 141),), 1),
        Line((word("FEMALE", 405, 151, 8),), 1),
    ]
    words = tuple(w for line in lines for w in line.words)
    scan = Page(
        1,
        612.0,
        792.0,
        words,
        tuple(lines),
        tuple(Block((line,), 1) for line in lines),
        source=TextSource.OCR,
    )

    found = {(pair.label, pair.value) for pair in labelled_values(document(scan))}

    assert {("Patient", "Beatrix Jablonski"), ("Sex", "FEMALE")} <= found


def test_a_skewed_line_of_labels_gives_each_label_the_row_under_its_own_words() -> None:
    def word(text: str, x: float, top: float, height: float = 5.0) -> Word:
        return Word(text, BBox(x, top, x + 6.0 * len(text), top + height), 1, TextSource.OCR, 0.95)

    # One line of labels sloping up to the right by 11 pt: its box reaches below the
    # right-hand values, which start higher than the left label ends.
    lines = [
        Line(
            (word("PATIENT", 59, 143), word("NAME", 104, 143), word("UHID", 231, 138), word("Sex", 403, 132)),
            1,
        ),
        Line(
            (
                word("ULRIC", 59, 152, 8),
                word("ZIELINSKI", 92, 151, 8),
                word("MVH.3202087", 231, 145, 8),
                word("Male", 403, 140, 8),
            ),
            1,
        ),
        Line((word("Birth", 60, 170), word("Date:", 92, 170), word("Admission", 258, 162)), 1),
    ]
    words = tuple(w for line in lines for w in line.words)
    scan = Page(
        1,
        612.0,
        792.0,
        words,
        tuple(lines),
        tuple(Block((line,), 1) for line in lines),
        source=TextSource.OCR,
    )

    found = {(pair.label, pair.value) for pair in labelled_values(document(scan))}

    assert {("UHID", "MVH.3202087"), ("Sex", "Male")} <= found
    assert ("UHID", "Admission") not in found
