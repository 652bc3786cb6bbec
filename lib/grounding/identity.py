"""Whose report is it? The patient identities an upload prints, and whether they disagree.

Identity is read from labelled values only (the document's key-value pairs, and
every "Label: value" in a line or a running header), through the label vocabulary
of :mod:`lib.extraction.identity`: a referring physician, a guarantor or a next of
kin has a label of their own and is never taken for the patient; a bare name in
running text is never read at all.

Values are compared as the same person would be written twice:

* names by their words in any order, case and punctuation ignored, initials and
  titles dropped, one name's words all found in the other's ("DOE, JANE" =
  "Jane Doe" = "Jane A. Doe"); a value with fewer than two such words is not
  compared. Words read by OCR with low confidence may differ by one character;
* dates of birth by the ISO date they read as ("01/31/1970" = "31 Jan 1970"); an
  ambiguous one by either reading;
* record numbers without case, hyphens, spaces or leading zeros ("000123-45" =
  "12345"); numbers under a "Patient ID"-kind label are compared only with each
  other, since a reference laboratory often numbers the same patient its own way.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from rapidfuzz.distance import Levenshtein

from lib.documents import Document, Page, TextSource, Word
from lib.documents.rows import group_rows
from lib.domain.report_schema import ReportWarning
from lib.extraction.dates import DateKind, DateOrder, infer_order, parse_date
from lib.extraction.identity import IdentityField, clean_mrn, field_for_label, split_labels
from lib.extraction.names import clean_name
from lib.grounding.text import mrn_key, same_token, tokens

__all__ = ["Identity", "IdentityCheck", "Labelled", "check_identity", "labelled_values", "patient_identities"]

# An OCR word below this confidence may hold one misread letter in a name. Tesseract
# reports clean print at 0.9 and above; below 0.8 a letter or two is often wrong.
OCR_TRUSTED_CONFIDENCE = 0.8
_COMPARED = (IdentityField.NAME, IdentityField.DATE_OF_BIRTH, IdentityField.MRN)
_FIELD_WORDS = {
    IdentityField.NAME: "patient names",
    IdentityField.DATE_OF_BIRTH: "dates of birth",
    IdentityField.MRN: "record numbers",
}
# Labels that number the patient in someone else's system (a lab's, a clinic's).
_LOCAL_ID_LABEL = re.compile(r"(?i)^\s*(?:patient|pt)\.?\s*(?:id|no\.?|number|#)")
# A name under a bare "Name:" label that is a clinician's (a signature block).
_CLINICIAN = re.compile(r"(?i)(?:^|\s)(?:dr\.?|doctor)\s|,?\s(?:md|m\.d\.|do|np|pa-c|rn|phd)\.?$")


@dataclass(frozen=True)
class Labelled:
    """A label and its value on one page; ``field`` is the identity field it names, if any."""

    page: int
    field: IdentityField | None
    label: str
    value: str
    words: tuple[Word, ...]


def labelled_values(page: Page) -> list[Labelled]:
    """Every labelled value of ``page``: its key-value pairs, then each "Label: value" of its lines."""
    found = [
        Labelled(page.number, field_for_label(pair.label), pair.label, pair.value, pair.value_words)
        for pair in page.key_values
    ]
    lines = page.lines or tuple(row.line(page.number) for row in group_rows(page.words))
    for line in (*lines, *page.furniture):
        text = line.text
        if ":" not in text and "#" not in text:
            continue  # a label needs one (lib.extraction.identity.split_labels)
        starts = _word_starts(line.words)
        for item in split_labels(text):
            begin = text.find(item.value, item.start) if item.value else -1
            if begin < 0:
                continue
            end = begin + len(item.value)
            words = tuple(
                word
                for word, start in zip(line.words, starts, strict=True)
                if start < end and start + len(word.text) > begin
            )
            found.append(Labelled(page.number, item.field, item.label, item.value, words))
    return found


def _word_starts(words: Sequence[Word]) -> list[int]:
    starts, offset = [], 0
    for word in words:
        starts.append(offset)
        offset += len(word.text) + 1
    return starts


@dataclass(frozen=True)
class _Mention:
    field: IdentityField
    page: int
    readings: frozenset[str]  # name words, ISO dates, or one normalised record number
    scheme: str = ""  # for record numbers: whose numbering ("" = the hospital's MRN)
    tolerant: bool = False


@dataclass(frozen=True)
class Identity:
    """One value of an identity field, in all the forms the document prints it, and its pages."""

    field: IdentityField
    pages: tuple[int, ...]
    scheme: str = ""


@dataclass(frozen=True)
class IdentityCheck:
    """The ``mixed_patient`` warnings for an upload, and which fields disagree.

    ``mixed`` is what a caller fails the job on, when its settings say so.
    """

    warnings: tuple[ReportWarning, ...]
    fields: tuple[IdentityField, ...]

    @property
    def mixed(self) -> bool:
        """Whether two different patients seem to be in one upload."""
        return bool(self.fields)


def _mention(item: Labelled, order: DateOrder | None, today: date) -> _Mention | None:
    tolerant = any(
        word.source is TextSource.OCR and (word.confidence or 0.0) < OCR_TRUSTED_CONFIDENCE
        for word in item.words
    )
    if item.field is IdentityField.NAME:
        cleaned = clean_name(item.value)
        if cleaned is None or _CLINICIAN.search(item.value):
            return None
        words = frozenset(word for word in tokens(cleaned) if len(word.rstrip(".")) > 1)
        return _Mention(item.field, item.page, words, tolerant=tolerant) if len(words) >= 2 else None
    if item.field is IdentityField.DATE_OF_BIRTH:
        found = parse_date(item.value, kind=DateKind.BIRTH, order=order, today=today)
        if found is None:
            return None
        readings = frozenset((found.iso,) if found.iso else found.readings)
        return _Mention(item.field, item.page, readings)
    if item.field is IdentityField.MRN:
        number = clean_mrn(item.value)
        if number is None:
            return None
        scheme = "patient id" if _LOCAL_ID_LABEL.match(item.label) else ""
        return _Mention(item.field, item.page, frozenset({mrn_key(number)}), scheme)
    return None


def _same_word(a: str, b: str, tolerant: bool) -> bool:
    if same_token(a, b):
        return True
    return tolerant and len(a) >= 4 and Levenshtein.distance(a, b, score_cutoff=1) <= 1


def _same(a: _Mention, b: _Mention) -> bool:
    if a.field is not IdentityField.NAME:
        return bool(a.readings & b.readings)
    short, long = sorted((a.readings, b.readings), key=len)
    tolerant = a.tolerant or b.tolerant
    return all(any(_same_word(word, other, tolerant) for other in long) for word in short)


def _mentions(document: Document, today: date) -> list[_Mention]:
    order = infer_order(line.text for page in document.pages for line in (*page.lines, *page.furniture))
    mentions = []
    for page in document.pages:
        for item in labelled_values(page):
            if item.field in _COMPARED and (mention := _mention(item, order, today)):
                mentions.append(mention)
    return mentions


def patient_identities(document: Document, *, today: date | None = None) -> list[Identity]:
    """Each distinct name, date of birth and record number the document labels, with its pages.

    One patient's upload gives at most one :class:`Identity` per field (and record
    numbering scheme); the same value repeated by a running header is one identity.
    ``today`` places two-digit birth years (default: the current date).
    """
    mentions = _mentions(document, today or date.today())
    groups: list[list[_Mention]] = []
    for mention in mentions:
        joined = [g for g in groups if g[0].field is mention.field and g[0].scheme == mention.scheme
                  and any(_same(mention, other) for other in g)]  # fmt: skip
        merged = [mention, *(m for g in joined for m in g)]
        groups = [g for g in groups if not any(g is j for j in joined)] + [merged]
    identities = [Identity(g[0].field, tuple(sorted({m.page for m in g})), g[0].scheme) for g in groups]
    return sorted(identities, key=lambda item: (_COMPARED.index(item.field), item.scheme, item.pages))


def check_identity(
    document: Document, *, file_pages: Sequence[int] | None = None, today: date | None = None
) -> IdentityCheck:
    """``mixed_patient`` warnings (path ``/patient``) for fields with two different values.

    A message names the pages (and, given ``file_pages``, the page count of each file
    in upload order, the files) that disagree and the field, never the values.
    """
    identities = patient_identities(document, today=today)
    warnings: list[ReportWarning] = []
    fields: list[IdentityField] = []
    for field in _COMPARED:
        for scheme in sorted({item.scheme for item in identities if item.field is field}):
            group = [item for item in identities if item.field is field and item.scheme == scheme]
            if len(group) < 2:
                continue
            if field not in fields:
                fields.append(field)
            where = " and ".join(_where(item.pages, file_pages) for item in group)
            warnings.append(
                ReportWarning(
                    code="mixed_patient",
                    path="/patient",
                    message=f"different {_FIELD_WORDS[field]} on {where}: the upload may hold more than one patient",
                )
            )
    return IdentityCheck(tuple(warnings), tuple(fields))


def _where(pages: Sequence[int], file_pages: Sequence[int] | None) -> str:
    text = ("page " if len(pages) == 1 else "pages ") + ", ".join(str(page) for page in pages)
    if not file_pages:
        return text
    files, first = [], 1
    for number, count in enumerate(file_pages, start=1):
        if any(first <= page < first + count for page in pages):
            files.append(number)
        first += count
    return f"{text} ({'file' if len(files) == 1 else 'files'} {', '.join(str(f) for f in files)})"
