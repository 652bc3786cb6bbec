"""Infographic-style health summaries: boxes with big numbers, then a compact results table.

A box holds one result: the test as its caption, value and unit as the big number,
the range and a printed status ("High", "In range") as its note.

Report date: the sample collection date ("Sample collected", "Test date"), not the date
the summary was generated.
"""

from __future__ import annotations

import random

from bench.quality import dates, diagnoses, labs, medications
from bench.quality.document import (
    Block,
    Card,
    Cards,
    Document,
    Fields,
    FieldStyle,
    Section,
    TableStyle,
    Title,
)
from bench.quality.families import common
from bench.quality.truth import LabTruth, Truth

REPORT_TYPE = "health summary"
# state -> (printed status, truth flag); a box says "High", never "critical".
_STATUS = {
    "normal": ("In range", "normal"),
    "high": ("High", "high"),
    "low": ("Low", "low"),
    "critical_high": ("High", "high"),
    "critical_low": ("Low", "low"),
}


def _card(line: labs.LabLine, status_shown: bool) -> tuple[Card, LabTruth]:
    status, flag = _STATUS[line.state] if status_shown else ("", None)
    unit = f" {line.unit}" if line.unit else ""
    note = " \u00b7 ".join(part for part in (f"Range {line.range_text}", status) if part)
    card = Card(line.test, f"{line.value}{unit}", note, highlight=line.state != "normal")
    return card, LabTruth(line.test, line.value, line.unit or None, line.range_text, flag)


def compose(rng: random.Random) -> tuple[Document, Truth]:
    """A one- or two-page summary for patients."""
    case = common.new_case(rng)
    patient = case.patient
    collected = case.report_date()
    numeric = [
        line
        for line in labs.draw_panel(rng, "COMPREHENSIVE METABOLIC PANEL")
        + labs.draw_panel(rng, "LIPID PANEL")
        if line.state != "abnormal"
    ]
    featured = rng.sample(numeric, rng.choice((3, 6)))
    status_shown = rng.random() < 0.8
    cards, truths = zip(*(_card(line, status_shown) for line in featured), strict=True)
    rest = labs.draw_panels(rng, 1)
    table, rest_truths = labs.lab_table(rng, rest, labs.pick_style(rng), table_style=TableStyle.PLAIN)
    present = diagnoses.draw(rng, "medical", rng.randint(1, 3))
    meds = medications.draw(rng, rng.randint(1, 4))
    med_block, med_truths = medications.as_list(rng, meds, "Your medications")
    pairs = (
        (rng.choice(("Prepared for", "Member", "Patient")), patient.name),
        (rng.choice(("Date of birth", "DOB")), patient.dob.text),
        (rng.choice(("Sex", "Gender")), patient.sex_text),
        (rng.choice(("Member ID", "Patient ID", "MRN")), patient.mrn),
        (rng.choice(("Sample collected", "Test date")), collected.text),
        ("Generated", dates.write(case.day, rng).text if rng.random() < 0.5 else case.later(3).text),
    )
    blocks: list[Block] = [
        common.letterhead(rng, case),
        Title(
            rng.choice(("Your Health Summary", "ANNUAL WELLNESS REPORT", "My Results at a Glance")), size=18
        ),
        Fields(pairs, columns=3, style=rng.choice((FieldStyle.STACKED, FieldStyle.INLINE))),
        Cards(tuple(cards), columns=3),
        Section("More results"),
        table,
        *common.side_by_side(
            rng,
            diagnoses.as_list(rng, present, rng.choice(("Conditions we are managing", "Problem List"))),
            med_block,
        ),
        Section("Next steps:", ("Book a follow-up visit in 3 months.",), inline=True),
    ]
    truth = Truth(
        "infographic",
        REPORT_TYPE,
        collected.truth,
        patient.identity(),
        list(truths) + rest_truths,
        med_truths,
        present,
    )
    return common.document(rng, REPORT_TYPE, blocks), truth
