"""Report results summed over slices of the corpus: tuning, held-out family/generator, scans, families."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from bench.quality.scoring.metrics import FIELDS, Counts, ReportResult

TUNING = "tuning"
HELD_OUT_FAMILY = "held-out family"
HELD_OUT_GENERATOR = "held-out generator"
HELD_OUT_BOTH = "held-out both"
HELD_OUT_ALL = "all held-out"


@dataclass(frozen=True)
class Summary:
    """Totals over a set of reports."""

    reports: int
    counts: dict[str, Counts]
    negated_as_diagnosis: int
    ambiguous_kept: int
    ambiguous_dates: int
    failures: dict[str, int]


def summarise(results: Iterable[ReportResult]) -> Summary:
    """Sum the counts of ``results``."""
    counts = {name: Counts() for name in FIELDS}
    reports = negated = kept = ambiguous = 0
    failures: dict[str, int] = {}
    for result in results:
        reports += 1
        for name in FIELDS:
            counts[name] += result.counts[name]
        negated += len(result.negated_as_diagnosis)
        kept += result.ambiguous_kept
        ambiguous += result.ambiguous_dates
        if result.error:
            failures[result.error] = failures.get(result.error, 0) + 1
    return Summary(reports, counts, negated, kept, ambiguous, failures)


def held_out_group(result: ReportResult, family: str, generator: str) -> str:
    """Which column a report belongs to."""
    own_family, own_generator = result.family == family, result.generator == generator
    if own_family and own_generator:
        return HELD_OUT_BOTH
    if own_family:
        return HELD_OUT_FAMILY
    if own_generator:
        return HELD_OUT_GENERATOR
    return TUNING


def columns(results: list[ReportResult], family: str, generator: str) -> dict[str, Summary]:
    """Text reports by held-out group, plus every held-out report together (the honest number)."""
    text = [result for result in results if not result.scanned]
    groups = {
        name: [result for result in text if held_out_group(result, family, generator) == name]
        for name in (TUNING, HELD_OUT_FAMILY, HELD_OUT_GENERATOR, HELD_OUT_BOTH)
    }
    groups[HELD_OUT_ALL] = [result for result in text if held_out_group(result, family, generator) != TUNING]
    return {name: summarise(group) for name, group in groups.items()}


def scan_pairs(
    results: list[ReportResult], family: str, generator: str
) -> dict[str, tuple[Summary, Summary]]:
    """(text twins, scans) for the tuning and the held-out scans."""
    by_id = {result.id: result for result in results}
    pairs: dict[str, tuple[list[ReportResult], list[ReportResult]]] = {
        TUNING: ([], []),
        HELD_OUT_ALL: ([], []),
    }
    for result in results:
        if result.scanned and result.twin_of in by_id:
            twin = by_id[result.twin_of]
            group = TUNING if held_out_group(twin, family, generator) == TUNING else HELD_OUT_ALL
            pairs[group][0].append(twin)
            pairs[group][1].append(result)
    return {name: (summarise(text), summarise(scans)) for name, (text, scans) in pairs.items()}


def by(results: list[ReportResult], key: str) -> dict[str, Summary]:
    """Text reports grouped by ``key`` ("family" or "generator")."""
    groups: dict[str, list[ReportResult]] = {}
    for result in results:
        if not result.scanned:
            groups.setdefault(getattr(result, key), []).append(result)
    return {name: summarise(group) for name, group in groups.items()}


def ms_per_page(results: Iterable[ReportResult]) -> tuple[float, float] | None:
    """(p50, p95) of parse milliseconds per page."""
    values = sorted(1000 * result.seconds / max(result.pages, 1) for result in results)
    if not values:
        return None
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=20, method="inclusive")[18]
