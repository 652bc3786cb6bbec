"""Pickup delay and per-job overhead, from one stream of spaced uploads (host.json as shipped).

Reports go in one at a time, 0.3-2 s apart (seeded), so the queue listener is idle and
backing off toward ``maxPollingInterval`` (1 s) as it would between real uploads. The
Gemini stand-in answers at once, so parsing costs almost nothing and what remains is
the app's own work plus queue polling. All times come from the job's own timestamps:

- pickup = ``history[0].started_at - created_at`` (job recorded -> claimed, status ``processing``),
  split where the client had its answer (the bench and the host share this machine's clock);
- overhead = ``completed_at - created_at - parse_ms`` (end to end, minus the parser call).
"""

from __future__ import annotations

import random
import time
from datetime import datetime

from bench.client import JobTimes, Uploader, multipart, wait_for_jobs
from bench.measure import Figure, Summary
from bench.plan import Plan
from bench.scenarios import Result
from bench.stack import Stack
from tests.support.pdf_factory import make_large_pdf

GOAL_PICKUP_P50_S = 1.0
GOAL_OVERHEAD_P50_MS = 50.0
GAP_SECONDS = (0.3, 2.0)


def run(stack: Stack, plan: Plan) -> Result:
    result = Result("pickup", "3-4. Pickup and per-job overhead (spaced uploads, instant parser)")
    rng = random.Random(6)  # noqa: S311 - spacing of requests, not security
    body = multipart([make_large_pdf(100 * 1024)])
    answered: dict[str, float] = {}
    with (
        stack.host("pickup") as host,
        Uploader(host) as uploader,
        stack.measuring(host) as meter,
    ):
        for _ in range(plan.pickup_jobs):
            time.sleep(rng.uniform(*GAP_SECONDS))
            _, job_id = uploader.upload(body)
            answered[job_id] = time.time()
        docs = wait_for_jobs(stack.jobs(host), answered, host=host, timeout=120)
    times = [JobTimes.of(doc) for doc in docs if doc["status"] == "completed"]
    failed = len(docs) - len(times)
    pickup = Summary.of([t.started for t in times if t.started is not None])
    overhead = Summary.of(
        [t.completed * 1000 - t.parse_ms for t in times if t.completed is not None and t.parse_ms is not None]
    )
    # The bench and the host share this machine's clock: the answer's arrival splits the pickup.
    created_at = {doc["_id"]: _epoch(doc["created_at"]) for doc in docs if doc["status"] == "completed"}
    upload_side = Summary.of([(answered[job_id] - created) * 1000 for job_id, created in created_at.items()])
    queue_wait = Summary.of(
        [
            (t.started + created_at[t.job_id] - answered[t.job_id]) * 1000
            for t in times
            if t.started is not None
        ]
    )
    worker = Summary.of(
        [
            (t.completed - t.started) * 1000 - t.parse_ms
            for t in times
            if t.completed is not None and t.started is not None and t.parse_ms is not None
        ]
    )
    parse = Summary.of([float(t.parse_ms) for t in times if t.parse_ms is not None])
    result.add(
        Figure(
            "pickup.p50",
            "pickup p50 (created -> processing)",
            pickup.p50,
            "s",
            GOAL_PICKUP_P50_S,
            "<",
            scenario="pickup",
        )
    )
    result.add(Figure("pickup.p95", "pickup p95", pickup.p95, "s", None, scenario="pickup"))
    result.add(
        Figure(
            "overhead.p50",
            "overhead p50 (end to end - parse_ms)",
            overhead.p50,
            "ms",
            GOAL_OVERHEAD_P50_MS,
            "<",
            scenario="pickup",
        )
    )
    result.add(Figure("overhead.p95", "overhead p95", overhead.p95, "ms", None, scenario="pickup"))
    result.add(
        Figure(
            "overhead.worker.p50",
            "overhead p50 inside the worker (completed - started - parse_ms)",
            worker.p50,
            "ms",
            None,
            scenario="pickup",
        )
    )
    result.details += [
        f"{len(times)} jobs completed ({failed} not): pickup {pickup.brief('s', 3)}",
        f"breakdown, p50 (p95): created -> upload answered (the send and the reply, client clock) "
        f"{upload_side.p50:.0f} ({upload_side.p95:.0f}) ms; upload answered -> claimed (queue polling) "
        f"{queue_wait.p50:.0f} "
        f"({queue_wait.p95:.0f}) ms; claimed -> completed minus parse_ms (the worker) {worker.p50:.0f} "
        f"({worker.p95:.0f}) ms; parse_ms {parse.p50:.0f} ({parse.p95:.0f}) ms",
        meter.describe(),
    ]
    return result


def _epoch(value: datetime) -> float:
    return value.timestamp()
