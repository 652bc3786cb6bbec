"""Diagnoses from diagnosis-like sections, and the findings and impression of imaging-style reports.

Diagnosis, assessment, impression, indication and problem-list sections are cut
into items (numbered, lettered, bulleted, one per line, or an inline list after the
heading), each item's printed ICD-10 code is taken out, and each gets its assertion
(ConText): only *present* items are diagnoses. Negated ("no evidence of
pneumonia"), possible ("rule out PE"), historical and family mentions are kept
internally but never reported. Past-history sections are history, not diagnoses.

Items that are plans or recommendations ("Recommend follow-up CT in 3 months") and
narrative sentences are not diagnoses either.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from lib.documents import TextSource
from lib.extraction.assertion import Assertion
from lib.extraction.diagnoses import DiagnosisSection, extract_code, read_diagnosis, split_items
from lib.offline.facts import DiagnosisFact, FindingFact, Findings, Source
from lib.offline.labs import is_lab_table
from lib.offline.reading import Piece, Section, SectionKind, is_marker_only

__all__ = ["read_diagnoses", "read_findings"]

_PLAN = re.compile(
    r"(?i)^(?:recommend|suggest|advise|consider|follow|correlat|clinical\s+correlation|continue|start|stop|begin"
    r"|discontinue|increase|decrease|return|please|plan|discussed|will\b|we\s|the\s+patient|patient\b|further"
    r"|repeat|comparison|see\b|refer|schedule|monitor|counsel|educat|dictated|electronically|signed|reviewed"
    r"|results?\s|this\s|these\s|there\s+(?:is|are)\s+no)"
)
_PLAN_TAIL = re.compile(
    r"\s*(?:[-\u2013:;]|,)\s+(?:continue|start|stop|begin|increase|decrease|discontinue|plan|will|monitor|check"
    r"|follow|refer|recheck|titrate|hold|resume)\b.*$",
    re.IGNORECASE,
)
# Differential diagnoses are possibilities, not what the patient has.
_DIFFERENTIAL = re.compile(r"(?i)\bdifferential\b|\bddx\b|rule\s+outs?\b")
# Reasons for an exam that name no condition.
_NO_CONDITION = re.compile(
    r"(?i)^(?:routine\s+|annual\s+)?(?:pre-?\s?operative|post-?\s?operative|pre-?\s?op|post-?\s?op)?\s*(?:evaluation|assessment"
    r"|reassessment|re-?evaluation|follow-?\s?up|screening|check(?:-?up)?|surveillance|staging|re-?staging|monitoring"
    r"|baseline|work-?\s?up|clearance|routine|none|n/?a)\b|requested$|^abnormal\s+(?:imaging|study|findings?|results?)$"
)
_HISTORY_OF = re.compile(r"(?i)^(?:(?:a\s+)?(?:past\s+)?history\s+of|h/o|hx\s+of|known)\s+")
_DIAGNOSIS_HEADER = re.compile(r"(?i)\b(?:diagnos[ie]s|icd|code|description|problem|condition)")
# A treatment or plan stated in passing: "metformin continued and basal insulin started".
_TREATMENT = re.compile(
    r"(?i)\b(?:continued|started|initiated|stopped|discontinued|increased|decreased|adjusted|prescribed|given"
    r"|administered|recommended|scheduled|arranged|advised|titrated|resumed|held)\b"
)
_SENTENCE = re.compile(r"(?<=[a-z0-9)\]]\.)\s+(?=[A-Z])")
_MAX_WORDS = 14
_MAX_WORDS_CODED = 25


def _inline_list(item: str) -> list[str]:
    """ "Asthma, Obesity, Seasonal allergies" → three items; "Hyperlipidemia, unspecified" stays one."""
    parts = [part.strip() for part in item.split(",")]
    if len(parts) > 1 and all(part[:1].isupper() for part in parts) and extract_code(item)[1] is None:
        return parts
    return [item]


# How a line that runs on into the next one ends: a comma, a dash, a joining word.
_RUNS_ON = re.compile(
    r"(?i)(?:[,\-\u2013/(]|\b(?:and|or|of|with|without|due to|secondary to|to|in|on|the|a|an))$"
)


def _whole_item(text: str) -> bool:
    """A line that is a list item by itself on a scan, where OCR loses list markers.

    It starts with a capital and does not run on (:data:`_RUNS_ON`); a line after it
    that does the same is an item of its own, not the wrap of this one.
    """
    stripped = text.strip()
    return stripped[:1].isupper() and not _RUNS_ON.search(stripped)


def _items(section: Section) -> list[tuple[str, Piece]]:
    pieces = [piece for piece in section.pieces if piece.text.strip() and not is_marker_only(piece.text)]
    scanned = any(word.source is TextSource.OCR for piece in pieces for word in piece.words)
    texts = split_items([piece.text for piece in pieces], whole=_whole_item if scanned else None)
    items: list[tuple[str, Piece]] = []
    cursor = 0
    for text in texts:
        start = next((i for i in range(cursor, len(pieces)) if text[:12] in pieces[i].text), cursor)
        cursor = min(start, len(pieces) - 1)
        piece = pieces[cursor]
        sentences = _SENTENCE.split(text)
        for sentence in sentences:
            for part in re.split(r"\s*;\s*", sentence):
                for single in _inline_list(part) if section.inline and len(texts) == 1 else [part]:
                    # A part ending in a colon labels the items after it ("A. Colon, sigmoid, biopsy:").
                    if single.strip() and not single.rstrip().endswith(":"):
                        items.append((single.strip().rstrip("."), piece))
    return items


def _table_items(section: Section) -> list[tuple[str, Piece]]:
    items: list[tuple[str, Piece]] = []
    for table in section.tables:
        if is_lab_table(table) or (
            table.header_rows and not _DIAGNOSIS_HEADER.search(" ".join(table.header))
        ):
            continue
        for row in table.body:
            texts = [re.sub(r"\s+", " ", cell.text).strip() for cell in row]
            texts = [text for text in texts if text and not re.fullmatch(r"\d{1,2}[.)]?", text)]
            if texts:
                words = tuple(word for cell in row for word in cell.words)
                items.append((" - ".join(texts), Piece(" ".join(texts), table.page, words)))
    return items


_PLAN_SEPARATOR = re.compile(r"\s+[-\u2013]\s+|\s*;\s*|:\s+")


def _cut_plan(text: str) -> tuple[str, str, str]:
    """ "Type 2 diabetes - metformin increased" → ("Type 2 diabetes", " - ", "metformin increased")."""
    match = _PLAN_SEPARATOR.search(text)
    if match is None:
        return text, "", ""
    return text[: match.start()], match[0], text[match.end() :]


# A bracketed ICD-10 code whose "I" OCR read as "l" or "|" ("(l50.30)" for I50.30). Not a
# "1": "(174.9)" may be an ICD-9 code, and read as I74.9 it would be another condition.
_OCR_CODE = re.compile(r"(?<=[(\[])[l|](?P<rest>\d[0-9A-Z]?(?:\.[0-9A-Z]{1,4})?)(?=[)\]])")


def _ocr_code(text: str, piece: Piece) -> str:
    if not any(word.source is TextSource.OCR for word in piece.words):
        return text
    return _OCR_CODE.sub(lambda match: "I" + match["rest"], text)


def _diagnosis(text: str, section: Section, piece: Piece) -> DiagnosisFact | None:
    if _PLAN.match(text):
        return None
    text = _ocr_code(text, piece)
    text = _PLAN_TAIL.sub("", text).strip()
    head, separator, tail = _cut_plan(text)
    text = head if separator and _TREATMENT.search(tail) else text
    if _TREATMENT.search(text):
        return None
    kind = section.diagnosis or DiagnosisSection.DIAGNOSIS
    item = read_diagnosis(text, kind)
    if item is None:
        return None
    if kind is DiagnosisSection.INDICATION:
        if _NO_CONDITION.search(item.description) and item.code is None:
            return None
        if item.assertion is Assertion.HISTORICAL:
            # "History of COPD" as the reason for an exam: a condition the patient has.
            description = _HISTORY_OF.sub("", item.description).strip()
            item = replace(item, description=description or item.description, assertion=Assertion.PRESENT)
    limit = _MAX_WORDS_CODED if item.code else _MAX_WORDS
    if len(item.description.split()) > limit:
        return None
    return DiagnosisFact(item, kind, Source.of(piece.page, piece.words, text))


def read_diagnoses(parts: Sequence[Section], into: Findings) -> None:
    """Every item of the report's diagnosis-like sections, with its assertion."""
    seen: set[str] = set()
    for section in parts:
        if section.kind not in (SectionKind.DIAGNOSIS, SectionKind.IMPRESSION):
            continue
        if section.diagnosis is DiagnosisSection.HISTORY or _DIFFERENTIAL.search(section.heading):
            continue
        for text, piece in [*_items(section), *_table_items(section)]:
            fact = _diagnosis(text, section, piece)
            if fact is None:
                continue
            key = fact.item.description.casefold()
            if key in seen and fact.item.assertion is Assertion.PRESENT:
                continue
            seen.add(key)
            into.diagnoses.append(fact)


def read_findings(parts: Sequence[Section], into: Findings) -> None:
    """Findings sentences and the impression text of FINDINGS and IMPRESSION sections."""
    for section in parts:
        if section.kind is SectionKind.FINDINGS:
            target = into.findings
        elif section.kind is SectionKind.IMPRESSION:
            target = into.impression
        else:
            continue
        pieces = [piece for piece in section.pieces if piece.text.strip() and not is_marker_only(piece.text)]
        for text in split_items([piece.text for piece in pieces]):
            piece = next((p for p in pieces if text[:12] in p.text), pieces[0])
            sentences = _SENTENCE.split(text) if section.kind is SectionKind.FINDINGS else [text]
            for sentence in sentences:
                if sentence.strip():
                    target.append(FindingFact(sentence.strip(), Source.of(piece.page, piece.words, sentence)))
