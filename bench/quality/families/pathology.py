"""Surgical pathology and molecular pathology reports: specimen, final diagnosis block, variant table.

Report date: the date the specimen was collected ("Date Collected", "Procedure Date"),
not the received or signed-out dates.
"""

from __future__ import annotations

import random

from bench.quality import diagnoses
from bench.quality.document import (
    Block,
    Cell,
    Document,
    DrawOrder,
    FieldStyle,
    Row,
    Section,
    Table,
    TableStyle,
    Title,
)
from bench.quality.families import common
from bench.quality.identity import identity_fields
from bench.quality.truth import Truth

_SPECIMENS = {
    "C50.911": ("A. Right breast, 10 o'clock, ultrasound-guided core biopsy", ("PIK3CA", "c.3140A>G p.H1047R", "Pathogenic", "31%")),
    "D05.11": ("A. Right breast, stereotactic core biopsy", ("PIK3CA", "c.1633G>A p.E545K", "Pathogenic", "18%")),
    "C34.11": ("A. Lung, right upper lobe, CT-guided needle biopsy", ("EGFR", "c.2573T>G p.L858R", "Pathogenic", "27%")),
    "C18.7": ("A. Sigmoid colon, mass, endoscopic biopsy", ("KRAS", "c.34G>T p.G12C", "Pathogenic", "22%")),
    "C61": ("A-L. Prostate, systematic needle biopsies (12 cores)", ("BRCA2", "c.5946delT p.S1982fs", "Likely pathogenic", "44%")),
    "D12.5": ("A. Sigmoid colon polyp, polypectomy", None),
}  # fmt: skip


# Specimens a patient of that sex cannot have.
_SEX_SPECIFIC = {"male": {"C50.911", "D05.11"}, "female": {"C61"}}


def _variant_table(rng: random.Random, variant: tuple[str, str, str, str]) -> Table:
    header = ("Gene", "Variant (HGVS)", "Classification", "VAF")
    rows = (
        Row(tuple(Cell(text, bold=index == 0) for index, text in enumerate(variant))),
        Row((Cell("TP53"), Cell("No variant detected"), Cell("-"), Cell("-"))),
    )
    return Table(
        header,
        rows,
        (0.16, 0.4, 0.28, 0.16),
        style=rng.choice((TableStyle.GRID, TableStyle.LINES)),
        order=rng.choice(tuple(DrawOrder)),
        caption="Genomic Findings",
    )


def compose(rng: random.Random) -> tuple[Document, Truth]:
    """A pathology report; with a variant table when it is a molecular report."""
    case = common.new_case(rng)
    code = rng.choice([code for code in sorted(_SPECIMENS) if code not in _SEX_SPECIFIC[case.patient.sex]])
    specimen, variant = _SPECIMENS[code]
    molecular = variant is not None and rng.random() < 0.45
    report_type = "molecular pathology report" if molecular else "surgical pathology report"
    present = [diagnoses.of_code(rng, code)]
    collected = case.report_date()
    extra = (
        ("Accession #", f"S26-{rng.randint(1000, 99999)}"),
        (rng.choice(("Date Collected", "Procedure Date", "Collection Date")), collected.text),
        ("Date Received", case.later(1).text),
        (rng.choice(("Date Reported", "Signed Out")), case.later(rng.randint(2, 6)).text),
        ("Submitting Physician", case.clinician),
    )
    negations = diagnoses.negations(rng, "pathology", rng.randint(1, 2), present)
    if code == "C34.11":
        negations += diagnoses.negations(rng, "lung", 1, present)
    sentences = tuple(spec.sentence for spec in negations)
    in_diagnosis = rng.random() < 0.5  # "Tubular adenoma. / Negative for high-grade dysplasia." in one block
    blocks: list[Block] = [
        common.letterhead(rng, case),
        Title(report_type.upper()),
        identity_fields(rng, case.patient, extra, style=rng.choice(tuple(FieldStyle))),
        Section("SPECIMEN(S):", (specimen,), inline=rng.random() < 0.5),
        Section(
            "CLINICAL HISTORY:", ("Abnormal imaging; tissue diagnosis requested.",), inline=rng.random() < 0.5
        ),
        diagnoses.as_list(
            rng,
            present,
            rng.choice(("FINAL DIAGNOSIS:", "DIAGNOSIS:", "Final Pathologic Diagnosis")),
            negated=sentences if in_diagnosis else (),
        ),
    ]
    if not in_diagnosis:
        blocks.append(Section("Comment:", sentences))
    if molecular and variant is not None:
        blocks += [
            _variant_table(rng, variant),
            Section("Methodology:", ("Targeted next-generation sequencing panel (DNA).",), inline=True),
        ]
    blocks.append(
        Section(
            "GROSS DESCRIPTION:",
            ("Received in formalin labeled with the patient's name are multiple tan-pink cores of tissue.",),
        )
    )
    blocks.append(common.signature(rng, case, days_after=3))
    truth = Truth(
        "pathology",
        report_type,
        collected.truth,
        case.patient.identity(),
        diagnosis=present,
        negated_mentions=diagnoses.mentions(negations),
    )
    return common.document(rng, report_type, blocks), truth
