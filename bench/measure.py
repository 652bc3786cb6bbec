"""Numbers: percentiles, figures with their goals, and the memory and CPU of a process tree."""

from __future__ import annotations

import contextlib
import math
import statistics
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import psutil

MIB = 1024 * 1024


def percentile(values: Sequence[float], pct: float) -> float:
    """The ``pct`` percentile (0-100) with linear interpolation between closest ranks."""
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass(frozen=True)
class Summary:
    """p50/p95/max of a sample, in the sample's unit."""

    n: int
    p50: float
    p95: float
    max: float
    mean: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Summary:
        if not values:
            return cls(0, math.nan, math.nan, math.nan, math.nan)
        return cls(
            len(values), percentile(values, 50), percentile(values, 95), max(values), statistics.fmean(values)
        )

    def brief(self, unit: str = "ms", digits: int = 1) -> str:
        return f"p50 {self.p50:.{digits}f} {unit}, p95 {self.p95:.{digits}f} {unit} (n={self.n})"


Direction = Literal["<", "<=", ">="]


@dataclass(frozen=True)
class Figure:
    """One reported number with its goal: ``value direction goal`` is the goal met.

    ``ratio`` is ``value / goal`` for every direction, so 0.6 means "at 60 % of the goal"
    (good for an upper bound, bad for a lower one); :attr:`shortfall` is how far from
    the goal a figure is, on one scale for both directions (above 1: goal missed).
    """

    key: str  # stable id, e.g. "upload.2.5MB.p95"
    label: str
    value: float
    unit: str
    goal: float | None
    direction: Direction = "<"
    scenario: str = ""
    note: str = ""  # shown next to the goal, e.g. the ideal it derives from
    why: str = ""  # the scenario's own explanation, should the goal be missed

    @property
    def ratio(self) -> float | None:
        if self.goal is None or self.goal == 0 or math.isnan(self.value):
            return None
        return self.value / self.goal

    @property
    def met(self) -> bool | None:
        if self.goal is None or math.isnan(self.value):
            return None
        if self.direction == "<":
            return self.value < self.goal
        if self.direction == "<=":
            return self.value <= self.goal
        return self.value >= self.goal

    @property
    def shortfall(self) -> float:
        ratio = self.ratio
        if ratio is None:
            return 0.0
        if self.direction == ">=":
            return math.inf if ratio == 0 else 1 / ratio
        return ratio

    def goal_text(self) -> str:
        if self.goal is None:
            return "(report)"
        return f"{self.direction} {format_number(self.goal)} {self.unit}".rstrip()


def format_number(value: float) -> str:
    """Three significant figures, no exponent for the ranges reported here."""
    if math.isnan(value):
        return "n/a"
    if value == 0 or abs(value) >= 100:
        return f"{value:.0f}"
    if abs(value) >= 10:
        return f"{value:.1f}"
    if abs(value) >= 1:
        return f"{value:.2f}"
    return f"{value:.3f}"


# -- process trees --------------------------------------------------------------------------


def tree(pid: int) -> list[psutil.Process]:
    """The process and its descendants that are alive now."""
    try:
        root = psutil.Process(pid)
        return [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def tree_rss(pid: int) -> int:
    """Resident memory of the process and its descendants, in bytes."""
    total = 0
    for process in tree(pid):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            total += process.memory_info().rss
    return total


def proportional_set_size(pid: int) -> int:
    """A process's PSS (``/proc/PID/smaps_rollup``): its resident memory, pages shared with
    other processes counted in equal parts. Summed over a tree, it is what the tree takes
    from the machine (a forkserver's children share its pages; RSS counts them in each)."""
    try:
        with open(f"/proc/{pid}/smaps_rollup") as rollup:
            for line in rollup:
                if line.startswith("Pss:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def role_of(process: psutil.Process, root: int) -> str:
    """``worker`` (the host process), ``forkserver``, ``parse`` (its children) or ``other``."""
    try:
        if process.pid == root:
            return "worker"
        if "forkserver" in " ".join(process.cmdline()):
            parent = process.parent()
            if parent is not None and "forkserver" in " ".join(parent.cmdline()):
                return "parse"
            return "forkserver"
    except psutil.Error:
        pass
    return "other"


class RssSampler:
    """Samples a process tree's RSS (and PSS, by role) on a background thread; peaks since the last reset.

    :attr:`peak` is the tree's summed RSS (comparable with earlier runs); :attr:`peak_pss`
    its summed PSS, with :attr:`roles_at_peak_pss` the PSS per role at that moment.
    """

    def __init__(self, pid: int, interval: float = 0.05) -> None:
        self.pid = pid
        self.interval = interval
        self.samples: list[tuple[float, int]] = []
        self.peak = 0
        self.peak_pss = 0
        self.roles_at_peak_pss: dict[str, int] = {}
        self.most_parse_processes = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._stop.is_set():
            rss, roles, parses = 0, dict.fromkeys(("worker", "forkserver", "parse", "other"), 0), 0
            for process in tree(self.pid):
                with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                    rss += process.memory_info().rss
                    role = role_of(process, self.pid)
                    roles[role] += proportional_set_size(process.pid)
                    parses += role == "parse"
            pss = sum(roles.values())
            with self._lock:
                self.samples.append((time.monotonic(), rss))
                self.peak = max(self.peak, rss)
                self.most_parse_processes = max(self.most_parse_processes, parses)
                if pss > self.peak_pss:
                    self.peak_pss, self.roles_at_peak_pss = pss, roles
            self._stop.wait(self.interval)

    def reset_peak(self) -> None:
        with self._lock:
            self.peak = 0
            self.peak_pss = 0
            self.roles_at_peak_pss = {}
            self.most_parse_processes = 0

    def settled(self, seconds: float = 1.5) -> int:
        """The median RSS over the next ``seconds`` (call when the host is idle)."""
        start = time.monotonic()
        time.sleep(seconds)
        with self._lock:
            window = [rss for at, rss in self.samples if at >= start]
        return int(statistics.median(window)) if window else tree_rss(self.pid)


@dataclass
class CpuMeter:
    """CPU seconds spent by named processes between :meth:`start` and :meth:`stop`.

    ``trees`` are counted with their descendants (an app host); ``alone`` without them
    (this bench process, whose children are the services counted on their own).
    """

    trees: dict[str, int]
    alone: dict[str, int] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    wall: float = 0.0
    _before: dict[str, float] = field(default_factory=dict)
    _started: float = 0.0

    @staticmethod
    def _cpu(pid: int, recursive: bool) -> float:
        total = 0.0
        processes = tree(pid) if recursive else tree(pid)[:1]
        for process in processes:
            with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
                times = process.cpu_times()
                total += times.user + times.system
        return total

    def _all(self) -> dict[str, float]:
        used = {name: self._cpu(pid, True) for name, pid in self.trees.items()}
        used.update({name: self._cpu(pid, False) for name, pid in self.alone.items()})
        return used

    def start(self) -> CpuMeter:
        self._before = self._all()
        self._started = time.monotonic()
        return self

    def stop(self) -> CpuMeter:
        self.wall = time.monotonic() - self._started
        self.seconds = {name: used - self._before.get(name, 0.0) for name, used in self._all().items()}
        return self

    def describe(self) -> str:
        """E.g. ``CPU cores busy: host 1.31, secantusdb 0.40, ... (over 12 s)``."""
        if self.wall <= 0:
            return ""
        busiest = sorted(self.seconds.items(), key=lambda item: -item[1])
        parts = [f"{name} {used / self.wall:.2f}" for name, used in busiest if used / self.wall >= 0.005]
        return f"CPU cores busy: {', '.join(parts)} (over {self.wall:.0f} s)"


@contextlib.contextmanager
def cpu_meter(trees: dict[str, int], alone: dict[str, int] | None = None) -> Iterator[CpuMeter]:
    """``with cpu_meter(*stack.cpu_pids(host)) as meter:`` ... then ``meter.describe()``."""
    meter = CpuMeter(trees, alone or {}).start()
    try:
        yield meter
    finally:
        meter.stop()


def ms(seconds: Iterable[float]) -> list[float]:
    """Seconds to milliseconds."""
    return [value * 1000 for value in seconds]
