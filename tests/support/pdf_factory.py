"""Medical-report PDFs generated on the fly, so no test commits a binary fixture.

:func:`make_report_pdf` lays out a :class:`SampleReport` the way a hospital system
would: letterhead, title, a two-column block of labelled header fields, then the
sections (diagnoses, findings, impression, medications, lab results), a signature
line, a running header on continuation pages and a "Page n of N" footer. Every value
is printed exactly as given, so a test can compare what a parser returns with the
sample it started from. The helpers below it make the broken and odd files a parser
must reject or survive. Everything is deterministic; the patient is fictitious.

The core PDF fonts only cover Latin-1, so sample text must too.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from typing import Literal

from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.image_parsing import SETTINGS as IMAGE_SETTINGS
from PIL import Image
from pypdf import PdfReader, PdfWriter

SECTION_ORDER = ("diagnoses", "findings", "impression", "medications", "lab_results")


@dataclass(frozen=True)
class SampleDiagnosis:
    """A diagnosis as printed: "description (code)"."""

    description: str
    code: str | None = None


@dataclass(frozen=True)
class SampleMedication:
    """A medication line as printed: "name dose route frequency", missing parts left out."""

    name: str
    dose: str | None = None
    route: str | None = None
    frequency: str | None = None


@dataclass(frozen=True)
class SampleLab:
    """A lab result; ``flag`` is printed as given ("H", "L", "N", "A", "HH", "Critical", ...)."""

    test: str
    value: str
    unit: str | None = None
    reference_range: str | None = None
    flag: str | None = None


def _default_diagnoses() -> tuple[SampleDiagnosis, ...]:
    return (
        SampleDiagnosis("Type 2 diabetes mellitus without complications", "E11.9"),
        SampleDiagnosis("Essential (primary) hypertension", "I10"),
        SampleDiagnosis("Hyperlipidemia, unspecified", "E78.5"),
    )


def _default_medications() -> tuple[SampleMedication, ...]:
    return (
        SampleMedication("Metformin", "500 mg", "oral", "twice daily"),
        SampleMedication("Lisinopril", "10 mg", "oral", "once daily"),
        SampleMedication("Atorvastatin", "40 mg", "oral", "at bedtime"),
        SampleMedication("Insulin glargine", "12 units", "subcutaneous", "at bedtime"),
        SampleMedication("Albuterol", "90 mcg", "inhaled", "every 6 hours as needed"),
    )


def _default_labs() -> tuple[SampleLab, ...]:
    return (
        SampleLab("HbA1c", "7.2", "%", "4.0-5.6", "H"),
        SampleLab("Fasting glucose", "182", "mg/dL", "70-99", "H"),
        SampleLab("Potassium", "4.1", "mmol/L", "3.5-5.1", "N"),
        SampleLab("Hemoglobin", "11.2", "g/dL", "12.0-16.0", "L"),
        SampleLab("eGFR", "58", "mL/min/1.73m2", ">60", "L"),
    )


@dataclass(frozen=True)
class SampleReport:
    """What a generated report says, and a few layout choices.

    Header fields are printed as "label: value" in two columns; set a ``*_label`` to
    another wording ("Patient", "DOB", "Attending", ...) to vary it. ``facility`` is
    the letterhead and ``report_type`` the title unless ``facility_label`` /
    ``report_type_label`` are set, in which case they become labelled fields too.
    ``physician_label=None`` leaves the physician only in the closing
    "Electronically signed by: Dr. ..." line.

    Empty sections are left out. ``pages`` is the minimum page count: the five
    sections are spread over the pages in order, page ``i`` (0-based) starting with
    section ``ceil(i * 5 / pages)``, so with ``pages=2`` medications and lab results
    are on page 2. Content that does not fit flows onto further pages; pages beyond
    five are "intentionally left blank".
    """

    patient_name: str = "Jane Q. Doe"
    date_of_birth: str = "03/14/1962"
    sex: str = "Female"
    mrn: str = "MRN-0048213"
    report_type: str = "Discharge Summary"
    report_date: str = "05/21/2024"
    facility: str = "Riverside General Hospital"
    physician: str = "Dr. Alan Smithee"
    diagnoses: tuple[SampleDiagnosis, ...] = field(default_factory=_default_diagnoses)
    findings: tuple[str, ...] = (
        "Blood pressure 148/92 mmHg on admission, 132/84 mmHg at discharge.",
        "No peripheral edema.",
        "Monofilament sensation intact in both feet.",
    )
    impression: str = (
        "Suboptimally controlled type 2 diabetes; metformin continued and basal insulin started."
    )
    medications: tuple[SampleMedication, ...] = field(default_factory=_default_medications)
    lab_results: tuple[SampleLab, ...] = field(default_factory=_default_labs)
    pages: int = 1
    name_label: str = "Patient Name"
    dob_label: str = "Date of Birth"
    sex_label: str = "Sex"
    mrn_label: str = "MRN"
    report_date_label: str = "Report Date"
    physician_label: str | None = "Physician"
    facility_label: str | None = None
    report_type_label: str | None = None
    diagnosis_style: Literal["bullets", "numbered", "inline"] = "bullets"
    lab_style: Literal["inline", "labelled"] = "inline"


def diagnosis_text(diagnosis: SampleDiagnosis) -> str:
    """A diagnosis as the report prints it."""
    return f"{diagnosis.description} ({diagnosis.code})" if diagnosis.code else diagnosis.description


def medication_text(medication: SampleMedication) -> str:
    """A medication line as the report prints it."""
    parts = (medication.name, medication.dose, medication.route, medication.frequency)
    return " ".join(part for part in parts if part)


def lab_text(lab: SampleLab, style: Literal["inline", "labelled"]) -> str:
    """A lab line: "HbA1c 7.2 % (4.0-5.6) H" or "Hemoglobin: 13.5 g/dL  Ref: 12.0-16.0  H"."""
    if style == "inline":
        parts = [lab.test, lab.value, lab.unit, f"({lab.reference_range})" if lab.reference_range else None]
    else:
        parts = [
            f"{lab.test}:",
            lab.value,
            lab.unit,
            f" Ref: {lab.reference_range}" if lab.reference_range else None,
        ]
    return " ".join(part for part in [*parts, lab.flag] if part)


class _ReportPdf(FPDF):
    def __init__(self, running_header: str) -> None:
        super().__init__(format="A4")
        self.running_header = running_header
        self.set_auto_page_break(auto=True, margin=20)
        self.set_margins(15, 15, 15)

    def header(self) -> None:
        if self.page_no() > 1:
            self.set_font("Helvetica", size=8)
            self.cell(0, 5, text=self.running_header, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
            self.ln(3)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("Helvetica", size=8)
        self.cell(0, 8, text=f"Confidential - Page {self.page_no()} of {{nb}}", align="C")

    def heading(self, text: str) -> None:
        self.ln(3)
        self.set_font("Helvetica", "B", 11)
        self.cell(0, 7, text=text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        self.set_font("Helvetica", size=10)

    def line_of_text(self, text: str) -> None:
        self.multi_cell(0, 5, text=text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT)


def _header_block(pdf: _ReportPdf, report: SampleReport) -> None:
    pdf.set_font("Helvetica", "B", 15)
    if report.facility_label is None:
        pdf.cell(0, 8, text=report.facility, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if report.report_type_label is None:
        pdf.set_font("Helvetica", "B", 13)
        pdf.cell(0, 8, text=report.report_type, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    fields = [
        (report.name_label, report.patient_name),
        (report.mrn_label, report.mrn),
        (report.dob_label, report.date_of_birth),
        (report.sex_label, report.sex),
        (report.report_date_label, report.report_date),
        (report.physician_label, report.physician),
        (report.facility_label, report.facility),
        (report.report_type_label, report.report_type),
    ]
    cells = [f"{label}: {value}" for label, value in fields if label is not None]
    pdf.set_font("Helvetica", size=10)
    for left in range(0, len(cells), 2):
        pdf.cell(90, 6, text=cells[left])
        pdf.cell(
            0, 6, text=cells[left + 1] if left + 1 < len(cells) else "", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )


def _section(pdf: _ReportPdf, report: SampleReport, name: str) -> None:
    """Print one section; an empty one (no items, no impression) is left out."""
    if not getattr(report, name):
        return
    if name == "diagnoses":
        texts = [diagnosis_text(diagnosis) for diagnosis in report.diagnoses]
        if report.diagnosis_style == "inline":
            pdf.heading("Diagnoses: " + "; ".join(texts))
            return
        pdf.heading("Diagnoses:")
        for number, text in enumerate(texts, start=1):
            pdf.line_of_text(f"{number}. {text}" if report.diagnosis_style == "numbered" else f"- {text}")
    elif name == "findings":
        pdf.heading("Findings:")
        for finding in report.findings:
            pdf.line_of_text(f"- {finding}")
    elif name == "impression":
        pdf.heading("Impression:")
        pdf.line_of_text(report.impression)
    elif name == "medications":
        pdf.heading("Medications:")
        for medication in report.medications:
            pdf.line_of_text(f"- {medication_text(medication)}")
    elif name == "lab_results":
        pdf.heading("Lab Results:")
        for lab in report.lab_results:
            pdf.line_of_text(lab_text(lab, report.lab_style))


def _render(report: SampleReport) -> _ReportPdf:
    pdf = _ReportPdf(running_header=f"Patient: {report.patient_name}    MRN: {report.mrn}")
    pdf.add_page()
    _header_block(pdf, report)
    pages = max(1, report.pages)
    starts = {-(-index * len(SECTION_ORDER) // pages) for index in range(1, pages)}
    for index, name in enumerate(SECTION_ORDER):
        if index in starts:
            pdf.add_page()
        _section(pdf, report, name)
    pdf.ln(6)
    pdf.line_of_text(f"Electronically signed by: {report.physician}")
    while pdf.page_no() < pages:
        pdf.add_page()
        pdf.line_of_text("This page intentionally left blank.")
    return pdf


def make_report_pdf(report: SampleReport | None = None) -> bytes:
    """Render ``report`` (default: :class:`SampleReport`) as a text PDF."""
    return bytes(_render(report or SampleReport()).output())


def make_encrypted_pdf(report: SampleReport | None = None, *, user_password: str = "s3cret") -> bytes:
    """A report PDF that needs ``user_password`` to open (RC4, as many scanners still write)."""
    reader = PdfReader(io.BytesIO(make_report_pdf(report)))
    writer = PdfWriter(clone_from=reader)
    writer.encrypt(user_password=user_password, owner_password="owner-" + user_password, algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_image_only_pdf(pages: int = 1) -> bytes:
    """A "scanned" report: shapes and a grey noise image on each page, and no text layer."""
    pdf = FPDF(format="A4")
    noise = Image.frombytes("L", (200, 260), random.Random(3).randbytes(200 * 260))
    for _ in range(pages):
        pdf.add_page()
        pdf.set_line_width(0.8)
        pdf.rect(15, 15, 180, 25)
        for row in range(12):
            pdf.line(20, 60 + row * 8, 190 - (row % 3) * 30, 60 + row * 8)
        pdf.ellipse(150, 200, 30, 30)
        pdf.image(noise, x=20, y=170, w=60)
    return bytes(pdf.output())


def make_corrupt_pdf() -> bytes:
    """Starts like a PDF (``%PDF-1.7``) but the rest is garbage."""
    return b"%PDF-1.7\n" + random.Random(5).randbytes(4096)


def make_large_pdf(target_bytes: int, report: SampleReport | None = None) -> bytes:
    """A valid report PDF padded to roughly ``target_bytes`` (within about 1 %).

    The report pages come first; the padding is one more page holding a random grey
    noise "scan", which does not compress, so the file size is predictable. A target
    below the plain report's size gives the plain report.
    """
    report = report or SampleReport()
    plain = make_report_pdf(report)
    image_bytes = target_bytes - len(plain) - 600
    if image_bytes <= 0:
        return plain
    width = 2_000
    height = max(1, image_bytes // width)
    noise = Image.frombytes("L", (width, height), random.Random(11).randbytes(width * height))
    pdf = _render(report)
    pdf.add_page()
    # Noise does not compress, so deflate at level 0 ("stored") gives the same size
    # about five times faster; fpdf2 only offers this as a module-wide setting.
    level = IMAGE_SETTINGS.compression_level
    IMAGE_SETTINGS.compression_level = 0
    try:
        pdf.image(noise, x=15, y=25, w=180, h=min(250.0, 180 * height / width))
    finally:
        IMAGE_SETTINGS.compression_level = level
    return bytes(pdf.output())
