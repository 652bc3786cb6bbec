"""Upload latency over HTTP, next to its floor: the same bytes through the app's own storage clients.

The host runs with its parse trigger disabled (``AzureWebJobs.parse_job.Disabled``), so
the figure is the upload path alone, not uploads competing with parsing for the two
cores. The floor is what any upload must pay: one blob write plus one queue send to the
same Azurite, with the app's adapters (``ReportBlobs``/``JobQueue``: same SDK, same retry
and time-out options), called from this process. Uploads and floor operations alternate,
so both see the same background noise. A third operation, alternating with them, is the
HTTP leg alone (the same body refused for its malformed key once received, before it is
decoded): upload - floor - HTTP leg is what the app adds in between.
"""

from __future__ import annotations

import hashlib
import statistics
import time
from dataclasses import dataclass

from bson import ObjectId

from bench.client import Body, Uploader, multipart
from bench.measure import Figure, Summary, ms
from bench.plan import Plan
from bench.scenarios import Result
from bench.stack import Stack
from lib.adapters.multipart_form import read_upload_form
from lib.adapters.pdf_inspect import count_pages
from lib.adapters.storage import JobQueue, ReportBlobs, blob_service, queue_service
from lib.domain.uploads import UploadLimits
from lib.settings import Settings
from tests.support.pdf_factory import make_large_pdf

KB, MB = 1024, 1024 * 1024
SIZES = (("100 KB", 100 * KB), ("2.5 MB", int(2.5 * MB)))
GOAL_P95_MS_AT_2_5_MB = 100.0
GOAL_RATIO = 1.5


@dataclass(frozen=True)
class Floor:
    """One blob write and one queue send, through the app's adapters."""

    blobs: ReportBlobs
    queue: JobQueue

    @classmethod
    def for_settings(cls, settings: Settings) -> Floor:
        container = blob_service(settings).get_container_client(settings.container_name)
        return cls(ReportBlobs(container), JobQueue(queue_service(settings), settings.parse_queue_name))

    def once(self, data: bytes, sha256: str) -> float:
        job_id = str(ObjectId())
        started = time.perf_counter()
        self.blobs.put(f"bench-floor/{job_id}/1.pdf", data, sha256=sha256)
        self.queue.send(job_id)
        return time.perf_counter() - started


def step_costs(body: Body, limits: UploadLimits, repeats: int = 7) -> dict[str, float]:
    """Median ms of the upload's per-byte steps, run here in isolation with the app's own code."""
    timings: dict[str, list[float]] = {"multipart decode": [], "sha256": [], "page count": []}
    for _ in range(repeats):
        started = time.perf_counter()
        data = [item.data for item in read_upload_form(body.data, body.content_type, limits).files]
        decoded = time.perf_counter()
        for item in data:
            hashlib.sha256(item).hexdigest()
        hashed = time.perf_counter()
        for item in data:
            count_pages(item, "file 1")
        counted = time.perf_counter()
        for name, seconds in zip(
            timings, (decoded - started, hashed - decoded, counted - hashed), strict=True
        ):
            timings[name].append(seconds * 1000)
    return {name: statistics.median(values) for name, values in timings.items()}


def run(stack: Stack, plan: Plan) -> Result:
    result = Result("upload", "1. Upload over HTTP vs floor (blob write + queue send)")
    extra = {"AzureWebJobs.parse_job.Disabled": "true"}
    with stack.host("upload", extra=extra) as host, Uploader(host) as uploader:
        settings = Settings.from_env(host.settings)
        floor = Floor.for_settings(settings)
        with stack.measuring(host) as meter:
            for label, size in SIZES:
                _measure_size(
                    result, label, make_large_pdf(size), uploader, floor, plan, settings.upload_limits
                )
        result.details.append(meter.describe())
    result.details.append(
        "Host: parse trigger disabled (upload path only). Floor: the app's ReportBlobs.put + JobQueue.send "
        "(same SDK clients and options) from the bench process, alternating with the uploads."
    )
    return result


def _measure_size(
    result: Result, label: str, pdf: bytes, uploader: Uploader, floor: Floor, plan: Plan, limits: UploadLimits
) -> None:
    body = multipart([pdf])
    sha256 = hashlib.sha256(pdf).hexdigest()
    uploads: list[float] = []
    floors: list[float] = []
    legs: list[float] = []
    for number in range(plan.upload_warmup + plan.uploads_per_size):
        # Alternate which goes first, so neither always follows the other's cache effects.
        if number % 2:
            upload_seconds, _ = uploader.upload(body)
            floor_seconds = floor.once(pdf, sha256)
        else:
            floor_seconds = floor.once(pdf, sha256)
            upload_seconds, _ = uploader.upload(body)
        leg_seconds = uploader.refused(body)
        if number >= plan.upload_warmup:
            uploads.append(upload_seconds)
            floors.append(floor_seconds)
            legs.append(leg_seconds)
    up, fl, leg = Summary.of(ms(uploads)), Summary.of(ms(floors)), Summary.of(ms(legs))
    key = label.replace(" ", "")
    is_big = size_is_goal(label)
    result.add(Figure(f"upload.{key}.p50", f"upload {label} p50", up.p50, "ms", None, scenario="upload"))
    result.add(
        Figure(
            f"upload.{key}.p95",
            f"upload {label} p95",
            up.p95,
            "ms",
            GOAL_P95_MS_AT_2_5_MB if is_big else None,
            "<",
            scenario="upload",
        )
    )
    result.add(Figure(f"floor.{key}.p50", f"floor {label} p50", fl.p50, "ms", None, scenario="upload"))
    result.add(Figure(f"floor.{key}.p95", f"floor {label} p95", fl.p95, "ms", None, scenario="upload"))
    result.add(
        Figure(
            f"upload_floor.{key}.p50",
            f"upload/floor {label} at p50",
            up.p50 / fl.p50,
            "x",
            GOAL_RATIO,
            "<=",
            scenario="upload",
        )
    )
    result.add(
        Figure(
            f"upload_floor.{key}.p95",
            f"upload/floor {label} at p95",
            up.p95 / fl.p95,
            "x",
            GOAL_RATIO,
            "<=",
            scenario="upload",
        )
    )
    result.add(
        Figure(f"http_leg.{key}.p50", f"HTTP leg alone {label} p50", leg.p50, "ms", None, scenario="upload")
    )
    result.details.append(
        f"{label} ({len(pdf)} bytes): upload {up.brief()}, max {up.max:.0f} ms; floor {fl.brief()}, "
        f"max {fl.max:.0f} ms; app time above the floor at p50: {up.p50 - fl.p50:.1f} ms, of which the "
        f"HTTP leg alone (body received, refused for a malformed key before it is decoded) {leg.p50:.1f} ms "
        f"(p95 {leg.p95:.1f} ms); the rest, {up.p50 - fl.p50 - leg.p50:.1f} ms, is the key and project "
        "check, the multipart decode, the page count, the hash and the job's insert; upload / (floor + HTTP leg) at p50: "
        f"{up.p50 / (fl.p50 + leg.p50):.2f} x"
    )
    steps = step_costs(body, limits)
    result.details.append(
        f"{label}: the upload's per-byte steps alone (app code run in the bench process, median): "
        + ", ".join(f"{name} {value:.1f} ms" for name, value in steps.items())
        + f", total {sum(steps.values()):.1f} ms"
    )


def size_is_goal(label: str) -> bool:
    """The latency goal is stated for the 2.5 MB upload."""
    return label == "2.5 MB"
