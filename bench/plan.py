"""How much each scenario does: the full run, and ``--quick`` (a smoke run of under two minutes)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    """Sample sizes per scenario. Counts exclude warm-up requests, which are never measured."""

    name: str
    uploads_per_size: int  # upload and floor each, per file size (goal: >= 200)
    upload_warmup: int
    status_jobs: int  # completed jobs the pollers read
    status_requests: int  # at 16 pollers
    status_requests_single: int  # one poller, for reference
    pickup_jobs: int  # spaced uploads, one at a time
    throughput_rounds: int  # jobs per concurrency level = rounds x concurrency
    memory_jobs_first: int  # RSS is read after these ...
    memory_jobs_total: int  # ... and again after these
    big_uploads: int  # concurrent maximum-size uploads; 0: host.json's queue concurrency + HTTP in flight
    hostile_repeats: int  # each hostile refusal, measured
    document_reports: int  # text reports parsed for ms/page (a fifth as many scans)
    cost_jobs: int  # jobs counted per case (without, with a webhook), one at a time

    @classmethod
    def full(cls) -> Plan:
        return cls(
            name="full",
            uploads_per_size=200,
            upload_warmup=10,
            status_jobs=32,
            status_requests=4000,
            status_requests_single=400,
            pickup_jobs=60,
            throughput_rounds=10,
            memory_jobs_first=50,
            memory_jobs_total=500,
            big_uploads=0,
            hostile_repeats=20,
            document_reports=60,
            cost_jobs=10,
        )

    @classmethod
    def quick(cls) -> Plan:
        return cls(
            name="quick",
            uploads_per_size=25,
            upload_warmup=3,
            status_jobs=8,
            status_requests=400,
            status_requests_single=50,
            pickup_jobs=6,
            throughput_rounds=1,
            memory_jobs_first=10,
            memory_jobs_total=40,
            big_uploads=2,
            hostile_repeats=3,
            document_reports=10,
            cost_jobs=3,
        )
