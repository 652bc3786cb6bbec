"""Memory of the host process tree: over a stream of jobs, and at the shipped concurrency with maximum-size uploads.

The tree is the ``python -m tools.dev`` child and its descendants (Azurite, SecantusDB and
the Gemini stand-in are started by the bench, so they are not in it), sampled every 50 ms.
"RSS after N jobs" is the median over 1.5 s once those jobs have ended and the host is idle.

The big phase loads instances as far as their settings let them, the way Flex Consumption
places the functions (per-function scaling: the HTTP functions share instances of their own,
each queue function scales on its own): a second host on the same database and queues, with
its queue and timer functions disabled, plays the HTTP instance and takes the uploads over
:data:`HTTP_IN_FLIGHT` connections (``httpPerInstanceConcurrency`` in infra/); the first
host, which takes no uploads then, plays the parsing instance. Twice as many uploads as
host.json lets queue invocations run at once (``batchSize + newBatchThreshold``) keep every
invocation busy while more arrive; each is of the largest size accepted (two files just under
``MAX_FILE_MB``, together just under ``MAX_UPLOAD_MB``), parsed by the heaviest path: a
Gemini call from the worker (the stand-in answers after :data:`GEMINI_DELAY` s, so the calls
overlap) and the report pipeline in the parse processes (grounding, and OCR of the image page
each file ends with). Peaks per host: summed RSS (it counts pages a forkserver shares with
its children once per process) and summed PSS (shared pages split between their processes:
what the tree takes from the instance), with the PSS per role at its peak.
"""

from __future__ import annotations

import json
import threading

from bench import copies
from bench.client import Body, Uploader, multipart, wait_for_jobs
from bench.measure import MIB, Figure, RssSampler
from bench.plan import Plan
from bench.scenarios import Result
from bench.stack import Stack
from tests.support.app_host import AppHost
from tests.support.pdf_factory import make_large_pdf, make_report_pdf
from tools.services import PROJECT_ROOT

GOAL_GROWTH = 1.10
# MAX_FILE_MB is 25 (MiB): stay just under it, as the largest accepted file; two of them
# stay under MAX_UPLOAD_MB (50) and the host's body limit (51 MiB).
BIG_FILE_BYTES = int(24.5 * MIB)
BIG_FILES = 2
# Uploads in flight beside the queue invocations: infra/main.bicep httpPerInstanceConcurrency.
HTTP_IN_FLIGHT = 4
GEMINI_DELAY = 1.0
# The design bound (README "Memory"): the instance has 2,048 MB.
GOAL_PEAK_PSS_MIB = 1200.0


def shipped_queue_concurrency() -> int:
    """Queue invocations host.json lets one instance run at once: batchSize + newBatchThreshold."""
    queues = json.loads((PROJECT_ROOT / "host.json").read_text())["extensions"]["queues"]
    return int(queues.get("batchSize", 16)) + int(queues.get("newBatchThreshold", 8))


def run(stack: Stack, plan: Plan) -> Result:
    result = Result("memory", "6. Memory (RSS and PSS of the host process trees)")
    small = multipart([make_large_pdf(100 * 1024)])
    big_pdf = make_large_pdf(BIG_FILE_BYTES)
    big = multipart([big_pdf] * BIG_FILES)
    # Enough jobs to keep every queue invocation busy while uploads keep arriving.
    queue_concurrency = shipped_queue_concurrency()
    total = plan.big_uploads or 2 * queue_concurrency + HTTP_IN_FLIGHT
    with (
        stack.host("memory", gemini_delay=GEMINI_DELAY) as host,
        RssSampler(host.process.pid if host.process else 0) as sampler,
    ):
        jobs = stack.jobs(host)
        idle = sampler.settled()
        with stack.measuring(host) as meter:
            first = _upload_sequentially(host, small, plan.memory_jobs_first)
            wait_for_jobs(jobs, first, host=host, timeout=300)
            after_first = sampler.settled()
            rest = _upload_sequentially(host, small, plan.memory_jobs_total - plan.memory_jobs_first)
            wait_for_jobs(jobs, rest, host=host, timeout=600)
            after_total = sampler.settled()
        peak_jobs = sampler.peak
        # The big phase as Flex Consumption runs it (per-function scaling): the HTTP functions on
        # instances of their own, which parse nothing, and the queue functions on others, which
        # take no uploads. A second host on the same database and queues plays the HTTP instance.
        http_host = AppHost({**host.settings, **HTTP_ONLY}, stack.log_dir, name="memory-http")
        http_host.start(timeout=90)
        try:
            with RssSampler(http_host.process.pid if http_host.process else 0) as http_sampler:
                sampler.reset_peak()
                big_ids = _upload_concurrently(http_host, big, total, HTTP_IN_FLIGHT)
                wait_for_jobs(jobs, big_ids, host=host, timeout=900)
        finally:
            http_host.stop()
        parse_side = _Peaks(sampler)
        http_side = _Peaks(http_sampler)
        after_big = sampler.settled()
        statuses = [doc["status"] for doc in jobs.find({"_id": {"$in": big_ids}}, {"status": 1})]
    growth = after_total / after_first
    result.add(
        Figure(
            "memory.peak_jobs",
            f"peak RSS over {plan.memory_jobs_total} jobs",
            peak_jobs / MIB,
            "MiB",
            None,
            scenario="memory",
        )
    )
    result.add(
        Figure(
            "memory.growth",
            f"RSS after {plan.memory_jobs_total} / after {plan.memory_jobs_first} jobs",
            growth,
            "x",
            GOAL_GROWTH,
            "<=",
            scenario="memory",
        )
    )
    for side, peaks, what in (
        ("parse", parse_side, f"{queue_concurrency} parses at once (host.json)"),
        ("http", http_side, f"{HTTP_IN_FLIGHT} uploads at once (Bicep perInstanceConcurrency)"),
    ):
        label = f"{'parsing' if side == 'parse' else 'HTTP'} instance, {len(big.data) / 1e6:.0f} MB uploads, {what}"
        result.add(
            Figure(
                f"memory.{side}.peak_rss",
                f"peak RSS (summed), {label}",
                peaks.rss / MIB,
                "MiB",
                None,
                scenario="memory",
            )
        )
        result.add(
            Figure(
                f"memory.{side}.peak_pss",
                f"peak PSS (what the tree takes), {label}",
                peaks.pss / MIB,
                "MiB",
                GOAL_PEAK_PSS_MIB,
                "<",
                scenario="memory",
            )
        )
    result.details += [
        f"RSS idle after start {idle / MIB:.0f} MiB; after {plan.memory_jobs_first} jobs {after_first / MIB:.0f} MiB; "
        f"after {plan.memory_jobs_total} jobs {after_total / MIB:.0f} MiB ({growth:.3f}x); peak over the jobs "
        f"{peak_jobs / MIB:.0f} MiB",
        f"{total} x {len(big.data) / 1e6:.1f} MB ({BIG_FILES} files each) uploaded to the HTTP host from "
        f"{HTTP_IN_FLIGHT} connections, parsed by the other host (Gemini stand-in {GEMINI_DELAY:g} s, host.json "
        f"queue concurrency {queue_concurrency}): parsing host peak RSS {parse_side.rss / MIB:.0f} MiB, PSS "
        f"{parse_side.pss / MIB:.0f} MiB ({parse_side.roles()}; at most {parse_side.parse_processes} parse "
        f"processes); HTTP host peak RSS {http_side.rss / MIB:.0f} MiB, PSS {http_side.pss / MIB:.0f} MiB "
        f"({http_side.roles()}); parsing host RSS once idle again {after_big / MIB:.0f} MiB; "
        f"job statuses: {_counted(statuses)}",
        meter.describe(),
        *_copies(stack, big_pdf),
    ]
    return result


def _copies(stack: Stack, pdf: bytes) -> list[str]:
    """Where one maximum-size file's memory goes, step by step (bench/copies.py), in file sizes."""
    steps = copies.upload_steps(pdf, stack.storage_connection)
    steps.append(copies.gemini_step(pdf, stack.gemini(0.0).base_url))
    hand_over, warm, peak = copies.parse_process_steps(pdf, make_report_pdf())
    steps.append(hand_over)
    return [
        f"where one {len(pdf) / 1e6:.1f} MB file's memory goes (Python allocations at the step's peak beyond "
        "its start, in copies of the file; kept: still held after it): "
        + "; ".join(step.describe(len(pdf)) for step in steps)
        + f"; the parse process's own peak grows by {(peak - warm) / len(pdf):.1f} copies over its warm "
        f"{warm / MIB:.0f} MiB (VmHWM)"
    ]


# The HTTP host runs no queue or timer function (Flex: those scale on instances of their own).
HTTP_ONLY = {
    f"AzureWebJobs.{name}.Disabled": "true"
    for name in (
        "parse_job",
        "parse_job_poison",
        "deliver_job_webhook",
        "deliver_job_webhook_poison",
        "sweep_stuck_work",
    )
}


class _Peaks:
    """A sampler's peaks, read once the phase is over."""

    def __init__(self, sampler: RssSampler) -> None:
        self.rss, self.pss = sampler.peak, sampler.peak_pss
        self.by_role = dict(sampler.roles_at_peak_pss)
        self.parse_processes = sampler.most_parse_processes

    def roles(self) -> str:
        return ", ".join(f"{role} {size / MIB:.0f}" for role, size in self.by_role.items() if size) + " MiB"


def _counted(statuses: list[str]) -> str:
    return ", ".join(f"{statuses.count(status)} {status}" for status in sorted(set(statuses)))


def _upload_sequentially(host: AppHost, body: Body, count: int) -> list[str]:
    with Uploader(host) as uploader:
        return [uploader.upload(body)[1] for _ in range(count)]


def _upload_concurrently(host: AppHost, body: Body, count: int, clients: int) -> list[str]:
    """``count`` uploads from ``clients`` connections at once (the platform's HTTP concurrency per instance)."""
    ids: list[str] = []
    errors: list[BaseException] = []
    left = iter(range(count))
    lock = threading.Lock()

    def one() -> None:
        try:
            with Uploader(host, timeout=300) as uploader:
                while True:
                    with lock:
                        if next(left, None) is None or errors:
                            return
                    ids.append(uploader.upload(body)[1])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, name=f"big-upload-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return ids
