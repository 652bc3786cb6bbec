"""The document as the rules read it: labelled values, sections of text, and tables in their sections.

The engine gives pages of lines, blocks (some marked as headings), tables and
key-value pairs. This module adds the two views every rule needs:

* :func:`labelled_values`: every "label → value" the report prints, from the
  engine's pairs, from grids of label cells above value cells, and from
  "Label: value  Label: value" lines, each with its value words;
* :func:`sections`: the content cut at headings ("IMPRESSION:", a bold
  "Discharge Medications" line, "Assessment: asthma" with its text inline), each
  section holding its text pieces (table lines left out) and the tables printed
  inside it. A section carries on over a page break until the next heading.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import Enum

from lib.documents import Cell, Document, Line, Page, Table, Word
from lib.extraction.diagnoses import DiagnosisSection, section_for_heading
from lib.extraction.identity import is_known_label, split_labels
from lib.offline.labels import is_label_phrase, ocr_letters

__all__ = [
    "Labelled",
    "Piece",
    "Section",
    "SectionKind",
    "join_continued",
    "kind_of_heading",
    "labelled_values",
    "sections",
]


@dataclass(frozen=True)
class Labelled:
    """A printed label and its value, with the value's words; ``order`` is the reading position."""

    label: str
    value: str
    page: int
    words: tuple[Word, ...]
    order: tuple[int, float, float]


class SectionKind(str, Enum):
    """What a section holds, as its heading says."""

    DIAGNOSIS = "diagnosis"
    MEDICATIONS = "medications"
    LABS = "labs"
    FINDINGS = "findings"
    IMPRESSION = "impression"
    OTHER = "other"


@dataclass(frozen=True)
class Piece:
    """Text of one line inside a section (after an inline heading: only the rest of the line)."""

    text: str
    page: int
    words: tuple[Word, ...]


def join_continued(pieces: Sequence[Piece], continues: Callable[[Piece, Piece], bool]) -> list[Piece]:
    """``pieces`` with each one that ``continues(previous, piece)`` joined onto the one before it.

    The joined text has a space between the two, and the words of both (on the first one's page).
    """
    joined: list[Piece] = []
    for piece in pieces:
        last = joined[-1] if joined else None
        if last is not None and continues(last, piece):
            text = f"{last.text.strip()} {piece.text.strip()}"
            joined[-1] = Piece(text, last.page, (*last.words, *piece.words))
            continue
        joined.append(piece)
    return joined


@dataclass
class Section:
    """A heading and what follows it up to the next heading."""

    heading: str
    kind: SectionKind
    diagnosis: DiagnosisSection | None
    page: int
    pieces: list[Piece] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    inline: bool = False  # the heading carried its text on the same line
    heading_words: tuple[Word, ...] = ()


# --- headings --------------------------------------------------------------------------

_MEDICATION_HEADING = re.compile(
    r"(?:(?:[a-z]+|&|and|/)\s+){0,3}(?:medications?|meds|medicines|prescriptions?|rx|drugs)"
    r"(?:\s+(?:on|at|upon|prior\s+to)\s+(?:discharge|admission))?(?:\s+list|\s+reconciliation)?",
    re.IGNORECASE,
)
_NOT_MEDICATION = re.compile(r"(?i)\b(?:no|allerg\w*|adverse)\b")
_LAB_HEADING = re.compile(
    r"(?:(?:pertinent|relevant|key|recent|admission|discharge|more|other|additional|your)\s+)?"
    r"(?:(?:laboratory|lab|test|blood)\s+)?(?:results?|data|values|findings|tests?|labs|laboratory|investigations)"
    r"(?:\s+\(.*\))?",
    re.IGNORECASE,
)
_CONDITIONS_HEADING = re.compile(
    r"(?:(?:your|my|active|current|chronic|medical|health|ongoing|known)\s+)*(?:conditions|health\s+problems)"
    r"(?:\s+(?:we\s+are\s+)?(?:managing|treated|being\s+treated|list))?",
    re.IGNORECASE,
)
_FINDINGS_HEADING = re.compile(
    r"findings?|(?:imaging|radiographic|ct|mri|ultrasound)\s+findings", re.IGNORECASE
)
_IMPRESSION_HEADING = re.compile(
    r"(?:clinical\s+|final\s+|radiological\s+)?(?:impressions?|conclusions?)", re.I
)
_CONTINUED = re.compile(r"\s*\((?:continued|cont'?d\.?)\)\s*$|\s+(?:continued|cont'?d\.?)\s*$", re.IGNORECASE)
# A heading printed with its text: "IMPRESSION: No acute process", "Assessment: Asthma".
_INLINE_HEADING = re.compile(r"^(?P<label>[A-Za-z][A-Za-z0-9 /&()'\-]{1,48}?)\s*:\s*(?P<rest>.*)$")
_SIGNATURE = re.compile(
    r"(?i)(?:electronically\s+)?(?:signed|verified|dictated|transcribed|reviewed|approved)\b"
)
_MARKER_ONLY = re.compile(r"^\s*(?:\d{1,2}[.)]|\(\d{1,2}\)|[-*•·+»])\s*$")


def kind_of_heading(text: str) -> tuple[SectionKind, DiagnosisSection | None] | None:
    """The kind of section ``text`` opens, or ``None`` when it is no known section heading."""
    heading = _CONTINUED.sub("", re.sub(r"\s+", " ", text).strip().rstrip(":").strip())
    if not heading or len(heading) > 60:
        return None
    if _IMPRESSION_HEADING.fullmatch(heading):
        return SectionKind.IMPRESSION, DiagnosisSection.IMPRESSION
    if _FINDINGS_HEADING.fullmatch(heading):
        return SectionKind.FINDINGS, None
    if re.fullmatch(
        r"(?i)history|reason\s+for\s+(?:exam(?:ination)?|study|referral)|history\s+and\s+indications?",
        heading,
    ):
        # A bare "HISTORY:" (imaging, consults) is the reason for the exam: an indication.
        return SectionKind.DIAGNOSIS, DiagnosisSection.INDICATION
    diagnosis = section_for_heading(heading)
    if diagnosis is not None:
        return SectionKind.DIAGNOSIS, diagnosis
    if _CONDITIONS_HEADING.fullmatch(heading):
        return SectionKind.DIAGNOSIS, DiagnosisSection.PROBLEM_LIST
    if _MEDICATION_HEADING.fullmatch(heading) and not _NOT_MEDICATION.search(heading):
        return SectionKind.MEDICATIONS, None
    if _LAB_HEADING.fullmatch(heading):
        return SectionKind.LABS, None
    return None


def _wraps(above_bottom: float, line: Line) -> bool:
    """Whether ``line`` starts right under the previous line (a wrapped line, not a new paragraph)."""
    box = line.bbox
    return box.top - above_bottom <= 0.6 * max(box.bottom - box.top, 1.0)


def _is_heading_text(text: str) -> bool:
    """An unknown heading still ends the section before it: a short line, not a sentence."""
    words = text.rstrip(":").split()
    if not 0 < len(words) <= 8 or not re.search(r"[A-Za-z]{2}", text) or re.match(r"[\d<>.≤≥]", text):
        return False
    return not re.search(r"[.;]\s|\d{2,}", text)


# --- sections --------------------------------------------------------------------------


def _table_words(page: Page) -> dict[int, Table]:
    owner: dict[int, Table] = {}
    for table in page.tables:
        for row in table.rows:
            for cell in row:
                for word in cell.words:
                    owner[id(word)] = table
    return owner


def _heading_lines(page: Page) -> set[int]:
    return {id(block.lines[0]) for block in page.blocks if block.heading and block.lines}


def sections(document: Document) -> list[Section]:
    """The document cut into sections at its headings; text before the first heading is an OTHER section."""
    current = Section("", SectionKind.OTHER, None, 1)
    found = [current]
    inline_block = -1
    last_bottom: float | None = None
    for page in document.pages:
        owner = _table_words(page)
        headings = _heading_lines(page)
        seen_tables: set[int] = set()
        broken: set[int] = set()
        split: set[int] = set()
        side_by_side: list[tuple[float, Section]] = []
        block_of = {id(line): index for index, block in enumerate(page.blocks) for line in block.lines}
        for line in page.lines:
            block = block_of.get(id(line), -1)
            tables = {id(owner[id(word)]): owner[id(word)] for word in line.words if id(word) in owner}
            if current.inline and (current.page, inline_block) != (page.number, block):
                # A heading printed with its text holds that paragraph only (and the lines it wraps onto).
                if tables or last_bottom is None or not _wraps(last_bottom, line):
                    current = Section("", SectionKind.OTHER, None, page.number)
                    found.append(current)
                else:
                    inline_block = block
            last_bottom = line.bbox.bottom
            if tables and len(tables) == 1 and all(id(word) in owner for word in line.words):
                (table,) = tables.values()
                if id(table) not in seen_tables:
                    seen_tables.add(id(table))
                    columns = _section_columns(table)
                    if columns:
                        # Sections printed side by side, read as one table: one section per column.
                        found.extend(columns)
                        split.add(id(table))
                        current = Section("", SectionKind.OTHER, None, page.number)
                        found.append(current)
                        side_by_side = [(x0, part) for x0, part in zip(_starts(table), columns, strict=False)]
                    else:
                        current.tables.append(table)
                if id(table) in split:
                    continue
                if id(table) not in broken:
                    kind = kind_of_heading(line.text)
                    # A section heading drawn into a table ends the table's part of its section.
                    if kind is None or kind[0] is SectionKind.LABS:
                        continue
                    broken.add(id(table))
                    current = Section(
                        line.text.rstrip(":").strip(), kind[0], kind[1], page.number, heading_words=line.words
                    )
                    found.append(current)
                    continue
            opened = _open(line, id(line) in headings, page.number)
            if opened is not None:
                side_by_side = []
                current, rest = opened
                inline_block = block
                found.append(current)
                if rest is not None:
                    current.pieces.append(rest)
                continue
            column = next((part for x0, part in side_by_side if abs(line.bbox.x0 - x0) <= 6.0), None)
            if column is not None:
                column.pieces.append(Piece(line.text, page.number, line.words))  # a column running on
                continue
            side_by_side = []
            current.pieces.append(Piece(line.text, page.number, line.words))
        for table in page.tables:  # a table none of whose lines was laid out as a line
            if id(table) not in seen_tables:
                current.tables.append(table)
    return found


def _starts(table: Table) -> list[float]:
    return [cell.bbox.x0 if cell.bbox else 0.0 for cell in table.rows[0]]


def _section_columns(table: Table) -> list[Section]:
    """A table whose every heading cell opens a known section: the sections, one per column."""
    if len(table.rows) < 2:
        return []
    heads = table.rows[0]
    kinds = [kind_of_heading(cell.text) if cell.text.strip() else None for cell in heads]
    if not all(kinds) or all(kind is not None and kind[0] is SectionKind.LABS for kind in kinds):
        return []
    parts = []
    for index, (cell, kind) in enumerate(zip(heads, kinds, strict=True)):
        assert kind is not None
        part = Section(cell.text.rstrip(":").strip(), kind[0], kind[1], table.page, heading_words=cell.words)
        for row in table.rows[1:]:
            if index < len(row) and row[index].text.strip():
                part.pieces.append(Piece(row[index].text, table.page, row[index].words))
        parts.append(part)
    return parts


def _open(line: Line, heading: bool, page: int) -> tuple[Section, Piece | None] | None:
    """The section ``line`` opens and the text it carries inline, or ``None``."""
    text = line.text.strip()
    if heading:
        kind = kind_of_heading(text)
        if kind is not None:
            return Section(text.rstrip(":").strip(), kind[0], kind[1], page, heading_words=line.words), None
        if _is_heading_text(text):
            return Section(
                text.rstrip(":").strip(), SectionKind.OTHER, None, page, heading_words=line.words
            ), None
    match = _INLINE_HEADING.match(text)
    if match is None:
        return None
    label, rest = match["label"].strip(), match["rest"].strip()
    kind = kind_of_heading(label)
    if kind is None and re.match(r"[<>≤≥]?\s*\d", rest):
        return None  # "TSH: 2.1 mIU/L": a labelled value, not a section
    if kind is None:
        # An unknown label in capitals ("FOLLOW-UP: ...") or a known field label ("Dictated by:")
        # still starts a section of its own.
        if not ((label.isupper() and len(label) > 2) or is_label_phrase(label) or _SIGNATURE.match(label)):
            return None
        kind = (SectionKind.OTHER, None)
    section = Section(label, kind[0], kind[1], page, inline=bool(rest))
    if not rest:
        return section, None
    rest_words = _words_after_colon(line.words)
    return section, Piece(rest, page, rest_words)


def _words_after_colon(words: Sequence[Word]) -> tuple[Word, ...]:
    for index, word in enumerate(words):
        if ":" in word.text:
            return tuple(words[index + 1 :]) if word.text.endswith(":") else tuple(words[index:])
    return tuple(words)


def is_marker_only(text: str) -> bool:
    """A list marker printed alone on its line ("1.", "-"), its item drawn elsewhere."""
    return bool(_MARKER_ONLY.match(text))


# --- labelled values -------------------------------------------------------------------

_TRAILING_LABEL_WORDS = 5


def _trailing_label(text: str) -> str | None:
    """The known label at the end of a cell ("Tel (555) 019-5503 Pt:" → "Pt"), or ``None``."""
    words = text.strip().split()
    for size in range(min(_TRAILING_LABEL_WORDS, len(words)), 0, -1):
        candidate = " ".join(words[-size:])
        if candidate.endswith((":", "#")) and is_known_label(candidate):
            return candidate.rstrip(" :")
    return None


def _is_label_cell(text: str) -> bool:
    written = ocr_letters(text.strip())
    if not written or re.search(r"\d", written) or len(written) > 60:
        return False
    return written.endswith((":", "#")) or is_label_phrase(written)


def _label_row(row: Sequence[Cell]) -> bool:
    cells = [cell.text for cell in row if cell.text.strip()]
    if not cells:
        return False
    known = sum(1 for text in cells if _is_label_cell(text) or _trailing_label(text))
    return known == len(cells) or (known * 2 >= len(cells) and not any(re.search(r"\d", t) for t in cells))


def _grid_pairs(table: Table) -> list[Labelled]:
    """Label cells with their value in the cell below (a stacked demographics grid)."""
    pairs: list[Labelled] = []
    rows = table.rows
    for upper, lower in itertools.pairwise(rows):
        if not _label_row(upper) or _label_row(lower):
            continue
        for label_cell, value_cell in zip(upper, lower, strict=False):
            if not label_cell.text.strip() or not value_cell.text.strip():
                continue
            label = _trailing_label(label_cell.text) or label_cell.text.strip().rstrip(" :")
            box = value_cell.bbox
            pairs.append(
                Labelled(
                    label,
                    value_cell.text.strip(),
                    table.page,
                    value_cell.words,
                    (table.page, box.top if box else 0.0, box.x0 if box else 0.0),
                )
            )
    for row in rows:
        pairs.extend(_row_pairs(row, table.page))
    return pairs


def _row_pairs(row: Sequence[Cell], page: int) -> list[Labelled]:
    """Label cells with their value in the next cell ("Patient ID | MVH.7176204 | Sex | M")."""
    pairs: list[Labelled] = []
    cells = [cell for cell in row if cell.text.strip()]
    index = 0
    while index + 1 < len(cells):
        label_cell, value_cell = cells[index], cells[index + 1]
        if _is_label_cell(label_cell.text) and not _is_label_cell(value_cell.text):
            box = value_cell.bbox
            label = _trailing_label(label_cell.text) or label_cell.text.strip().rstrip(" :")
            order = (page, box.top if box else 0.0, box.x0 if box else 0.0)
            pairs.append(Labelled(label, value_cell.text.strip(), page, value_cell.words, order))
            index += 2
        else:
            index += 1
    return pairs


_BARE_LABEL_WORDS = 4
_HEADER_LINES = 40


def _colon_pairs(line: Line) -> list[tuple[str, int, int]]:
    """Known "Label:" (or "MR#") phrases of a line, each with its value's span up to the next label."""
    text = ocr_letters(line.text)
    spans = []
    for found in split_labels(text):
        if not found.value:
            continue
        start = text.find(found.value, found.start + len(found.label))
        if start >= 0:
            spans.append((found.label.rstrip(" :"), start, start + len(found.value)))
    return spans


def _bare_pairs(line: Line) -> list[tuple[str, int, int]]:
    """ "Patient Name Amara Zielinski Date of Birth February 24, 1965": labels printed without colons.

    Read only when the line starts with a label and holds at least two, each with a value.
    """
    words = [word.text for word in line.words]
    offsets = []
    offset = 0
    for word in words:
        offsets.append(offset)
        offset += len(word) + 1
    labels: list[tuple[int, int]] = []
    index = 0
    while index < len(words):
        for size in range(min(_BARE_LABEL_WORDS, len(words) - index), 0, -1):
            phrase = " ".join(words[index : index + size])
            if phrase[:1].isupper() and is_label_phrase(phrase):
                labels.append((index, index + size))
                index += size
                break
        else:
            index += 1
    if not labels or labels[0][0] != 0:
        return []
    if len(labels) == 1 and not _single_value_ok(words[labels[0][1] :]):
        return []  # one label and a value that could be a sentence ("Patient was seen today")
    spans = []
    for (start, end), following in zip(labels, [*labels[1:], None], strict=True):
        stop = following[0] if following else len(words)
        if stop <= end:
            return []
        label = " ".join(words[start:end]).rstrip(":").strip()
        spans.append((label, offsets[end], offsets[stop] - 1 if following else len(line.text)))
    return spans


def _single_value_ok(value: Sequence[str]) -> bool:
    """A lone label's value: one with digits (a date, a number), or a short run of capitalised words."""
    text = " ".join(value)
    if re.search(r"\d", text):
        return True
    return 0 < len(value) <= 4 and all(word[:1].isupper() for word in value)


def _bare_labels(line: Line) -> list[tuple[str, float]] | None:
    """A line made only of labels printed without colons ("Date of birth   Sex"), or ``None``."""
    words = [ocr_letters(word.text) for word in line.words]
    labels: list[tuple[str, float]] = []
    index = 0
    while index < len(words):
        for size in range(min(_BARE_LABEL_WORDS, len(words) - index), 0, -1):
            phrase = " ".join(words[index : index + size])
            if phrase[:1].isupper() and is_label_phrase(phrase):
                labels.append((phrase.rstrip(":").strip(), line.words[index].bbox.x0))
                index += size
                break
        else:
            return None
    return labels or None


def _line_pairs(page: Page) -> list[Labelled]:
    pairs: list[Labelled] = []
    for number, line in enumerate(page.lines):
        text = line.text
        spans = _colon_pairs(line) if ":" in text or "#" in text else []
        if number < _HEADER_LINES:
            spans = spans + _bare_pairs(line)
        for label, start, end in spans:
            value = text[start:end].strip(" |;,")
            if not value:
                continue
            words = _words_between(line, start, end)
            box = words[0].bbox if words else line.bbox
            pairs.append(Labelled(label, value, page.number, words, (page.number, box.top, box.x0)))
    return pairs


def _words_between(line: Line, start: int, end: int) -> tuple[Word, ...]:
    chosen: list[Word] = []
    offset = 0
    for word in line.words:
        word_start = offset
        offset += len(word.text) + 1
        if start <= word_start < end:
            chosen.append(word)
    return tuple(chosen)


_LABEL_SEGMENT = re.compile(r"[^:]+?:")


def _label_only(line: Line) -> list[tuple[str, float]] | None:
    """A line made only of labels ("Pt. Name:   Medical Record #:"): each label with where it starts."""
    if ":" not in line.text:
        return _bare_labels(line)
    labels: list[tuple[str, float]] = []
    current: list[Word] = []
    for word in line.words:
        current.append(word)
        if word.text.endswith(":"):
            text = ocr_letters(" ".join(w.text for w in current))
            if not _is_label_cell(text):
                return _bare_labels(line)  # "Patient DOB:": labels with and without colons
            labels.append((text.rstrip(":").strip(), current[0].bbox.x0))
            current = []
    if current or not labels:
        return _bare_labels(line)
    return labels


def _stacked_pairs(page: Page) -> list[Labelled]:
    """Labels on lines of their own with their values on the row below, aligned by x.

    Label lines at the same height form one row of labels, whichever order the
    engine read them in; each label's value is what lies under it, up to the next label.
    """
    rows: list[tuple[Line, list[tuple[str, float]]]] = []
    for line in page.lines[: _HEADER_LINES * 2]:
        labels = _label_only(line)
        if labels is not None:
            rows.append((line, labels))
    pairs: list[Labelled] = []
    for line, labels in rows:
        box = line.bbox
        height = max(box.bottom - box.top, 1.0)
        same_row = sorted(
            x0 for other, others in rows if abs(other.bbox.top - box.top) <= height * 0.5 for _, x0 in others
        )
        starts = [x0 for _, x0 in labels]
        for label, x0 in labels:
            following = [x for x in same_row if x > x0 + 1.0]
            end = following[0] if following else x0 + 250.0
            # Below the label's own words: on a skewed scan the line's box is the whole slope.
            later = [x for x in starts if x > x0 + 1.0]
            own = [w for w in line.words if x0 - 0.5 <= w.bbox.x0 < (later[0] if later else end)]
            bottom = max((w.bbox.bottom for w in own), default=box.bottom)
            below = [
                word
                for word in page.words
                if bottom - 1.0 <= word.bbox.top <= bottom + 1.6 * height and not word.text.endswith(":")
            ]
            # The nearest row under this label: a scan's skew sets other columns' values higher.
            under = [w for w in below if x0 - 3.0 <= w.bbox.x0 < end - 3.0]
            if not under:
                continue
            top = min(word.bbox.top for word in under)
            words = tuple(
                sorted((w for w in under if w.bbox.top <= top + height * 0.5), key=lambda w: w.bbox.x0)
            )
            if words:
                value = " ".join(w.text for w in words)
                pairs.append(Labelled(label, value, page.number, words, (page.number, words[0].bbox.top, x0)))
    return pairs


def labelled_values(document: Document) -> list[Labelled]:
    """Every label/value pair of the report in reading order; the same pair may appear twice."""
    pairs: list[Labelled] = []
    for page in document.pages:
        for pair in page.key_values:
            box = pair.value_bbox or pair.label_bbox
            order = (page.number, box.top if box else 0.0, box.x0 if box else 0.0)
            label = _trailing_label(pair.label + ":") or pair.label
            pairs.append(Labelled(label.strip(), pair.value.strip(), page.number, pair.value_words, order))
        for table in page.tables:
            pairs.extend(_grid_pairs(table))
        pairs.extend(_line_pairs(page))
        pairs.extend(_stacked_pairs(page))
    pairs.sort(key=lambda pair: pair.order)
    return pairs
