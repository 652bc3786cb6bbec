"""Small FHIR datatypes shared by the resource mappers."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

__all__ = ["fhir_date", "instant", "reference", "text_concept"]

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def fhir_date(text: str | None) -> str | None:
    """``text`` when it is a real ISO calendar date (``YYYY-MM-DD``), else ``None``.

    Parsers keep a date they could not read unambiguously as printed ("03/04/05",
    with a warning); guessing its order would put a wrong date in a record.
    """
    if text is None or not _ISO_DATE.fullmatch(text):
        return None
    try:
        date.fromisoformat(text)
    except ValueError:
        return None
    return text


def instant(moment: datetime) -> str:
    """A FHIR ``instant``: UTC, milliseconds, ``Z`` (one spelling, so bundles compare equal)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def reference(full_url: str) -> dict[str, str]:
    """A ``Reference`` to a resource in the same bundle."""
    return {"reference": full_url}


def text_concept(text: str) -> dict[str, Any]:
    """A ``CodeableConcept`` with text only: what was printed, uncoded."""
    return {"text": text}
