"""Sending a job's queue message: the second half of the outbox."""

from __future__ import annotations

import logging
from datetime import timedelta

from lib.domain import job_transitions as transitions
from lib.domain.errors import DependencyUnavailable
from lib.domain.jobs import Job
from lib.services.context import Context

log = logging.getLogger(__name__)


def dispatch_job(ctx: Context, job: Job, delay: timedelta = timedelta(0)) -> bool:
    """Send the message of a pending ``job`` (as just written); ``False`` when the send failed.

    The write that made the job due (the upload's insert, a retry, a requeue)
    already recorded the message as sent, which saves a write per message. A
    failed send turns that back to ``message_sent: false``, and the sweeper sends
    the message of a job marked unsent after ``OUTBOX_GRACE``. Should the process
    die between that write and the send, or the turning back fail, the message is
    not lost either: the sweeper re-sends any message that is
    ``SWEEP_STALE_MESSAGE_SECONDS`` overdue.
    """
    try:
        ctx.parse_queue.send(job.id, delay)
    except DependencyUnavailable:
        log.warning("Queue message for job %s not sent; the sweeper will send it", job.id)
        try:
            # Conditional on the attempt: a worker that took an earlier message of the job and
            # moved it on meanwhile has recorded its own message.
            ctx.jobs.apply(transitions.message_unsent(job))
        except DependencyUnavailable:
            log.warning("Job %s not marked unsent; the sweeper will send it once overdue", job.id)
        return False
    return True
