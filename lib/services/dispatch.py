"""Sending a job's queue message: the second half of the outbox."""

from __future__ import annotations

import logging
from datetime import timedelta

from lib.domain.errors import DependencyUnavailable
from lib.services.context import Context

log = logging.getLogger(__name__)


def dispatch_job(ctx: Context, job_id: str, delay: timedelta = timedelta(0)) -> bool:
    """Send the job's message, then record it as sent. ``False`` when the send failed.

    The job is already stored with ``message_sent: false``, so a failed send is
    not lost: the sweeper sends the message of any job still marked unsent.
    A failure to record the send only risks a duplicate message, which is harmless
    because claims are conditional.
    """
    try:
        ctx.parse_queue.send(job_id, delay)
    except DependencyUnavailable:
        log.warning("Queue message for job %s not sent; the sweeper will send it", job_id)
        return False
    try:
        ctx.jobs.mark_message_sent(job_id, ctx.clock())
    except DependencyUnavailable:
        log.warning("Queue message for job %s sent but not recorded as sent", job_id)
    return True
