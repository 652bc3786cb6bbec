"""Hostile input: what refusing it costs, and how long a document bomb can hold a worker.

The host runs the offline parser (parses happen on this machine) with the shipped limits.

- refusals: a 10.4 MB body of 200,000 one-byte parts, without a key (401) and with one
  (400 ``too_many_parts``); a 50,000-page PDF (413 ``too_many_pages``). Each next to its
  floor: a body of the same size in one part with a malformed key, which pays for sending,
  receiving and answering and nothing else. The host's CPU per refusal is counted too.
- the bomb: 200 pages that all draw one deflated content stream inflating to 70 MB (a
  256 KB file; the parser used to need about 40 CPU-minutes for it). Upload to the job's
  end, the CPU its parse took, and another tenant's status latency meanwhile, against
  the same requests with nothing parsing.
- isolation, the measurement behind parsing in parse processes: one sample report parsed
  in this process, in a warm parse process, and in a fresh one (the start-up).
"""

from __future__ import annotations

import contextlib
import time

import httpx
import psutil

from bench.client import Body, Uploader, multipart, wait_for_jobs
from bench.measure import Figure, Summary, ms
from bench.plan import Plan
from bench.scenarios import Result
from bench.stack import Stack
from lib.adapters.isolated_parser import IsolatedParser, WorkLimits
from lib.adapters.local_parser import LocalReportParser
from lib.adapters.report_pipeline import ReportPipeline
from lib.adapters.tenant_store import AlreadyExists
from lib.bootstrap import build_context
from lib.domain.parsing import ParseRequest
from lib.services import admin
from lib.settings import Settings
from tests.support.app_host import AppHost
from tests.support.hostile_pdfs import many_pages_pdf, shared_stream_bomb_pdf
from tests.support.pdf_factory import make_report_pdf

MB = 1024 * 1024
OTHER_TENANT, OTHER_PROJECT = "tenant-bench-other", "project-bench-other"
GOAL_REFUSAL_MS = 100.0
GOAL_BOMB_S = 10.0


def run(stack: Stack, plan: Plan) -> Result:
    result = Result("hostile", "7. Hostile input: refusal cost, the bomb, parse isolation")
    with stack.host("hostile", extra={"PARSER": "local"}) as host, stack.measuring(host) as meter:
        host_process = psutil.Process(host.process.pid if host.process else 0)
        with httpx.Client(timeout=120) as client:
            _refusals(result, host, host_process, client, plan.hostile_repeats)
            _bomb(result, stack, host, client)
    _isolation(result, plan.hostile_repeats * 5)
    result.details.append(meter.describe())
    return result


def _post(client: httpx.Client, host: AppHost, body: Body, key: str | None) -> tuple[float, int]:
    headers = {"Content-Type": body.content_type, **({"X-API-Key": key} if key else {})}
    started = time.perf_counter()
    response = client.post(host.reports_url, content=body.data, headers=headers)
    return time.perf_counter() - started, response.status_code


def _refusals(
    result: Result, host: AppHost, process: psutil.Process, client: httpx.Client, repeats: int
) -> None:
    part = b'--x\r\nContent-Disposition: form-data; name="f"\r\n\r\nz\r\n'
    parts = Body("multipart/form-data; boundary=x", part * 200_000 + b"--x--\r\n")
    floor = multipart([b"%PDF-" + b"\0" * (len(parts.data) - 200)])
    pages = multipart([many_pages_pdf(50_000)])
    cases = [
        ("floor", floor, "not-a-key", 401),
        ("anonymous", parts, None, 401),
        ("keyed", parts, host.settings["DEV_API_KEY"], 400),
        ("pages", pages, host.settings["DEV_API_KEY"], 413),
    ]
    for name, body, key, expected in cases:
        _post(client, host, body, key)  # warm-up
        times, cpu = [], []
        for _ in range(repeats):
            before = sum(process.cpu_times()[:2])
            seconds, code = _post(client, host, body, key)
            if code != expected:
                raise RuntimeError(f"{name}: answered {code}, expected {expected}")
            cpu.append(sum(process.cpu_times()[:2]) - before)
            times.append(seconds)
        summary, host_cpu = Summary.of(ms(times)), Summary.of(ms(cpu))
        label = {
            "floor": "floor: a 10.4 MB one-part body, malformed key",
            "anonymous": "200,000-part body, no key -> 401",
            "keyed": "200,000-part body, valid key -> 400 too_many_parts",
            "pages": "50,000-page PDF (6.0 MB) -> 413 too_many_pages",
        }[name]
        goal = None if name == "floor" else GOAL_REFUSAL_MS
        result.add(
            Figure(f"hostile.{name}.p50", f"{label}, p50", summary.p50, "ms", goal, "<", scenario="hostile")
        )
        result.add(
            Figure(
                f"hostile.{name}.cpu", f"{label}, host CPU p50", host_cpu.p50, "ms", None, scenario="hostile"
            )
        )
        result.details.append(f"{label}: {summary.brief()}; host CPU {host_cpu.brief()}")


def _other_tenant_key(host: AppHost) -> str:
    ctx = build_context(Settings.from_env(host.settings), parser=LocalReportParser())
    try:
        with contextlib.suppress(AlreadyExists):
            admin.create_tenant(ctx, OTHER_TENANT, "bench")
        with contextlib.suppress(AlreadyExists):
            admin.create_project(ctx, OTHER_TENANT, OTHER_PROJECT, "bench")
        return admin.create_api_key(ctx, OTHER_TENANT)
    finally:
        ctx.close()


def _status_latencies(
    client: httpx.Client, url: str, key: str, until: float | None, count: int
) -> list[float]:
    latencies = []
    while len(latencies) < count or (until is not None and time.monotonic() < until):
        started = time.perf_counter()
        if client.get(url, headers={"X-API-Key": key}).status_code != 200:
            raise RuntimeError("another tenant's status request failed")
        latencies.append(time.perf_counter() - started)
        if until is not None and time.monotonic() >= until:
            break
    return latencies


def _bomb(result: Result, stack: Stack, host: AppHost, client: httpx.Client) -> None:
    key = _other_tenant_key(host)
    other = client.post(
        host.url + f"/api/v1/tenants/{OTHER_TENANT}/projects/{OTHER_PROJECT}/reports",
        files=[("file", ("r.pdf", make_report_pdf(), "application/pdf"))],
        headers={"X-API-Key": key},
    ).json()["job_id"]
    jobs = stack.jobs(host)
    wait_for_jobs(jobs, [other], timeout=60, host=host)
    url = host.status_url(other)
    idle = Summary.of(ms(_status_latencies(client, url, key, None, 200)))

    with Uploader(host) as uploader:
        started = time.monotonic()
        _, job_id = uploader.upload(multipart([shared_stream_bomb_pdf(pages=200)]))
    busy: list[float] = []
    while (doc := jobs.find_one({"_id": job_id})) is not None and doc["status"] not in (
        "completed",
        "failed",
    ):
        busy += _status_latencies(client, url, key, time.monotonic() + 0.5, 1)
        if time.monotonic() - started > 300:
            raise RuntimeError("the bomb did not end within 5 minutes")
    ended = time.monotonic() - started
    during = Summary.of(ms(busy))
    code = doc["error"]["code"] if doc and doc.get("error") else doc and doc["status"]
    result.add(
        Figure(
            "hostile.bomb.seconds",
            "bomb: upload -> failed (pdf_too_complex)",
            ended,
            "s",
            GOAL_BOMB_S,
            "<",
            scenario="hostile",
        )
    )
    result.add(
        Figure(
            "hostile.status.idle.p95",
            "other tenant's status p95, nothing parsing",
            idle.p95,
            "ms",
            None,
            scenario="hostile",
        )
    )
    result.add(
        Figure(
            "hostile.status.bomb.p95",
            "other tenant's status p95, while the bomb parses",
            during.p95,
            "ms",
            None,
            scenario="hostile",
        )
    )
    result.details.append(
        f"bomb (200 pages, {len(shared_stream_bomb_pdf(pages=200)) // 1024} KB) ended as {code} after {ended:.2f} s; "
        f"other tenant's status idle {idle.brief()}, during {during.brief()}"
    )


def _isolation(result: Result, repeats: int) -> None:
    request = ParseRequest([make_report_pdf()])
    inner = ReportPipeline()
    inner.parse(request)
    in_process = []
    for _ in range(repeats):
        started = time.perf_counter()
        inner.parse(request)
        in_process.append(time.perf_counter() - started)
    limits = WorkLimits(cpu_seconds=60, wall_seconds=120, memory_bytes=1536 * MB)
    started = time.perf_counter()
    isolated = IsolatedParser(inner, limits, max_concurrent=1)
    isolated.parse(request)
    cold = time.perf_counter() - started
    warm = []
    for _ in range(repeats):
        started = time.perf_counter()
        isolated.parse(request)
        warm.append(time.perf_counter() - started)
    same, apart = Summary.of(ms(in_process)), Summary.of(ms(warm))
    result.add(
        Figure(
            "hostile.parse.inprocess.p50",
            "sample report parsed in-process, p50",
            same.p50,
            "ms",
            None,
            scenario="hostile",
        )
    )
    result.add(
        Figure(
            "hostile.parse.isolated.p50",
            "sample report parsed in a warm parse process, p50",
            apart.p50,
            "ms",
            None,
            scenario="hostile",
        )
    )
    result.add(
        Figure(
            "hostile.parse.cold",
            "first parse in a new parse process (start-up)",
            cold * 1000,
            "ms",
            None,
            scenario="hostile",
        )
    )
    result.details.append(
        f"isolation costs {apart.p50 - same.p50:.1f} ms per parse when warm (in-process {same.brief()}, "
        f"parse process {apart.brief()}); a new parse process takes {cold * 1000:.0f} ms before its first answer"
    )
