"""What the offline parser found, each fact with the words it was read from.

Every extracted item keeps a :class:`Source`: the page, the exact quote (the words
joined as printed) and the words themselves, whose boxes the engine measured. The
output schema does not carry provenance yet; these types do, so adding it is a
mapping change, not a parser change.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from lib.documents import BBox, TextSource, Word
from lib.extraction.dates import FoundDate
from lib.extraction.diagnoses import DiagnosisItem, DiagnosisSection
from lib.extraction.labs import LabReading
from lib.extraction.medications import MedicationEntry

__all__ = [
    "DiagnosisFact",
    "FindingFact",
    "LabFact",
    "MedicationFact",
    "Source",
    "TextFact",
    "WarningFact",
]


@dataclass(frozen=True)
class Source:
    """Where a fact was read: its page, the quote as printed, and the words it spans."""

    page: int
    quote: str
    words: tuple[Word, ...] = ()

    @classmethod
    def of(cls, page: int, words: Sequence[Word], quote: str | None = None) -> Source:
        """A source for ``words`` (on ``page``); the quote defaults to the words joined."""
        return cls(page, quote if quote is not None else " ".join(w.text for w in words), tuple(words))

    @property
    def bbox(self) -> BBox | None:
        """The box around every word, or ``None`` without words."""
        if not self.words:
            return None
        box = self.words[0].bbox
        for word in self.words[1:]:
            box = box.union(word.bbox)
        return box

    @property
    def ocr(self) -> bool:
        """Whether any of its words came from OCR."""
        return any(word.source is TextSource.OCR for word in self.words)

    @property
    def min_confidence(self) -> float | None:
        """The lowest OCR confidence among its words, ``None`` for text-layer words."""
        scores = [w.confidence for w in self.words if w.confidence is not None]
        return min(scores) if scores else None


def words_in(words: Iterable[Word], text: str) -> tuple[Word, ...]:
    """The words of ``words`` whose text occurs in ``text`` (a value cut from a longer run)."""
    return tuple(word for word in words if word.text and word.text in text)


@dataclass(frozen=True)
class TextFact:
    """A single value (a name, an MRN, a report type) and where it was read."""

    value: str
    source: Source
    label: str | None = None


@dataclass(frozen=True)
class DateFact:
    """A date (``iso`` or, when ambiguous, ``None``) as written, under ``label``."""

    found: FoundDate
    source: Source
    label: str

    @property
    def written(self) -> str:
        """The date as printed without a trailing clock time."""
        text = self.found.text
        if self.found.time is not None:
            text = re.split(r"(?:\s*,?\s*(?:at\s+)?|T)\d{1,2}:\d{2}", text, maxsplit=1)[0]
        return text.strip()


@dataclass(frozen=True)
class LabFact:
    """One lab result row or line, its panel heading, and its source words."""

    reading: LabReading
    source: Source
    panel: str | None = None
    unit_words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class MedicationFact:
    """One medication with its source words."""

    entry: MedicationEntry
    source: Source


@dataclass(frozen=True)
class DiagnosisFact:
    """One item of a diagnosis-like section, with its assertion, section kind and source."""

    item: DiagnosisItem
    section: DiagnosisSection
    source: Source


@dataclass(frozen=True)
class FindingFact:
    """One finding sentence or item."""

    text: str
    source: Source


@dataclass(frozen=True)
class WarningFact:
    """A warning for the output: a code, a JSON Pointer (or ``None``) and a message without report text."""

    code: str
    path: str | None
    message: str


@dataclass
class Findings:
    """Everything one parse read, before it is mapped onto the output schema."""

    name: TextFact | None = None
    date_of_birth: DateFact | TextFact | None = None
    sex: TextFact | None = None
    mrn: TextFact | None = None
    report_type: TextFact | None = None
    report_date: DateFact | None = None
    facility: TextFact | None = None
    physician: TextFact | None = None
    labs: list[LabFact] = field(default_factory=list)
    medications: list[MedicationFact] = field(default_factory=list)
    diagnoses: list[DiagnosisFact] = field(default_factory=list)
    findings: list[FindingFact] = field(default_factory=list)
    impression: list[FindingFact] = field(default_factory=list)
    warnings: list[WarningFact] = field(default_factory=list)
