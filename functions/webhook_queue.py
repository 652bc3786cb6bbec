"""Queue triggers: deliver a webhook; and the poison-queue handler that ends a delivery that kept crashing."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.bindings import STORAGE_CONNECTION, WEBHOOK_POISON_QUEUE, WEBHOOK_QUEUE
from lib.adapters.storage import decode_delivery_message
from lib.bootstrap import context
from lib.domain.errors import DependencyUnavailable
from lib.services.notify import deliver_webhook, fail_poisoned_delivery

log = logging.getLogger(__name__)

bp = func.Blueprint()


@bp.queue_trigger(arg_name="msg", queue_name=WEBHOOK_QUEUE, connection=STORAGE_CONNECTION)
def deliver_job_webhook(msg: func.QueueMessage) -> None:
    """One attempt at a job's webhook; retries are new delayed messages, not host retries."""
    ids = decode_delivery_message(msg.get_body())
    if ids is None:
        log.error("Webhook message %s is not a delivery message; dropped", msg.id)
        return
    try:
        result = deliver_webhook(context(), *ids)
    except DependencyUnavailable as exc:
        # The delivery stays due; the sweeper sends its message again once it is overdue.
        log.warning(
            "Webhook message %s for job %s: %s unavailable; left to the sweeper",
            msg.id,
            ids[0],
            exc.dependency,
        )
        return
    log.info("Webhook message %s for job %s: %s", msg.id, ids[0], result.value)


@bp.queue_trigger(arg_name="msg", queue_name=WEBHOOK_POISON_QUEUE, connection=STORAGE_CONNECTION)
def deliver_job_webhook_poison(msg: func.QueueMessage) -> None:
    """A delivery message exhausted the host's retries: mark that delivery failed."""
    ids = decode_delivery_message(msg.get_body())
    if ids is None:
        log.error("Poison webhook message %s is not a delivery message; dropped", msg.id)
        return
    fail_poisoned_delivery(context(), *ids)
