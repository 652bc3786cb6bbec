"""Ruled lab panel, as reference laboratories (Quest-, LabCorp-like) print them.

Report date: the collection date ("Collected", "Collection Date", "Date Collected"),
not the received or reported dates printed next to it.
"""

from __future__ import annotations

import random

from bench.quality import dates, diagnoses, labs
from bench.quality.document import Block, Document, DrawOrder, FieldStyle, Section, TableStyle, Title
from bench.quality.families import common
from bench.quality.identity import identity_fields
from bench.quality.truth import LabTruth, Truth

REPORT_TYPE = "lab report"
_TITLES = ("LABORATORY REPORT", "Final Report", "PATIENT REPORT", "Laboratory Results")


def compose(rng: random.Random) -> tuple[Document, Truth]:
    """A one- or two-page lab report with panel sub-headings or one table per panel."""
    case = common.new_case(rng)
    collected = dates.with_time(case.report_date(), rng)
    extra = (
        (rng.choice(("Collected", "Collection Date", "Date Collected")), collected.text),
        (rng.choice(("Received", "Date Received")), dates.with_time(case.later(1), rng).text),
        (rng.choice(("Reported", "Report Date", "Final Report Date")), case.later(2).text),
        (rng.choice(("Ordering Physician", "Ordered By")), case.clinician),
    )
    style = rng.choice((FieldStyle.INLINE, FieldStyle.CELLS))
    blocks: list[Block] = [
        common.letterhead(rng, case),
        Title(rng.choice(_TITLES)),
        identity_fields(rng, case.patient, extra, style=style),
    ]
    lab_style = labs.pick_style(rng)
    panels = labs.draw_panels(rng, rng.randint(2, 4))
    table_style = rng.choice((TableStyle.GRID, TableStyle.GRID, TableStyle.LINES))
    truths: list[LabTruth] = []
    if rng.random() < 0.5:
        table, truths = labs.lab_table(rng, panels, lab_style, table_style=table_style)
        blocks.append(table)
    else:
        order = rng.choice(tuple(DrawOrder))
        for panel, lines in panels.items():
            table, found = labs.lab_table(
                rng,
                {panel: lines},
                lab_style,
                table_style=table_style,
                order=order,
                subheadings=False,
                caption=panel,
            )
            blocks.append(table)
            truths += found
    present = []
    if rng.random() < 0.35:
        present = diagnoses.draw(rng, "medical", 1)
        text = diagnoses.printed(present[0], rng.randrange(3))
        blocks.insert(
            3, Section(rng.choice(("Clinical Information:", "Diagnosis:", "Dx:")), (text,), inline=True)
        )
    blocks.append(Section("Comments:", ("Results were reviewed by the laboratory director.",), inline=True))
    document = common.document(rng, REPORT_TYPE, blocks)
    truth = Truth(
        "lab_panel", REPORT_TYPE, collected.truth, case.patient.identity(), truths, diagnosis=present
    )
    return document, truth
