"""Person names as printed in a report header, to "First Middle Last Suffix".

* "NOVAK, CHIARA" → "Chiara Novak"; "NOVAK JR, JOHN" and "NOVAK, JOHN JR" →
  "John Novak Jr."; the comma is what marks "Last, First".
* Case is changed only when the name is printed all in capitals: "MCDONALD" →
  "McDonald", "O'BRIEN" → "O'Brien", "SMITH-JONES" → "Smith-Jones", "DE LA CRUZ"
  after a first name → "de la Cruz". A name printed in mixed case is kept as is
  ("deSouza", "MacLeod"), because its writer knew better than a rule.
* Titles (Mr, Mrs, Ms, Miss, Mx, Dr, Prof) are dropped; generational suffixes
  (Jr., Sr., II, III, IV) are kept at the end.
* The value is cut where the next label starts ("NOVAK, CHIARA MR#: A817888-96").
* A value with a word of a report's headings ("Information", "Physician", "Report")
  is not a name: it is a heading read as one.
"""

from __future__ import annotations

import re

from lib.extraction.identity import cut_at_next_label

__all__ = ["clean_name"]

_TITLE = re.compile(r"^(?:(?:mr|mrs|ms|miss|mx|dr|prof|master)\b\.?\s*)+", re.IGNORECASE)
# No "V": after a comma it is far more often a middle initial than "the fifth".
_SUFFIXES = {"jr": "Jr.", "sr": "Sr.", "ii": "II", "iii": "III", "iv": "IV"}
# Lower-case name particles, when they are not the first word of the name.
_PARTICLES = {"van", "von", "der", "den", "de", "da", "di", "del", "della", "la", "le", "du", "dos", "das"}
_NAME_CHARS = re.compile(r"[^\W\d_][\w'\u2019.\-]*")
# Words of a report's headings and labels, never of a person's name: a value made of
# them is a heading read as a name ("PATIENT INFORMATION", "ORDERING PHYSICIAN").
_REPORT_WORDS = frozenset({
    "information", "details", "demographics", "data", "ordering", "ordered", "physician", "provider",
    "doctor", "report", "results", "result", "summary", "laboratory", "lab", "department", "clinic",
    "hospital", "specimen", "collected", "received", "reported", "status", "final", "preliminary", "date",
    "time", "record", "number", "address", "phone", "insurance", "account", "visit",
})  # fmt: skip


def _suffix(word: str) -> str | None:
    return _SUFFIXES.get(word.lower().rstrip("."))


def _title_case_word(word: str, first: bool) -> str:
    lower = word.lower()
    if not first and lower in _PARTICLES:
        return lower
    parts = re.split(r"([\-'\u2019])", lower)
    cased = []
    for part in parts:
        if part.startswith("mc") and len(part) > 2:
            cased.append("Mc" + part[2:].capitalize())
        else:
            cased.append(part.capitalize())
    return "".join(cased)


def clean_name(value: str) -> str | None:
    """A patient's name in reading order and sane case, or ``None`` when ``value`` is not a name.

    A value with digits, or without letters, is not a name. See the module docstring for the rules.
    """
    text = cut_at_next_label(value)
    # A trailing dot is kept after an initial ("Chiara M.") and dropped after a word.
    text = re.sub(r"(?<=\w\w)\.$", "", re.sub(r"\s+", " ", text).strip(" ,;:|-"))
    text = _TITLE.sub("", text)
    if not text or re.search(r"\d", text):
        return None
    suffixes: list[str] = []
    if "," in text:
        last, _, rest = text.partition(",")
        last_words = last.split()
        while len(last_words) > 1 and (suffix := _suffix(last_words[-1])):
            suffixes.insert(0, suffix)
            last_words.pop()
        rest_words = [word for word in rest.replace(",", " ").split() if not _TITLE.fullmatch(word)]
        while len(rest_words) > 1 and (suffix := _suffix(rest_words[-1])):
            suffixes.insert(0, suffix)
            rest_words.pop()
        words = rest_words + last_words
    else:
        words = text.split()
        while len(words) > 1 and (suffix := _suffix(words[-1])):
            suffixes.insert(0, suffix)
            words.pop()
    if not words or not all(_NAME_CHARS.fullmatch(word) for word in words):
        return None
    if any(word.lower().strip(".") in _REPORT_WORDS for word in words):
        return None
    letters = "".join(char for char in "".join(words) if char.isalpha())
    if letters.isupper() and len(letters) > 1:
        words = [_title_case_word(word, index == 0) for index, word in enumerate(words)]
    return " ".join([*words, *suffixes])
