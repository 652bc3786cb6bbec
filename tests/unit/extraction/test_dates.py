"""Dates: every common written form, ambiguity kept, two-digit years, spans and times."""

from __future__ import annotations

from datetime import date

import pytest

from lib.extraction.dates import DateKind, DateOrder, find_dates, infer_order, parse_date

TODAY = date(2026, 12, 1)


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("2026-02-07", "2026-02-07"),
        ("2026/02/07", "2026-02-07"),
        ("02/17/2026", "2026-02-17"),
        ("17/02/2026", "2026-02-17"),
        ("17.02.2026", "2026-02-17"),
        ("17-02-2026", "2026-02-17"),
        ("7 Feb 2026", "2026-02-07"),
        ("07-FEB-2026", "2026-02-07"),
        ("07-Feb-26", "2026-02-07"),
        ("7th of February 2026", "2026-02-07"),
        ("Feb. 7, 2026", "2026-02-07"),
        ("Feb 7 2026", "2026-02-07"),
        ("February 7th, 2026", "2026-02-07"),
        ("May 13,2005", "2005-05-13"),
        ("Sept 3, 2025", "2025-09-03"),
        ("3 SEPT 2025", "2025-09-03"),
        ("05/05/2026", "2026-05-05"),
        ("2/29/2024", "2024-02-29"),
    ],
)
def test_written_forms_give_iso(text: str, iso: str) -> None:
    found = parse_date(text, today=TODAY)
    assert found is not None
    assert (found.iso, found.ambiguous, found.text) == (iso, False, text)


@pytest.mark.parametrize("text", ["02/30/2026", "13/13/2026", "2026-13-01", "Feb 30, 2026", "2/29/2025"])
def test_impossible_dates_are_not_dates(text: str) -> None:
    assert find_dates(text, today=TODAY) == []


def test_swappable_day_and_month_is_not_guessed() -> None:
    found = parse_date("04/05/2026", today=TODAY)
    assert found is not None
    assert found.iso is None
    assert found.ambiguous
    assert found.text == "04/05/2026"
    assert found.readings == ("2026-04-05", "2026-05-04")


@pytest.mark.parametrize(
    ("order", "iso"), [(DateOrder.MONTH_FIRST, "2026-04-05"), (DateOrder.DAY_FIRST, "2026-05-04")]
)
def test_order_hint_resolves_ambiguity(order: DateOrder, iso: str) -> None:
    found = parse_date("04/05/2026", order=order, today=TODAY)
    assert found is not None
    assert (found.iso, found.ambiguous) == (iso, False)


def test_order_hint_never_overrides_what_the_numbers_decide() -> None:
    found = parse_date("02/17/2026", order=DateOrder.DAY_FIRST, today=TODAY)
    assert found is not None
    assert found.iso == "2026-02-17"


def test_dotted_numeric_dates_read_day_first() -> None:
    found = parse_date("04.05.2026", today=TODAY)
    assert found is not None
    assert found.iso == "2026-05-04"


@pytest.mark.parametrize(
    ("text", "kind", "iso"),
    [
        ("02/17/26", DateKind.EVENT, "2026-02-17"),
        ("02/17/36", DateKind.EVENT, "2036-02-17"),
        ("02/17/37", DateKind.EVENT, "1937-02-17"),
        ("02/17/99", DateKind.EVENT, "1999-02-17"),
        ("02/17/26", DateKind.BIRTH, "2026-02-17"),
        ("02/17/27", DateKind.BIRTH, "1927-02-17"),
        ("02/17/51", DateKind.BIRTH, "1951-02-17"),
        ("02/17/05", DateKind.BIRTH, "2005-02-17"),
    ],
)
def test_two_digit_year_pivot(text: str, kind: DateKind, iso: str) -> None:
    found = parse_date(text, kind=kind, today=TODAY)
    assert found is not None
    assert found.iso == iso


def test_short_ambiguous_date_keeps_both_readings_with_the_pivoted_year() -> None:
    found = parse_date("2/7/26", today=TODAY)
    assert found is not None
    assert (found.iso, found.readings) == (None, ("2026-02-07", "2026-07-02"))
    resolved = parse_date("2/7/26", order=DateOrder.MONTH_FIRST, today=TODAY)
    assert resolved is not None
    assert resolved.iso == "2026-02-07"


@pytest.mark.parametrize(
    ("text", "written", "clock"),
    [
        ("02/17/2026 14:32", "02/17/2026 14:32", "14:32"),
        ("02/17/2026 at 2:32 PM", "02/17/2026 at 2:32 PM", "14:32"),
        ("02/17/2026 12:05 a.m.", "02/17/2026 12:05 a.m.", "00:05"),
        ("2026-02-17T14:32:05", "2026-02-17T14:32:05", "14:32:05"),
        ("17-Feb-2026, 08:15", "17-Feb-2026, 08:15", "08:15"),
        ("02/17/2026 25:99", "02/17/2026", None),
    ],
)
def test_attached_time(text: str, written: str, clock: str | None) -> None:
    found = parse_date(text, today=TODAY)
    assert found is not None
    assert (found.iso, found.text, found.time) == ("2026-02-17", written, clock)


def test_dates_inside_a_longer_string_come_with_their_spans() -> None:
    text = "Admitted: 02/17/2026 Discharged: Feb 10, 2026; DOB 17.03.1951"
    found = find_dates(text, today=TODAY)
    assert [(item.iso, text[item.start : item.end]) for item in found] == [
        ("2026-02-17", "02/17/2026"),
        ("2026-02-10", "Feb 10, 2026"),
        ("1951-03-17", "17.03.1951"),
    ]


@pytest.mark.parametrize(
    "text",
    ["MRN 123/45/6789", "Acct A12-05-2026", "ratio 1/2/3", "10.5.2026.1", "version 2026-02-07-1", "Feb 2026"],
)
def test_numbers_that_are_not_dates(text: str) -> None:
    assert find_dates(text, today=TODAY) == []


def test_infer_order_from_the_documents_other_dates() -> None:
    assert infer_order(["Collected 17/02/2026", "DOB 03/04/1960"]) is DateOrder.DAY_FIRST
    assert infer_order(["02/17/2026", "03/04/1960"]) is DateOrder.MONTH_FIRST
    assert infer_order(["02/17/2026", "17/02/2026"]) is None
    assert infer_order(["03/04/1960"]) is None
