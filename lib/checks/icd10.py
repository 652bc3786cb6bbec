"""ICD-10-CM codes: the written form, and the official code set.

Code set
    ``simple-icd-10-cm`` 1.5.0 (MIT), whose data is the **CDC's ICD-10-CM April 2026
    release** (98,505 items: chapters, blocks, categories and subcategories, with
    the seventh-character codes the tabular list defines). Importing it parses the
    whole tabular XML: about 3-5 s and 175-200 MB of RSS. So it is loaded lazily,
    on the first lookup, once per process, under a lock; never at import time.

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

import importlib
import re
import threading
import warnings
from dataclasses import dataclass
from types import ModuleType
from typing import Final

__all__ = ["ICD10_CM_RELEASE", "CodeInfo", "lookup", "normalise_code"]

ICD10_CM_RELEASE: Final = "ICD-10-CM April 2026 (CDC), via simple-icd-10-cm 1.5.0"

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


_lock = threading.Lock()
_library: ModuleType | None = None


def _code_set() -> ModuleType:
    """The ``simple_icd_10_cm`` module, imported on first use (once per process, thread-safe)."""
    global _library
    if _library is None:
        with _lock:
            if _library is None:
                with warnings.catch_warnings():
                    # 1.5.0 reads its data with importlib.resources' legacy API, which warns on
                    # 3.11; the warning is the library's, not a fault of ours or of the data.
                    warnings.filterwarnings(
                        "ignore", message=r"(?:read|open)_text is deprecated", category=DeprecationWarning
                    )
                    _library = importlib.import_module("simple_icd_10_cm")
    return _library


def lookup(code: str) -> CodeInfo | None:
    """The code set's entry for a normalised code, or ``None`` when ICD-10-CM has no such code.

    Chapters and blocks (``12``, ``A00-A09``) are not codes a diagnosis carries and
    give ``None``; :func:`normalise_code` never produces them anyway.
    """
    library = _code_set()
    if not library.is_category_or_subcategory(code):
        return None
    return CodeInfo(description=str(library.get_description(code)), billable=bool(library.is_leaf(code)))
