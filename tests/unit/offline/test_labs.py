"""Lab tables in any column order, headerless tables, result lines and cards."""

from __future__ import annotations

from dataclasses import replace

from lib.documents import Document, Table, TextSource, Word
from lib.domain.report_schema import LabFlag
from lib.offline import parse_document
from lib.offline.facts import Findings
from lib.offline.labs import read_labs
from lib.offline.reading import sections
from tests.unit.documents.pdfs import columns_at, read
from tests.unit.offline.builders import document, heading, page, table


def labs(*pages_: object) -> list[tuple[str, str | None, str | None, str | None, LabFlag | None]]:
    doc = document(*pages_)  # type: ignore[arg-type]
    findings = Findings()
    read_labs(sections(doc), findings, {p.number: p for p in doc.pages})
    return [
        (
            f.reading.test,
            f.reading.value,
            f.reading.unit,
            f.reading.reference_range.text if f.reading.reference_range else None,
            f.reading.flag,
        )
        for f in findings.labs
    ]


def test_columns_are_found_by_their_headings_in_any_order() -> None:
    rows = labs(
        page(
            table(
                [
                    ["Reference Interval", "Units", "Flag", "Result", "Component"],
                    ["3.5-5.1", "mmol/L", "H", "5.9", "Potassium"],
                    ["135-145", "mmol/L", "", "140", "Sodium"],
                ]
            )
        )
    )

    assert rows == [
        ("Potassium", "5.9", "mmol/L", "3.5-5.1", LabFlag.HIGH),
        ("Sodium", "140", "mmol/L", "135-145", None),
    ]


def test_flags_as_letters_words_and_symbols() -> None:
    rows = labs(
        page(
            table(
                [
                    ["Test", "Result", "Flag", "Units", "Range"],
                    ["WBC", "12.4", "+ HIGH", "10^3/uL", "4.0-11.0"],
                    ["Hgb", "9.1", "Low", "g/dL", "12.0-16.0"],
                    ["Plt", "501 ↑", "", "10^3/uL", "150-400"],
                    ["Na", "131*", "", "mmol/L", "135-145"],
                ]
            )
        )
    )

    assert [row[4] for row in rows] == [LabFlag.HIGH, LabFlag.LOW, LabFlag.HIGH, LabFlag.ABNORMAL]
    assert [row[1] for row in rows] == ["12.4", "9.1", "501", "131"]


def test_comparators_stay_in_the_value_and_a_column_of_bounds_is_the_range() -> None:
    rows = labs(
        page(
            table(
                [
                    ["CRP", "<0.5", "<5.0", "mg/L"],
                    ["NT-proBNP", "105", "< 125", "pg/mL"],
                    ["PSA", "3.23", "<4.00", "ng/mL"],
                ],
                header_rows=0,
            )
        )
    )

    assert rows[0] == ("CRP", "<0.5", "mg/L", "<5.0", None)
    assert [row[1] for row in rows] == ["<0.5", "105", "3.23"]


def test_two_value_columns_without_headings_are_skipped_not_guessed() -> None:
    rows = labs(
        page(table([["Nitrite", "Negative", "Positive"], ["Protein", "Trace", "Negative"]], header_rows=0))
    )

    assert rows == []


def test_panel_sub_headings_are_not_results_and_tables_continue_over_pages() -> None:
    rows = labs(
        page(
            table(
                [
                    ["Test", "Result", "Units", "Range"],
                    ["COMPLETE BLOOD COUNT", "", "", ""],
                    ["WBC", "5.4", "10^3/uL", "4.0-11.0"],
                ]
            ),
            number=1,
        ),
        page(table([["Hgb", "13.9", "g/dL", "12.0-16.0"]], header_rows=0, continues=True), number=2),
    )

    assert [row[0] for row in rows] == ["WBC", "Hgb"]


def test_result_lines_in_a_results_section() -> None:
    rows = labs(
        page(heading("Lab Results"), "Potassium 4.1 mmol/L (3.5-5.1) N", "HbA1c: 7.2 % Ref: 4.0-5.6 H")
    )

    assert rows == [
        ("Potassium", "4.1", "mmol/L", "3.5-5.1", LabFlag.NORMAL),
        ("HbA1c", "7.2", "%", "4.0-5.6", LabFlag.HIGH),
    ]


def test_vitals_and_narrative_numbers_are_not_results() -> None:
    rows = labs(
        page(
            heading("Vitals"),
            "BP 148/92 mmHg (90-120) H",
            "Pulse 88 bpm (60-100)",
            "74-year-old presenting with 3 days of cough",
        )
    )

    assert rows == []


def test_a_result_card_gives_value_range_and_status() -> None:
    rows = labs(page(heading("Albumin"), "5.9 g/dL", "Range 3.5-5.0 · High"))

    assert rows == [("Albumin", "5.9", "g/dL", "3.5-5.0", LabFlag.HIGH)]


def test_a_result_card_whose_middle_dot_ocr_read_as_a_dash_or_lost() -> None:
    dashed = labs(page(heading("Albumin"), "5.9 g/dL", "Range 3.5 - 5.0 - High"))
    lost = labs(page(heading("Glucose"), "74 mg/dL", "Range 70 - 99 In range"))
    unit_after = labs(page(heading("Sodium"), "140 mmol/L", "Range 136-145 mmol"))

    assert dashed == [("Albumin", "5.9", "g/dL", "3.5 - 5.0", LabFlag.HIGH)]
    assert lost == [("Glucose", "74", "mg/dL", "70 - 99", None)]
    assert unit_after == [("Sodium", "140", "mmol/L", "136-145 mmol", None)]  # no flag word: all range


def test_a_misread_ocr_value_is_left_out_with_a_warning() -> None:
    report = parse_document(
        document(
            page(
                table([["Test", "Result", "Units", "Range"], ["Potassium", "41", "mmol/L", "3.5-5.1"]]),
                source=TextSource.OCR,
                confidence=0.95,
            )
        )
    )

    assert report.lab_results == []  # "4.1" without its decimal point: never passed on as 41
    assert [(w.code, w.path) for w in report.warnings] == [("unreadable_lab_values", None)]


def _unsure(doc: Document, text: str, confidence: float) -> Document:
    """``doc`` with every word reading ``text`` at ``confidence``, as OCR gives punctuation."""

    def word(w: Word) -> Word:
        return replace(w, confidence=confidence) if w.text == text else w

    def cells(t: Table) -> Table:
        rows = tuple(tuple(replace(c, words=tuple(map(word, c.words))) for c in row) for row in t.rows)
        return replace(t, rows=rows)

    return replace(
        doc,
        pages=tuple(
            replace(p, words=tuple(map(word, p.words)), tables=tuple(map(cells, p.tables))) for p in doc.pages
        ),
    )


def test_a_whole_ocr_value_beside_an_unsure_comparator_is_kept() -> None:
    rows = [["Test", "Result", "Units", "Range"], ["eGFR", "80", "mL/min", ">= 60"]]
    report = parse_document(
        _unsure(document(page(table(rows), source=TextSource.OCR, confidence=0.95)), ">=", 0.55)
    )

    # The comparator has no decimal point to lose: the value is as sure as its own word.
    assert [(r.test, r.value) for r in report.lab_results] == [("eGFR", "80")]

    doubted = _unsure(
        document(
            page(
                table([rows[0], ["Potassium", "41", "mmol/L", "35-51"]]),
                source=TextSource.OCR,
                confidence=0.95,
            )
        ),
        "35-51",
        0.55,
    )
    assert parse_document(doubted).lab_results == []  # its range lost its points too: so may it


def test_a_low_confidence_ocr_unit_is_kept_with_a_warning() -> None:
    report = parse_document(
        document(
            page(
                table([["Test", "Result", "Units", "Range"], ["Vitamin B12", "410", "pg/L", "200-900"]]),
                source=TextSource.OCR,
                confidence=0.95,
            )
        )
    )

    assert report.lab_results[0].unit == "pg/L"
    assert [(w.code, w.path) for w in report.warnings] == [("uncertain_unit", "/lab_results/0/unit")]


def test_a_reference_range_ocr_doubts_is_left_out_with_a_warning() -> None:
    report = parse_document(
        document(
            page(
                table([["Test", "Result", "Units", "Range"], ["WBC", "11.8", "x10E3/uL", "34-108"]]),
                source=TextSource.OCR,
                confidence=0.95,
            )
        )
    )

    assert [(r.test, r.value, r.reference_range) for r in report.lab_results] == [("WBC", "11.8", None)]
    assert [(w.code, w.path) for w in report.warnings] == [("unreadable_reference_range", "/lab_results/0")]


def test_inline_vitals_are_never_results_but_test_names_with_commas_are() -> None:
    rows = labs(
        page(
            heading("Labs"),
            "Vitals: BP 132/84 mmHg, HR 78 bpm, Temp 36.8 C, SpO2 98 %",
            "Temp 38.2 C (36.5-37.5) H",
            "O2 saturation 91 % (95-100) L",
            "Vitamin D, 25-Hydroxy 43 ng/mL (30-100)",
        )
    )

    assert rows == [("Vitamin D, 25-Hydroxy", "43", "ng/mL", "30-100", None)]


def test_results_written_in_sentences_are_read_with_their_flags_and_ranges() -> None:
    rows = labs(
        page(
            heading("Assessment"),
            "Labs today notable for potassium 5.9 mmol/L, high, and sodium 138 mmol/L.",
            "Her creatinine was 1.46 mg/dL (ref 0.6-1.3); hemoglobin 9.8 g/dL (low).",
        )
    )

    assert rows == [
        ("potassium", "5.9", "mmol/L", None, LabFlag.HIGH),
        ("sodium", "138", "mmol/L", None, None),
        ("creatinine", "1.46", "mg/dL", "0.6-1.3", None),
        ("hemoglobin", "9.8", "g/dL", None, LabFlag.LOW),
    ]


def test_sentences_under_a_labs_heading_are_read_as_sentences_not_as_result_lines() -> None:
    rows = labs(
        page(
            heading("Labs"),
            "Labs today notable for potassium 5.9 mmol/L, high, and sodium 138 mmol/L.",
            "Sodium 140 mmol/L, potassium 4.2 mmol/L",
            "Potassium 4.1 mmol/L (3.5-5.1) N",
        )
    )

    assert rows == [
        ("potassium", "5.9", "mmol/L", None, LabFlag.HIGH),
        ("sodium", "138", "mmol/L", None, None),
        ("Sodium", "140", "mmol/L", None, None),
        ("potassium", "4.2", "mmol/L", None, None),
        ("Potassium", "4.1", "mmol/L", "3.5-5.1", LabFlag.NORMAL),  # a result line stays one
    ]


def test_a_result_parted_by_the_wrap_of_running_text_is_read_whole() -> None:
    rows = labs(
        page(
            heading("Data Reviewed"),
            "NT-proBNP 1240 pg/mL (H). Creatinine 1.1 mg/dL. TSH",
            "2.4 mIU/L. Echo shows a normal ejection fraction today.",
            "On the morning of admission her sodium was 129",
            "mmol/L, since corrected with fluids over two days.",
        )
    )

    assert [(test, value, unit) for test, value, unit, *_ in rows] == [
        ("NT-proBNP", "1240", "pg/mL"),
        ("Creatinine", "1.1", "mg/dL"),
        ("TSH", "2.4", "mIU/L"),
        ("sodium", "129", "mmol/L"),
    ]


def test_doses_and_vitals_in_sentences_are_not_results() -> None:
    rows = labs(
        page(
            heading("Plan"),
            "Continue metformin 500 mg twice daily and vitamin D 1000 units daily.",
            "BP 142/88 mmHg, heart rate 88 bpm, temperature 37.2 C.",
        )
    )

    assert rows == []


def test_an_ocr_stroke_in_a_flag_column_is_an_arrow_flagged_by_the_range() -> None:
    rows = labs(
        page(
            table(
                [
                    ["Test", "Result", "Flag", "Unit", "Range"],
                    ["Creatinine", "1.64", "1", "mg/dL", "0.60-1.30"],
                    ["Urea Nitrogen", "4", "l", "mg/dL", "7-20"],
                    ["Chloride", "99", "", "mmol/L", "98-107"],
                ]
            ),
            source=TextSource.OCR,
            confidence=0.95,
        )
    )

    assert [(test, flag) for test, _, _, _, flag in rows] == [
        ("Creatinine", LabFlag.HIGH),
        ("Urea Nitrogen", LabFlag.LOW),
        ("Chloride", None),
    ]


def test_an_ocr_percent_after_a_value_with_another_unit_is_its_star_flag() -> None:
    rows = labs(
        page(
            table(
                [
                    ["Test", "Result", "Units", "Range"],
                    ["WBC Count", "2.4%", "K/uL", "4.0-11.0"],
                    ["Neutrophils", "55.3", "%", "40.0-75.0"],
                ]
            ),
            source=TextSource.OCR,
            confidence=0.95,
        )
    )

    assert rows == [
        ("WBC Count", "2.4", "K/uL", "4.0-11.0", LabFlag.ABNORMAL),
        ("Neutrophils", "55.3", "%", "40.0-75.0", None),
    ]


def test_an_ocr_bar_after_a_test_name_is_a_capital_i() -> None:
    rows = labs(
        page(
            table([["Test", "Result", "Units", "Range"], ["hs-Troponin |", "58", "ng/L", "<34"]]),
            source=TextSource.OCR,
            confidence=0.95,
        )
    )

    assert [test for test, *_ in rows] == ["hs-Troponin I"]


def test_a_headerless_part_with_no_flag_column_keeps_the_other_headings() -> None:
    rows = labs(
        page(
            table(
                [
                    ["Test", "Result", "Last Value", "Range", "Unit", "Flag"],
                    ["Free T4", "2.23", "1.28", "0.82-1.77", "ng/dL", "H"],
                ]
            ),
            # OCR lost the "<" of a range: the cells alone no longer tell value from range.
            table(
                [["CRP", "2.5", "<0.5", "<5.0", "mg/L"], ["Troponin I", "24", "24", "34", "ng/L"]],
                header_rows=0,
            ),
        )
    )

    assert rows == [
        ("Free T4", "2.23", "ng/dL", "0.82-1.77", LabFlag.HIGH),
        ("CRP", "2.5", "mg/L", "<5.0", None),
        ("Troponin I", "24", "ng/L", None, None),  # a bare number is no range
    ]


def test_ocr_misreads_of_common_test_names_are_put_right_only_on_scans() -> None:
    rows = [
        ["Test", "Result", "Units", "Range"],
        ["wBC", "11.8", "x10E3/uL", "3.4-10.8"],
        ["Hemoglobin Alc", "6.1", "%", "4.8-5.6"],
        ["uACR", "12", "mg/g", "<30"],
    ]
    scanned = labs(page(table(rows), source=TextSource.OCR, confidence=0.95))
    printed = labs(page(table(rows)))

    assert [test for test, *_ in scanned] == ["WBC", "Hemoglobin A1c", "uACR"]
    assert [test for test, *_ in printed] == ["wBC", "Hemoglobin Alc", "uACR"]  # a text layer is as printed


def test_a_panel_name_an_unruled_table_gave_no_row_of_its_own_is_not_part_of_a_test_name() -> None:
    rows = [
        ["Test", "Result", "Flag", "Units", "Reference"],
        ["Complete Blood Count", "", "", "", ""],
        ["WBC", "11.8", "High", "x10E3/uL", "3.4-10.8"],
        ["Platelets", "142", "Low", "x10E3/uL", "150-450"],
        ["Lipid Panel", "", "", "", ""],
        ["Triglycerides", "160", "High", "mg/dL", "0-149"],
        ["Vitamin D, 25-", "43", "", "ng/mL", "30-100"],
        ["Hydroxy", "", "", "", ""],
    ]
    document = read(lambda pdf: columns_at(pdf, [40, 200, 260, 310, 380], 60, rows, pitch=14))
    report = parse_document(document)

    assert [result.test for result in report.lab_results] == [
        "WBC",
        "Platelets",
        "Triglycerides",
        "Vitamin D, 25- Hydroxy",  # a name wrapped onto the next line stays whole
    ]
