"""Identity fields of a report header: which label is which field, and clean values.

Labels
    :func:`field_for_label` maps a printed label ("Patient's Name", "D.O.B.",
    "MR #", "UHID:") to an :class:`IdentityField`, ignoring case, dots, spacing and
    a trailing ``:`` or ``#``. Account, encounter and visit numbers are known labels
    but are *not* the MRN: they identify a stay or a bill, not the patient.

Values
    A value read from a line may run into the next label ("36891114 Admitted:
    02/07/2026"); :func:`cut_at_next_label` ends it there. :func:`split_labels`
    reads a whole "Label: value  Label: value" line. Names are cleaned by
    :func:`lib.extraction.names.clean_name`; dates of birth by
    :func:`lib.extraction.dates.parse_date` with ``kind=DateKind.BIRTH``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum
from functools import lru_cache

from lib.domain.report_schema import Sex
from lib.extraction.dates import parse_date

__all__ = [
    "Age",
    "AgeUnit",
    "IdentityField",
    "LabelledValue",
    "clean_mrn",
    "cut_at_next_label",
    "field_for_label",
    "is_known_label",
    "is_mrn_shape",
    "misread_label",
    "parse_age",
    "parse_age_sex",
    "parse_sex",
    "split_labels",
]


class IdentityField(str, Enum):
    """A patient-identity field a label can name."""

    NAME = "name"
    DATE_OF_BIRTH = "date_of_birth"
    MRN = "mrn"
    SEX = "sex"
    AGE = "age"
    AGE_SEX = "age_sex"  # "Age/Sex: 74/F"
    FAMILY_NAME = "family_name"  # "Surname: Okoye", printed apart from ...
    GIVEN_NAME = "given_name"  # ... "First name: Ngozi"


# Printed spellings. A dot is optional wherever one is written, spaces may be absent,
# "No." also matches "#", "Number" and "Num". Longest spellings are tried first.
_IDENTITY_LABELS: dict[IdentityField, tuple[str, ...]] = {
    IdentityField.NAME: (
        "Patient Name",
        "Patient's Name",
        "Patient Full Name",
        "Pt Name",
        "Name of Patient",
        "Full Name",
        "Prepared for",
        "Member Name",
        "Member",
        "Regarding",
        "Re",
        "Patient",
        "Pt",
        "Name",
    ),
    IdentityField.FAMILY_NAME: (
        "Patient Surname",
        "Patient Last Name",
        "Surname",
        "Last Name",
        "Family Name",
    ),
    IdentityField.GIVEN_NAME: (
        "Patient First Name",
        "First Name(s)",
        "First Names",
        "First Name",
        "Given Names",
        "Given Name",
        "Forename(s)",
        "Forenames",
        "Forename",
    ),
    IdentityField.DATE_OF_BIRTH: ("Date of Birth", "D.O.B.", "Birth Date", "Birthdate", "Born"),
    IdentityField.MRN: (
        "Medical Record No.",
        "Med Rec No.",
        "Record No.",
        "MRN No.",
        "MR No.",
        "MRN",
        "UHID",
        "Patient ID",
        "Pt ID",
        "Patient No.",
        "Hospital No.",
        "Hosp No.",
        "Chart No.",
        "Unit No.",
        "Medical Record",
        "Member ID",
    ),
    IdentityField.SEX: ("Sex/Gender", "Gender/Sex", "Sex", "Gender"),
    IdentityField.AGE_SEX: ("Age/Sex", "Age/Gender", "Sex/Age", "Age / Sex"),
    IdentityField.AGE: ("Age",),
}
# Labels that are not identity fields but often share the line with one: a value ends
# where they start. "Acct" and friends identify a stay or a bill, never the patient.
_OTHER_LABELS: tuple[str, ...] = (
    "Middle Name",
    "Account No.",
    "Acct No.",
    "Account",
    "Acct",
    "Encounter No.",
    "Encounter",
    "Visit No.",
    "Visit",
    "FIN",
    "CSN",
    "Accession No.",
    "Accession",
    "Specimen",
    "Admission Date",
    "Date of Admission",
    "Admit Date",
    "Admitted",
    "Discharge Date",
    "Date of Discharge",
    "Discharged",
    "Date of Service",
    "Service Date",
    "DOS",
    "Report Date",
    "Date Reported",
    "Reported",
    "Collected",
    "Collection Date",
    "Received",
    "Date",
    "Time",
    "Room",
    "Bed",
    "Ward",
    "Unit",
    "Location",
    "Phone",
    "Tel",
    "Address",
    "Insurance",
    "SSN",
    # Someone else's name: longer than "Name", so "Physician Name:" is not the patient's.
    "Physician Name",
    "Doctor Name",
    "Provider Name",
    "Facility Name",
    "Hospital Name",
    "Guarantor Name",
    "Emergency Contact",
    "Next of Kin",
    "Referring Physician",
    "Ordering Physician",
    "Attending Physician",
    "Physician",
    "Referring Doctor",
    "Ordering Provider",
    "Provider",
    "Attending",
    "Referred By",
    "Doctor",
    "Consultant",
)


def _spelling_regex(spelling: str) -> str:
    body = re.escape(spelling)
    body = body.replace(r"No\.", r"(?:No\.?|Number|Num\.?|\#)")
    body = body.replace(r"\.", r"\.?").replace(r"\ ", r"\s*").replace("/", r"\s*/\s*")
    return body.replace("'", "['\u2019]?")


_FIELD_OF_SPELLING: list[tuple[str, IdentityField | None]] = [
    (spelling, field) for field, spellings in _IDENTITY_LABELS.items() for spelling in spellings
] + [(spelling, None) for spelling in _OTHER_LABELS]
_FIELD_OF_SPELLING.sort(key=lambda item: len(item[0]), reverse=True)
_GROUPS = {f"l{index}": field for index, (_, field) in enumerate(_FIELD_OF_SPELLING)}
_ALTERNATION = "|".join(
    f"(?P<l{index}>{_spelling_regex(spelling)})" for index, (spelling, _) in enumerate(_FIELD_OF_SPELLING)
)
# A label inside a line needs its colon (or a "#" of its own: "MR# A817888"); a bare
# word such as "Patient" in running text is not a label.
_LABEL_IN_TEXT = re.compile(rf"(?<![\w'])(?:{_ALTERNATION})(?:\s*\#)?(?:\s*:|(?<=\#)(?=\s))", re.IGNORECASE)
# A label opening a bracketed aside needs no colon: "Eleanor Rigby (DOB 3/9/1941)".
_LABEL_IN_BRACKETS = re.compile(rf"(?<=\()\s*(?:{_ALTERNATION})(?:\s*[:#])?(?=\s*[^\s)])", re.IGNORECASE)
_LABEL_ALONE = re.compile(rf"\s*(?:{_ALTERNATION})\s*\#?\s*:?\s*", re.IGNORECASE)
# An unknown one-word label ("Referring:"). A colon after a digit is a time, not a label.
_ANY_WORD_LABEL = re.compile(r"(?<![\w'])[A-Za-z][A-Za-z'\u2019]+\s*:(?!\d)")


@dataclass(frozen=True)
class LabelledValue:
    """A label found in a line, the field it names (``None``: not an identity field) and its value."""

    label: str
    field: IdentityField | None
    value: str
    start: int


def _field_of(match: re.Match[str]) -> IdentityField | None:
    group = next(name for name, text in match.groupdict().items() if text is not None)
    return _GROUPS[group]


def field_for_label(label: str) -> IdentityField | None:
    """The identity field a printed label names, or ``None`` (unknown, or not identity: "Acct #")."""
    match = _LABEL_ALONE.fullmatch(label)
    return _field_of(match) if match else None


# A label at least this long (letters and spaces) may be matched one misread character away.
_MISREAD_MIN_LENGTH = 9


def _letters(text: str) -> str:
    return " ".join(re.sub(r"[^a-z ]+", " ", text.lower()).split())


@lru_cache(maxsize=1)
def _misreadable() -> dict[str, str]:
    spellings = [spelling for values in _IDENTITY_LABELS.values() for spelling in values]
    return {
        _letters(spelling): spelling
        for spelling in spellings
        if len(_letters(spelling)) >= _MISREAD_MIN_LENGTH
    }


def _one_edit(a: str, b: str) -> bool:
    """``a`` and ``b`` differ by one character changed, added or dropped (not the first)."""
    if a == b or abs(len(a) - len(b)) > 1 or a[:1] != b[:1]:
        return False
    if len(a) == len(b):
        return sum(1 for x, y in zip(a, b, strict=True) if x != y) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(1, len(long)))


@lru_cache(maxsize=4096)
def misread_label(text: str) -> str | None:
    """The identity label ``text`` is one OCR misread of ("Date of birtt" → "Date of Birth"), or ``None``.

    Only labels of :data:`_MISREAD_MIN_LENGTH` letters or more, with the first letter
    right: small grey labels lose or change a letter on scans, and no two such
    labels are one letter apart ("date of death" is three from "date of birth").
    """
    written = _letters(text)
    if len(written) < _MISREAD_MIN_LENGTH - 1 or _LABEL_ALONE.fullmatch(text.strip()):
        return None
    found = [spelling for known, spelling in _misreadable().items() if _one_edit(written, known)]
    return found[0] if len(found) == 1 else None


def is_known_label(label: str) -> bool:
    """Whether ``label`` is in the vocabulary at all (identity or a neighbouring label)."""
    return _LABEL_ALONE.fullmatch(label) is not None


def cut_at_next_label(value: str) -> str:
    """``value`` up to where another label starts, stripped.

    ``"36891114 Admitted: 02/07/2026"`` → ``"36891114"``; an unknown one-word
    label followed by a colon counts too.
    """
    cuts = [match.start() for match in (_LABEL_IN_TEXT.search(value), _ANY_WORD_LABEL.search(value)) if match]
    end = min(cuts, default=len(value))
    return value[:end].strip(" \t,;|")


def split_labels(line: str) -> list[LabelledValue]:
    """Every known "Label:" in ``line`` with the value that follows it, up to the next label.

    Text before the first label is not returned (it belongs to no label).
    """
    bracketed = [
        match
        for match in _LABEL_IN_BRACKETS.finditer(line)
        if _field_of(match) not in (IdentityField.NAME, None)  # a date of birth, a record number
    ]
    starts = {match.start() for match in bracketed}
    matches = sorted(
        [*bracketed, *(m for m in _LABEL_IN_TEXT.finditer(line) if m.start() not in starts)],
        key=lambda match: match.start(),
    )
    values = []
    ends = [match.start() for match in matches[1:]] + [len(line)] if matches else []
    for match, end in zip(matches, ends, strict=True):
        text = line[match.end() : end]
        if match in bracketed:
            text = text.split(")", 1)[0]  # the aside ends with its bracket
        value = cut_at_next_label(text).rstrip(" (")
        label = match[0].strip(" :")
        values.append(LabelledValue(label=label, field=_field_of(match), value=value, start=match.start()))
    return values


# --- values ----------------------------------------------------------------------------

_MRN_SHAPE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9\-./]{2,18})[A-Za-z0-9]")


def is_mrn_shape(text: str) -> bool:
    """Whether ``text`` looks like a record number: 4 to 20 letters, digits, hyphens, dots, slashes, with a digit.

    A date ("02/07/2026", "07.02.2026") is not a record number; a number in a date's
    shape that is no date ("77-20-19") is one.
    """
    if not _MRN_SHAPE.fullmatch(text) or not any(char.isdigit() for char in text):
        return False
    if re.search(r"[-./]{2}", text):
        return False
    dated = re.fullmatch(r"\d{1,2}([./-])\d{1,2}\1(?:\d{2}|\d{4})|\d{4}([./-])\d{1,2}\2\d{1,2}", text)
    return dated is None or parse_date(text) is None  # "77-20-19" has a date's shape but is none


def clean_mrn(value: str) -> str | None:
    """The record number at the start of a label's value, or ``None`` if it has no MRN shape.

    ``"36891114 Admitted: 02/07/2026"`` → ``"36891114"``; ``"#A817888-96,"`` → ``"A817888-96"``.
    """
    words = cut_at_next_label(value).split()
    if not words:
        return None
    candidate = words[0].strip("#:.,;()[]")
    return candidate if is_mrn_shape(candidate) else None


_SEX_WORDS: dict[str, Sex] = {
    **dict.fromkeys(("f", "female", "woman", "w", "fem", "girl"), Sex.FEMALE),
    **dict.fromkeys(("m", "male", "man", "boy"), Sex.MALE),
    **dict.fromkeys(("x", "other", "intersex", "nonbinary", "non-binary", "diverse"), Sex.OTHER),
    **dict.fromkeys(("u", "unknown", "unspecified", "undisclosed", "unk"), Sex.UNKNOWN),
}


def parse_sex(value: str) -> Sex | None:
    """Map a sex/gender value (its first word: "F", "Male", "W", "female (stated)") to :class:`Sex`.

    A one-letter code OCR read twice ("Mm", "FF": a capital and its shadow) is that letter.
    """
    match = re.match(r"\s*([A-Za-z][A-Za-z\-]*)", cut_at_next_label(value))
    if not match:
        return None
    word = match[1].lower()
    if len(word) == 2 and word[0] == word[1]:
        word = word[0]
    return _SEX_WORDS.get(word)


class AgeUnit(str, Enum):
    """The unit an age is printed in; years when none is printed."""

    YEARS = "years"
    MONTHS = "months"
    WEEKS = "weeks"
    DAYS = "days"


@dataclass(frozen=True)
class Age:
    """An age as printed: a whole number of ``unit``."""

    value: int
    unit: AgeUnit


_AGE = re.compile(
    r"\s*(?P<n>\d{1,3})\s*(?P<unit>y(?:ears?|rs?|/?o|\.o\.)?|mo(?:nths?|s)?|w(?:ee)?ks?|w|d(?:ays?)?)?"
    r"(?:\s*(?:old|of age))?(?![\w.])",
    re.IGNORECASE,
)
_AGE_UNITS = {"y": AgeUnit.YEARS, "m": AgeUnit.MONTHS, "w": AgeUnit.WEEKS, "d": AgeUnit.DAYS}


def parse_age(value: str) -> Age | None:
    """Read "74", "74 y", "74Y", "74 yrs", "74 y/o", "6 mo", "3 wks", "10 days" into :class:`Age`.

    A bare "m" is not read as months: after an age it usually means male ("74 M").
    """
    match = _AGE.match(value)
    if match is None or int(match["n"]) > 130:
        return None
    unit = (match["unit"] or "y").lower()
    return Age(int(match["n"]), _AGE_UNITS[unit[0]])


def parse_age_sex(value: str) -> tuple[Age | None, Sex | None]:
    """Read a combined "Age/Sex" value: "74/F", "74 Y / Female", "F/74"."""
    parts = re.split(r"\s*[/,]\s*|\s+(?=[A-Za-z]{1,6}$)", cut_at_next_label(value).strip(), maxsplit=1)
    if len(parts) != 2:
        return parse_age(value), None
    first, second = parts
    if parse_sex(first) is not None and parse_age(second) is not None:
        return parse_age(second), parse_sex(first)
    return parse_age(first), parse_sex(second)
