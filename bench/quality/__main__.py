"""``python -m bench.quality``: parse the corpus with one parser and score it per field.

    python -m bench.quality [--parser local|gemini] [--corpus DIR] [--write bench/QUALITY.md]
                            [--limit N] [--tuning-only] [--json FILE [--json-held-out]] [--workers N]

Prints the headline table. ``--tuning-only`` leaves the held-out family, the held-out
generator and their scans out entirely (what engineers tuning the parser use);
``--json`` dumps per-report results, tuning reports only unless ``--json-held-out``.
``--write`` needs the held-out reports, so it refuses ``--tuning-only``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.quality.generate import DEFAULT_OUT
from bench.quality.scoring import aggregate, markdown, metrics, parsers, trust
from lib.domain.parsing import ReportParser

QUALITY_MD = Path(__file__).resolve().parent.parent / "QUALITY.md"


def _held_out(truth: dict[str, Any], family: str, generator: str) -> bool:
    return bool(truth["family"] == family or truth["generator"] == generator)


def _select(
    corpus: Path, manifest: dict[str, Any], limit: int | None, tuning_only: bool
) -> list[tuple[str, dict[str, Any]]]:
    """(path in the corpus, truth) of the reports to run; ``limit`` keeps every k-th text report and its scan."""
    truths = {report: json.loads((corpus / f"{report}.json").read_text()) for report in manifest["reports"]}
    if tuning_only:
        family, generator = manifest["held_out_family"], manifest["held_out_generator"]
        truths = {key: truth for key, truth in truths.items() if not _held_out(truth, family, generator)}
    text = [Path(key).name for key, truth in truths.items() if not truth["scanned"]]
    if limit is not None and limit < len(text):
        step = len(text) / limit
        keep = {text[int(index * step)] for index in range(limit)}
        truths = {key: truth for key, truth in truths.items() if (truth["twin_of"] or Path(key).name) in keep}
    return list(truths.items())


def _machine() -> str:
    model = platform.processor() or "unknown CPU"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        model = next(
            (
                line.split(":", 1)[1].strip()
                for line in cpuinfo.read_text().splitlines()
                if line.startswith("model name")
            ),
            model,
        )
    return f"{model}, {os.cpu_count()} cores, Python {platform.python_version()}, {platform.system()} {platform.release()}"


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _timing(results: list[metrics.ReportResult], baseline_mb: float) -> str:
    parts = []
    for label, group in (
        ("text", [r for r in results if not r.scanned]),
        ("scans", [r for r in results if r.scanned]),
    ):
        figures = aggregate.ms_per_page(group)
        if figures:
            parts.append(f"{label} {figures[0]:.0f} ms/page p50, {figures[1]:.0f} ms/page p95")
    parts.append(f"peak RSS {_peak_rss_mb():.0f} MB (process before the parser: {baseline_mb:.0f} MB)")
    return "; ".join(parts)


def _run(
    parser: ReportParser, corpus: Path, selected: list[tuple[str, dict[str, Any]]], workers: int
) -> list[metrics.ReportResult]:
    """Parse and score every selected report, ``workers`` at a time (threads: for a remote parser)."""

    def one(item: tuple[str, dict[str, Any]]) -> metrics.ReportResult:
        key, truth = item
        parsed = parsers.parse(parser, (corpus / f"{key}.pdf").read_bytes())
        result = metrics.ReportResult(
            Path(key).name, truth["family"], truth["generator"], truth["scanned"], truth["twin_of"], truth["pages"],
            error=parsed.error, seconds=parsed.seconds,
        )  # fmt: skip
        if parsed.report is not None:
            result.audit = trust.audit(parsed.report, Path(key).name)
        return metrics.score(truth, parsed.report, result)

    results: list[metrics.ReportResult] = []
    with ThreadPoolExecutor(max_workers=workers) as pool:
        for result in pool.map(one, selected):
            results.append(result)
            if len(results) % 50 == 0:
                print(f"  {len(results)}/{len(selected)} parsed", file=sys.stderr, flush=True)
    return results


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--parser", choices=parsers.PARSERS, default="local")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_OUT)
    parser.add_argument(
        "--write", type=Path, nargs="?", const=QUALITY_MD, help="write the Markdown report here"
    )
    parser.add_argument(
        "--limit", type=int, help="score only N text reports, spread over the corpus (plus their scans)"
    )
    parser.add_argument("--tuning-only", action="store_true", help="leave every held-out report out")
    parser.add_argument("--json", type=Path, help="write per-report results to this file")
    parser.add_argument("--json-held-out", action="store_true", help="include held-out reports in --json")
    parser.add_argument(
        "--workers", type=int, default=1, help="parses at a time (default 1; more only for --parser gemini)"
    )
    parser.add_argument(
        "--note",
        action="append",
        default=[],
        help="a line for the report's header (say what the held-out columns have seen before); repeatable",
    )
    args = parser.parse_args(argv)
    if args.write and args.tuning_only:
        parser.error("--write reports the held-out columns; it cannot be combined with --tuning-only")
    if not (args.corpus / "manifest.json").exists():
        parser.error(f"no corpus in {args.corpus}; run: python -m bench.quality.generate --out {args.corpus}")
    return args


def _info(
    args: argparse.Namespace,
    manifest: dict[str, Any],
    results: list[metrics.ReportResult],
    model: str,
    baseline_mb: float,
) -> markdown.RunInfo:
    scans = sum(result.scanned for result in results)
    generators = ", ".join(f"{name} {version}" for name, version in manifest["generators"].items())
    limit = f", --limit {args.limit}" if args.limit else ""
    return markdown.RunInfo(
        date=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine=_machine(),
        parser=f"{args.parser} ({model})",
        corpus=f"{len(results) - scans} text reports + {scans} scanned twins ({generators}{limit})",
        held_out_family=manifest["held_out_family"],
        held_out_generator=manifest["held_out_generator"],
        timing=_timing(results, baseline_mb),
        notes=(*manifest["notes"], *args.note),
    )


def main(argv: list[str] | None = None) -> None:
    """Command line entry point."""
    args = _arguments(argv)
    baseline_mb = _peak_rss_mb()
    try:
        parser, model = parsers.build(args.parser)
    except parsers.ParserUnavailable as exc:
        sys.exit(str(exc))
    manifest = json.loads((args.corpus / "manifest.json").read_text())
    family, generator = manifest["held_out_family"], manifest["held_out_generator"]
    selected = _select(args.corpus, manifest, args.limit, args.tuning_only)
    results = _run(parser, args.corpus, selected, args.workers)
    columns = aggregate.columns(results, family, generator)
    if args.tuning_only:
        columns = {aggregate.TUNING: columns[aggregate.TUNING]}
    page = markdown.render(
        _info(args, manifest, results, model, baseline_mb),
        columns,
        aggregate.scan_pairs(results, family, generator),
        aggregate.by(results, "family"),
        aggregate.by(results, "generator"),
        [result.audit for result in results if result.audit is not None],
    )
    print(page)
    if args.write:
        args.write.write_text(page + "\n")
    if args.json:
        dump = [
            result.to_json()
            for result in results
            if args.json_held_out or aggregate.held_out_group(result, family, generator) == aggregate.TUNING
        ]
        args.json.write_text(json.dumps(dump, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
