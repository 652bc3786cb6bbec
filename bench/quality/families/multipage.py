"""Multi-page cumulative lab report with running headers (patient name and MRN on every page).

Tables run across page breaks; "Page 2 of 3" footers and the repeated header are page
furniture a parser must not read as new data.

Report date: the collection date.
"""

from __future__ import annotations

import random

from bench.quality import dates, labs
from bench.quality.catalog import CLINICIANS, LAB_PANELS
from bench.quality.document import (
    Block,
    Document,
    DrawOrder,
    FieldStyle,
    PageBreak,
    Section,
    TableStyle,
    Title,
)
from bench.quality.families import common
from bench.quality.identity import identity_fields
from bench.quality.truth import Truth

REPORT_TYPE = "lab report"
_METHODS = (
    "automated analyser, photometry; performance characteristics verified by the laboratory.",
    "ion-selective electrode; calibrated daily against traceable reference material.",
    "chemiluminescent immunoassay; interference from biotin above 1 mg/day is possible.",
    "flow cytometry and impedance counting on an automated haematology analyser.",
)


def compose(rng: random.Random) -> tuple[Document, Truth]:
    """Six to eight panels in one long table, then a methodology page: two to four pages."""
    case = common.new_case(rng)
    collected = dates.with_time(case.report_date(), rng)
    patient = case.patient
    extra = (
        (rng.choice(("Collected", "Specimen Collected")), collected.text),
        (rng.choice(("Reported", "Printed")), case.later(2).text),
        ("Ordering Physician", case.clinician),
    )
    names = sorted(LAB_PANELS)
    panels = {name: labs.draw_panel(rng, name) for name in rng.sample(names, rng.randint(6, len(names)))}
    lab_style = labs.pick_style(rng, cumulative=rng.random() < 0.6)
    table, truths = labs.lab_table(
        rng,
        panels,
        lab_style,
        table_style=rng.choice((TableStyle.GRID, TableStyle.LINES, TableStyle.PLAIN)),
        order=rng.choice((DrawOrder.ROWS, DrawOrder.ROWS, DrawOrder.COLUMNS, DrawOrder.REVERSED)),
    )
    header = rng.choice(
        (
            f"{patient.name}   MRN: {patient.mrn}   DOB: {patient.dob.text}",
            f"Patient: {patient.name} | ID: {patient.mrn}",
            f"{patient.name} ({patient.mrn}) - Cumulative Laboratory Report",
        )
    )
    blocks: list[Block] = [
        common.letterhead(rng, case),
        Title(rng.choice(("CUMULATIVE LABORATORY REPORT", "Comprehensive Laboratory Results"))),
        identity_fields(rng, patient, extra, style=rng.choice(tuple(FieldStyle))),
        table,
        Section(
            "Interpretive comments:",
            (
                "Reference intervals are age and sex specific.",
                "Results flagged outside the interval were reviewed; no repeat testing was required.",
            ),
        ),
        common.signature(rng, case, days_after=2),
        # The last page of such reports: how each panel was measured, and who runs the laboratory.
        PageBreak(),
        Section(
            "TEST METHODOLOGY",
            tuple(f"{panel.title()}: {rng.choice(_METHODS)}" for panel in panels),
        ),
        Section(
            "Laboratory Director:",
            (f"{rng.choice(CLINICIANS)}, CLIA 99D{rng.randint(1000000, 9999999)}",),
            inline=True,
        ),
    ]
    document = common.document(
        rng, REPORT_TYPE, blocks, header=header, header_on_first=rng.random() < 0.3, paged=True
    )
    truth = Truth("multipage", REPORT_TYPE, collected.truth, patient.identity(), truths)
    return document, truth
