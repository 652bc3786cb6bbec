"""The results table (terminal) and ``RESULTS.md``."""

from __future__ import annotations

from collections.abc import Sequence

from bench.measure import Figure, format_number
from bench.scenarios import Result


def _met(figure: Figure) -> str:
    met = figure.met
    return "" if met is None else ("yes" if met else "NO")


def _ratio(figure: Figure) -> str:
    ratio = figure.ratio
    return "" if ratio is None else f"{ratio:.2f}"


def rows(figures: Sequence[Figure]) -> list[tuple[str, str, str, str, str]]:
    return [
        (
            figure.label,
            f"{format_number(figure.value)} {figure.unit}".strip(),
            figure.goal_text() + (f" ({figure.note})" if figure.note else ""),
            _ratio(figure),
            _met(figure),
        )
        for figure in figures
    ]


HEADER = ("figure", "value", "goal", "value/goal", "met")


def table(figures: Sequence[Figure]) -> str:
    """A plain-text table for the terminal."""
    body = rows(figures)
    widths = [max(len(row[i]) for row in [HEADER, *body]) for i in range(len(HEADER))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in [HEADER, *body]
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(figures: Sequence[Figure]) -> list[str]:
    lines = ["| " + " | ".join(HEADER) + " |", "|---|---:|---|---:|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows(figures)]
    return lines


def worst(figures: Sequence[Figure]) -> Figure | None:
    """The figure furthest from its goal (missed goals first)."""
    scored = [figure for figure in figures if figure.goal is not None]
    return max(scored, key=lambda figure: figure.shortfall, default=None)


def results_markdown(
    *,
    plan_name: str,
    command: str,
    environment: dict[str, str],
    results: Sequence[Result],
    notes: Sequence[str],
    profile: Sequence[str],
    total_seconds: float,
) -> str:
    figures = [figure for result in results for figure in result.figures]
    lines = [
        "# Benchmark results",
        "",
        f"Written by `{command}` ({plan_name} run, {total_seconds / 60:.1f} min). Regenerate with "
        "`./scripts/bench`; `./scripts/bench --quick` is a smoke run that writes its results "
        "next to its logs instead of here. The machine is small and shared: read figures as "
        "orders of magnitude and ratios, not as exact values.",
        "",
        "## Machine and versions",
        "",
        "| | |",
        "|---|---|",
    ]
    lines += [f"| {name} | {value} |" for name, value in environment.items()]
    lines += [
        "",
        "## Figures",
        "",
        "`value/goal` is value divided by goal: below 1 meets an upper bound (`<`, `<=`), at or "
        "above 1 meets a lower bound (`>=`). Figures without a goal are context.",
        "",
        *markdown_table(figures),
        "",
        "## Details per scenario",
    ]
    for result in results:
        lines += ["", f"### {result.title}", "", f"({result.seconds:.0f} s)", ""]
        lines += [f"- {detail}" for detail in result.details if detail]
    if notes:
        lines += ["", "## Goals missed, and what would close them", ""]
        lines += list(notes)
    if profile:
        lines += ["", "## Profiles", "", *profile]
    return "\n".join(lines) + "\n"
