"""The whole offline parse: a :class:`Document` in, a :class:`ParsedReport` (with warnings) out.

:func:`read_findings_of` runs every rule and returns :class:`Findings`, whose items
keep their source words; :func:`to_report` maps them onto the output schema.
"""

from __future__ import annotations

import re

from lib.documents import Document, TextSource
from lib.domain.report_schema import Assertion as ReportedAssertion
from lib.domain.report_schema import (
    Diagnosis,
    Finding,
    LabResult,
    Medication,
    ParsedReport,
    Patient,
    ReportWarning,
    Sex,
)
from lib.extraction.assertion import Assertion, assertion_of
from lib.offline.columns import rebuild_column_tables
from lib.offline.diagnoses import read_diagnoses, read_findings
from lib.offline.facts import DateFact, Findings, LabFact, WarningFact
from lib.offline.identity import read_identity
from lib.offline.labs import read_labs
from lib.offline.medications import read_medications
from lib.offline.meta import read_meta
from lib.offline.reading import labelled_values, sections

__all__ = ["parse_document", "read_findings_of", "to_report"]

# The OCR model misreads the micro sign; a unit word it is this unsure of is not trusted.
LOW_UNIT_CONFIDENCE = 0.3
# An OCR value word below this confidence is left out; outside its range, below the second.
MIN_VALUE_CONFIDENCE = 0.4
DOUBT_OUTSIDE_RANGE = 0.75
# A whole-number value is left out when the OCR of its range is this unsure.
DOUBTFUL_RANGE = 0.7
# A range OCR is this unsure of is left out (OCR marks a number whose decimal points it
# could not put back at 0.2: "3.4-10.8" read as "34-108").
UNREADABLE_RANGE = 0.3


def read_findings_of(document: Document) -> Findings:
    """Run every rule over ``document``."""
    findings = Findings()
    # Skewed scans arrive laid out from level copies of their words (lib.documents.deskew),
    # ruled tables included; laying them out again here lost those tables.
    document = rebuild_column_tables(document)
    pairs = labelled_values(document)
    parts = sections(document)
    read_identity(pairs, findings)
    read_labs(parts, findings, {page.number: page for page in document.pages})
    read_medications(parts, findings)
    read_diagnoses(parts, findings)
    read_findings(parts, findings)
    read_meta(document, pairs, parts, findings)
    unread = [page.number for page in document.pages if page.unread]
    if unread:
        findings.warnings.append(
            WarningFact(
                "unread_pages", None, f"no text could be read on page(s) {', '.join(map(str, unread))}"
            )
        )
    return findings


def _date(fact: DateFact | None) -> str | None:
    if fact is None:
        return None
    return fact.found.iso or fact.written


def _unit_warning(index: int, fact: LabFact) -> WarningFact | None:
    scores = [word.confidence for word in fact.unit_words if word.confidence is not None]
    if fact.reading.unit and scores and min(scores) <= LOW_UNIT_CONFIDENCE:
        return WarningFact(
            "uncertain_unit",
            f"/lab_results/{index}/unit",
            "the unit was read by OCR with low confidence (a micro sign may have been misread); check it",
        )
    return None


def _decimals(text: str) -> int:
    match = re.search(r"[.,](\d+)", text)
    return len(match[1]) if match else 0


def _doubtful_ocr_value(fact: LabFact) -> bool:
    """An OCR value too unsure, or too far from its range, to pass on.

    OCR drops decimal points ("3.2" read as "32") and confuses digits; such a value
    lands far outside its range. Left out are values whose word OCR doubts, values
    without the decimals their range has that only fit the range with a decimal
    point put back, and values more than ten times beyond a bound.
    """
    reading = fact.reading
    digits = (reading.value or "").lstrip("<>=≤≥ ")
    words = [w for w in fact.source.words if w.source is TextSource.OCR and digits and digits in w.text]
    if not words:
        return False
    confidence = min((w.confidence for w in words if w.confidence is not None), default=1.0)
    if confidence < MIN_VALUE_CONFIDENCE:
        return True
    bounds = reading.reference_range
    if bounds is not None and _decimals(digits) == 0 and _range_words_doubted(fact, DOUBTFUL_RANGE):
        # A whole number beside a range OCR doubts: the row was read badly, decimal points
        # are the first thing lost ("4.9" and "3.5-5.0" read as "49" and "35-50").
        return True
    number = reading.number
    if number is None or bounds is None or (bounds.low is None and bounds.high is None):
        return False
    low, high = bounds.low, bounds.high
    outside = (low is not None and number < low) or (high is not None and number > high)
    if not outside:
        return False
    if confidence < DOUBT_OUTSIDE_RANGE:
        return True
    if _decimals(digits) == 0 and _decimals(bounds.text) > 0:
        shifted = number / 10
        if (low is None or shifted >= low / 2) and (high is None or shifted <= high * 2):
            return True
    return (high is not None and number > 10 * high) or (low is not None and low > 0 and number < low / 10)


def _range_words_doubted(fact: LabFact, below: float) -> bool:
    """Whether OCR read a word of the result's reference range with a confidence under ``below``."""
    bounds = fact.reading.reference_range
    if bounds is None:
        return False
    # Only its numbers: a comparator or dash OCR is unsure of (">=" at 0.5, a card's middle
    # dot read as "-") has no decimal point to lose.
    scores = [
        w.confidence
        for w in fact.source.words
        if w.source is TextSource.OCR
        and w.confidence is not None
        and w.text in bounds.text
        and any(char.isdigit() for char in w.text)
    ]
    return bool(scores) and min(scores) < below


def _labs(findings: Findings) -> tuple[list[LabResult], list[WarningFact]]:
    results: list[LabResult] = []
    warnings: list[WarningFact] = []
    seen: set[tuple[str, str | None, int]] = set()
    doubtful: set[int] = set()
    # Result cards are read from the whole page before its tables: page order is what matters.
    for fact in sorted(findings.labs, key=lambda item: item.source.page):
        reading = fact.reading
        key = (reading.test.casefold(), reading.value, fact.source.page)
        if key in seen:
            continue
        seen.add(key)
        if _doubtful_ocr_value(fact):
            doubtful.add(fact.source.page)
            continue
        if warning := _unit_warning(len(results), fact):
            warnings.append(warning)
        reference = reading.reference_range.text if reading.reference_range else None
        if reference is not None and _range_words_doubted(fact, UNREADABLE_RANGE):
            reference = None
            warnings.append(
                WarningFact(
                    "unreadable_reference_range",
                    f"/lab_results/{len(results)}",
                    "the reference range printed with this result could not be read by OCR with confidence"
                    " and was left out",
                )
            )
        results.append(
            LabResult(
                test=reading.test,
                value=reading.value,
                unit=reading.unit,
                reference_range=reference,
                flag=reading.flag,
                page=fact.source.page,
            )
        )
    if doubtful:
        pages = ", ".join(str(page) for page in sorted(doubtful))
        warnings.append(
            WarningFact(
                "unreadable_lab_values",
                None,
                f"lab values OCR could not read with confidence were left out, on page(s) {pages}",
            )
        )
    return results, warnings


def to_report(findings: Findings) -> ParsedReport:
    """Map ``findings`` onto the output schema; ``diagnosis`` lists only the present diagnoses."""
    name = findings.name.value if findings.name else None
    dob = _date(findings.date_of_birth) if isinstance(findings.date_of_birth, DateFact) else None
    sex = Sex(findings.sex.value) if findings.sex else None
    mrn = findings.mrn.value if findings.mrn else None
    patient = Patient(name=name, date_of_birth=dob, sex=sex, mrn=mrn) if any((name, dob, sex, mrn)) else None
    present = [fact for fact in findings.diagnoses if fact.item.assertion is Assertion.PRESENT]
    labs, lab_warnings = _labs(findings)
    medications: list[Medication] = []
    seen_meds: set[tuple[str, str | None]] = set()
    for med in findings.medications:
        key = (med.entry.name.casefold(), med.entry.dose)
        if key in seen_meds:
            continue
        seen_meds.add(key)
        medications.append(
            Medication(
                name=med.entry.name,
                dose=med.entry.dose,
                route=med.entry.route,
                frequency=med.entry.frequency,
                page=med.source.page,
            )
        )
    impression = " ".join(fact.text for fact in findings.impression) or None
    warnings = [*findings.warnings, *lab_warnings]
    return ParsedReport(
        patient_name=name,
        diagnosis=[fact.item.description for fact in present],
        patient=patient,
        report_type=findings.report_type.value if findings.report_type else None,
        report_date=_date(findings.report_date),
        facility=findings.facility.value if findings.facility else None,
        physician=findings.physician.value if findings.physician else None,
        # Every mention, with what the report asserts of it; the guide's list keeps the present ones.
        diagnosis_details=[
            Diagnosis(
                description=fact.item.description,
                code=fact.item.code,
                page=fact.source.page,
                assertion=ReportedAssertion(fact.item.assertion.value),
            )
            for fact in findings.diagnoses
        ],
        findings=[
            Finding(
                text=fact.text,
                page=fact.source.page,
                assertion=ReportedAssertion(assertion_of(fact.text).assertion.value),
            )
            for fact in findings.findings
        ],
        impression=impression,
        medications=medications,
        lab_results=labs,
        warnings=[ReportWarning(code=w.code, path=w.path, message=w.message) for w in warnings],
    )


def parse_document(document: Document) -> ParsedReport:
    """The report ``document`` holds, as the output schema."""
    return to_report(read_findings_of(document))
