"""Cost per job: MongoDB commands and Storage requests from upload to completed, without and with a webhook.

These counts are what the bills are made of: Cosmos DB charges request units per command,
Storage charges per transaction. They are counted at the clients' boundary inside the app
host (``bench/callcount/sitecustomize.py``: a pymongo command listener for every client, and
azure-core's HTTP transport), against the bench's real Azurite and SecantusDB, and each
call is attributed by the project frames that made it:

* ``sweeper``: the timer's passes (a cost per pass, not per job; reported on their own);
* ``trigger``: the local host's own queue traffic (receiving and deleting the messages it
  hands to the queue functions; the Functions host does the same in Azure), and its idle
  polling;
* ``app``: everything else, the app's own calls, grouped by the service and adapter
  function that made them.

Jobs run one at a time (upload, then wait for the end in the bench's own database client,
which is not counted), after warm-up jobs that pay the once-per-process costs (container
and queue creation, index checks, the key look-up cache). ``floor`` is the least a job
needs: MongoDB one insert, one claim, one report write, one completion; Storage one blob
write per file, one blob read per file, one queue send. A webhook adds, at least, one
queue send, the delivery's claim (returning what the body needs) and its outcome.
"""

from __future__ import annotations

import collections
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.client import multipart, wait_for_jobs
from bench.measure import Figure
from bench.plan import Plan
from bench.scenarios import Result
from bench.stack import Stack
from tests.support.app_host import API_KEY, AppHost
from tests.support.pdf_factory import make_report_pdf
from tests.support.webhook_receiver import WebhookReceiver
from tools.services import PROJECT_ROOT

PROBE_DIR = Path(__file__).resolve().parent.parent / "callcount"
FLOOR_MONGO = 4  # insert, claim, report write, completion
FLOOR_STORAGE = 3  # one file: blob write, blob read, queue send
FLOOR_WEBHOOK_MONGO = 2  # the delivery's claim (returning the job) and its outcome
FLOOR_WEBHOOK_STORAGE = 1  # the webhook queue send
QUIET_SECONDS = 1.5
_SWEEPER = ("lib/services/sweep.py", "functions/sweeper_timer.py")


def run(stack: Stack, plan: Plan) -> Result:
    result = Result("cost", "9. Cost per job: database commands and Storage requests")
    log = stack.workdir / "calls.jsonl"
    log.unlink(missing_ok=True)
    extra = {
        "PYTHONPATH": str(PROBE_DIR),
        "BENCH_CALL_LOG": str(log),
        "BENCH_PROJECT_ROOT": str(PROJECT_ROOT),
    }
    body = multipart([make_report_pdf()])
    jobs_per_case = plan.cost_jobs
    with WebhookReceiver() as receiver, stack.host("cost", extra=extra) as host:
        jobs = stack.jobs(host)
        hook = f"{receiver.url}/hook"
        with _client(host) as client:
            # Warm-up: the once-per-process costs (container, queues, indexes, key cache).
            warm = [_upload(client, host, body, None) for _ in range(2)] + [_upload(client, host, body, hook)]
            wait_for_jobs(jobs, warm, host=host, timeout=120)
            _wait_for(lambda: len(receiver.requests) >= 1, 60)
            _quiet(log)
            start_plain = time.time()
            for _ in range(jobs_per_case):
                wait_for_jobs(jobs, [_upload(client, host, body, None)], host=host, timeout=120)
            _quiet(log)
            start_hook = time.time()
            delivered = len(receiver.requests)
            for _ in range(jobs_per_case):
                wait_for_jobs(jobs, [_upload(client, host, body, hook)], host=host, timeout=120)
                _wait_for(lambda seen=delivered: len(receiver.requests) > seen, 60)
                delivered = len(receiver.requests)
            _quiet(log)
            end = time.time()
    calls = [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
    plain = _window(calls, start_plain, start_hook)
    hooked = _window(calls, start_hook, end)
    for case, window, floor_mongo, floor_storage in (
        ("without webhook", plain, FLOOR_MONGO, FLOOR_STORAGE),
        (
            "with webhook",
            hooked,
            FLOOR_MONGO + FLOOR_WEBHOOK_MONGO,
            FLOOR_STORAGE + FLOOR_WEBHOOK_STORAGE,
        ),
    ):
        app = [call for call in window if _source(call) == "app"]
        mongo = sum(call["kind"] == "mongo" for call in app) / jobs_per_case
        storage = sum(call["kind"] == "storage" for call in app) / jobs_per_case
        key = case.replace(" ", "_")
        result.add(
            Figure(f"cost.mongo.{key}", f"MongoDB commands per job, {case}", mongo, "", None, scenario="cost")
        )
        result.add(
            Figure(
                f"cost.mongo_floor.{key}",
                f"MongoDB commands per job / floor ({floor_mongo}), {case}",
                mongo / floor_mongo,
                "x",
                None,
                scenario="cost",
            )
        )
        result.add(
            Figure(
                f"cost.storage.{key}",
                f"Storage requests per job (app), {case}",
                storage,
                "",
                None,
                scenario="cost",
            )
        )
        result.add(
            Figure(
                f"cost.storage_floor.{key}",
                f"Storage requests per job (app) / floor ({floor_storage}), {case}",
                storage / floor_storage,
                "x",
                None,
                scenario="cost",
            )
        )
        result.details.append(f"**{case}** ({jobs_per_case} jobs, one file each), app calls per job:")
        result.details += [f"  {line}" for line in _breakdown(app, jobs_per_case)]
        trigger = [call for call in window if _source(call) == "trigger"]
        seconds = (start_hook - start_plain) if case == "without webhook" else (end - start_hook)
        result.details.append(
            "  the host's trigger traffic in the same window: "
            + "; ".join(
                f"{op} {count}" for op, count in collections.Counter(c["op"] for c in trigger).most_common()
            )
            + f" over {seconds:.0f} s (receiving and deleting each message, and polling every queue at up to "
            "maxPollingInterval when idle: a cost per queue and second, not per job)"
        )
    sweeps = [call for call in calls if _source(call) == "sweeper"]
    result.details.append(
        "sweeper (all passes in the run, a cost per pass): "
        + (
            "; ".join(f"{op} {n}" for op, n in collections.Counter(c["op"] for c in sweeps).most_common())
            or "none"
        )
    )
    once = _window(calls, 0, start_plain)
    result.details.append(
        "warm-up (3 jobs, once-per-process costs included): "
        + "; ".join(
            f"{op} {n}"
            for op, n in collections.Counter(c["op"] for c in once if _source(c) == "app").most_common()
        )
    )
    return result


def _window(calls: list[dict[str, Any]], start: float, end: float) -> list[dict[str, Any]]:
    return [call for call in calls if start <= call["t"] < end]


def _source(call: dict[str, Any]) -> str:
    where: list[str] = call["where"]
    if any(frame.startswith(_SWEEPER) for frame in where):
        return "sweeper"
    if not any(frame.startswith(("lib/", "functions/")) for frame in where):
        return "trigger"
    return "app"


def _caller(where: list[str]) -> str:
    """The service (outermost ``lib/services`` frame) and the adapter (innermost ``lib/`` frame)."""
    app = [frame for frame in where if frame.startswith("lib/")]
    services = [frame for frame in app if frame.startswith("lib/services/")]
    outer = services[0] if services else (app[0] if app else where[-1] if where else "?")
    inner = app[-1] if app else "?"
    return outer if outer == inner else f"{outer} > {inner}"


def _breakdown(calls: list[dict[str, Any]], jobs: int) -> list[str]:
    counted = collections.Counter((call["kind"], call["op"], _caller(call["where"])) for call in calls)
    return [
        f"{kind} `{op}` {count / jobs:g} from `{where}`"
        for (kind, op, where), count in sorted(counted.items(), key=lambda item: (item[0][0], -item[1]))
    ]


@contextmanager
def _client(host: AppHost) -> Iterator[httpx.Client]:
    with httpx.Client(timeout=60, headers={"X-API-Key": API_KEY}) as client:
        yield client


def _upload(client: httpx.Client, host: AppHost, body: Any, webhook: str | None) -> str:
    response = client.post(
        host.reports_url,
        content=body.data,
        headers={"Content-Type": body.content_type},
        params={"webhook_url": webhook} if webhook else None,
    )
    if response.status_code != 202:
        raise RuntimeError(f"upload answered {response.status_code}: {response.text[:300]}")
    job_id: str = response.json()["job_id"]
    return job_id


def _wait_for(condition: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the webhook receiver did not get the delivery")
        time.sleep(0.05)


def _quiet(log: Path, timeout: float = 60) -> None:
    """Wait until the app has made no call for :data:`QUIET_SECONDS` (its work for the last job is done)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        calls = (
            [json.loads(line) for line in log.read_text().splitlines() if line.strip()]
            if log.exists()
            else []
        )
        last = max((call["t"] for call in calls if _source(call) == "app"), default=0.0)
        if time.time() - last >= QUIET_SECONDS:
            return
