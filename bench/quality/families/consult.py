"""Consult and clinic notes with inline vitals ("BP 132/84, HR 78") and an assessment list.

Report date: the date of service ("Date of Service", "Visit Date", "DOS"), not the
signature date.
"""

from __future__ import annotations

import random

from bench.quality import diagnoses, labs, medications
from bench.quality.document import Block, Document, FieldStyle, ItemList, Section, TableStyle, Title
from bench.quality.families import common
from bench.quality.identity import identity_fields
from bench.quality.truth import LabTruth, Truth

REPORT_TYPE = "consult note"
_SERVICES = ("Cardiology", "Endocrinology", "Nephrology", "Pulmonology", "Internal Medicine")
_PLANS = (
    "continue current therapy",
    "recheck labs in 3 months",
    "titrate dose as tolerated",
    "refer for education",
)


def _vitals(rng: random.Random) -> str:
    systolic, diastolic = rng.randint(104, 168), rng.randint(62, 98)
    parts = [
        f"BP {systolic}/{diastolic}",
        f"HR {rng.randint(56, 104)}",
        f"RR {rng.randint(12, 20)}",
        f"Temp {rng.choice(('98.2', '98.6', '99.1', '36.8 C'))}",
        f"SpO2 {rng.randint(93, 99)}% on room air",
        f"Wt {rng.randint(52, 118)} kg",
    ]
    return rng.choice(("Vitals: ", "Vital signs: ", "")) + ", ".join(parts) + "."


def compose(rng: random.Random) -> tuple[Document, Truth]:
    """A consult note; the assessment lists each diagnosis with a short plan after it."""
    case = common.new_case(rng)
    service = rng.choice(_SERVICES)
    seen = case.report_date()
    extra = (
        (rng.choice(("Date of Service", "Visit Date", "DOS")), seen.text),
        (rng.choice(("Referring Provider", "Requested by")), case.clinician),
    )
    present = diagnoses.draw(rng, "medical", rng.randint(2, 4))
    negations = diagnoses.negations(rng, "medical", rng.randint(2, 3), present)
    meds = medications.draw(rng, rng.randint(2, 6))
    med_block, med_truths = medications.as_list(
        rng, meds, rng.choice(("Current Medications:", "MEDICATIONS"))
    )
    form = rng.randrange(3)
    assessment = tuple(f"{diagnoses.printed(dx, form)} - {rng.choice(_PLANS)}." for dx in present)
    hypothetical = [spec.sentence for spec in negations if spec.sentence.startswith(("Rule out", "Possible"))]
    blocks: list[Block] = [
        common.letterhead(rng, case),
        Title(rng.choice((f"{service} Consultation", "CONSULTATION NOTE", f"{service} Clinic Note"))),
        identity_fields(rng, case.patient, extra, style=rng.choice((FieldStyle.INLINE, FieldStyle.CELLS))),
        Section(
            "Reason for consultation:", (f"Evaluation for {present[0].description.lower()}.",), inline=True
        ),
        Section(
            "HPI:",
            (
                f"{case.patient.age}-year-old seen today in {service.lower()} clinic. "
                + " ".join(spec.sentence for spec in negations if spec.sentence not in hypothetical),
            ),
            inline=rng.random() < 0.5,
        ),
        med_block,
        Section("Exam:", (_vitals(rng) + " Alert and oriented. Lungs clear. Regular rhythm.",), inline=True),
        ItemList(assessment, heading=rng.choice(("ASSESSMENT AND PLAN:", "Assessment/Plan:", "Impression:"))),
    ]
    lab_truths: list[LabTruth] = []
    roll = rng.random()
    panel = rng.choice(("COMPREHENSIVE METABOLIC PANEL", "DIABETES", "LIPID PANEL", "THYROID"))
    lines = labs.draw_panel(rng, panel, rng.randint(2, 4))
    heading = rng.choice(("Labs reviewed:", "Recent laboratory data:", "Data:"))
    if roll < 0.35:
        table, lab_truths = labs.lab_table(
            rng,
            {panel: lines},
            labs.pick_style(rng),
            table_style=rng.choice((TableStyle.PIPE, TableStyle.PLAIN, TableStyle.MONO)),
            subheadings=False,
        )
        blocks[6:6] = [Section(heading), table]
    elif roll < 0.7:
        sentence, lab_truths = labs.in_prose(lines)
        blocks.insert(6, Section(heading, (sentence,), inline=True))
    if hypothetical:
        blocks.append(Section("Plan:", tuple(hypothetical), inline=True))
    blocks.append(common.signature(rng, case))
    truth = Truth(
        "consult",
        REPORT_TYPE,
        seen.truth,
        case.patient.identity(),
        lab_results=lab_truths,
        medications=med_truths,
        diagnosis=present,
        negated_mentions=diagnoses.mentions(negations),
    )
    return common.document(rng, REPORT_TYPE, blocks), truth
