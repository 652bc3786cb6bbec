"""``python -m bench.run``: run the benchmarks, print the table, write ``bench/RESULTS.md``, profile the worst figure.

Starts its own Azurite and SecantusDB (on free ports, data in a temporary folder), one
Gemini stand-in process per answer delay, and an app host per scenario. ``--quick`` runs
every scenario with small counts (a smoke run, under two minutes) and writes its
RESULTS.md next to its logs, so the committed one always comes from a full run.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import environment, notes
from bench.measure import Figure, format_number
from bench.plan import Plan
from bench.profiling import PySpy, pyspy_binary, render, summarise
from bench.report import results_markdown, table, worst
from bench.scenarios import Result, cost, documents, hostile, memory, pickup, status, throughput, upload
from bench.stack import Stack

SCENARIOS: dict[str, Callable[[Stack, Plan], Result]] = {
    "upload": upload.run,
    "status": status.run,
    "pickup": pickup.run,
    "throughput": throughput.run,
    "memory": memory.run,
    "hostile": hostile.run,
    "documents": documents.run,
    "cost": cost.run,
}
# The worst figure's scenario, plus the two request paths whose cost is CPU in the host.
FULL_PROFILES = ("worst", "status", "upload")
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"


def _timed(name: str, stack: Stack, plan: Plan) -> Result:
    """Run one scenario and print its figures; a failed scenario is tried once more, then reported."""
    print(f"\n== {name} ...", flush=True)
    started = time.monotonic()
    failures: list[str] = []
    for _ in range(2):
        try:
            result = SCENARIOS[name](stack, plan)
            break
        except Exception as exc:  # noqa: BLE001 - one scenario's failure must not lose the others' figures
            failures.append(f"{type(exc).__name__}: {exc}")
            print(f"  ! {name} failed: {failures[-1]}", flush=True)
    else:
        result = Result(name, f"{name} (failed)")
    result.details += [f"an attempt failed: {failure}" for failure in failures]
    result.seconds = time.monotonic() - started
    print(table(result.figures))
    for detail in result.details:
        if detail:
            print(f"  - {detail}")
    print(f"  ({result.seconds:.0f} s)", flush=True)
    return result


def _profile(stack: Stack, plan: Plan, scenario: str, why: str, out_dir: Path) -> list[str]:
    """Run ``scenario`` again with py-spy on its hosts; the summary as markdown lines."""
    print(f"\n== profiling {scenario} ({why})", flush=True)
    if pyspy_binary() is None:
        return [f"### `{scenario}`", "", "py-spy is not installed (`pip install py-spy`): no profile taken."]
    spy = PySpy(out_dir / scenario)
    stack.on_measure_start.append(spy.attach)
    stack.on_measure_stop.append(spy.detach)
    try:
        rerun = _timed(scenario, stack, plan)
    finally:
        stack.on_measure_start.remove(spy.attach)
        stack.on_measure_stop.remove(spy.detach)
    lines = [
        f"### `{scenario}` ({why})",
        "",
        f"Run again under `py-spy record --rate {spy.rate} --nonblocking` (raw stacks in "
        f"`{spy.out_dir}`). Its figures, to compare with the table (sampling costs the host some CPU): "
        + "; ".join(
            f"{figure.label} {format_number(figure.value)} {figure.unit}"
            for figure in rerun.figures
            if figure.goal is not None
        )
        + ".",
        "",
    ]
    return [
        *lines,
        "#### Python CPU (the thread holding the GIL)",
        "",
        *render(summarise(spy.outputs["gil"]), "samples of the host's GIL holder"),
        "",
        "#### Wall clock in project code (waiting included)",
        "",
        *render(
            summarise(spy.outputs["wall"], project_only=True),
            "samples of host threads that were inside project code, running or waiting "
            "(threads idle outside it left out)",
        ),
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description=__doc__.split("\n")[0] if __doc__ else None
    )
    parser.add_argument("--quick", action="store_true", help="small counts: a smoke run of under two minutes")
    parser.add_argument("--only", nargs="+", choices=sorted(SCENARIOS), help="run only these scenarios")
    parser.add_argument(
        "--profile",
        nargs="+",
        help="scenarios to run again under py-spy: 'worst' (the worst figure's), names, or 'none' "
        f"(default: {' '.join(FULL_PROFILES)} for a full run, none for --quick)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="an app setting for every host (what-if runs), e.g. PYTHON_THREADPOOL_THREAD_COUNT=16",
    )
    parser.add_argument(
        "--results", type=Path, help="where to write RESULTS.md (default: bench/ for a full run)"
    )
    args = parser.parse_args(argv)
    args.profile = args.profile or (["none"] if args.quick else list(FULL_PROFILES))
    try:
        host_settings = dict(item.split("=", 1) for item in args.set)
    except ValueError:
        parser.error("--set: use NAME=VALUE")
    for choice in args.profile:
        if choice not in ("worst", "none", *SCENARIOS):
            parser.error(f"--profile: choose worst, none or any of {', '.join(SCENARIOS)}")

    plan = Plan.quick() if args.quick else Plan.full()
    names = args.only or list(SCENARIOS)
    workdir = Path(tempfile.mkdtemp(prefix="bench-"))
    partial = args.quick or args.only or host_settings
    results_path = args.results or (workdir / "RESULTS.md" if partial else RESULTS)
    command = " ".join(["./scripts/bench", *(argv if argv is not None else sys.argv[1:])])
    print(f"bench: {plan.name} run of {', '.join(names)}; logs and raw data in {workdir}", flush=True)
    info = environment.describe()
    started = time.monotonic()
    results: list[Result] = []
    profile_lines: list[str] = []
    with Stack(workdir) as stack:
        stack.host_extra = dict(host_settings)
        for name in names:
            results.append(_timed(name, stack, plan))
        figures = [figure for result in results for figure in result.figures]
        for scenario, why in _profile_targets(args.profile, figures):
            profile_lines += [*_profile(stack, plan, scenario, why, workdir / "profile"), ""]
    # The blobs (hundreds of MB after the memory scenario) are not worth keeping; logs and profiles are.
    shutil.rmtree(workdir / "azurite", ignore_errors=True)
    total = time.monotonic() - started
    info["load average at end"] = environment.load_average()
    figures = [figure for result in results for figure in result.figures]
    print("\n== all figures\n" + table(figures))
    text = results_markdown(
        plan_name=plan.name + "".join(f", {name}={value}" for name, value in host_settings.items()),
        command=command,
        environment=info,
        results=results,
        notes=notes.for_missed(figures),
        profile=profile_lines,
        total_seconds=total,
    )
    results_path.write_text(text)
    print(f"\nbench: {total / 60:.1f} min; results written to {results_path}; logs and profiles in {workdir}")
    return 0


def _profile_targets(choices: list[str], figures: list[Figure]) -> list[tuple[str, str]]:
    """``(scenario, why)`` pairs to profile, each scenario once."""
    targets: dict[str, str] = {}
    for choice in choices:
        if choice == "worst":
            figure = worst(figures)
            if figure is not None and figure.met is False:
                targets.setdefault(
                    figure.scenario, f"worst figure: {figure.label}, {figure.shortfall:.1f}x its goal"
                )
        elif choice in SCENARIOS:
            targets.setdefault(choice, "asked for")
    return list(targets.items())


if __name__ == "__main__":
    sys.exit(main())
