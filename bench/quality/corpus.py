"""What the corpus holds: families x generators x seeds, the held-out choices, and :func:`build`.

Held out of all tuning, and reported separately (the honest columns):

* the layout family :data:`HELD_OUT_FAMILY` (consult notes with inline vitals), and
* the generator :data:`HELD_OUT_GENERATOR` (HTML printed by Chromium, which lays text
  out the way browser-based hospital systems do).

Every report is generated from its own seed string ``family/generator/seed``, so no two
reports share content and the held-out ones share none with the tuning ones.
"""

from __future__ import annotations

import io
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pypdfium2 as pdfium

from bench.quality.document import Document
from bench.quality.families import FAMILIES
from bench.quality.render import chromium_backend, fpdf_backend, reportlab_backend

HELD_OUT_FAMILY = "consult"
HELD_OUT_GENERATOR = "chromium"

GENERATORS: dict[str, Callable[[Document], bytes]] = {
    "fpdf2": fpdf_backend.render,
    "reportlab": reportlab_backend.render,
    "chromium": chromium_backend.render,
}
# Reports per family and generator: 8 x (13 + 13 + 6) = 256 text reports.
REPORTS_PER_FAMILY = {"fpdf2": 13, "reportlab": 13, "chromium": 6}
# Seeds 0, 5, 10 of every family and generator also get a scanned twin (64 scans).
SCAN_EVERY = 5


@dataclass(frozen=True)
class Entry:
    """One planned report."""

    family: str
    generator: str
    seed: int

    @property
    def id(self) -> str:
        return f"{self.family}-{self.generator}-{self.seed:02d}"

    @property
    def scanned_twin(self) -> bool:
        return self.seed % SCAN_EVERY == 0

    @property
    def held_out(self) -> bool:
        return self.family == HELD_OUT_FAMILY or self.generator == HELD_OUT_GENERATOR


def plan(generators: tuple[str, ...] = tuple(GENERATORS)) -> list[Entry]:
    """Every report of the corpus made with ``generators``, family by family."""
    return [
        Entry(family, generator, seed)
        for family in FAMILIES
        for generator in generators
        for seed in range(REPORTS_PER_FAMILY[generator])
    ]


def page_count(pdf: bytes) -> int:
    """How many pages ``pdf`` has."""
    document = pdfium.PdfDocument(io.BytesIO(pdf))
    try:
        return len(document)
    finally:
        document.close()


def build(family: str, generator: str, seed: int) -> tuple[bytes, dict[str, Any]]:
    """One report of ``family`` rendered by ``generator``: its PDF bytes and its truth JSON.

    Deterministic for a given (family, generator, seed). ``generator`` "chromium" needs
    the Chromium binary; "fpdf2" and "reportlab" run anywhere.
    """
    rng = random.Random(f"{family}/{generator}/{seed}")  # noqa: S311 - a reproducible corpus, not secrets
    document, truth = FAMILIES[family](rng)
    pdf = GENERATORS[generator](document)
    return pdf, truth.to_json(generator=generator, pages=page_count(pdf))
