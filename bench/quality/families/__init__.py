"""Layout families: each composes one kind of report from a seeded RNG and returns its truth.

Every family module documents which printed date is its report date (the rule a careful
reader follows for that kind of report).
"""

from __future__ import annotations

import random
from collections.abc import Callable

from bench.quality.document import Document
from bench.quality.families import (
    consult,
    discharge,
    header_grid,
    infographic,
    lab_panel,
    multipage,
    pathology,
    radiology,
)
from bench.quality.truth import Truth

Compose = Callable[[random.Random], tuple[Document, Truth]]

FAMILIES: dict[str, Compose] = {
    "lab_panel": lab_panel.compose,
    "header_grid": header_grid.compose,
    "pathology": pathology.compose,
    "radiology": radiology.compose,
    "discharge": discharge.compose,
    "consult": consult.compose,
    "multipage": multipage.compose,
    "infographic": infographic.compose,
}
