"""How text from a report and text from a model are compared: tokens, numbers, codes.

Words are compared as *tokens*: case-folded, NFKC-normalised, split at spaces and
at ``, ; : ( ) [ ] { } | "``, with sentence punctuation trimmed at the ends.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal

from rapidfuzz.distance import Levenshtein

# A token shorter than this must match exactly; a longer one may differ by one edit.
# OCR reads 97-98 % of characters right on noisy scans (DESIGN.md), so a 7-12 letter
# word usually has at most one misread character. Allowing two edits, or one in a
# shorter word, confuses real pairs of medical words: hypertension/hypotension and
# hyperthyroidism/hypothyroidism are two edits apart, ileum/ilium one.
FUZZY_MIN_LENGTH = 7
MAX_TOKEN_EDITS = 1

_SPLIT = re.compile(r"[\s,;:()\[\]{}|\"\u201c\u201d]+")
_EDGE = ".!?*'\u2018\u2019-\u2013\u2014"
_DIGIT = re.compile(r"\d")
# A number as printed: a comparator may be glued on ("<0.5"); thousands use ",".
# Not part of a code or a word ("E11.9", "HbA1c"), nor a range, date or ratio
# ("4.0-5.6", "02/17/2026", "150/95"), nor a longer number.
_NUMBER = re.compile(
    r"(?<![\w.,/\-])(?P<cmp><=|>=|<|>|\u2264|\u2265)?\s*(?P<num>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?)"
    r"(?![\d.,]\d|[/\-]\d|\d)"
)
_COMPARATORS = {"\u2264": "<=", "\u2265": ">="}
_ICD10 = re.compile(r"[A-Z]\d{2}(?:\.?[A-Z0-9]{1,4})?")


def normalise(text: str) -> str:
    """NFKC, case-folded, micro sign as "u": "µg/dL" and "ug/dl" compare equal."""
    return unicodedata.normalize("NFKC", text).casefold().replace("\u00b5", "u").replace("\u03bc", "u")


def tokens(text: str) -> list[str]:
    """The tokens of ``text`` in order (see the module docstring)."""
    out = []
    for piece in _SPLIT.split(normalise(text)):
        token = piece.strip(_EDGE)
        if token:
            out.append(token)
    return out


def has_digit(token: str) -> bool:
    """Whether ``token`` holds a digit: such tokens (doses, codes, "T4") only match exactly."""
    return _DIGIT.search(token) is not None


def same_token(wanted: str, found: str) -> bool:
    """Whether document token ``found`` reads as ``wanted``, allowing for OCR (see the constants)."""
    if wanted == found:
        return True
    if has_digit(wanted) or has_digit(found) or len(wanted) < FUZZY_MIN_LENGTH:
        return False
    return Levenshtein.distance(wanted, found, score_cutoff=MAX_TOKEN_EDITS) <= MAX_TOKEN_EDITS


def numbers_in(text: str) -> list[tuple[str | None, Decimal, int]]:
    """Each number printed in ``text``: its comparator (``<``, ``<=``, ...), value and end offset."""
    found = []
    for match in _NUMBER.finditer(text):
        value = Decimal(match["num"].replace(",", ""))
        comparator = match["cmp"]
        found.append((_COMPARATORS.get(comparator, comparator) if comparator else None, value, match.end()))
    return found


def parse_value(text: str) -> tuple[str | None, Decimal] | None:
    """``(comparator, number)`` when ``text`` is one number and nothing else ("< 0.5", "7.2")."""
    match = _NUMBER.fullmatch(text.strip())
    if match is None:
        return None
    comparator = match["cmp"]
    return _COMPARATORS.get(comparator, comparator) if comparator else None, Decimal(
        match["num"].replace(",", "")
    )


def code_key(text: str) -> str | None:
    """An ICD-10 code without its dot, upper-case ("e11.9" -> "E119"), or ``None`` if not code-shaped."""
    candidate = text.strip().strip(_EDGE).upper()
    return candidate.replace(".", "") if _ICD10.fullmatch(candidate) else None


def mrn_key(text: str) -> str:
    """A record number compared without case, hyphens, spaces or leading zeros."""
    return re.sub(r"[\s\-]", "", text).upper().lstrip("0")
