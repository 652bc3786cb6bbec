"""What a parser says about where it read a fact, before anyone has checked it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """A parser's own statement of where a fact is: a 1-based page and the words it read there.

    Either may be ``None``. A claim is a hint for where to look first, never
    evidence: models invent quotes and pages as readily as values.
    """

    page: int | None = None
    quote: str | None = None
