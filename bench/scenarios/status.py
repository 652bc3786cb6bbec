"""Status latency: 16 concurrent pollers (aiohttp) reading completed jobs, flat out, next to its floor.

Each poller sends its next request as soon as the previous answer arrived (a closed
loop), so the host is saturated and, by Little's law, latency ~ 16 / throughput. One
poller alone is measured too, as the unloaded reference. The floor is what any status
answer must pay: the two reads of a completed job (the job, its parsed report) through
the app's own ``JobStore`` and ``ReportStore``, from 16 threads in this process in the same closed loop,
against the same database -- no HTTP, no API key, no JSON.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import aiohttp

from bench.client import Uploader, multipart, wait_for_jobs
from bench.measure import Figure, Summary, ms
from bench.plan import Plan
from bench.scenarios import Result
from bench.stack import Stack
from lib.adapters.job_store import JobStore
from lib.adapters.mongo_client import connect
from lib.adapters.report_store import ReportStore
from tests.support.app_host import API_KEY, TENANT, AppHost
from tests.support.pdf_factory import make_large_pdf

POLLERS = 16
WARMUP = 50
GOAL_P95_MS = 20.0


async def _poll(host: AppHost, job_ids: list[str], requests: int, pollers: int) -> tuple[list[float], float]:
    """``requests`` GETs spread over ``pollers`` loops; (latencies in s, wall seconds)."""
    urls = itertools.cycle([host.status_url(job_id) for job_id in job_ids])
    remaining = requests
    latencies: list[float] = []
    connector = aiohttp.TCPConnector(limit=pollers)
    async with aiohttp.ClientSession(connector=connector, headers={"X-API-Key": API_KEY}) as session:

        async def poller() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                url = next(urls)
                started = time.perf_counter()
                async with session.get(url) as response:
                    await response.read()
                    if response.status != 200:
                        raise RuntimeError(f"status answered {response.status}")
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(poller() for _ in range(pollers)))
        return latencies, time.perf_counter() - started


def _floor(host: AppHost, job_ids: list[str], requests: int, pollers: int) -> list[float]:
    """The status reads alone, ``requests`` times over ``pollers`` threads; latencies in s."""
    client = connect(host.settings["MONGODB_URI"], 10_000)
    store, reports = JobStore(client[host.database]), ReportStore(client[host.database])
    ids = itertools.cycle(job_ids)
    lock = threading.Lock()
    remaining = requests

    def poller() -> list[float]:
        nonlocal remaining
        latencies: list[float] = []
        while True:
            with lock:
                if remaining <= 0:
                    return latencies
                remaining -= 1
                job_id = next(ids)
            started = time.perf_counter()
            job = store.get_for_tenant(job_id, TENANT)
            if job is None or reports.get_parsed_data(job.report_id) is None:
                raise RuntimeError(f"job {job_id} or its report is missing")
            latencies.append(time.perf_counter() - started)

    try:
        with ThreadPoolExecutor(pollers) as pool:
            return [value for share in pool.map(lambda _: poller(), range(pollers)) for value in share]
    finally:
        client.close()


def run(stack: Stack, plan: Plan) -> Result:
    result = Result("status", f"2. Status with {POLLERS} concurrent pollers (completed jobs)")
    with stack.host("status") as host:
        body = multipart([make_large_pdf(100 * 1024)])
        with Uploader(host) as uploader:
            job_ids = [uploader.upload(body)[1] for _ in range(plan.status_jobs)]
        wait_for_jobs(stack.jobs(host), job_ids, host=host, timeout=120)
        asyncio.run(_poll(host, job_ids, WARMUP, POLLERS))
        single, _ = asyncio.run(_poll(host, job_ids, plan.status_requests_single, 1))
        with stack.measuring(host) as meter:
            loaded, wall = asyncio.run(_poll(host, job_ids, plan.status_requests, POLLERS))
        _floor(host, job_ids, WARMUP, POLLERS)
        floor = Summary.of(ms(_floor(host, job_ids, plan.status_requests, POLLERS)))
    one, many = Summary.of(ms(single)), Summary.of(ms(loaded))
    rate = len(loaded) / wall
    result.add(
        Figure("status.c16.p50", f"status p50 at {POLLERS} pollers", many.p50, "ms", None, scenario="status")
    )
    result.add(
        Figure(
            "status.c16.p95",
            f"status p95 at {POLLERS} pollers",
            many.p95,
            "ms",
            GOAL_P95_MS,
            "<",
            scenario="status",
        )
    )
    result.add(
        Figure(
            "status.c16.rate",
            f"status requests/s at {POLLERS} pollers",
            rate,
            "req/s",
            None,
            scenario="status",
        )
    )
    for pct, loaded_ms, floor_ms in (("p50", many.p50, floor.p50), ("p95", many.p95, floor.p95)):
        result.add(
            Figure(
                f"status_floor.c16.{pct}",
                f"status floor {pct} at {POLLERS} (the two reads alone)",
                floor_ms,
                "ms",
                None,
                scenario="status",
            )
        )
        result.add(
            Figure(
                f"status_floor.ratio.{pct}",
                f"status/floor at {POLLERS} pollers, {pct}",
                loaded_ms / floor_ms,
                "x",
                None,
                scenario="status",
            )
        )
    result.add(Figure("status.c1.p50", "status p50, one poller", one.p50, "ms", None, scenario="status"))
    result.add(Figure("status.c1.p95", "status p95, one poller", one.p95, "ms", None, scenario="status"))
    result.details += [
        f"{POLLERS} pollers: {many.brief()}, max {many.max:.0f} ms, {rate:.0f} req/s; "
        f"one poller: {one.brief()}",
        f"Little's law: {POLLERS} in flight / {rate:.0f} req/s = {POLLERS / rate * 1000:.0f} ms mean latency "
        f"(measured mean {many.mean:.0f} ms): at {POLLERS} pollers the figure is the host's throughput, "
        f"p95 < {GOAL_P95_MS:.0f} ms needs about {POLLERS / (GOAL_P95_MS / 1000):.0f} req/s",
        f"floor (JobStore.get_for_tenant + ReportStore.get_parsed_data from {POLLERS} threads here): {floor.brief()}, "
        f"max {floor.max:.0f} ms",
        meter.describe(),
    ]
    return result
