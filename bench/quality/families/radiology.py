"""Radiology reports: Indication / Technique / Comparison / Findings / Impression.

Report date: the exam date ("Exam Date", "Date of Exam", "Date of Service"), not the
dictated or signed dates.
"""

from __future__ import annotations

import random

from bench.quality import diagnoses
from bench.quality.document import Block, Document, FieldStyle, Rule, Section, Title
from bench.quality.families import common
from bench.quality.identity import identity_fields
from bench.quality.truth import Truth

REPORT_TYPE = "radiology report"
_EXAMS = (
    ("CT CHEST WITH IV CONTRAST (PE PROTOCOL)", "Axial CT images of the chest were obtained after intravenous contrast."),
    ("XR CHEST 2 VIEWS", "PA and lateral views of the chest."),
    ("US ABDOMEN COMPLETE", "Real-time grayscale and color Doppler sonography of the abdomen."),
    ("MRI BRAIN WITHOUT AND WITH CONTRAST", "Multiplanar multisequence MR imaging of the brain before and after gadolinium."),
    ("CT ABDOMEN AND PELVIS WITH CONTRAST", "Helical CT of the abdomen and pelvis with oral and IV contrast."),
)  # fmt: skip
_NORMAL_FINDINGS = (
    "The heart is normal in size.",
    "Visualized osseous structures are unremarkable.",
    "No free air.",
    "The liver, spleen and pancreas are unremarkable in appearance.",
)


def compose(rng: random.Random) -> tuple[Document, Truth]:
    """One imaging study with its findings and a numbered impression."""
    case = common.new_case(rng)
    exam, technique = rng.choice(_EXAMS)
    present = diagnoses.draw(rng, "imaging", rng.randint(1, 2))
    negations = diagnoses.negations(rng, "imaging", rng.randint(1, 3), present)
    exam_date = case.report_date()
    extra = (
        (rng.choice(("Exam Date", "Date of Exam", "Date of Service")), exam_date.text),
        ("Accession", f"RAD{rng.randint(1000000, 9999999)}"),
        (rng.choice(("Ordering Provider", "Referring Physician")), case.clinician),
    )
    # Reasons that name no condition, so the indication adds a diagnosis only when it states one.
    indication = rng.choice(
        ("Follow-up.", "Routine surveillance.", "Pre-operative evaluation.", "Reassessment.")
    )
    indication_dx = []
    if rng.random() < 0.4:
        indication_dx = diagnoses.draw(rng, "medical", 1)
        indication = f"History of {diagnoses.printed(indication_dx[0], 0)}. {indication}"
    hypothetical = [spec for spec in negations if spec.sentence.startswith("Rule out")]
    if hypothetical:
        indication += " " + hypothetical[0].sentence
    findings = [spec.sentence for spec in negations if spec not in hypothetical]
    in_impression = tuple(findings[:1]) if findings and rng.random() < 0.5 else ()
    findings = rng.sample(_NORMAL_FINDINGS, 2) + findings
    rng.shuffle(findings)
    blocks: list[Block] = [
        common.letterhead(rng, case),
        Title(rng.choice(("RADIOLOGY REPORT", "DIAGNOSTIC IMAGING REPORT", exam))),
        identity_fields(rng, case.patient, extra, style=rng.choice(tuple(FieldStyle))),
        Rule(),
        Section("EXAM:", (exam,), inline=True),
        Section(rng.choice(("INDICATION:", "CLINICAL INDICATION:", "HISTORY:")), (indication,), inline=True),
        Section("TECHNIQUE:", (technique,), inline=True),
        Section("COMPARISON:", (rng.choice(("None.", "Prior study from 14 months earlier.")),), inline=True),
        Section("FINDINGS:", (" ".join(findings),)),
        diagnoses.as_list(rng, present, "IMPRESSION:", negated=in_impression),
        Section("Dictated by:", (f"{case.clinician}, {case.later(0).text}",), inline=True),
        common.signature(rng, case),
    ]
    truth = Truth(
        "radiology",
        REPORT_TYPE,
        exam_date.truth,
        case.patient.identity(),
        diagnosis=indication_dx + present,
        negated_mentions=diagnoses.mentions(negations),
    )
    return common.document(rng, REPORT_TYPE, blocks), truth
