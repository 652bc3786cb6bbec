"""How much work one report may cost, and the clock that enforces it.

Report PDFs are hostile input: a page can hold millions of drawing operations and a
file can claim thousands of pages. The engine checks these bounds cooperatively (the
whole parse also runs in a killable child process, which is the hard stop).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from lib.domain.errors import PdfTooComplex


@dataclass(frozen=True)
class ReadLimits:
    """Bounds for reading one report (all of its files together).

    ``max_pages``: pages over all files; checked before any page is parsed.
    ``time_budget_seconds``: wall-clock time for the whole report, OCR included.
    ``max_page_content_bytes``: decoded content streams (and the form XObjects they
    draw) of one page; a page over it is refused before it is interpreted.
    ``max_page_objects``: characters, paths and images the interpreter may produce
    for one page; repeated form XObjects can multiply a small content stream.
    """

    max_pages: int = 300
    time_budget_seconds: float = 120.0
    max_page_content_bytes: int = 8 * 1024 * 1024
    max_page_objects: int = 200_000


class Deadline:
    """The moment a report's time budget runs out; :meth:`check` raises once it has."""

    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self.at = clock() + seconds

    def expired(self) -> bool:
        """True once the budget is spent."""
        return self._clock() >= self.at

    def check(self) -> None:
        """Raise :class:`PdfTooComplex` (``pdf_too_complex``) if the budget is spent."""
        if self.expired():
            raise PdfTooComplex("time")
