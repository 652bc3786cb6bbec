"""What a missed goal means and what would close it, keyed by figure (shown only when missed).

The explanations come from the profiles and what-if runs of this bench (see RESULTS.md);
each names the mechanism, so it can be checked against the figures of the run it is printed with.
"""

from __future__ import annotations

from collections.abc import Sequence

from bench.measure import Figure, format_number

NOTES: dict[str, str] = {
    "upload_floor": (
        "The upload does what the floor does (one blob write, one queue send) plus what the product "
        "requires: reading the multipart body (werkzeug inside `azure.functions.HttpRequest`), opening the "
        "PDF with pypdf (`lib/adapters/local_parser.py:inspect_pdf`), hashing it, and four MongoDB round "
        "trips (`TenantStore.find_key`, `TenantStore.get_project`, `JobStore.insert`, "
        "`JobStore.mark_message_sent`), each a few ms against SecantusDB here. What would "
        "close it: caching key -> tenant and project lookups "
        "in-process for a short TTL (two round trips fewer per upload). The per-byte steps cost little "
        "(see 'per-byte steps alone' in the details): at 100 KB the remaining gap is round trips."
    ),
    "upload.2.5MB": (
        "At 2.5 MB the per-byte steps alone cost under 10 ms (details) and the blob write is in the floor; "
        "the rest is the four MongoDB round trips and contention for the two cores, which Azurite, "
        "SecantusDB and the bench share with the host (see the CPU line). What would close it: fewer "
        "round trips, as for the ratio; against real Azure Storage and MongoDB the host's share of the "
        "machine is its own."
    ),
    "status.c16": (
        "16 pollers in a closed loop on 2 cores measure throughput: mean latency = 16 / (requests per "
        "second), so p95 < 20 ms needs ~800 status requests/s. Each request makes three MongoDB round "
        "trips (`TenantStore.find_key`, `JobStore.get_for_tenant`, `JobStore.get_parsed_data`); SecantusDB "
        "(a Python server on the same two cores) and the host's pymongo calls take most of the CPU. "
        "What would close the gap: an in-process cache of API key -> tenant (e.g. 60 s, revocation "
        "takes effect within the TTL); one read instead of two for a completed job (store `parsed_data` on "
        "the job document, or one `$lookup` aggregation); and a fast path in "
        "`lib/adapters/mongo_client.py:mongo_call`, which enters a stamina retry context on every call "
        "(~30 us each, visible as stamina/tenacity in the host's Python CPU) where one plain attempt, "
        "with the retry loop only after a throttling error, would do. Against a real MongoDB, and with clients that "
        "poll every second or so rather than flat out, the goal is within reach; flat out on 2 shared "
        "cores it is not."
    ),
    "overhead.p50": (
        "End to end minus parse time is dominated by the queue trigger's polling: an idle listener backs "
        "off to host.json `maxPollingInterval` (1 s), so a new message waits about half of that before it "
        "is received (the 'message sent -> claimed' part of the breakdown). The app's own work (upload "
        "side before the send, the worker around the parse) is a few tens of ms. What would close it: a "
        "shorter `maxPollingInterval` (100-200 ms; costs up to ~0.9 million queue reads per idle instance "
        "per day at 100 ms) or an event-driven trigger; the goal as defined cannot be met with a 1 s "
        "polling interval."
    ),
    "throughput.c16": (
        "Every job costs some work beyond the 2 s call (receive, claim, blob read, about eight MongoDB "
        "round trips, message delete); with 16 in flight on 2 cores shared with Azurite, SecantusDB and the stand-in, "
        "that work queues for CPU. The tuned level tops up one message at a time (batchSize 1)."
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
