"""Hospital discharge summaries: diagnoses, history, course, pertinent labs, discharge medications.

Report date: the discharge date ("Discharge Date", "Date of Discharge"), not the
admission date.
"""

from __future__ import annotations

import random
from datetime import timedelta

from bench.quality import diagnoses, labs, medications
from bench.quality.document import Block, Document, FieldStyle, Rule, Section, Title
from bench.quality.families import common
from bench.quality.identity import identity_fields
from bench.quality.truth import Truth

REPORT_TYPE = "discharge summary"
_COURSES = (
    "The patient was admitted to the medical floor, started on intravenous therapy and improved steadily.",
    "Symptoms resolved over the course of the admission; the patient tolerated a regular diet before discharge.",
    "Cardiology and nephrology were consulted. Renal function returned towards baseline with hydration.",
)


def compose(rng: random.Random) -> tuple[Document, Truth]:
    """A discharge summary of one or two pages."""
    case = common.new_case(rng)
    stay = rng.randint(2, 9)
    admitted = case.written(case.day - timedelta(days=stay))
    discharged = case.report_date()
    extra = (
        (rng.choice(("Admission Date", "Date of Admission", "Admitted")), admitted.text),
        (rng.choice(("Discharge Date", "Date of Discharge", "Discharged")), discharged.text),
        (rng.choice(("Attending", "Attending Physician")), case.clinician),
    )
    present = diagnoses.draw(rng, "medical", rng.randint(2, 5))
    negations = diagnoses.negations(rng, "medical", rng.randint(1, 3), present)
    family = [spec for spec in negations if spec.sentence.startswith("Family")]
    other = [spec for spec in negations if spec not in family]
    principal, secondary = present[:1], present[1:]
    lab_style = labs.pick_style(rng)
    table, lab_truths = labs.lab_table(
        rng,
        {"COMPREHENSIVE METABOLIC PANEL": labs.draw_panel(rng, "COMPREHENSIVE METABOLIC PANEL", 5)},
        lab_style,
    )
    meds = medications.draw(rng, rng.randint(3, 7))
    med_blocks, med_truths = medications.either(
        rng, meds, rng.choice(("DISCHARGE MEDICATIONS", "Discharge Medications:"))
    )
    blocks: list[Block] = [
        common.letterhead(rng, case),
        Title("DISCHARGE SUMMARY"),
        identity_fields(rng, case.patient, extra, style=rng.choice(tuple(FieldStyle))),
        Rule(),
        *common.side_by_side(
            rng,
            diagnoses.as_list(rng, principal, rng.choice(("PRINCIPAL DIAGNOSIS:", "Primary Diagnosis:"))),
            diagnoses.as_list(rng, secondary, rng.choice(("SECONDARY DIAGNOSES:", "Secondary Diagnoses:"))),
        ),
        Section(
            "HISTORY OF PRESENT ILLNESS:",
            (
                f"{case.patient.age}-year-old presenting with worsening symptoms. "
                + " ".join(s.sentence for s in other),
            ),
        ),
        Section(
            "FAMILY HISTORY:", (" ".join(s.sentence for s in family) or "Noncontributory.",), inline=True
        ),
        Section("HOSPITAL COURSE:", (rng.choice(_COURSES),)),
        Section("PERTINENT LABORATORY RESULTS:"),
        table,
        *med_blocks,
        Section("FOLLOW-UP:", ("Primary care in 1-2 weeks. Return for worsening symptoms.",), inline=True),
        common.signature(rng, case),
    ]
    truth = Truth(
        "discharge",
        REPORT_TYPE,
        discharged.truth,
        case.patient.identity(),
        lab_truths,
        med_truths,
        present,
        diagnoses.mentions(negations),
    )
    return common.document(rng, REPORT_TYPE, blocks), truth
