"""What every family shares: the case (patient, facility, dates) and the page furniture."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

from bench.quality import catalog, dates
from bench.quality.document import Block, Columns, Document, ItemList, Letterhead, Section
from bench.quality.identity import Patient, make_patient

_WATERMARKS = ("CONFIDENTIAL", "COPY", "DUPLICATE COPY")
_FOOTERS = (
    "Page {page} of {pages}",
    "Page {page}/{pages}",
    "CONFIDENTIAL - Page {page} of {pages}",
    "Printed copy - not valid without signature | Page {page} of {pages}",
    "{page}",
)


@dataclass(frozen=True)
class Case:
    """The report's subject, author and key date, with one date style for the whole report."""

    patient: Patient
    facility: tuple[str, str]
    clinician: str
    day: date
    date_style: str
    rng: random.Random = field(repr=False)

    def written(self, day: date) -> dates.WrittenDate:
        """``day`` in this report's date style."""
        return dates.write(day, self.rng, self.date_style)

    def report_date(self, ambiguous_share: float = 0.05) -> dates.WrittenDate:
        """The report's key date; a few are printed ambiguously (``03/04/2026``)."""
        if self.rng.random() < ambiguous_share:
            return dates.ambiguous(self.day, self.rng)
        return self.written(self.day)

    def later(self, days: int) -> dates.WrittenDate:
        """A date ``days`` after the key date (received, reported, signed)."""
        return self.written(self.day + timedelta(days=days))


def new_case(rng: random.Random) -> Case:
    """A fresh patient at a random facility."""
    day = dates.report_day(rng)
    style = dates.pick_style(rng)
    return Case(
        patient=make_patient(rng, style, day),
        facility=rng.choice(catalog.FACILITIES),
        clinician=rng.choice(catalog.CLINICIANS),
        day=day,
        date_style=style,
        rng=rng,
    )


def letterhead(rng: random.Random, case: Case) -> Letterhead:
    """The facility's name and address, sometimes with a phone line."""
    name, address = case.facility
    lines = (
        (address, f"Tel (555) 01{rng.randint(0, 9)}-{rng.randint(1000, 9999)}")
        if rng.random() < 0.6
        else (address,)
    )
    return Letterhead(name, lines, centered=rng.random() < 0.4)


def watermark(rng: random.Random, share: float = 0.25) -> str | None:
    """A watermark on about ``share`` of reports."""
    return rng.choice(_WATERMARKS) if rng.random() < share else None


def footer(rng: random.Random) -> str | None:
    """A page-number footer on most reports, some with the date and time the copy was printed."""
    if rng.random() < 0.2:
        return None
    text = rng.choice(_FOOTERS)
    if rng.random() < 0.3:
        printed = dates.write(date(2026, 11, rng.randint(20, 30)), rng).text
        text = f"Printed {printed} {rng.randint(7, 19):02d}:{rng.randint(0, 59):02d} | {text}"
    return text


def side_by_side(rng: random.Random, left: ItemList, right: ItemList, share: float = 0.5) -> list[Block]:
    """Two lists in two columns on about ``share`` of reports, else one after the other."""
    return [Columns(((left,), (right,)))] if rng.random() < share else [left, right]


def signature(rng: random.Random, case: Case, days_after: int = 1) -> Section:
    """The electronic signature line."""
    signed = case.later(days_after).text
    text = rng.choice((f"{case.clinician}, on {signed}", f"{case.clinician} {signed}"))
    return Section(rng.choice(("Electronically signed by:", "Signed:", "Verified by:")), (text,), inline=True)


def document(
    rng: random.Random,
    title: str,
    blocks: list[Block],
    *,
    header: str | None = None,
    header_on_first: bool = False,
    paged: bool = False,
) -> Document:
    """The document with this report's furniture: watermark, footer, page size, typeface.

    ``paged`` guarantees a "Page X of Y" footer.
    """
    return Document(
        title=title,
        blocks=tuple(blocks),
        header=header,
        header_on_first=header_on_first,
        footer=footer(rng) or ("Page {page} of {pages}" if paged else None),
        watermark=watermark(rng),
        page_size="a4" if rng.random() < 0.3 else "letter",
        serif=rng.random() < 0.25,
        font_size=rng.choice((8.5, 9.0, 9.5, 10.0)),
    )
