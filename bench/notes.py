"""What a missed goal means and what would close it, keyed by figure (shown only when missed).

The explanations come from the profiles and what-if runs of this bench (see RESULTS.md);
each names the mechanism, so it can be checked against the figures of the run it is printed with.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.measure import Figure, format_number

NOTES: dict[str, str] = {
    "upload_floor": (
        "The floor is one blob write and one queue send made from the bench process; an upload must "
        "also receive the body over HTTP and parse it, which the 'HTTP leg alone' row measures (the "
        "same body refused for a malformed key once it was received and parsed), then check the key "
        "and project (remembered for `AUTH_CACHE_SECONDS`, so no look-up here), open the PDF with pypdf, "
        "hash it and insert the job: one MongoDB round trip, which also records the message as sent. "
        "Against the floor plus the HTTP leg the upload is about 1.3x (details). At 2.5 MB the HTTP "
        "leg is most of the gap: the bytes cross the loopback once more than in the floor and werkzeug "
        "(inside `azure.functions.HttpRequest`) spools parts over 500 KB to a temporary file. What would "
        "close it: overlapping the HTTP leg with the blob write, by streaming the request body into "
        "Blob Storage as it arrives (the Python worker's HTTP streams, `azurefunctions-extensions-http-"
        "fastapi`) instead of receiving the whole body first; the app's own steps left are the "
        "checks of the bytes and one write."
    ),
    "upload.2.5MB": (
        "At 2.5 MB the HTTP leg alone (details) and the per-byte steps cost most of the time above the "
        "floor, and the host competes for the two cores with Azurite, SecantusDB and the bench (see the "
        "CPU line)."
    ),
    "status.c16": (
        "16 pollers in a closed loop measure throughput: mean latency = 16 / (requests per second). "
        "The floor rows are the two reads a completed job needs (the job, its parsed report) through "
        "the app's `JobStore`, from 16 threads, with no HTTP, no key check and no JSON: in the same run "
        "that floor alone is far above 20 ms at p95, because SecantusDB is a Python server on the same "
        "two cores. The status endpoint is within about 1.2x of it (the key is remembered for "
        "`AUTH_CACHE_SECONDS`; `mongo_call` makes a plain call, with a retry context only after "
        "throttling). What would close it: a database that serves point reads faster than this one "
        "(MongoDB or Cosmos DB, on machines of their own); here, only caching answers, which would "
        "serve stale status."
    ),
    "overhead.p50": (
        "End to end minus parse time is dominated by the queue trigger's polling: an idle listener backs "
        "off to host.json `maxPollingInterval` (1 s), so a new message waits about half of that before it "
        "is received (the 'upload answered -> claimed' part of the breakdown). The app's own work (upload "
        "side before the send, the worker around the parse) is a few tens of ms. What would close it: a "
        "shorter `maxPollingInterval` (100 ms is the shortest; up to ~0.9 million queue reads per idle "
        "instance per day and queue) or sending the first message through a queue output binding, "
        "which makes the Functions host wake its own listener at once; but the binding writes after "
        "the function returns, so a failed write would answer the upload with a bare 500 after its job "
        "was stored, where the SDK send lets the outbox record it and answer 202."
    ),
    "throughput.c16": (
        "Every job costs some work beyond the 2 s call (receive, claim, blob read, about eight MongoDB "
        "round trips, message delete); with 16 in flight on 2 cores shared with Azurite, SecantusDB and the stand-in, "
        "that work queues for CPU. The tuned level tops up one message at a time (batchSize 1)."
    ),
    "memory.parse.peak_pss": (
        "The parse processes are inside the byte budget (`lib/adapters/isolated_parser.py`: 50 MiB of "
        "documents at once), but a Gemini call is made in the worker before the pipeline runs, with the "
        "PDFs inline (about 5x their size while it runs, bench `copies`), and as shipped it is outside "
        "the budget: each of host.json's batchSize + newBatchThreshold invocations can hold one. What "
        "closes it: `lib/bootstrap.py` wrapping the Gemini parser as "
        "`Budgeted(GroundedParser(gemini, pipeline), pipeline.budget)`, so the call waits for the same "
        "budget (measured with that change in RESULTS.md section 6); later, holding the budget before "
        "the blobs are read (the parse service), so invocations waiting for it hold no files either."
    ),
    "memory.growth": (
        "RSS kept growing between the two readings: look for per-job caches or retained responses in "
        "the host (the Gemini stand-in is a separate process and not counted)."
    ),
}


def for_missed(figures: Sequence[Figure]) -> list[str]:
    """One markdown paragraph per explanation, naming every missed figure it explains."""
    grouped: dict[str, list[Figure]] = {}
    for figure in figures:
        if figure.met is False:
            key = figure.why or next((NOTES[prefix] for prefix in NOTES if figure.key.startswith(prefix)), "")
            grouped.setdefault(key, []).append(figure)
    lines = []
    for text, missed in grouped.items():
        names = "; ".join(
            f"**{figure.label}** {format_number(figure.value)} {figure.unit} (goal {figure.goal_text()})"
            for figure in missed
        )
        lines.append(f"- {names}. {text}".rstrip())
    return lines
