"""Where an upload's and a parse's memory goes: each step of the app run here, under tracemalloc.

Each step is the app's own code (the multipart reader, the PDF check and hash, the Blob
write and read against the bench's Azurite, the Gemini call against the stand-in, the
hand-over to a parse process) run in the bench process on one maximum-size file. For each
step: ``extra`` is the most Python memory it had allocated at once beyond what it started
with (its transient copies), ``kept`` what it still holds when it returns, both in units of
the file's size, so "2.0" means two copies of the file. tracemalloc sees every Python
allocation (bytes, bytearray, str); buffers C libraries allocate themselves (PDFium, the
TLS layer) are not in these figures. The parse process's own peak is read from its
``VmHWM`` (Linux).
"""

from __future__ import annotations

import contextlib
import hashlib
import tracemalloc
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.client import multipart

MIB = 1024 * 1024


@dataclass(frozen=True)
class Step:
    """One step's transient and retained Python allocations, in bytes."""

    name: str
    extra: int
    kept: int

    def describe(self, size: int) -> str:
        return f"{self.name} {self.extra / size:.2f} (kept {self.kept / size:.2f})"


def measure(name: str, step: Callable[[], Any]) -> tuple[Step, Any]:
    """Run ``step`` under tracemalloc; its peak and retained allocations, and its result."""
    tracemalloc.start()
    try:
        before, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        value = step()
        current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return Step(name, peak - before, current - before), value


def vm_hwm(pid: int) -> int:
    """A process's peak resident memory (``VmHWM``), in bytes; 0 when unknown."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def upload_steps(pdf: bytes, storage_connection: str) -> list[Step]:
    """The upload path's per-byte steps, on one file: decode, check and hash, write to Blob."""
    from lib.adapters.multipart_form import read_upload_form
    from lib.adapters.pdf_inspect import count_pages
    from lib.domain.uploads import UploadLimits

    body = multipart([pdf])
    limits = UploadLimits.from_megabytes(25, 50, 10, 300)
    steps = []
    step, form = measure("multipart decode", lambda: read_upload_form(body.data, body.content_type, limits))
    steps.append(step)
    file_data: bytes = form.files[0].data
    step, _ = measure("page count", lambda: count_pages(file_data, "file 1"))
    steps.append(step)
    step, digest = measure("sha256", lambda: hashlib.sha256(file_data).hexdigest())
    steps.append(step)
    blobs = _blobs(storage_connection)
    name = f"bench-copies/{uuid.uuid4().hex}.pdf"
    blobs.put(f"bench-copies/{uuid.uuid4().hex}.pdf", b"%PDF-warm-up", sha256="0")  # container, connection
    step, _ = measure("blob write", lambda: blobs.put(name, file_data, sha256=digest))
    steps.append(step)
    step, _ = measure("blob read", lambda: blobs.get(name))
    steps.append(step)
    return steps


def gemini_step(pdf: bytes, base_url: str) -> Step:
    """The model call made in the worker (google-genai, the PDF inline) against the stand-in."""
    from lib.adapters.gemini_parser import GeminiReportParser
    from lib.domain.parsing import ParseRequest

    parser = GeminiReportParser(
        api_key="bench", default_model="gemini-bench", base_url=base_url, timeout_seconds=120
    )
    step, _ = measure("Gemini call", lambda: parser.parse(ParseRequest(documents=[pdf])))
    return step


def parse_process_steps(pdf: bytes, small: bytes) -> tuple[Step, int, int]:
    """Hand a parse to a warm parse process: the worker's extra memory, the process's RSS before and its peak."""
    from lib.adapters.isolated_parser import IsolatedParser, WorkLimits
    from lib.adapters.report_pipeline import PRELOAD, ReportPipeline
    from lib.domain.parsing import ParseRequest

    parser = IsolatedParser(
        ReportPipeline(), WorkLimits(120, 300, 1536 * MIB), max_concurrent=1, preload=PRELOAD
    )
    try:
        parser.parse(ParseRequest(documents=[small]))  # start and warm the parse process
        pid = _parse_pid(parser)
        warm = vm_hwm(pid)
        step, _ = measure("hand-over to the parse process (worker side)", lambda: _quiet_parse(parser, pdf))
        return step, warm, vm_hwm(pid)
    finally:
        parser.close()


def _quiet_parse(parser: Any, pdf: bytes) -> None:
    from lib.domain.errors import ServiceError
    from lib.domain.parsing import ParseRequest

    with contextlib.suppress(ServiceError):  # the figure is the memory; a noise page may read as no text
        parser.parse(ParseRequest(documents=[pdf]))


def _parse_pid(parser: Any) -> int:
    for pid in parser.process_ids():
        return int(pid)
    return 0


def _blobs(storage_connection: str) -> Any:
    """The app's ``ReportBlobs`` on a client built as the app builds it (its options included)."""
    from types import SimpleNamespace

    from lib.adapters.storage import ReportBlobs, blob_service

    settings: Any = SimpleNamespace(storage_connection_string=storage_connection)
    return ReportBlobs(blob_service(settings).get_container_client(f"copies{uuid.uuid4().hex[:12]}"))
