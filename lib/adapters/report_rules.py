"""From the text of a report's pages to a :class:`ParsedReport`, by rules.

The pages are read line by line, in one pass:

* page furniture ("Confidential - Page 1 of 2", "(continued)") is dropped;
* a section heading ("Diagnoses:", "MEDICATIONS", "Impression: stable") opens a section;
* a line that starts with a field label ("Patient Name: ...  MRN: ...") fills the
  header fields, first occurrence wins, without closing the open section (so a
  running header on page 2 does not end the medication list);
* any other line belongs to the open section, or is a loose line (letterhead, title).

Each section is then read by its item rule from :mod:`lib.adapters.report_items`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from lib.adapters.report_items import (
    normalize_date,
    parse_diagnosis,
    parse_lab_result,
    parse_medication,
    parse_sex,
)
from lib.domain.report_schema import Diagnosis, Finding, LabResult, Medication, ParsedReport, Patient


@dataclass(frozen=True)
class _Line:
    text: str
    page: int


class _Section(Enum):
    DIAGNOSES = "diagnoses"
    FINDINGS = "findings"
    IMPRESSION = "impression"
    MEDICATIONS = "medications"
    LABS = "labs"
    OTHER = "other"


_HEADINGS: tuple[tuple[_Section, re.Pattern[str]], ...] = tuple(
    (section, re.compile(pattern))
    for section, pattern in (
        (
            _Section.DIAGNOSES,
            r"(?:(?:primary|secondary|principal|final|discharge|admitting|working) )?diagnos[ie]s"
            r"|assessment(?: and plan| & plan|/plan)?|problem list",
        ),
        (_Section.FINDINGS, r"(?:(?:clinical|examination|exam|key) )?findings"),
        (_Section.IMPRESSION, r"impressions?|conclusions?"),
        (
            _Section.MEDICATIONS,
            r"(?:(?:current|discharge|home|active) )?medications?(?: list)?|meds|prescriptions?",
        ),
        (_Section.LABS, r"lab(?:oratory)?(?: results| data| values| tests)?|labs"),
        (
            _Section.OTHER,
            r"(?:[a-z]+ )?history(?: of present illness)?|hpi|plan|recommendations?|follow[- ]?up|allergies"
            r"|vital signs|vitals|procedures?|comments?|notes?|disposition|chief complaint|indications?"
            r"|physical exam(?:ination)?|technique|reason for (?:visit|admission|referral)"
            r"|(?:electronically )?signed(?: by)?|signature",
        ),
    )
)
_HEADING = re.compile(r"^(?P<name>[A-Za-z][A-Za-z /&()-]{0,40}?)\s*:\s*(?P<rest>.*)$")

# (field, labels). Labels mapped to None are recognised only so that their value does
# not run into the previous field's ("Admission Date: ..." next to "DOB: ...").
_FIELD_LABELS: tuple[tuple[str | None, tuple[str, ...]], ...] = (
    ("patient_name", ("Patient Name", "Patient's Name", "Patient", "Name")),
    ("date_of_birth", ("Date of Birth", "DOB", "D.O.B.", "Birth Date", "Birthdate")),
    ("sex", ("Sex", "Gender")),
    ("mrn", ("Medical Record Number", "Medical Record No.", "Medical Record #", "MRN", "MR No.")),
    ("report_type", ("Report Type", "Type of Report", "Document Type")),
    (
        "report_date",
        ("Report Date", "Date of Report", "Date Reported", "Date of Service", "Service Date", "Date"),
    ),
    ("facility", ("Facility", "Hospital", "Clinic", "Institution")),
    (
        "physician",
        (
            "Ordering Physician",
            "Attending Physician",
            "Referring Physician",
            "Ordering Provider",
            "Physician",
            "Attending",
            "Provider",
            "Doctor",
        ),
    ),
    (
        None,
        (
            "Age",
            "Patient ID",
            "Admission Date",
            "Date of Admission",
            "Discharge Date",
            "Date of Discharge",
            "Account",
            "Encounter",
            "Visit",
            "Room",
            "Phone",
            "Address",
            "Accession",
            "Collected",
            "Received",
        ),
    ),
)
_FIELD_OF_LABEL = {label.lower(): field for field, labels in _FIELD_LABELS for label in labels}
_LABEL = re.compile(
    r"(?:^|(?<=\s))(?P<label>"
    + "|".join(re.escape(label) for label in sorted(_FIELD_OF_LABEL, key=len, reverse=True))
    + r")\s*:",
    re.IGNORECASE,
)

# Whole lines that are page furniture, not content ("Confidential - Page 1 of 2").
_FURNITURE = re.compile(
    r"(?:\S+\s+){0,6}page\s+\d+\s*(?:of|/)\s*\d+|page\s+\d+"
    r"|\(?continued(?:\s+(?:on\s+)?(?:the\s+)?(?:next|following)\s+page)?\)?\.?"
    r"|(?:this\s+)?page\s+(?:is\s+)?intentionally\s+left\s+blank\.?",
    re.IGNORECASE,
)
_BULLET = re.compile(r"^(?:[-*•·◦▪>]|\d{1,2}[.)]|[a-z]\))\s+")
_DOCTOR = re.compile(r"\bDr\.?\s+[A-Z][\w'.-]*(?:\s+[A-Z][\w'.-]*){0,3}")
_TITLE_WORDS = re.compile(
    r"\b(?:report|summary|note|consultation|consult|letter|results|referral|progress|operative)\b", re.I
)
_FACILITY_WORDS = re.compile(
    r"\b(?:hospital|clinic|medical (?:center|centre|group)|health(?:care)?|infirmary|institute"
    r"|laborator(?:y|ies)|practice)\b",
    re.I,
)


def _heading(text: str, current: _Section | None) -> tuple[_Section, str] | None:
    """The section a line opens and the text after its colon, or ``None`` for a plain line."""
    match = _HEADING.match(text)
    name, rest = (match["name"], match["rest"].strip()) if match else (text, "")
    # "Findings (continued)" on the next page carries on the same section.
    key = re.sub(r"\s*\((?:continued|cont'?d\.?)\)$", "", re.sub(r"\s+", " ", name.strip().lower()))
    for section, pattern in _HEADINGS:
        if pattern.fullmatch(key):
            return section, rest
    # An unknown "Heading:" with nothing after it closes the section, except inside lab
    # results, where panel names ("Complete Blood Count:") are sub-headings.
    if match and not rest and name[0].isupper() and len(name.split()) <= 4 and current is not _Section.LABS:
        return _Section.OTHER, ""
    return None


def _field_values(text: str) -> list[tuple[str | None, str]] | None:
    """``[(field, value), ...]`` for a line that starts with a field label, else ``None``."""
    matches = list(_LABEL.finditer(text))
    if not matches or matches[0].start() != 0:
        return None
    ends = [match.start() for match in matches[1:]] + [len(text)]
    return [
        (_FIELD_OF_LABEL[re.sub(r"\s+", " ", match["label"].lower())], text[match.end() : end].strip(" ,;|"))
        for match, end in zip(matches, ends, strict=True)
    ]


def _items(lines: Sequence[_Line], *, prose: bool) -> list[_Line]:
    """One entry per bullet or numbered line; wrapped lines join the entry they continue.

    Without bullets each line is an entry, except that in prose sections a line that
    starts in lower case continues a previous line that did not end a sentence.
    """
    bulleted = any(_BULLET.match(line.text) for line in lines)
    items: list[_Line] = []
    for line in lines:
        if bullet := _BULLET.match(line.text):
            items.append(_Line(line.text[bullet.end() :].strip(), line.page))
            continue
        previous = items[-1] if items else None
        continues = bulleted or (prose and line.text[:1].islower() and not _previous_ends(previous))
        if previous is not None and continues:
            items[-1] = _Line(f"{previous.text} {line.text}", previous.page)
        else:
            items.append(line)
    return [item for item in items if item.text]


def _previous_ends(line: _Line | None) -> bool:
    """Whether ``line`` ends a sentence, so the next line cannot continue it."""
    return line is None or line.text.endswith((".", ";", ":", "!", "?"))


def _split_list(text: str) -> list[str]:
    """Split an inline list: at ";", else after each "(CODE)," when codes are given, else at ","."""
    if ";" in text:
        return text.split(";")
    if re.search(r"\)\s*,", text):
        return re.split(r"(?<=\))\s*,\s*", text)
    return re.split(r",(?![^()]*\))", text)


def _diagnoses(lines: Sequence[_Line]) -> list[Diagnosis]:
    items = _items(lines, prose=True)
    single_inline = len(items) == 1 and not _BULLET.match(lines[0].text)
    diagnoses = []
    for item in items:
        parts = _split_list(item.text) if single_inline else item.text.split(";")
        for part in parts:
            description, code = parse_diagnosis(part)
            if description:
                diagnoses.append(Diagnosis(description=description, code=code, page=item.page))
    return diagnoses


def _medications(lines: Sequence[_Line]) -> list[Medication]:
    parsed = (parse_medication(item.text, item.page) for item in _items(lines, prose=False))
    return [medication for medication in parsed if medication is not None]


def _lab_results(lines: Sequence[_Line]) -> list[LabResult]:
    results = []
    for line in lines:
        bullet = _BULLET.match(line.text)
        result = parse_lab_result(line.text[bullet.end() :] if bullet else line.text, line.page)
        if result is not None:
            results.append(result)
    return results


def _title_and_facility(loose: Sequence[_Line]) -> tuple[str | None, str | None]:
    """The report title and letterhead facility among the first page's unlabelled lines."""
    first_page = [line.text for line in loose if line.page == loose[0].page and ":" not in line.text]
    candidates = [text for text in first_page if len(text.split()) <= 8]
    title = next((text for text in candidates if _TITLE_WORDS.search(text)), None)
    facility = next((text for text in candidates if text != title and _FACILITY_WORDS.search(text)), None)
    return title, facility


def parse_report_text(pages: Sequence[str]) -> ParsedReport:
    """Build a :class:`ParsedReport` from the text of each page, in page order (page 1 first)."""
    fields: dict[str, str] = {}
    sections: dict[_Section, list[_Line]] = {section: [] for section in _Section}
    loose: list[_Line] = []
    current: _Section | None = None
    for number, page_text in enumerate(pages, start=1):
        for raw in page_text.splitlines():
            text = re.sub(r"\s+", " ", raw).strip()
            if not text or _FURNITURE.fullmatch(text):
                continue
            if heading := _heading(text, current):
                current, rest = heading
                if rest:
                    sections[current].append(_Line(rest, number))
            elif (values := _field_values(text)) is not None:
                for field, value in values:
                    if field is not None and value:
                        fields.setdefault(field, value)
            elif current is None:
                loose.append(_Line(text, number))
            else:
                sections[current].append(_Line(text, number))

    title, letterhead = _title_and_facility(loose) if loose else (None, None)
    physician = fields.get("physician")
    if physician is None:
        every_line = [*loose, *(line for lines in sections.values() for line in lines)]
        physician = next((match[0] for line in every_line if (match := _DOCTOR.search(line.text))), None)
    sex = parse_sex(fields["sex"]) if "sex" in fields else None
    dob = normalize_date(fields["date_of_birth"]) if "date_of_birth" in fields else None
    patient = Patient(name=fields.get("patient_name"), date_of_birth=dob, sex=sex, mrn=fields.get("mrn"))
    diagnoses = _diagnoses(sections[_Section.DIAGNOSES]) if sections[_Section.DIAGNOSES] else []
    impression = " ".join(line.text for line in sections[_Section.IMPRESSION]) or None
    return ParsedReport(
        patient_name=patient.name,
        diagnosis=[diagnosis.description for diagnosis in diagnoses],
        patient=patient
        if any(value is not None for value in (patient.name, dob, sex, patient.mrn))
        else None,
        report_type=fields.get("report_type", title),
        report_date=normalize_date(fields["report_date"]) if "report_date" in fields else None,
        facility=fields.get("facility", letterhead),
        physician=physician,
        diagnosis_details=diagnoses,
        findings=[
            Finding(text=item.text, page=item.page)
            for item in _items(sections[_Section.FINDINGS], prose=True)
        ],
        impression=impression,
        medications=_medications(sections[_Section.MEDICATIONS]),
        lab_results=_lab_results(sections[_Section.LABS]),
    )
