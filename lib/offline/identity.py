"""The patient's name, date of birth, sex and record number, from the report's labelled values.

Each field takes the value of the strongest label that gives a well-formed value
("MRN" beats "Patient ID" beats a bare "ID"); among equally strong labels the first
in reading order wins, so a running header on page 2 never overrides page 1. A value
is cut where the next label starts, so "36891114 Admitted: 02/07/2026" is an MRN of
"36891114", never more.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from lib.documents import TextSource
from lib.extraction.dates import DateKind, parse_date
from lib.extraction.identity import (
    IdentityField,
    clean_mrn,
    field_for_label,
    misread_label,
    parse_age_sex,
    parse_sex,
)
from lib.extraction.names import clean_name
from lib.offline.facts import DateFact, Findings, Source, TextFact, WarningFact, words_in
from lib.offline.labels import is_label_phrase, ocr_letters
from lib.offline.reading import Labelled

__all__ = ["read_identity"]

_NAME_LABELS_EXTRA = re.compile(
    r"(?i)^(?:prepared\s+for|patient\s*/\s*name|client\s+name|member(?:\s+name)?|resident)$"
)
_WEAK_MRN = re.compile(
    r"(?i)^(?:patient\s*id|pt\.?\s*id|patient\s*(?:no|number|#)\.?|chart\s*(?:no|#)\.?|unit\s*(?:no|#)\.?)$"
)
_WEAKEST_MRN = re.compile(r"(?i)^(?:id|id\s*(?:no|#)\.?|member\s*id|member\s*(?:no|#)\.?|identifier)$")
# A name label that names someone else is in the identity vocabulary's "other" labels.
_NOT_PATIENT_NAME = re.compile(
    r"(?i)\b(?:physician|doctor|provider|facility|hospital|contact|kin|guarantor)\b"
)


@lru_cache(maxsize=2048)
def _field(label: str) -> tuple[IdentityField | None, int]:
    """The identity field ``label`` names and its strength (lower is stronger)."""
    text = ocr_letters(label.strip().rstrip(":").strip())
    if _NAME_LABELS_EXTRA.match(text):
        return IdentityField.NAME, 1
    if _WEAKEST_MRN.match(text):
        return IdentityField.MRN, 2
    field = field_for_label(text) or field_for_label(text.replace(".", ""))
    if field is None and (known := misread_label(text)) is not None:
        field = field_for_label(known)  # a scan's small label, one letter misread
    if field is IdentityField.MRN and _WEAK_MRN.match(text):
        return field, 1
    return field, 0


def _candidates(pairs: Sequence[Labelled], wanted: IdentityField) -> list[tuple[int, Labelled]]:
    ranked = []
    for pair in pairs:
        field, strength = _field(pair.label)
        if field is wanted or (field is IdentityField.AGE_SEX and wanted is IdentityField.SEX):
            ranked.append((strength, pair))
    ranked.sort(key=lambda item: (item[0], item[1].order))
    return ranked


_BARE_LABEL_WORDS = 3


def _before_bare_label(value: str) -> str:
    """A name value up to a label printed without its colon ("Zielinski, Florian Birth Date")."""
    words = value.split()
    for index in range(1, len(words)):
        for size in range(min(_BARE_LABEL_WORDS, len(words) - index), 0, -1):
            phrase = " ".join(words[index : index + size])
            if phrase[:1].isupper() and len(phrase) > 2 and is_label_phrase(phrase):
                return " ".join(words[:index])
    return value


_OCR_NAME_FIXES = str.maketrans({"]": "J", "|": "I", "0": "O"})


def _ocr_name(pair: Labelled) -> str:
    """A name read by OCR with its letter-shaped misreads put back ("DEVRA]" → "DEVRAJ")."""
    if not any(word.source is TextSource.OCR for word in pair.words):
        return pair.value
    return " ".join(
        word.translate(_OCR_NAME_FIXES) if sum(ch.isalpha() for ch in word) >= 2 else word
        for word in pair.value.split()
    )


def _source(pair: Labelled, value: str) -> Source:
    words = words_in(pair.words, value) or pair.words
    return Source.of(pair.page, words, value)


# An OCR'd record number or birth date with a character read less surely than this is not
# returned: one digit misread is another patient's.
MIN_IDENTITY_CONFIDENCE = 0.4
_FIELD_NAMES = {"mrn": "record number", "date_of_birth": "date of birth"}


def _doubted(source: Source) -> bool:
    confidence = source.min_confidence
    return confidence is not None and confidence < MIN_IDENTITY_CONFIDENCE


def _name_in_parts(pairs: Sequence[Labelled]) -> TextFact | None:
    """The name from a surname and a first name printed under labels of their own."""
    family = next((pair for _, pair in _candidates(pairs, IdentityField.FAMILY_NAME) if pair.value), None)
    given = next((pair for _, pair in _candidates(pairs, IdentityField.GIVEN_NAME) if pair.value), None)
    if family is None or given is None or family.page != given.page:
        return None
    family_name = clean_name(_before_bare_label(_ocr_name(family)))
    given_name = clean_name(_before_bare_label(_ocr_name(given)))
    if not family_name or not given_name:
        return None
    name = clean_name(f"{family_name}, {given_name}")
    if not name or len(name) > 80:
        return None
    words = (*_source(family, family_name).words, *_source(given, given_name).words)
    return TextFact(name, Source.of(family.page, words, f"{family.value} {given.value}"), family.label)


def read_identity(pairs: Sequence[Labelled], into: Findings) -> None:
    """Fill the identity fields of ``into`` from ``pairs``; an ambiguous birth date adds a warning."""
    for _, pair in _candidates(pairs, IdentityField.NAME):
        if _NOT_PATIENT_NAME.search(pair.label):
            continue
        name = clean_name(_before_bare_label(_ocr_name(pair)))
        if name and len(name.split()) >= 2 and len(name) <= 80:
            into.name = TextFact(name, _source(pair, pair.value), pair.label)
            break
    if into.name is None:
        into.name = _name_in_parts(pairs)
    doubted: set[str] = set()
    for _, pair in _candidates(pairs, IdentityField.MRN):
        mrn = clean_mrn(pair.value)
        if mrn and _doubted(_source(pair, mrn)):
            doubted.add("mrn")
        elif mrn:
            into.mrn = TextFact(mrn, _source(pair, mrn), pair.label)
            break
    for _, pair in _candidates(pairs, IdentityField.SEX):
        field, _ = _field(pair.label)
        sex = parse_age_sex(pair.value)[1] if field is IdentityField.AGE_SEX else parse_sex(pair.value)
        if sex is not None:
            into.sex = TextFact(sex.value, _source(pair, pair.value), pair.label)
            break
    for _, pair in _candidates(pairs, IdentityField.DATE_OF_BIRTH):
        found = parse_date(pair.value, kind=DateKind.BIRTH)
        if found is None:
            continue
        fact = DateFact(found, _source(pair, found.text), pair.label)
        if _doubted(fact.source):
            doubted.add("date_of_birth")
            continue
        into.date_of_birth = fact
        if found.ambiguous:
            into.warnings.append(
                WarningFact(
                    "ambiguous_date",
                    "/patient/date_of_birth",
                    "the date of birth can be read day-first or month-first; it is given as written",
                )
            )
        break
    found_fields = {"mrn": into.mrn, "date_of_birth": into.date_of_birth}
    for missing in sorted(name for name in doubted if found_fields[name] is None):
        into.warnings.append(
            WarningFact(
                "unreadable_identity",
                f"/patient/{missing}",
                f"the {_FIELD_NAMES[missing]} was read by OCR too unsurely to be returned",
            )
        )
