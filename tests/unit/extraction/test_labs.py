"""Lab tables (columns by header or by content, in any order), rows, pipe and free-text lines."""

from __future__ import annotations

import pytest

from lib.domain.report_schema import LabFlag
from lib.extraction.lab_values import ReferenceRange
from lib.extraction.labs import (
    LabColumn,
    LabReading,
    PanelHeading,
    classify_columns,
    classify_header,
    lab_columns,
    parse_lab_line,
    read_lab_row,
)

T, R, F, U, G, X = (
    LabColumn.TEST,
    LabColumn.RESULT,
    LabColumn.FLAG,
    LabColumn.UNIT,
    LabColumn.RANGE,
    LabColumn.OTHER,
)


@pytest.mark.parametrize(
    ("header", "columns"),
    [
        (["Test", "Result", "Flag", "Units", "Reference Range"], (T, R, F, U, G)),
        (["Component", "Your Value", "Standard Range", "Flag"], (T, R, G, F)),
        (["Analyte", "Value", "Units", "Normal Range", "Abnormal"], (T, R, U, G, F)),
        (["Reference Interval", "Units", "Result", "Test Name"], (G, U, R, T)),
        (["Name", "Result", "H/L", "Ref", "UOM"], (T, R, F, G, U)),
        (["Test", "Result", "Previous Result", "Date Collected", "Method"], (T, R, X, X, X)),
        (["Investigation", "Observed Value", "Unit", "Biological Ref. Interval"], (T, R, U, G)),
        (["", "Result"], (None, R)),
        (["Test Name", "In Range", "Out Of Range", "Reference Range", "Lab"], (T, R, R, G, None)),
    ],
)
def test_classify_header(header: list[str], columns: tuple[LabColumn | None, ...]) -> None:
    assert classify_header(header) == columns


HEADERLESS = [
    ["Potassium", "4.1", "", "mmol/L", "3.5-5.1"],
    ["Sodium", "128", "L", "mmol/L", "136-145"],
    ["Glucose", "105", "H", "mg/dL", "70-99"],
]


def test_classify_columns_from_content() -> None:
    assert classify_columns(HEADERLESS) == (T, R, F, U, G)


def test_classify_columns_in_any_order() -> None:
    shuffled = [[row[4], row[3], row[1], row[0], row[2]] for row in HEADERLESS]
    assert classify_columns(shuffled) == (G, U, R, T, F)


def test_a_second_numeric_column_is_other() -> None:
    rows = [["Potassium", "4.1", "4.4", "3.5-5.1"], ["Sodium", "138", "140", "136-145"]]
    assert classify_columns(rows) == (T, R, X, G)


def test_lab_columns_fill_unknown_headings_from_content() -> None:
    header = ["Test", "Result", "", "Range"]
    rows = [["Sodium", "128", "L", "136-145"], ["Potassium", "4.1", "", "3.5-5.1"]]
    assert lab_columns(header, rows) == (T, R, F, G)


def test_read_lab_row() -> None:
    row = read_lab_row(["Sodium", "128", "L", "mmol/L", "136-145"], (T, R, F, U, G))
    assert row == LabReading(
        test="Sodium",
        value="128",
        number=128.0,
        unit="mmol/L",
        unit_normalised="mmol/L",
        reference_range=ReferenceRange("136-145", 136.0, 145.0),
        flag=LabFlag.LOW,
        flag_text="L",
    )


def test_read_lab_row_splits_flag_and_unit_printed_in_the_result_cell() -> None:
    row = read_lab_row(["WBC", "11.2 H x10^3/uL", "4.0-11.0"], (T, R, G))
    assert isinstance(row, LabReading)
    assert (row.value, row.flag, row.flag_text, row.unit, row.unit_normalised) == (
        "11.2",
        LabFlag.HIGH,
        "H",
        "x10^3/uL",
        "10^3/µL",
    )


def test_read_lab_row_takes_the_unit_from_the_range_cell() -> None:
    row = read_lab_row(["Glucose", "*105", "70-99 mg/dL"], (T, R, G))
    assert isinstance(row, LabReading)
    assert (row.value, row.flag, row.unit) == ("105", LabFlag.ABNORMAL, "mg/dL")


def test_printed_flag_column_wins_over_a_glued_flag() -> None:
    row = read_lab_row(["Potassium", "6.9 H", "Critical"], (T, R, F))
    assert isinstance(row, LabReading)
    assert (row.flag, row.flag_text) == (LabFlag.CRITICAL, "Critical")


def test_a_value_in_either_of_two_result_columns_is_read_with_its_flag() -> None:
    columns = classify_header(["Test Name", "In Range", "Out Of Range", "Reference Range"])
    cells = [["GLUCOSE", "", "126 H", "65-99 mg/dL"], ["SODIUM", "139", "", "135-146 mmol/L"]]
    rows = [
        read_lab_row(row, lab_columns(["Test Name", "In Range", "Out Of Range", "Reference Range"], cells))
        for row in cells
    ]

    assert columns == (T, R, R, G)
    assert [(r.test, r.value, r.flag, r.unit) for r in rows if isinstance(r, LabReading)] == [
        ("GLUCOSE", "126", LabFlag.HIGH, "mg/dL"),
        ("SODIUM", "139", None, "mmol/L"),
    ]


def test_a_flag_and_unit_read_as_one_cell_are_parted() -> None:
    rows = [
        ["WBC", "11.8", "High x10E3/uL", "3.4-10.8"],
        ["RBC", "4.61", "x10E6/uL", "4.14-5.80"],
        ["Platelets", "142", "Low x10E3/uL", "150-450"],
    ]
    by_content = [read_lab_row(row, classify_columns(rows)) for row in rows]
    headed = read_lab_row(["Cholesterol", "231", "High mg/dL", "100-199"], (T, R, F, G))
    unflagged = read_lab_row(["Hemoglobin", "13.2", "g/dL", "13.0-17.7"], (T, R, F, G))

    assert classify_columns(rows) == (T, R, U, G)
    assert [(r.value, r.unit, r.flag) for r in by_content if isinstance(r, LabReading)] == [
        ("11.8", "x10E3/uL", LabFlag.HIGH),
        ("4.61", "x10E6/uL", None),
        ("142", "x10E3/uL", LabFlag.LOW),
    ]
    assert isinstance(headed, LabReading) and (headed.unit, headed.flag) == ("mg/dL", LabFlag.HIGH)
    assert isinstance(unflagged, LabReading) and (unflagged.unit, unflagged.flag) == ("g/dL", None)


def test_qualitative_result() -> None:
    row = read_lab_row(["HIV 1/2 Ag/Ab", "Non-reactive", "", "Non-reactive"], (T, R, F, G))
    assert isinstance(row, LabReading)
    assert (row.value, row.number, row.flag, row.reference_range) == (
        "Non-reactive",
        None,
        None,
        ReferenceRange("Non-reactive"),
    )


@pytest.mark.parametrize(
    "cells",
    [
        ["COMPLETE BLOOD COUNT", "", "", "", ""],
        ["Lipid Panel", "", "", "", ""],
        ["CHEMISTRY", "CHEMISTRY", "CHEMISTRY", "CHEMISTRY", "CHEMISTRY"],
        ["", "Comprehensive Metabolic Panel:", "", "", ""],
    ],
)
def test_panel_sub_heading_rows(cells: list[str]) -> None:
    row = read_lab_row(cells, (T, R, F, U, G))
    assert isinstance(row, PanelHeading)
    assert row.text == cells[0] or row.text == cells[1].rstrip(":")


def test_empty_row_is_nothing() -> None:
    assert read_lab_row(["", "", ""], (T, R, G)) is None


@pytest.mark.parametrize(
    ("line", "test", "value", "unit", "reference", "flag"),
    [
        ("Potassium 4.1 mmol/L (3.5-5.1)", "Potassium", "4.1", "mmol/L", "3.5-5.1", None),
        ("Hemoglobin: 13.5 g/dL Ref: 12.0-16.0", "Hemoglobin", "13.5", "g/dL", "12.0-16.0", None),
        ("HbA1c 7.2 % (4.0-5.6) H", "HbA1c", "7.2", "%", "4.0-5.6", LabFlag.HIGH),
        ("Glucose 105 H mg/dL 70-99", "Glucose", "105", "mg/dL", "70-99", LabFlag.HIGH),
        ("Creatinine 1.8H mg/dL [0.6-1.2]", "Creatinine", "1.8", "mg/dL", "0.6-1.2", LabFlag.HIGH),
        ("WBC 11.2 H x10^3/uL 4.0-11.0", "WBC", "11.2", "x10^3/uL", "4.0-11.0", LabFlag.HIGH),
        ("Vitamin B12 350 pg/mL (200-900)", "Vitamin B12", "350", "pg/mL", "200-900", None),
        ("25-OH Vitamin D 18 L ng/mL 30-100", "25-OH Vitamin D", "18", "ng/mL", "30-100", LabFlag.LOW),
        ("Troponin I <0.01 ng/mL (<0.04)", "Troponin I", "<0.01", "ng/mL", "<0.04", None),
        ("eGFR >60 mL/min/1.73m2", "eGFR", ">60", "mL/min/1.73m2", None, None),
        ("HIV Ag/Ab Negative", "HIV Ag/Ab", "Negative", None, None, None),
        ("Sodium | 128 | L | mmol/L | 136-145", "Sodium", "128", "mmol/L", "136-145", LabFlag.LOW),
        ("| Potassium | 4.1 | mmol/L | 3.5-5.1 |", "Potassium", "4.1", "mmol/L", "3.5-5.1", None),
    ],
)
def test_parse_lab_line(
    line: str, test: str, value: str, unit: str | None, reference: str | None, flag: LabFlag | None
) -> None:
    reading = parse_lab_line(line)
    assert isinstance(reading, LabReading)
    printed_range = reading.reference_range.text if reading.reference_range else None
    assert (reading.test, reading.value, reading.unit, printed_range, reading.flag) == (
        test,
        value,
        unit,
        reference,
        flag,
    )


@pytest.mark.parametrize("line", ["COMPLETE BLOOD COUNT", "Lipid Panel", "Basic Metabolic Panel:"])
def test_parse_lab_line_panel_heading(line: str) -> None:
    assert isinstance(parse_lab_line(line), PanelHeading)


@pytest.mark.parametrize(
    "line",
    [
        "",
        "12.5",
        "Specimen received in good condition and processed the same day.",
        "Collected 02/17/2026 08:15",
        "Blood pressure 120/80",
    ],
)
def test_parse_lab_line_without_a_result(line: str) -> None:
    assert parse_lab_line(line) is None
