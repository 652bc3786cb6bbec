"""Diagnosis sections: headings, list items, ICD-10-CM codes and the assertion of each item.

* :func:`section_for_heading` says whether a heading opens a diagnosis-like section
  (diagnosis, assessment, impression, indication, problem list, clinical history ...).
* :func:`split_items` cuts a section's lines into items: numbered ("1.", "2)"),
  lettered ("a)", "b."), bulleted ("-", "*", "•"); a line that starts no item
  continues the one before (a wrapped line), unless that item ended with its code in
  brackets and the line starts with a capital. Without any markers, each line is an item.
* :func:`extract_code` finds a printed ICD-10-CM code, in brackets, after or before
  a dash or colon, or leading the text, and returns the description without it.
  Its shape is checked here (letter, digit, letter-or-digit, then up to four
  characters after a dot); whether the code exists is the code-set validator's job.
* :func:`read_diagnosis` does all of it for one item, with its
  :class:`~lib.extraction.assertion.Assertion`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

from lib.extraction.assertion import Assertion, assertion_of

__all__ = [
    "DiagnosisItem",
    "DiagnosisSection",
    "extract_code",
    "read_diagnosis",
    "section_for_heading",
    "split_items",
]


class DiagnosisSection(str, Enum):
    """Kinds of section whose items are diagnoses (or, for history, past conditions)."""

    DIAGNOSIS = "diagnosis"
    ASSESSMENT = "assessment"
    IMPRESSION = "impression"
    INDICATION = "indication"
    PROBLEM_LIST = "problem_list"
    HISTORY = "history"


_HEADINGS: tuple[tuple[DiagnosisSection, re.Pattern[str]], ...] = tuple(
    (section, re.compile(pattern, re.IGNORECASE))
    for section, pattern in (
        (
            DiagnosisSection.DIAGNOSIS,
            r"(?:(?:primary|secondary|principal|final|discharge|admitting|admission|working|provisional"
            r"|differential|clinical|pre-?operative|post-?operative|pathological|pathologic|surgical|histologic(?:al)?"
            r"|histopathologic(?:al)?|cytologic(?:al)?|microscopic|anatomic|established|current|active|main"
            r"|chief|underlying|additional|major|new|known|other|today['\u2019]?s|visit|encounter)\s+)*"
            r"(?:diagnos[ie]s|dx)(?:\s*\(.*\))?(?:\s+codes?)?",
        ),
        (DiagnosisSection.ASSESSMENT, r"assessment(?:\s*(?:and|&|/)\s*plan)?|a\s*/\s*p|a&p"),
        (DiagnosisSection.IMPRESSION, r"(?:clinical\s+|final\s+|radiological\s+)?impressions?|conclusions?"),
        (
            DiagnosisSection.INDICATION,
            r"(?:clinical\s+)?indications?(?:\s+for\s+(?:study|exam(?:ination)?))?",
        ),
        (DiagnosisSection.PROBLEM_LIST, r"(?:active\s+|current\s+)?problems?(?:\s+list)?|medical\s+problems"),
        (
            DiagnosisSection.HISTORY,
            r"(?:clinical|past\s+medical|medical|past|relevant)\s+history|pmh|pmhx|comorbidit(?:y|ies)",
        ),
    )
)


def section_for_heading(heading: str) -> DiagnosisSection | None:
    """The diagnosis-like section ``heading`` opens ("FINAL DIAGNOSES:", "A/P"), or ``None``."""
    text = re.sub(r"\s+", " ", heading).strip().rstrip(":").strip()
    text = re.sub(r"\s*\((?:continued|cont'?d\.?)\)$", "", text, flags=re.IGNORECASE)
    return next((section for section, pattern in _HEADINGS if pattern.fullmatch(text)), None)


_MARKER = re.compile(r"^\s*(?:\d{1,2}[.)]|\(\d{1,2}\)|[a-z][.)](?=\s)|\([a-z]\)|[-*•·◦▪‣>»+\u2013])\s+")


def split_items(lines: Sequence[str], whole: Callable[[str], bool] | None = None) -> list[str]:
    """A section's lines as list items; wrapped lines join the item they continue.

    When no line carries a marker, every non-empty line is an item of its own. A
    line without a marker also stands alone when ``whole`` says both it and the item
    above are complete items (OCR loses list markers: "2." read as nothing, or as
    a speck).
    """
    cleaned = [re.sub(r"\s+", " ", line).strip() for line in lines]
    cleaned = [line for line in cleaned if line]
    if not any(_MARKER.match(line) for line in cleaned):
        return cleaned
    items: list[str] = []
    for line in cleaned:
        if marker := _MARKER.match(line):
            items.append(line[marker.end() :].strip())
        elif (
            items
            and not _closed(items[-1], line)
            and not (whole is not None and whole(line) and whole(items[-1]))
        ):
            items[-1] = f"{items[-1]} {line}"
        else:
            items.append(line)  # text before the first marker stands alone
    return [item for item in items if item]


_CODE = r"[A-Z][0-9][0-9A-Z](?:\.[0-9A-Z]{1,4})?"
_CODE_LABEL = r"(?:ICD(?:-?10)?(?:-CM)?\s*(?:code)?\s*[:#]?\s*)"
_CODE_PATTERNS: tuple[re.Pattern[str], ...] = (
    # "Type 2 diabetes mellitus (E11.9)", "[ICD-10: E11.9]"
    re.compile(rf"[(\[]\s*{_CODE_LABEL}?(?P<code>{_CODE})\s*[)\]]"),
    # "ICD-10: E11.9" anywhere
    re.compile(rf"{_CODE_LABEL}(?P<code>{_CODE})\b", re.IGNORECASE),
    # "E11.9 - Type 2 diabetes", "I10: Hypertension"
    re.compile(rf"^(?P<code>{_CODE})\s*[-:\u2013]\s*"),
    # "E11.9 Type 2 diabetes": a bare leading code only with its dot (else "B12 deficiency")
    re.compile(r"^(?P<code>[A-Z][0-9][0-9A-Z]\.[0-9A-Z]{1,4})\s+"),
    # "Type 2 diabetes - E11.9", "Hypertension: I10"
    re.compile(rf"\s*[-:\u2013]\s*(?P<code>{_CODE})$"),
)


# An item that ends with its code in brackets is finished: a capitalised line after it starts
# text of its own ("3. Type 2 diabetes (E11.65)" then "No evidence of pulmonary embolism.").
_ENDS_WITH_CODE = re.compile(rf"[(\[]\s*{_CODE_LABEL}?{_CODE}\s*[)\]]\.?$")


def _closed(item: str, line: str) -> bool:
    return bool(_ENDS_WITH_CODE.search(item)) and line[:1].isupper()


def extract_code(text: str) -> tuple[str, str | None]:
    """``(description, code)``: the printed ICD-10-CM code taken out of the item, or ``None``."""
    for pattern in _CODE_PATTERNS:
        if match := pattern.search(text):
            description = f"{text[: match.start()]} {text[match.end() :]}"
            return _tidy(description), match["code"].upper()
    return _tidy(text), None


def _tidy(text: str) -> str:
    text = re.sub(r"\s+([,;])", r"\1", re.sub(r"\s+", " ", text))
    return re.sub(r"([,;])\1+", r"\1", text).strip(" -:;,.\u2013")


@dataclass(frozen=True)
class DiagnosisItem:
    """One diagnosis item: description without its code, the printed code, the assertion and its cues."""

    text: str
    description: str
    code: str | None
    assertion: Assertion
    cues: tuple[str, ...] = ()


# Qualifiers record systems print after a diagnosis: the visit's main one (" - Primary", as
# Epic prints it; "primary" in lower case, or after a comma, is part of the condition) and
# the risk-adjustment category ("(HCC)", "(CMS/HCC)").
_RANK_OR_CATEGORY = re.compile(r"(?:\s+[-\u2013]\s+Primary|\s*\((?i:(?:cms[-/ ]?)?hcc)\))+\s*$")


def read_diagnosis(item: str, section: DiagnosisSection | None = None) -> DiagnosisItem | None:
    """Read one list item; ``None`` when it holds no description ("None", "N/A").

    In a history section an item without a cue of its own is historical: the
    heading is the cue ("Past medical history: asthma").
    """
    description, code = extract_code(item)
    description = _RANK_OR_CATEGORY.sub("", description)
    if not re.search(r"[A-Za-z]{2}", description) or re.fullmatch(r"(?i)none|n/?a|nil|unknown", description):
        return None
    result = assertion_of(description)
    assertion = result.assertion
    if section is DiagnosisSection.HISTORY and assertion is Assertion.PRESENT:
        assertion = Assertion.HISTORICAL
    return DiagnosisItem(item, description, code, assertion, result.cues)
