"""Settings the way the Functions host reads them: host.json, local.settings.json, app settings.

Covers only what the local host honours (see the package docstring). host.json keys are
matched case-insensitively, as the real host's configuration system does.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ROUTE_PREFIX = "api"
_TOKEN = re.compile(r"%([^%]+)%")
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d+):(\d+)(?::(\d+(?:\.\d+)?))?$")


class HostConfigError(Exception):
    """Raised when host.json, local.settings.json or an app setting a binding needs is wrong or missing.

    The host refuses to start; the message says which file or setting to fix.
    """


@dataclass(frozen=True)
class QueueOptions:
    """``extensions.queues`` of host.json, with the real host's defaults (times in seconds)."""

    batch_size: int = 16
    new_batch_threshold: int = 8
    max_polling_interval: float = 60.0
    visibility_timeout: float = 0.0
    max_dequeue_count: int = 5
    message_encoding: str = "base64"


# "Function app timeout duration" (Functions docs, include functions-timeout-duration): the
# default and maximum of host.json functionTimeout depend on the plan; on Flex Consumption the
# default is 30 minutes and there is no maximum. -1 (host.json reference) or null means unbounded.
DEFAULT_FUNCTION_TIMEOUT = 30 * 60.0


@dataclass(frozen=True)
class HostConfig:
    """The parts of host.json the local host honours."""

    route_prefix: str = DEFAULT_ROUTE_PREFIX
    queues: QueueOptions = field(default_factory=QueueOptions)
    functions: frozenset[str] | None = None  # host.json "functions": only these run
    function_timeout: float | None = DEFAULT_FUNCTION_TIMEOUT  # seconds; None: unbounded


def parse_timespan(value: object) -> float:
    """Seconds in a host.json duration: a TimeSpan string ``[d.]hh:mm[:ss[.fff]]`` or milliseconds."""
    if isinstance(value, bool):
        raise HostConfigError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        return float(value) / 1000.0
    match = _TIMESPAN.match(str(value).strip())
    if match is None:
        raise HostConfigError(f"not a duration (expected hh:mm:ss or milliseconds): {value!r}")
    days, hours, minutes, seconds = match.groups()
    return int(days or 0) * 86400 + int(hours) * 3600 + int(minutes) * 60 + float(seconds or 0)


def _lower_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(key).lower(): _lower_keys(item) for key, item in value.items()}
    return value


def _int_option(section: Mapping[str, Any], key: str, default: int, low: int, high: int) -> int:
    raw = section.get(key.lower(), default)
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        raise HostConfigError(f"host.json extensions.queues.{key} must be an integer in [{low}, {high}]")
    return raw


def parse_host_json(data: Mapping[str, Any]) -> HostConfig:
    """Build a :class:`HostConfig` from the parsed host.json document."""
    root = _lower_keys(dict(data))
    extensions = root.get("extensions") or {}
    http = extensions.get("http") or {}
    queues = extensions.get("queues") or {}
    route_prefix = str(http.get("routeprefix", DEFAULT_ROUTE_PREFIX)).strip("/")

    batch_size = _int_option(queues, "batchSize", 16, 1, 32)
    threshold = _int_option(queues, "newBatchThreshold", batch_size // 2, 0, 10_000)
    max_dequeue = _int_option(queues, "maxDequeueCount", 5, 1, 10_000)
    max_polling = parse_timespan(queues.get("maxpollinginterval", "00:01:00"))
    if max_polling < 0.1:
        raise HostConfigError("host.json extensions.queues.maxPollingInterval must be at least 100 ms")
    visibility = parse_timespan(queues.get("visibilitytimeout", 0))
    encoding = str(queues.get("messageencoding", "base64")).lower()
    if encoding not in ("base64", "none"):
        raise HostConfigError("host.json extensions.queues.messageEncoding must be 'base64' or 'none'")

    functions = root.get("functions")
    return HostConfig(
        route_prefix=route_prefix,
        queues=QueueOptions(batch_size, threshold, max_polling, visibility, max_dequeue, encoding),
        functions=frozenset(str(name) for name in functions) if functions is not None else None,
        function_timeout=_function_timeout(root),
    )


def _function_timeout(root: Mapping[str, Any]) -> float | None:
    """host.json ``functionTimeout`` in seconds: a TimeSpan; ``-1`` (or null) means no limit."""
    if "functiontimeout" not in root:
        return DEFAULT_FUNCTION_TIMEOUT
    raw = root["functiontimeout"]
    if raw is None or str(raw).strip() in ("-1", "-00:00:01"):
        return None
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        raise HostConfigError('host.json functionTimeout must be a TimeSpan such as "00:10:00" (or -1)')
    seconds = parse_timespan(raw)
    if seconds <= 0:
        raise HostConfigError("host.json functionTimeout must be positive (or -1 for no limit)")
    return seconds


HOST_OVERRIDE_PREFIX = "AzureFunctionsJobHost__"


def read_host_config(app_dir: Path, environ: Mapping[str, str] | None = None) -> HostConfig:
    """Read ``host.json`` from the app folder (defaults when there is none), then apply overrides.

    Like the Functions host, an app setting ``AzureFunctionsJobHost__a__b`` replaces
    ``a.b`` of host.json, e.g. ``AzureFunctionsJobHost__extensions__queues__maxDequeueCount=2``.
    """
    path = app_dir / "host.json"
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise HostConfigError(f"cannot read {path}: {exc}") from exc
    environ = os.environ if environ is None else environ
    for name, value in environ.items():
        if name.lower().startswith(HOST_OVERRIDE_PREFIX.lower()):
            _set_path(data, name[len(HOST_OVERRIDE_PREFIX) :].split("__"), value)
    return parse_host_json(data)


def _set_path(data: dict[str, Any], keys: list[str], value: str) -> None:
    """Set ``data[k1][k2]... = value``, matching existing keys case-insensitively."""
    node = data
    for key in keys[:-1]:
        match = next((existing for existing in node if existing.lower() == key.lower()), key)
        child = node.get(match)
        if not isinstance(child, dict):
            child = node[match] = {}
        node = child
    last = next((existing for existing in node if existing.lower() == keys[-1].lower()), keys[-1])
    # App settings are strings; numbers and booleans in host.json are not.
    try:
        node[last] = json.loads(value)
    except ValueError:
        node[last] = value


def apply_local_settings(app_dir: Path, environ: MutableMapping[str, str] | None = None) -> list[str]:
    """Copy ``local.settings.json`` ``Values`` into the environment; variables already set win.

    Returns the names it added, so an in-process host can take them out again.
    """
    environ = os.environ if environ is None else environ
    path = app_dir / "local.settings.json"
    if not path.exists():
        return []
    try:
        values = json.loads(path.read_text(encoding="utf-8")).get("Values") or {}
    except (OSError, ValueError, AttributeError) as exc:
        raise HostConfigError(f"cannot read {path}: {exc}") from exc
    added = []
    for key, value in values.items():
        if key not in environ:
            environ[key] = "" if value is None else str(value)
            added.append(key)
    return added


def resolve_tokens(text: str, environ: Mapping[str, str] | None = None) -> str:
    """Replace every ``%NAME%`` in a binding value with the app setting NAME."""
    environ = os.environ if environ is None else environ

    def lookup(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise HostConfigError(f"app setting {name!r} (used as %{name}% in a binding) is not set")
        return environ[name]

    return _TOKEN.sub(lookup, text)
