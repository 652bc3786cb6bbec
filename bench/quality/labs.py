"""Lab results: values drawn around reference ranges, printed the way vendors print them.

One report uses one flag vocabulary (:data:`FLAG_STYLES`), one placement (own column or
after the value) and one column order, as one laboratory system would. The truth flag is
what is printed: ``"*"`` is ``abnormal``, ``HH``/``LL``/double arrows are ``critical``, and
a value that is only bold has no flag.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from bench.quality.catalog import LAB_PANELS, LabSpec
from bench.quality.document import Cell, DrawOrder, Row, Table, TableStyle
from bench.quality.truth import LabTruth

FLAG_STYLES = ("letter", "word", "star", "arrow", "plus_word", "bold_only")

# state -> (printed flag, truth flag) per style
_FLAGS: dict[str, dict[str, tuple[str, str | None]]] = {
    "letter": {"high": ("H", "high"), "low": ("L", "low"), "critical_high": ("HH", "critical"),
               "critical_low": ("LL", "critical"), "abnormal": ("A", "abnormal")},
    "word": {"high": ("High", "high"), "low": ("Low", "low"), "critical_high": ("Critical", "critical"),
             "critical_low": ("Critical", "critical"), "abnormal": ("Abnormal", "abnormal")},
    "star": {state: ("*", "abnormal") for state in ("high", "low", "critical_high", "critical_low", "abnormal")},
    "arrow": {"high": ("↑", "high"), "low": ("↓", "low"), "critical_high": ("↑↑", "critical"),
              "critical_low": ("↓↓", "critical"), "abnormal": ("A", "abnormal")},
    "plus_word": {"high": ("+ HIGH", "high"), "low": ("- LOW", "low"), "critical_high": ("+ CRITICAL", "critical"),
                  "critical_low": ("- CRITICAL", "critical"), "abnormal": ("+ ABNORMAL", "abnormal")},
    "bold_only": {state: ("", None) for state in ("high", "low", "critical_high", "critical_low", "abnormal")},
}  # fmt: skip

COLUMN_ORDERS = (
    ("test", "result", "flag", "units", "range"),
    ("test", "result", "units", "range"),
    ("test", "range", "result", "units"),
    ("test", "flag", "result", "units", "range"),
    ("test", "result", "range", "units", "flag"),
)
_HEADERS = {
    "test": ("Test", "Test Name", "TEST", "Analyte", "Component", "Investigation"),
    "result": ("Result", "Value", "Your Value", "RESULT", "Observed Value"),
    "flag": ("Flag", "H/L", "Abnormal Flag", "FLAG"),
    "units": ("Units", "Unit", "UNITS"),
    "range": (
        "Reference Range",
        "Ref. Range",
        "Normal Range",
        "Reference Interval",
        "Biological Ref. Interval",
    ),
    "previous": ("Previous", "Prior Result", "Last Value"),
}
_WIDTHS = {"test": 0.33, "result": 0.14, "flag": 0.1, "units": 0.17, "range": 0.22, "previous": 0.12}


@dataclass(frozen=True)
class LabLine:
    """One result as printed (before flag placement) and its state."""

    test: str
    value: str
    unit: str
    range_text: str
    state: str  # normal | high | low | critical_high | critical_low | abnormal
    previous: str  # an earlier result of the same test, printed only by cumulative reports


def _number(spec: LabSpec, value: float) -> str:
    return f"{value:.{spec.decimals}f}"


def _range_text(rng: random.Random, spec: LabSpec) -> str:
    if spec.results:
        return rng.choice(("Negative", "NEGATIVE", "Neg"))
    if spec.low is not None and spec.high is not None:
        sep = rng.choice(("-", " - ", "\u2013"))  # hyphen, spaced hyphen, en dash
        return f"{_number(spec, spec.low)}{sep}{_number(spec, spec.high)}"
    if spec.high is not None:
        return rng.choice(("<", "< ")) + _number(spec, spec.high)
    assert spec.low is not None
    return rng.choice((">", ">= ", "≥")) + _number(spec, spec.low)


def _draw_value(rng: random.Random, spec: LabSpec) -> tuple[str, str]:
    """A (value, state) pair: mostly normal, sometimes out of range or critical."""
    if spec.results:
        if rng.random() < 0.72:
            return spec.results[0], "normal"
        return rng.choice(spec.results[1:]), "abnormal"
    roll = rng.random()
    if spec.below and roll < 0.25:
        return spec.below, "normal"
    if spec.critical_high is not None and roll > 0.96:
        return _number(spec, spec.critical_high * rng.uniform(1.05, 1.3)), "critical_high"
    if spec.critical_low is not None and roll > 0.96:
        return _number(spec, spec.critical_low * rng.uniform(0.6, 0.9)), "critical_low"
    low, high = spec.low, spec.high
    if roll > 0.8 and high is not None:
        ceiling = spec.critical_high * 0.95 if spec.critical_high else high * 1.5
        return _number(spec, rng.uniform(high * 1.08, max(ceiling, high * 1.1))), "high"
    if roll > 0.66 and low is not None:
        floor = spec.critical_low * 1.1 if spec.critical_low else low * 0.6
        return _number(spec, rng.uniform(min(floor, low * 0.9), low * 0.92)), "low"
    if low is None and high is not None:
        return _number(spec, rng.uniform(high * 0.4, high * 0.92)), "normal"
    if high is None and low is not None:
        if spec.decimals == 0 and rng.random() < 0.4:
            return f">{round(low * 1.5)}", "normal"
        return _number(spec, rng.uniform(low * 1.08, low * 2.2)), "normal"
    assert low is not None
    assert high is not None
    margin = (high - low) * 0.05
    return _number(spec, rng.uniform(low + margin, high - margin)), "normal"


def draw_panel(rng: random.Random, panel: str, count: int | None = None) -> list[LabLine]:
    """Results for ``count`` tests (default: all) of ``panel``, in panel order."""
    specs = LAB_PANELS[panel]
    chosen = sorted(rng.sample(range(len(specs)), min(count or len(specs), len(specs))))
    lines = []
    for index in chosen:
        spec = specs[index]
        value, state = _draw_value(rng, spec)
        previous, _ = _draw_value(rng, spec)
        unit, range_text = rng.choice(spec.units), _range_text(rng, spec)
        lines.append(LabLine(rng.choice(spec.names), value, unit, range_text, state, previous))
    return lines


def draw_panels(rng: random.Random, count: int) -> dict[str, list[LabLine]]:
    """``count`` panels, each with most of its tests."""
    names = rng.sample(sorted(LAB_PANELS), count)
    sizes = {name: len(LAB_PANELS[name]) for name in names}
    return {name: draw_panel(rng, name, rng.randint(min(3, sizes[name]), sizes[name])) for name in names}


@dataclass(frozen=True)
class LabStyle:
    """How one report prints its results."""

    flags: str
    suffix: bool  # flag printed after the value instead of in its own column
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    bold_abnormal: bool


def pick_style(rng: random.Random, flags: str | None = None, *, cumulative: bool = False) -> LabStyle:
    """A vendor's way of printing results; a ``cumulative`` report adds the previous result after the current one."""
    flags = flags or rng.choice(FLAG_STYLES)
    columns: tuple[str, ...] = rng.choice(COLUMN_ORDERS)
    if cumulative:
        after = columns.index("result") + (columns[columns.index("result") + 1 :][:1] == ("flag",))
        columns = (*columns[: after + 1], "previous", *columns[after + 1 :])
    suffix = "flag" not in columns
    if flags == "bold_only":
        columns, suffix = tuple(c for c in columns if c != "flag"), False
    headers = tuple(rng.choice(_HEADERS[c]) for c in columns)
    return LabStyle(flags, suffix, columns, headers, flags == "bold_only" or rng.random() < 0.4)


def printed(line: LabLine, style: LabStyle) -> tuple[dict[str, Cell], LabTruth]:
    """The cells of ``line`` under ``style``, keyed by column, and its truth."""
    flag_text, flag = ("", None) if line.state == "normal" else _FLAGS[style.flags][line.state]
    bold = style.bold_abnormal and line.state != "normal"
    value_text = line.value
    if style.suffix and flag_text:
        value_text += flag_text if flag_text == "*" else f" {flag_text}"
    cells = {
        "test": Cell(line.test),
        "result": Cell(value_text, bold=bold),
        "flag": Cell(flag_text, bold=bold),
        "units": Cell(line.unit),
        "range": Cell(line.range_text),
        "previous": Cell(line.previous),
    }
    truth = LabTruth(line.test, line.value, line.unit or None, line.range_text, flag)
    return cells, truth


_PROSE_FLAGS = {
    "high": ("(H)", "high"),
    "low": ("(L)", "low"),
    "critical_high": ("(critical)", "critical"),
    "critical_low": ("(critical)", "critical"),
    "abnormal": ("(abnormal)", "abnormal"),
}


def in_prose(lines: list[LabLine]) -> tuple[str, list[LabTruth]]:
    """Results written into a sentence, as clinicians do: "HbA1c 7.8 % (H), creatinine 1.02 mg/dL"."""
    parts, truths = [], []
    for line in lines:
        flag_text, flag = _PROSE_FLAGS.get(line.state, ("", None))
        test = line.test.split(",")[0]  # "Sodium, Serum" would read as two items of the list
        parts.append(" ".join(part for part in (test, line.value, line.unit, flag_text) if part))
        truths.append(LabTruth(test, line.value, line.unit or None, None, flag))
    return ", ".join(parts) + ".", truths


def lab_table(
    rng: random.Random,
    panels: dict[str, list[LabLine]],
    style: LabStyle,
    *,
    table_style: TableStyle | None = None,
    order: DrawOrder | None = None,
    subheadings: bool | None = None,
    caption: str | None = None,
) -> tuple[Table, list[LabTruth]]:
    """One table holding every panel, with panel sub-headings when there are several."""
    with_headings = len(panels) > 1 if subheadings is None else subheadings
    rows: list[Row] = []
    truths: list[LabTruth] = []
    for panel, lines in panels.items():
        if with_headings:
            rows.append(Row((Cell(panel, bold=True),), heading=True))
        for line in lines:
            cells, truth = printed(line, style)
            rows.append(Row(tuple(cells[c] for c in style.columns)))
            truths.append(truth)
    widths = tuple(_WIDTHS[c] for c in style.columns)
    total = sum(widths)
    table = Table(
        header=style.headers,
        rows=tuple(rows),
        widths=tuple(w / total for w in widths),
        style=table_style or rng.choice(tuple(TableStyle)),
        order=order or rng.choice((DrawOrder.ROWS, DrawOrder.ROWS, DrawOrder.COLUMNS, DrawOrder.REVERSED)),
        caption=caption,
    )
    return table, truths
