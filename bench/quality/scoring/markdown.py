"""``bench/QUALITY.md``: the tables, with the held-out (honest) columns beside the tuning one."""

from __future__ import annotations

from dataclasses import dataclass

from bench.quality.scoring import aggregate
from bench.quality.scoring.aggregate import Summary
from bench.quality.scoring.metrics import Counts
from bench.quality.scoring.trust import Audit

# (field, label, target %, which figure the target applies to)
ROWS: tuple[tuple[str, str, float | None, str], ...] = (
    ("name", "Patient name", 97, "both"),
    ("dob", "Date of birth", 97, "both"),
    ("mrn", "MRN", 97, "both"),
    ("sex", "Sex", None, "both"),
    ("report_date", "Report date", 95, "both"),
    ("report_type", "Report type (loose)", None, "both"),
    ("lab_test_value_flag", "Lab test + value + flag", 95, "both"),
    ("lab_test_value", "Lab test + value", None, "both"),
    ("medication", "Medication name + dose", 95, "both"),
    ("diagnosis", "Diagnoses", 90, "recall"),
)
KEY_FIELDS = ("name", "dob", "mrn", "report_date", "lab_test_value_flag", "medication", "diagnosis")
SCAN_TOLERANCE_POINTS = 5.0


@dataclass(frozen=True)
class RunInfo:
    """What the figures were measured on."""

    date: str
    machine: str
    parser: str
    corpus: str
    held_out_family: str
    held_out_generator: str
    timing: str
    notes: tuple[str, ...]


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}"


def _cell(counts: Counts) -> str:
    if counts.tp + counts.fn + counts.fp == 0:
        return "-"
    return f"{_pct(counts.recall)} / {_pct(counts.precision)}"


def _meets(counts: Counts, target: float, which: str) -> bool:
    figures = [counts.recall] if which == "recall" else [counts.recall, counts.precision]
    return all(value is not None and 100 * value >= target for value in figures)


def _main_table(columns: dict[str, Summary]) -> list[str]:
    names = list(columns)
    lines = [
        "| Field | Target | "
        + " | ".join(f"{name} (n={columns[name].reports})" for name in names)
        + " | Honest column meets target |",
        "|---|---|" + "---|" * len(names) + "---|",
    ]
    honest = columns.get(aggregate.HELD_OUT_ALL)
    for field, label, target, which in ROWS:
        goal = "-" if target is None else (f"R ≥ {target:g}" if which == "recall" else f"≥ {target:g}")
        verdict = "-"
        if target is not None and honest and honest.reports:
            verdict = "yes" if _meets(honest.counts[field], target, which) else "**no**"
        cells = " | ".join(_cell(columns[name].counts[field]) for name in names)
        lines.append(f"| {label} | {goal} | {cells} | {verdict} |")
    negated = " | ".join(str(columns[name].negated_as_diagnosis) for name in names)
    verdict = (
        "-" if not honest or not honest.reports else "yes" if honest.negated_as_diagnosis == 0 else "**no**"
    )
    lines.append(f"| Negated findings reported as diagnoses (count) | 0 | {negated} | {verdict} |")
    kept = " | ".join(f"{columns[name].ambiguous_kept}/{columns[name].ambiguous_dates}" for name in names)
    lines.append(f"| Ambiguous dates kept as written | all | {kept} | - |")
    failures = " | ".join(_failures(columns[name]) for name in names)
    lines.append(f"| Parse failures | - | {failures} | - |")
    return lines


def _failures(summary: Summary) -> str:
    if not summary.failures:
        return "0"
    return ", ".join(f"{count} {code}" for code, count in sorted(summary.failures.items()))


def _f1(counts: Counts) -> str:
    return _pct(counts.f1) if counts.tp + counts.fp + counts.fn else "-"


def _scan_table(pairs: dict[str, tuple[Summary, Summary]]) -> list[str]:
    pairs = {name: pair for name, pair in pairs.items() if pair[1].reports}
    if not pairs:
        return ["No scanned twins in this run."]
    header = "| Field (F1) |"
    rule = "|---|"
    for name, (text, scans) in pairs.items():
        header += f" {name}: text twins (n={text.reports}) | scans (n={scans.reports}) | Δ points |"
        rule += "---|---|---|"
    lines = [header, rule]
    for field, label, _, _ in ROWS:
        row = f"| {label} |"
        for text, scans in pairs.values():
            a, b = text.counts[field].f1, scans.counts[field].f1
            delta = "-" if a is None or b is None else f"{100 * (b - a):+.1f}"
            if a is not None and b is not None and 100 * (a - b) > SCAN_TOLERANCE_POINTS:
                delta = f"**{delta}**"
            row += f" {_f1(text.counts[field])} | {_f1(scans.counts[field])} | {delta} |"
        lines.append(row)
    lines.append(
        "| Parse failures |"
        + "".join(f" {_failures(text)} | {_failures(scans)} | - |" for text, scans in pairs.values())
    )
    return lines


def _grouped_table(groups: dict[str, Summary], title: str) -> list[str]:
    names = sorted(groups)
    lines = [
        "| Field (F1) | " + " | ".join(f"{name} (n={groups[name].reports})" for name in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for field, label, _, _ in ROWS:
        if field in KEY_FIELDS:
            lines.append(
                f"| {label} | " + " | ".join(_f1(groups[name].counts[field]) for name in names) + " |"
            )
    negated = " | ".join(str(groups[name].negated_as_diagnosis) for name in names)
    lines.append(f"| Negated as diagnoses | {negated} |")
    return [f"### {title}", "", *lines, ""]


def render(
    info: RunInfo,
    columns: dict[str, Summary],
    scans: dict[str, tuple[Summary, Summary]],
    families: dict[str, Summary],
    generators: dict[str, Summary],
    audits: list[Audit],
) -> str:
    """The whole QUALITY.md."""
    lines = [
        "# Parsing quality, per field, on our own corpus",
        "",
        "Generated by `python -m bench.quality` — do not edit by hand. How to reproduce:",
        "",
        "```",
        "python -m bench.quality.generate --out bench/quality/corpus      # ~256 PDFs + 64 scans, deterministic",
        "python -m bench.quality --parser local --write bench/QUALITY.md  # or --parser gemini (GEMINI_API_KEY)",
        "python -m bench.quality --tuning-only --json /tmp/q.json         # per-report debug dump, no held-out data",
        "```",
        "",
        "Tuning the parser? Use `--tuning-only` and read only `bench/quality/corpus/tuning/`; the held-out "
        "reports in `held_out/` stay unseen, or the honest column stops being honest.",
        "",
        f"- Date: {info.date}",
        f"- Machine: {info.machine}",
        f"- Parser: {info.parser}",
        f"- Corpus: {info.corpus}",
        f"- Held out of all tuning: family **{info.held_out_family}**, generator **{info.held_out_generator}**. "
        "The *all held-out* column is the honest number.",
        f"- Speed and memory: {info.timing}",
        *(f"- Note: {note}" for note in info.notes),
        "",
        "Cells are **recall / precision** in %. Report date truth follows a rule per family (lab: collection date, "
        "radiology: exam date, discharge: discharge date, pathology: collection date, consult: date of service, "
        "summary: sample date); ambiguous numeric dates (03/04/2026) must be returned as written. Matching rules: "
        "`bench/quality/scoring/matching.py`.",
        "",
        "## Headline",
        "",
        *_main_table(columns),
        "",
        "## Scanned twins against their text twins",
        "",
        f"Target: scans within {SCAN_TOLERANCE_POINTS:g} points of their text twins (a bold Δ misses it).",
        "",
        *_scan_table(scans),
        "",
        "## Breakdowns (text reports)",
        "",
        *_grouped_table(families, "By layout family"),
        *_grouped_table(generators, "By generator"),
        "",
        *_trust(audits),
    ]
    return "\n".join(lines)


def _trust(audits: list[Audit]) -> list[str]:
    """Every fact accounted for, and every FHIR bundle valid, over all parsed reports."""
    facts = sum(audit.facts for audit in audits)
    grounded = sum(audit.grounded for audit in audits)
    flagged = sum(audit.ungrounded for audit in audits)
    unaccounted = sum(len(audit.unaccounted) for audit in audits)
    valid = sum(1 for audit in audits if not audit.fhir_problems)
    share = (lambda part: f"{100 * part / facts:.1f} %") if facts else (lambda part: "-")
    return [
        "## What a records system gets (every parsed report, text and scans)",
        "",
        "| | |",
        "|---|---:|",
        f"| facts returned | {facts} |",
        f"| with provenance (page, quote, box) | {grounded} ({share(grounded)}) |",
        f"| flagged `ungrounded` | {flagged} ({share(flagged)}) |",
        f"| neither (must be 0) | {unaccounted} |",
        f"| FHIR bundles valid (fhir.resources R4B models and our value-set checks) | {valid} of {len(audits)} |",
    ]
