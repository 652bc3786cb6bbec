"""Dates as reports write them, with the truth a careful reader would record.

A numeric date whose day and month could be swapped (``03/04/2026``) is ambiguous: its
truth is ``{"ambiguous": True, "as_written": "03/04/2026"}`` and the parser must return it
as written. Every other written form has an ISO truth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

DateTruth = str | dict[str, object]

_STYLES = (
    "iso",  # 2026-02-07
    "us",  # 02/17/2026 (only when the day is over 12)
    "eu",  # 17/02/2026 (only when the day is over 12)
    "eu_dots",  # 17.02.2026 (only when the day is over 12)
    "d_mon_y",  # 7 Feb 2026
    "month_d_y",  # February 7, 2026
    "dd_mon_yyyy",  # 07-FEB-2026
    "mon_dot_d_y",  # Feb. 7, 2026
    "d_month_y",  # 07 February 2026
)
# A numeric style is used only when the day is over 12; otherwise the same system spells the month out.
_SPELLED_OUT = {"us": "month_d_y", "eu": "d_mon_y", "eu_dots": "d_month_y"}
_NUMERIC = set(_SPELLED_OUT)


@dataclass(frozen=True)
class WrittenDate:
    """A date as printed and its truth."""

    text: str
    truth: DateTruth


def _format(day: date, style: str) -> str:
    match style:
        case "iso":
            return day.isoformat()
        case "us":
            return day.strftime("%m/%d/%Y")
        case "eu":
            return day.strftime("%d/%m/%Y")
        case "eu_dots":
            return day.strftime("%d.%m.%Y")
        case "d_mon_y":
            return f"{day.day} {day:%b %Y}"
        case "month_d_y":
            return f"{day:%B} {day.day}, {day.year}"
        case "dd_mon_yyyy":
            return day.strftime("%d-%b-%Y").upper()
        case "mon_dot_d_y":
            return f"{day:%b}. {day.day}, {day.year}" if day.month != 5 else f"May {day.day}, {day.year}"
        case "d_month_y":
            return day.strftime("%d %B %Y")
    raise ValueError(style)


def write(day: date, rng: random.Random, style: str | None = None) -> WrittenDate:
    """``day`` in a random (or the given) written form, never ambiguous (see :data:`_SPELLED_OUT`)."""
    style = style or rng.choice(_STYLES)
    if style in _NUMERIC and day.day <= 12 and day.day != day.month:
        style = _SPELLED_OUT[style]
    return WrittenDate(_format(day, style), day.isoformat())


def ambiguous(day: date, rng: random.Random) -> WrittenDate:
    """A numeric date near ``day`` whose day and month could be read either way."""
    month, dom = rng.sample(range(1, 13), 2)
    text = f"{month:02d}/{dom:02d}/{day.year}" if rng.random() < 0.7 else f"{month}/{dom}/{day.year}"
    return WrittenDate(text, {"ambiguous": True, "as_written": text})


def pick_style(rng: random.Random) -> str:
    """One written form, to use for all dates of a report (as one system prints them)."""
    return rng.choice(_STYLES)


def with_time(written: WrittenDate, rng: random.Random) -> WrittenDate:
    """The same date followed by a clock time, as collection stamps are printed."""
    clock = f"{rng.randint(6, 18):02d}:{rng.choice((0, 5, 12, 20, 35, 42, 50)):02d}"
    return WrittenDate(f"{written.text} {clock}", written.truth)


def report_day(rng: random.Random) -> date:
    """A report date in 2026, before today (2026-12-01)."""
    return date(2026, 1, 2) + timedelta(days=rng.randint(0, 320))


def birth_day(rng: random.Random) -> date:
    """A date of birth for an adult aged 19 to 92."""
    return date(1934, 1, 1) + timedelta(days=rng.randint(0, 73 * 365))
