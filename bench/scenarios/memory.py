"""Memory of the host process tree: over a stream of jobs, and under concurrent 25 MB uploads.

The tree is the ``python -m tools.dev`` child and its descendants (Azurite, SecantusDB and
the Gemini stand-in are started by the bench, so they are not in it), sampled every 50 ms.
Jobs use the instant Gemini stand-in and host.json as shipped. "RSS after N jobs" is the
median over 1.5 s once those jobs have ended and the host is idle.
"""

from __future__ import annotations

import threading

from bench.client import Body, Uploader, multipart, wait_for_jobs
from bench.measure import MIB, Figure, RssSampler
from bench.plan import Plan
from bench.scenarios import Result
from bench.stack import Stack
from tests.support.app_host import AppHost
from tests.support.pdf_factory import make_large_pdf

GOAL_GROWTH = 1.10
# MAX_FILE_MB is 25 (MiB): stay just under it, as the largest accepted file.
BIG_FILE_BYTES = int(24.5 * MIB)


def run(stack: Stack, plan: Plan) -> Result:
    result = Result("memory", "6. Memory (RSS of the host process tree)")
    small = multipart([make_large_pdf(100 * 1024)])
    big = multipart([make_large_pdf(BIG_FILE_BYTES)])
    with stack.host("memory") as host, RssSampler(host.process.pid if host.process else 0) as sampler:
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
        sampler.reset_peak()
        big_ids = _upload_concurrently(host, big, plan.big_uploads)
        wait_for_jobs(jobs, big_ids, host=host, timeout=600)
        peak_big = sampler.peak
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
    result.add(
        Figure(
            "memory.peak_big",
            f"peak RSS, {plan.big_uploads} concurrent {BIG_FILE_BYTES / 1e6:.1f} MB uploads (and their parsing)",
            peak_big / MIB,
            "MiB",
            None,
            scenario="memory",
        )
    )
    result.details += [
        f"RSS idle after start {idle / MIB:.0f} MiB; after {plan.memory_jobs_first} jobs {after_first / MIB:.0f} MiB; "
        f"after {plan.memory_jobs_total} jobs {after_total / MIB:.0f} MiB ({growth:.3f}x); peak over the jobs "
        f"{peak_jobs / MIB:.0f} MiB",
        f"{plan.big_uploads} x {len(big.data) / 1e6:.1f} MB at once: peak {peak_big / MIB:.0f} MiB "
        f"(+{(peak_big - after_total) / MIB:.0f} MiB over idle, {(peak_big - after_total) / MIB / max(1, plan.big_uploads):.0f} "
        f"MiB per upload); RSS once idle again {after_big / MIB:.0f} MiB; job statuses: {sorted(statuses)}",
        meter.describe(),
    ]
    return result


def _upload_sequentially(host: AppHost, body: Body, count: int) -> list[str]:
    with Uploader(host) as uploader:
        return [uploader.upload(body)[1] for _ in range(count)]


def _upload_concurrently(host: AppHost, body: Body, count: int) -> list[str]:
    ids: list[str] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(count)

    def one() -> None:
        try:
            with Uploader(host, timeout=300) as uploader:
                barrier.wait()
                ids.append(uploader.upload(body)[1])
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            errors.append(exc)

    threads = [threading.Thread(target=one, name=f"big-upload-{n}") for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return ids
