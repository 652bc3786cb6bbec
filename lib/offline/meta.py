"""What kind of report this is, its date, the facility and the physician.

Report type
    From the title: the headings of the first page that are not the letterhead
    ("SURGICAL PATHOLOGY REPORT", "Discharge Summary"), or a "Report Type:" label.
    A letterhead ("Lakeshore Pathology Associates") never decides the type. Without
    a title the content decides: lab tables make a lab report, an exam with findings
    a radiology report.

Report date
    The date that dates the report for its kind, as careful readers take it: the
    collection date for lab and pathology reports, the exam date for imaging, the
    discharge date for a discharge summary, the date of service for a visit note;
    then the report's own date (reported, signed). Never a birth date.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lib.documents import Document
from lib.extraction.dates import FoundDate, parse_date
from lib.offline.facts import DateFact, Findings, Source, TextFact, WarningFact, words_in
from lib.offline.labels import date_role, norm_label, physician_rank
from lib.offline.reading import Labelled, Section, SectionKind

__all__ = ["read_meta"]

# (kind, output label, title pattern); checked in order.
_TYPES: tuple[tuple[str, str, re.Pattern[str]], ...] = tuple(
    (kind, label, re.compile(pattern, re.IGNORECASE))
    for kind, label, pattern in (
        ("discharge", "discharge summary", r"\bdischarge\s+(?:summary|note|report|letter)\b"),
        (
            "pathology",
            "pathology report",
            r"patholog|cytolog|histolog|biopsy\s+report|molecular\s+(?:diagnostic|report|profil)",
        ),
        (
            "radiology",
            "radiology report",
            r"radiolog|imaging\s+report|diagnostic\s+imaging|\b(?:ct|mri|mr|x-?ray|xr|ultrasound|us|pet|nm)\b.*\breport"
            r"|mammogra|sonogra|radiograph|echocardiogra",
        ),
        ("operative", "operative report", r"\b(?:operative|operation|procedure)\s+(?:report|note)\b"),
        (
            "consult",
            "consultation note",
            r"consult|clinic\s+(?:note|letter|visit)|progress\s+note|office\s+visit|visit\s+note|outpatient\s+note"
            r"|history\s+and\s+physical|\bh\s*&\s*p\b",
        ),
        (
            "summary",
            "health summary",
            r"health\s+summary|wellness|summary\s+of\s+(?:your\s+)?results|at\s+a\s+glance",
        ),
        (
            "lab",
            "lab report",
            r"laborator|\blab\b|\blabs\b|test\s+results|lab(?:oratory)?\s+results|blood\s+(?:test|work)|\bpanel\b"
            r"|chemistry|ha?ematology|biochemistry|urinalysis|cumulative",
        ),
    )
)
_DOCUMENT_WORD = re.compile(
    r"(?i)\b(?:report|summary|note|results?|letter|record|panel|profile|consultation)\b"
)
_FACILITY_WORD = re.compile(
    r"(?i)\b(?:hospital|medical\s+cent(?:er|re)|cent(?:er|re)|clinic|clinics|associates|laborator(?:y|ies)|labs"
    r"|institute|infirmary|diagnostics|imaging|health(?:care)?(?:\s+system)?|medical\s+group|university|partners"
    r"|radiology|pathology)\s*$"
)
_TYPE_LABEL = re.compile(r"(?i)^(?:report\s+type|document\s+type|type\s+of\s+report|report)$")

_PREFERENCE: dict[str, tuple[str, ...]] = {
    "lab": ("collected", "received", "reported", "dated"),
    "summary": ("collected", "received", "reported", "dated"),
    "pathology": ("collected", "procedure", "received", "reported", "dated"),
    "radiology": ("exam", "service", "procedure", "reported", "dated"),
    "operative": ("procedure", "service", "dated", "reported"),
    "discharge": ("discharge", "reported", "dated"),
    "consult": ("service", "visit", "dated", "reported"),
    "": ("collected", "exam", "procedure", "service", "visit", "discharge", "dated", "reported"),
}


def _title_type(document: Document, pairs: Sequence[Labelled]) -> TextFact | None:
    for pair in pairs:
        if _TYPE_LABEL.match(pair.label.strip()):
            for _, label, pattern in _TYPES:
                if pattern.search(pair.value):
                    return TextFact(label, Source.of(pair.page, pair.words, pair.value), pair.label)
    if not document.pages:
        return None
    page = document.pages[0]
    for block in page.blocks[:12]:
        if not block.heading:
            continue
        text = block.text.strip()
        if _FACILITY_WORD.search(text) and not _DOCUMENT_WORD.search(text):
            continue
        for _, label, pattern in _TYPES:
            if pattern.search(text):
                return TextFact(label, Source.of(page.number, block.lines[0].words, text))
    return None


def _kind_of(label: str) -> str:
    return next((kind for kind, name, _ in _TYPES if name == label), "")


def _content_type(findings: Findings, parts: Sequence[Section]) -> TextFact | None:
    kinds = {section.kind for section in parts}
    if SectionKind.FINDINGS in kinds and SectionKind.IMPRESSION in kinds:
        return TextFact("radiology report", Source(1, ""))
    if findings.labs and not findings.medications:
        return TextFact("lab report", Source(findings.labs[0].source.page, ""))
    return None


def _report_date(pairs: Sequence[Labelled], kind: str) -> tuple[DateFact, FoundDate] | None:
    by_role: dict[str, tuple[Labelled, FoundDate]] = {}
    for pair in pairs:
        role = date_role(pair.label)
        if role is None or role in by_role:
            continue
        found = parse_date(pair.value)
        if found is not None:
            by_role[role] = (pair, found)
    for role in _PREFERENCE.get(kind, _PREFERENCE[""]):
        if role in by_role:
            pair, found = by_role[role]
            words = words_in(pair.words, found.text) or pair.words
            return DateFact(found, Source.of(pair.page, words, found.text), pair.label), found
    return None


def _facility(document: Document, pairs: Sequence[Labelled]) -> TextFact | None:
    for pair in pairs:
        if norm_label(pair.label) in (
            "facility",
            "hospital",
            "facility name",
            "hospital name",
            "laboratory",
            "performing lab",
        ):
            return TextFact(pair.value, Source.of(pair.page, pair.words, pair.value), pair.label)
    if not document.pages:
        return None
    page = document.pages[0]
    for block in page.blocks[:3]:
        text = block.lines[0].text.strip() if block.lines else ""
        if block.heading and _FACILITY_WORD.search(text) and not _DOCUMENT_WORD.search(text):
            return TextFact(text, Source.of(page.number, block.lines[0].words, text))
    return None


_CREDENTIAL_TAIL = re.compile(r"[,;]?\s*(?:on\s+|at\s+)?$")


def _physician(pairs: Sequence[Labelled]) -> TextFact | None:
    ranked = sorted(
        (
            (rank, index, pair)
            for index, pair in enumerate(pairs)
            if (rank := physician_rank(pair.label)) is not None
        ),
        key=lambda item: (item[0], item[1]),
    )
    for _, _, pair in ranked:
        value = pair.value
        found = parse_date(value)
        if found is not None:
            value = value[: found.start]
        value = _CREDENTIAL_TAIL.sub("", value).strip(" ,;")
        if re.search(r"[A-Za-z]{2}", value) and not re.search(r"\d", value) and len(value) <= 60:
            return TextFact(value, Source.of(pair.page, words_in(pair.words, value), value), pair.label)
    return None


def read_meta(
    document: Document, pairs: Sequence[Labelled], parts: Sequence[Section], into: Findings
) -> None:
    """Fill report type and date, facility and physician; an ambiguous report date adds a warning."""
    into.report_type = _title_type(document, pairs) or _content_type(into, parts)
    kind = _kind_of(into.report_type.value) if into.report_type else ""
    dated = _report_date(pairs, kind)
    if dated is not None:
        into.report_date, found = dated
        if found.ambiguous:
            into.warnings.append(
                WarningFact(
                    "ambiguous_date",
                    "/report_date",
                    "the report date can be read day-first or month-first; it is given as written",
                )
            )
    into.facility = _facility(document, pairs)
    into.physician = _physician(pairs)
