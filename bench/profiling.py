"""Sampling profiles of app hosts with py-spy, summarised by which of OUR functions the time is under.

:class:`PySpy` attaches two ``py-spy record`` to every host a scenario starts (through the
stack's hooks) for the measured phase: one samples only the thread holding the GIL
(``--gil``: where the host's Python CPU goes; py-spy's default "active threads" view
counts threads blocked in a socket read as active, so it is not used), the other every
thread, waiting ones included (``--idle``: where a request's wall time goes, e.g.
waiting for MongoDB or Azurite).
:func:`summarise` attributes each sample to the deepest frame of the app's own code
(``lib/``, ``functions/``), falling back to the local host (``tools/``) and then to
"outside the project", and lists what library code runs beneath each of those functions.
"""

from __future__ import annotations

import collections
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from tests.support.app_host import AppHost
from tools.services import PROJECT_ROOT

_FRAME = re.compile(r"^(?P<function>.*) \((?P<path>.*?)(?::(?P<line>\d+))?\)$")
APP_DIRS = ("lib/", "functions/", "function_app.py")
HOST_DIRS = ("tools/",)


def pyspy_binary() -> str | None:
    """py-spy from the project's virtualenv, else from PATH."""
    local = Path(sys.executable).with_name("py-spy")
    return str(local) if local.exists() else shutil.which("py-spy")


class PySpy:
    """``py-spy record`` on each host started while attached; raw (collapsed) stacks per host."""

    def __init__(self, out_dir: Path, rate: int = 250) -> None:
        binary = pyspy_binary()
        if binary is None:
            raise RuntimeError("py-spy is not installed (pip install py-spy)")
        self.binary = binary
        self.out_dir = out_dir
        self.rate = rate
        self.outputs: dict[str, list[Path]] = {"gil": [], "wall": []}
        self._running: dict[int, list[subprocess.Popen[bytes]]] = {}

    def attach(self, host: AppHost) -> None:
        assert host.process is not None
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self._running[host.process.pid] = [self._record(host, "gil"), self._record(host, "wall")]

    def _record(self, host: AppHost, kind: str) -> subprocess.Popen[bytes]:
        assert host.process is not None
        output = self.out_dir / f"{host.name}-{host.process.pid}-{kind}.txt"
        argv = [
            self.binary,
            "record",
            "--pid",
            str(host.process.pid),
            "--rate",
            str(self.rate),
            "--format",
            "raw",
            "--full-filenames",
            "--nonblocking",  # do not pause the host to sample it
            "--output",
            str(output),
            "--idle" if kind == "wall" else "--gil",
        ]
        self.outputs[kind].append(output)
        with output.with_suffix(".log").open("wb") as log:
            # Fixed argv built here, no shell.
            return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603

    def detach(self, host: AppHost) -> None:
        if host.process is None:
            return
        spies = self._running.pop(host.process.pid, [])
        for spy in spies:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
        for spy in spies:
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(10)


@dataclass(frozen=True)
class Frame:
    function: str
    path: str  # relative to the project when inside it

    @property
    def where(self) -> str:
        return f"{self.path}:{self.function}"


def _frame(text: str) -> Frame:
    match = _FRAME.match(text)
    if match is None:
        return Frame(text, "?")
    path = match["path"]
    root = str(PROJECT_ROOT) + "/"
    if path.startswith(root) and "/.venv/" not in path:
        path = path[len(root) :]
    return Frame(match["function"], path)


def _loop_idle(leaf: Frame) -> bool:
    """An event loop waiting for I/O (``selectors.EpollSelector.select``)."""
    return leaf.path.endswith("/selectors.py") and leaf.function.rsplit(".", 1)[-1] == "select"


def _is_app(frame: Frame) -> bool:
    return frame.path.startswith(APP_DIRS)


def _is_host(frame: Frame) -> bool:
    return frame.path.startswith(HOST_DIRS)


def package_of(frame: Frame) -> str:
    """A frame's owner: ``lib/...`` for ours, a site-packages top-level name, or ``stdlib:module``."""
    if _is_app(frame) or _is_host(frame):
        return frame.path
    path = frame.path
    if "site-packages/" in path:
        return path.split("site-packages/", 1)[1].split("/", 1)[0].removesuffix(".py")
    match = re.search(r"/lib/python3\.\d+/(?P<module>[^/]+)", path)
    if match:
        return "stdlib:" + match["module"].removesuffix(".py")
    return path


@dataclass
class Profile:
    """Samples attributed to the deepest project frame of each stack."""

    total: int = 0
    owner: collections.Counter[str] = field(default_factory=collections.Counter)
    inclusive: collections.Counter[str] = field(default_factory=collections.Counter)
    beneath: dict[str, collections.Counter[str]] = field(default_factory=dict)
    leaf_package: collections.Counter[str] = field(default_factory=collections.Counter)

    def share(self, count: int) -> float:
        return count / self.total if self.total else 0.0


OUTSIDE = "(outside the project: event loop, server, idle pool)"


def summarise(outputs: Iterable[Path], *, project_only: bool = False) -> Profile:
    """Read py-spy raw outputs (``frame;frame;... count`` per line, root first).

    ``project_only`` drops samples with no project frame at all (threads waiting for work)
    and the event loop waiting in ``select``, which dominate a wall-clock (``--idle``) profile.
    """
    profile = Profile()
    for output in outputs:
        if not output.exists():
            continue
        for line in output.read_text(errors="replace").splitlines():
            stack_text, _, count_text = line.rpartition(" ")
            if not stack_text or not count_text.isdigit():
                continue
            count = int(count_text)
            frames = [_frame(item) for item in stack_text.split(";")]
            if project_only and (
                _loop_idle(frames[-1]) or not any(_is_app(f) or _is_host(f) for f in frames)
            ):
                continue
            profile.total += count
            profile.leaf_package[package_of(frames[-1])] += count
            for where in {frame.where for frame in frames if _is_app(frame)}:
                profile.inclusive[where] += count
            owner = next((frame for frame in reversed(frames) if _is_app(frame)), None)
            if owner is None:
                owner = next((frame for frame in reversed(frames) if _is_host(frame)), None)
            key = owner.where if owner else OUTSIDE
            profile.owner[key] += count
            profile.beneath.setdefault(key, collections.Counter())[package_of(frames[-1])] += count
    return profile


def render(profile: Profile, what: str, top: int = 12) -> list[str]:
    """Markdown lines: owners by share (with what runs beneath), app functions by inclusive share."""
    if not profile.total:
        return ["(no samples: py-spy recorded nothing)"]
    lines = [
        f"{profile.total} {what}.",
        "",
        "Deepest project frame of each sample (app code `lib/`, `functions/`; else the local host `tools/`):",
        "",
        "| share | function | what runs beneath it (share of all samples) |",
        "|---:|---|---|",
    ]
    for where, count in profile.owner.most_common(top):
        below = ", ".join(
            f"{package} {profile.share(n):.0%}" for package, n in profile.beneath[where].most_common(4)
        )
        lines.append(f"| {profile.share(count):.1%} | `{where}` | {below} |")
    lines += ["", "App functions by inclusive share (samples in the function or anything it calls):", ""]
    lines += ["| share | function |", "|---:|---|"]
    for where, count in profile.inclusive.most_common(top):
        lines.append(f"| {profile.share(count):.1%} | `{where}` |")
    lines += ["", "Leaf code by package:", ""]
    lines.append(
        ", ".join(f"{package} {profile.share(n):.0%}" for package, n in profile.leaf_package.most_common(12))
    )
    return lines
