"""Hospital laboratory report with a multi-column demographics block (label above value, or ruled cells).

Modelled on hospital LIS printouts: a grid of Registered / Collected / Reported stamps
beside UHID, referring doctor and sample type, then department sections whose tables
are often unruled, fixed-width or pipe-separated.

Report date: the sample collection date ("Collected On", "Sample Collected", "Collection").
"""

from __future__ import annotations

import random

from bench.quality import dates, labs
from bench.quality.document import Block, Document, FieldStyle, Section, TableStyle, Title
from bench.quality.families import common
from bench.quality.identity import identity_fields
from bench.quality.truth import Truth

REPORT_TYPE = "lab report"
_DEPARTMENTS = {
    "COMPLETE BLOOD COUNT": "DEPARTMENT OF HAEMATOLOGY",
    "URINALYSIS": "DEPARTMENT OF CLINICAL PATHOLOGY",
}


def compose(rng: random.Random) -> tuple[Document, Truth]:
    """A report with a 2-3 column header grid and one table per department."""
    case = common.new_case(rng)
    collected = dates.with_time(case.report_date(), rng)
    registered = dates.with_time(case.written(case.day), rng)
    extra = (
        ("Registered On", registered.text),
        (rng.choice(("Collected On", "Sample Collected", "Collection")), collected.text),
        (rng.choice(("Reported On", "Report Released")), dates.with_time(case.later(1), rng).text),
        (rng.choice(("Ref. Doctor", "Referred By", "Consultant")), f"Dr. {case.clinician}"),
        ("Sample Type", rng.choice(("Serum", "Whole Blood EDTA", "Serum / Urine"))),
        ("Visit No.", f"OP{rng.randint(100000, 999999)}"),
    )
    style = rng.choice((FieldStyle.STACKED, FieldStyle.CELLS))
    blocks: list[Block] = [
        common.letterhead(rng, case),
        identity_fields(rng, case.patient, extra, style=style),
    ]
    lab_style = labs.pick_style(rng)
    table_style = rng.choice((TableStyle.PLAIN, TableStyle.MONO, TableStyle.PIPE, TableStyle.LINES))
    truths = []
    for panel, lines in labs.draw_panels(rng, rng.randint(2, 3)).items():
        blocks.append(Title(_DEPARTMENTS.get(panel, "DEPARTMENT OF BIOCHEMISTRY"), size=11))
        table, found = labs.lab_table(
            rng, {panel: lines}, lab_style, table_style=table_style, subheadings=False, caption=panel.title()
        )
        blocks.append(table)
        truths += found
    blocks += [
        Section("Note:", ("Test results relate only to the sample as received.",), inline=True),
        Section("*** End of Report ***"),
        common.signature(rng, case),
    ]
    truth = Truth("header_grid", REPORT_TYPE, collected.truth, case.patient.identity(), truths)
    return common.document(rng, REPORT_TYPE, blocks), truth
