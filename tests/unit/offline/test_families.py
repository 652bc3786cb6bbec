"""One report of every tuning layout family, per in-process generator: the parse equals the truth.

The held-out family and generator are never built here (``bench.quality.corpus``).
Equality is the quality scorer's: every scored field of the truth found, nothing
else reported, and no negated mention reported as a diagnosis.
"""

from __future__ import annotations

import pytest

from bench.quality.corpus import HELD_OUT_FAMILY, HELD_OUT_GENERATOR, build
from bench.quality.families import FAMILIES
from bench.quality.scoring.metrics import ReportResult, score
from lib.adapters.local_parser import LocalReportParser
from lib.domain.parsing import ParseRequest

TUNING_FAMILIES = sorted(family for family in FAMILIES if family != HELD_OUT_FAMILY)
GENERATORS = [generator for generator in ("fpdf2", "reportlab") if generator != HELD_OUT_GENERATOR]
SEED = 3


@pytest.mark.parametrize("generator", GENERATORS)
@pytest.mark.parametrize("family", TUNING_FAMILIES)
def test_a_report_of_each_family_parses_to_its_truth(family: str, generator: str) -> None:
    assert HELD_OUT_FAMILY not in family and generator != HELD_OUT_GENERATOR
    pdf, truth = build(family, generator, SEED)

    report = LocalReportParser().parse(ParseRequest(documents=[pdf])).report
    result = score(truth, report, ReportResult(f"{family}-{generator}", family, generator, False, None, 1))

    wrong = {name: vars(counts) for name, counts in result.counts.items() if counts.fp or counts.fn}
    assert wrong == {}, (result.missed, result.extra)
    assert result.negated_as_diagnosis == []
