"""Queue triggers: parse a job; and the poison-queue handler that ends jobs whose message kept crashing."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.bindings import PARSE_POISON_QUEUE, PARSE_QUEUE, STORAGE_CONNECTION
from lib.adapters.storage import decode_job_message
from lib.bootstrap import context
from lib.domain.errors import DependencyUnavailable
from lib.services.parse import fail_poisoned, process_job

log = logging.getLogger(__name__)
log.info("Parsing worker started")  # the guide's deployment check looks for this line

bp = func.Blueprint()


@bp.queue_trigger(arg_name="msg", queue_name=PARSE_QUEUE, connection=STORAGE_CONNECTION)
def parse_job(msg: func.QueueMessage) -> None:
    """Take the job one attempt further; an outage leaves it to the sweeper, a crash to the poison queue."""
    job_id = decode_job_message(msg.get_body())
    if job_id is None:
        log.error("Parse message %s is not a job message; dropped", msg.id)
        return
    try:
        result = process_job(context(), job_id)
    except DependencyUnavailable as exc:
        # Not a reason to poison the message and fail the job: the job is recorded as
        # due, and the sweeper sends its message again once it is overdue.
        log.warning(
            "Parse message %s for job %s: %s unavailable; left to the sweeper", msg.id, job_id, exc.dependency
        )
        return
    log.info("Parse message %s for job %s: %s", msg.id, job_id, result.value)


@bp.queue_trigger(arg_name="msg", queue_name=PARSE_POISON_QUEUE, connection=STORAGE_CONNECTION)
def parse_job_poison(msg: func.QueueMessage) -> None:
    """A parse message exhausted the host's retries: fail its job unless it already ended."""
    job_id = decode_job_message(msg.get_body())
    if job_id is None:
        log.error("Poison message %s is not a job message; dropped", msg.id)
        return
    fail_poisoned(context(), job_id)
