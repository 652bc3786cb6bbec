"""ICD-10-CM codes: the written form, and the official code set.

Code set
    The **CDC's ICD-10-CM April 2026 release** (98,225 categories and subcategories,
    with the seventh-character codes the tabular list defines), as the table
    ``data/icd10cm-2026.tsv.gz`` that ``python -m tools.icd10_table`` derives from
    ``simple-icd-10-cm`` 1.5.0 (MIT). Reading the table takes about 0.1 s and 30 MB;
    importing the library would parse the whole tabular XML (about 3 s and 200 MB in
    every parse process), so the library is a development tool only. The table is
    read lazily, on the first lookup, once per process, under a lock.

Form
    A code is read liberally: case, spaces, a missing or misplaced dot, an
    ``ICD-10(-CM)`` label and surrounding brackets do not matter (``e11.9``,
    ``E119``, ``[E11.9]``, ``ICD-10: E11.9`` → ``E11.9``). Its shape is a letter, a
    digit, a letter or digit, then up to four letters or digits after the dot.
    Nothing is guessed beyond that: ``0`` is not read as ``O``, nor ``I`` as ``1``.

Billable
    A code is billable when it is a leaf of the tabular list (it has no more specific
    code below it); a category or subcategory with children is valid but not billable.
"""

from __future__ import annotations

import gzip
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["ICD10_CM_RELEASE", "TABLE_PATH", "CodeInfo", "lookup", "normalise_code"]

ICD10_CM_RELEASE: Final = "ICD-10-CM April 2026 (CDC), derived from simple-icd-10-cm 1.5.0"

_LABEL = re.compile(r"^(?:ICD[-\s]?10(?:[-\s]?CM)?(?:\s*CODE)?)\s*[:=#-]?\s*", re.IGNORECASE)
_SHAPE = re.compile(r"(?P<category>[A-Z][0-9][0-9A-Z])\.?(?P<rest>[0-9A-Z]{1,4})?")


def normalise_code(text: str) -> str | None:
    """The code in its dotted upper-case form (``e119`` → ``E11.9``), or ``None`` if ``text`` is no code."""
    written = _LABEL.sub("", text.strip()).strip().strip("()[]{}").strip().rstrip(".,;:")
    match = _SHAPE.fullmatch(re.sub(r"\s+", "", written).upper())
    if match is None:
        return None
    rest = match["rest"]
    return f"{match['category']}.{rest}" if rest else match["category"]


@dataclass(frozen=True)
class CodeInfo:
    """What the code set says of a code: its official description and whether it is billable."""

    description: str
    billable: bool


TABLE_PATH: Final = Path(__file__).resolve().parent / "data" / "icd10cm-2026.tsv.gz"

_lock = threading.Lock()
_table: dict[str, tuple[str, str]] | None = None


def _code_set() -> dict[str, tuple[str, str]]:
    """Every category and subcategory: code -> (billable flag, description); read once per process."""
    global _table
    if _table is None:
        with _lock:
            if _table is None:
                lines = gzip.decompress(TABLE_PATH.read_bytes()).decode().splitlines()
                _table = {
                    code: (billable, text) for code, billable, text in (line.split("\t", 2) for line in lines)
                }
    return _table


def lookup(code: str) -> CodeInfo | None:
    """The code set's entry for a normalised code, or ``None`` when ICD-10-CM has no such code.

    Chapters and blocks (``12``, ``A00-A09``) are not codes a diagnosis carries and
    give ``None``; :func:`normalise_code` never produces them anyway.
    """
    entry = _code_set().get(code)
    return None if entry is None else CodeInfo(description=entry[1], billable=entry[0] == "1")
