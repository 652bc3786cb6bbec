"""Key-value pairs: "Label: value" on a line, label and value cells, label above value.

A label is a short phrase ending with ":" or "#" ("DOB:", "MR#"). Several pairs on
one line ("Name: DOE, Jane   DOB: 01/02/1960   MRN: 123") are split where a wide gap
or a "|" precedes a label, or, without either, where a well-known label phrase ends
the previous value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from lib.documents.model import KeyValue, Table, Word
from lib.documents.rows import SEGMENT_GAP, slice_word, word_size, words_box

# Label phrases common enough to split "Jane Doe Date of Birth: ..." without a gap.
_KNOWN_LABEL_PHRASES = """
patient | patient name | name | full name | date of birth | dob | d.o.b. | birth date | birthdate |
age | sex | gender | mrn | mr# | mr # | medical record number | medical record | record number |
record # | account | account number | acct | acct# | account# | visit | visit number | encounter |
admission date | admit date | admitted | discharge date | discharged | date of service | service
date | dos | collection date | collected | received | reported | report date | date reported | date
| time | physician | ordering physician | referring physician | attending | attending physician |
provider | ordering provider | doctor | clinician | facility | hospital | location | department |
ward | unit | room | bed | specimen | specimen type | accession | accession number | accession # |
order | order number | order # | ssn | phone | address | insurance | status | report type | exam |
study | procedure | indication | referred by | requested by
"""
_KNOWN_LABELS = frozenset(" ".join(label.split()) for label in _KNOWN_LABEL_PHRASES.split("|"))
_LABEL_END = (":", "#")
_LETTER = re.compile(r"[^\W\d_]")
_DIGIT = re.compile(r"\d")
# "DOB:01/02/1960" drawn without a space: a label of letters glued to its value.
_GLUED = re.compile(r"^([^\W\d_][^\W_]*(?:[.\-/ ][^\W_]+)*:)(?!//)(.+)$")
_MAX_LABEL_WORDS = 5
_MAX_LABEL_CHARS = 40


def is_label(text: str) -> bool:
    """True for a short phrase that ends with ':' or '#' and has a letter in it."""
    text = text.strip()
    if not text.endswith(_LABEL_END) or len(text) > _MAX_LABEL_CHARS:
        return False
    body = text.rstrip(":# ")
    return bool(_LETTER.search(body)) and len(body.split()) <= _MAX_LABEL_WORDS


def looks_like_label(words: Sequence[Word], below: Sequence[Word] = ()) -> bool:
    """True when ``words`` read as a label printed above its value ``below``.

    Short, no digits, and set apart from the value: capitals, a closing ':', a
    smaller font or bold over regular.
    """
    if not words or len(words) > _MAX_LABEL_WORDS:
        return False
    text = " ".join(word.text for word in words)
    if _DIGIT.search(text) or not _LETTER.search(text):
        return False
    if text.isupper() or text.endswith(":"):
        return True
    if not below:
        return False
    smaller = max(word_size(w) for w in words) < min(word_size(w) for w in below) - 0.4
    bolder = all(w.bold for w in words) and not any(w.bold for w in below)
    return smaller or bolder


def inline_pairs(words: Sequence[Word], page: int) -> list[KeyValue]:
    """The "Label: value" pairs on one line of ``words`` (left to right)."""
    tokens, boundary = _tokens(words)
    ends = [index for index, token in enumerate(tokens) if _ends_label(tokens, index)]
    pairs: list[KeyValue] = []
    starts: list[int] = []
    for position, end in enumerate(ends):
        floor = ends[position - 1] + 1 if position else 0
        start = _label_start(tokens, boundary, floor, end, first=position == 0)
        starts.append(start)
    for position, end in enumerate(ends):
        start = starts[position]
        if start < 0:
            continue
        limit = (
            starts[position + 1] if position + 1 < len(ends) and starts[position + 1] >= 0 else len(tokens)
        )
        value = _value(tokens, boundary, end + 1, limit)
        label = _label_text(tokens[start : end + 1])
        if value and label:
            pairs.append(
                KeyValue(
                    label=label,
                    value=" ".join(token.text for token in value),
                    page=page,
                    label_bbox=words_box(tokens[start : end + 1]),
                    value_bbox=words_box(value),
                    value_words=tuple(value),
                )
            )
    return pairs


def stacked_pair(label: Sequence[Word], value: Sequence[Word], page: int) -> KeyValue:
    """A label printed above its value."""
    return KeyValue(
        label=_label_text(list(label)),
        value=" ".join(word.text for word in value),
        page=page,
        label_bbox=words_box(label),
        value_bbox=words_box(value),
        value_words=tuple(value),
    )


def grid_pairs(table: Table) -> list[KeyValue]:
    """Pairs in a table: a label cell and the cell beside it, "Label: value" cells,
    a two-column grid of labels and values, or headings above a single row."""
    pairs: list[KeyValue] = []
    for row in table.body:
        skip = False
        for index, cell in enumerate(row):
            if skip:
                skip = False
                continue
            following = row[index + 1] if index + 1 < len(row) else None
            if (
                is_label(cell.text)
                and following is not None
                and following.text
                and not is_label(following.text)
            ):
                pairs.append(stacked_pair(cell.words, following.words, table.page))
                skip = True
            elif cell.words:
                pairs.extend(inline_pairs(cell.words, table.page))
    if pairs:
        return pairs
    if table.header_rows == 1 and len(table.body) == 1:
        for head, cell in zip(table.rows[0], table.body[0], strict=False):
            if head.words and cell.words:
                pairs.append(stacked_pair(head.words, cell.words, table.page))
        return pairs
    width = max(len(row) for row in table.rows)
    if table.header_rows or width % 2:
        return pairs
    label_columns = range(0, width, 2)
    if all(
        _label_cell(row[c].text) for row in table.rows for c in label_columns if c < len(row) and row[c].text
    ):
        for row in table.rows:
            for c in label_columns:
                if c + 1 < len(row) and row[c].words and row[c + 1].words:
                    pairs.append(stacked_pair(row[c].words, row[c + 1].words, table.page))
    return pairs


def _label_cell(text: str) -> bool:
    return not _DIGIT.search(text) and bool(_LETTER.search(text)) and len(text.split()) <= _MAX_LABEL_WORDS


def _tokens(words: Sequence[Word]) -> tuple[list[Word], list[bool]]:
    """The words with glued labels cut off and "|" removed; ``boundary[i]`` is true when a
    separator or a wide gap comes before token ``i``."""
    tokens: list[Word] = []
    boundary: list[bool] = []
    pending = True
    for word in words:
        if word.text == "|":
            pending = True
            continue
        if tokens and word.bbox.x0 - tokens[-1].bbox.x1 > SEGMENT_GAP * word_size(word):
            pending = True
        glued = _GLUED.match(word.text)
        pieces = (
            [slice_word(word, 0, glued.end(1)), slice_word(word, glued.end(1), len(word.text))]
            if glued
            else [word]
        )
        for piece in pieces:
            tokens.append(piece)
            boundary.append(pending)
            pending = False
    return tokens, boundary


def _ends_label(tokens: Sequence[Word], index: int) -> bool:
    text = tokens[index].text
    if not text.strip(":#"):
        # "Name :" or "Acct #:": the label's words come before a mark of its own.
        return index > 0 and len(text) <= 2 and bool(_LETTER.search(tokens[index - 1].text))
    return text.endswith(_LABEL_END) and bool(_LETTER.search(text)) and not text.endswith("::")


def _label_start(
    tokens: Sequence[Word], boundary: Sequence[bool], floor: int, end: int, *, first: bool
) -> int:
    """Where the label ending at token ``end`` begins, or -1 when it is not a label.

    ``floor`` is the first token after the previous label; a label starts at the
    last gap or separator before its end when that leaves it short enough.
    """
    lowest = max(floor, end - _MAX_LABEL_WORDS + 1)
    for index in range(end, floor - 1, -1):
        if boundary[index]:
            if index >= lowest:
                return index
            break
    if first:
        # A long run of words before the first colon is a sentence, unless it ends in a known label.
        return _known_suffix(tokens, lowest, end, fallback=-1)
    # No gap or separator: a well-known phrase, or else the one word before the colon,
    # ends the previous value (which keeps at least one word).
    return _known_suffix(tokens, max(lowest, floor + 1), end, fallback=end)


def _known_suffix(tokens: Sequence[Word], lowest: int, end: int, *, fallback: int) -> int:
    for start in range(lowest, end + 1):
        if _label_text(tokens[start : end + 1]).lower() in _KNOWN_LABELS:
            return start
    if fallback >= 0 and not tokens[fallback].text.strip(":#"):
        return -1
    return fallback


def _value(tokens: Sequence[Word], boundary: Sequence[bool], begin: int, limit: int) -> list[Word]:
    """Tokens from ``begin`` up to ``limit``, stopping at the first separator after the first one."""
    value: list[Word] = []
    for index in range(begin, limit):
        if value and boundary[index]:
            break
        value.append(tokens[index])
    return value


def _label_text(words: Sequence[Word]) -> str:
    text = " ".join(word.text for word in words).strip()
    return re.sub(r"\s*:+$", "", text)
