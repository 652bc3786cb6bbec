"""What the figures were measured on: machine, load, versions, commit, date."""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

import psutil

from bench.nagle import local_host_sets_nodelay
from bench.profiling import pyspy_binary
from tools.services import PROJECT_ROOT

PACKAGES = (
    "azure-functions",
    "azure-storage-blob",
    "azure-storage-queue",
    "azure-core",
    "pymongo",
    "google-genai",
    "httpx",
    "pydantic",
    "pypdf",
    "werkzeug",
    "uvicorn",
    "SecantusDB",
    "aiohttp",
    "psutil",
)


def _run(argv: list[str]) -> str:
    try:
        completed = subprocess.run(  # noqa: S603 - fixed argv built here, no shell
            argv, capture_output=True, text=True, timeout=10, cwd=PROJECT_ROOT, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return completed.stdout.strip()


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def azurite_version() -> str:
    path = PROJECT_ROOT / "node_modules" / "azurite" / "package.json"
    try:
        return str(json.loads(path.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages (other work on this shared machine shows here)."""
    return ", ".join(f"{value:.2f}" for value in os.getloadavg()) + " (1, 5, 15 min)"


def _pyspy_version() -> str:
    binary = pyspy_binary()
    return _run([binary, "--version"]).removeprefix("py-spy ") if binary else "not installed"


def describe() -> dict[str, str]:
    """Name -> value, in the order the report prints them."""
    memory = psutil.virtual_memory()
    commit = _run(["git", "rev-parse", "--short", "HEAD"]) or "unknown"
    if _run(["git", "status", "--porcelain", "--untracked-files=no"]):
        commit += " (with uncommitted changes)"
    info = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "CPU": cpu_model(),
        "cores": f"{psutil.cpu_count(logical=True)} logical ({psutil.cpu_count(logical=False)} physical)",
        "RAM": f"{memory.total / 2**30:.1f} GiB ({memory.available / 2**30:.1f} GiB available at start)",
        "load average at start": load_average(),
        "OS": f"{platform.system()} {platform.release()} ({platform.machine()})",
        "Python": platform.python_version(),
        "Node.js": _run(["node", "--version"]) or "unknown",
        "Azurite": azurite_version(),
        "py-spy": _pyspy_version(),
    }
    info["local host TCP_NODELAY"] = (
        "on (accepted connections checked in this run)"
        if local_host_sets_nodelay()
        else "OFF: a response can wait ~40 ms for the client's delayed ACK (tools/funchost/host.py Host._listen)"
    )
    info["packages"] = ", ".join(f"{name} {_version(name)}" for name in PACKAGES)
    return info
