"""Counts, inside an app host, every MongoDB command and every Storage HTTP request, with who made it.

Loaded by Python at start-up (``sitecustomize``) when the bench puts this folder on an app
host's ``PYTHONPATH`` and names a log file in ``BENCH_CALL_LOG``; does nothing otherwise.
The boundaries are the clients' own: a pymongo :class:`~pymongo.monitoring.CommandListener`
registered for every client (one event per command sent to the server), and azure-core's
requests transport (one call per HTTP request on the wire, retries included). Each becomes
one JSON line: ``kind`` (``mongo``/``storage``), ``op`` (command and collection, or method and
resource), and ``where``: the project frames that made the call, outermost first (app code
``lib/`` and ``functions/``, the local host ``tools/``). Only names and paths are written,
never a document, a body or a query.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

_LOG = os.environ.get("BENCH_CALL_LOG")
_ROOT = os.environ.get("BENCH_PROJECT_ROOT", os.getcwd()).rstrip("/") + "/"
_PROJECT_DIRS = ("lib/", "functions/", "tools/")
_lock = threading.Lock()


def _where() -> list[str]:
    frames = []
    frame: Any = sys._getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if filename.startswith(_ROOT):
            relative = filename[len(_ROOT) :]
            if relative.startswith(_PROJECT_DIRS):
                frames.append(f"{relative}:{frame.f_code.co_qualname}")
        frame = frame.f_back
    return frames[::-1]


def _write(kind: str, op: str) -> None:
    line = json.dumps({"t": time.time(), "kind": kind, "op": op, "where": _where()})
    with _lock, open(_LOG, "a") as log:  # type: ignore[arg-type]
        log.write(line + "\n")


def _storage_op(method: str, url: str) -> str:
    """``blob``/``queue``, the method and the resource, from the URL alone (Azurite's ports vary)."""
    parts = urlsplit(url)
    segments = [segment for segment in parts.path.split("/") if segment][1:]  # drop the account
    query = parse_qs(parts.query)
    comp = query.get("comp", [""])[0]
    if query.get("restype") == ["container"]:
        service, resource = "blob", "container"
    elif len(segments) >= 2 and segments[1] == "messages":
        service, resource = "queue", "message" if len(segments) >= 3 else "messages"
    elif len(segments) == 1:
        service, resource = "queue", "queue"  # a container is always addressed with restype=container
    else:
        service, resource = "blob", "blob"
    return f"{service} {method} {resource}" + (f" comp={comp}" if comp else "")


def _install() -> None:
    from pymongo import monitoring

    class _Commands(monitoring.CommandListener):
        def started(self, event: monitoring.CommandStartedEvent) -> None:
            target = event.command.get(event.command_name)
            collection = f" {target}" if isinstance(target, str) else ""
            _write("mongo", f"{event.command_name}{collection}")

        def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
            pass

        def failed(self, event: monitoring.CommandFailedEvent) -> None:
            pass

    monitoring.register(_Commands())

    from azure.core.pipeline.transport import _requests_basic

    original = _requests_basic.RequestsTransport.send

    def send(self: Any, request: Any, **kwargs: Any) -> Any:
        _write("storage", _storage_op(request.method, request.url))
        return original(self, request, **kwargs)

    _requests_basic.RequestsTransport.send = send  # type: ignore[method-assign]


if _LOG:
    _install()
