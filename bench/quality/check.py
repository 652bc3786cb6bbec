"""A guard on the truth: every string it records must be printed in the PDF's text layer."""

from __future__ import annotations

import unicodedata
from typing import Any

import pypdfium2 as pdfium


def _squash(text: str) -> str:
    # Line breaks may fall anywhere (reportlab wraps "CAVENDISH-ROE" at the hyphen), so spaces are dropped.
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def _strings(truth: dict[str, Any]) -> list[str]:
    patient = truth["patient"]
    strings = [patient["name"], patient["mrn"]]
    strings += [
        date["as_written"]
        for date in (patient["date_of_birth"], truth["report_date"])
        if isinstance(date, dict)
    ]
    for lab in truth["lab_results"]:
        strings += [lab["test"], lab["value"], lab["unit"] or ""]
    for medication in truth["medications"]:
        strings += [medication["name"], medication["dose"] or ""]
    for diagnosis in truth["diagnosis"]:
        strings += [diagnosis["description"], diagnosis["code"] or ""]
    return [text for text in strings + truth["negated_mentions"] if text]


def unprinted(pdf: bytes, truth: dict[str, Any]) -> list[str]:
    """The truth strings that do not occur in ``pdf``'s text (an empty list when the truth is sound)."""
    document = pdfium.PdfDocument(pdf)
    try:
        text = _squash(" ".join(page.get_textpage().get_text_range() for page in document))
    finally:
        document.close()
    return [string for string in _strings(truth) if _squash(string) not in text]
