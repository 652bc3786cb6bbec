"""One module per scenario; each ``run(stack, plan)`` starts the hosts it needs and returns a :class:`Result`."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench.measure import Figure


@dataclass
class Result:
    """What a scenario measured: its figures (with goals) and lines of detail for the report."""

    scenario: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, figure: Figure) -> Figure:
        self.figures.append(figure)
        return figure
