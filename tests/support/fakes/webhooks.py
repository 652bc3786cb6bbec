"""In-memory stand-ins for the webhook ports: :class:`FakeDeliveries` and :class:`FakeWebhookPoster`.

:class:`FakeDeliveries` keeps deliveries where the real store does, on the job:
it reads and replaces ``Job.webhook`` in a job table it shares with the fake job
store (pass that table in; by default it has its own). The contract suite
(``tests/contract/test_deliveries_contract.py``) runs the same tests against it and
the MongoDB store.
"""

from __future__ import annotations

import collections
import dataclasses
import threading
from collections.abc import MutableMapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from lib.domain.jobs import Job
from lib.domain.webhook_outcomes import PostAnswer, ReceiverAnswered
from lib.domain.webhooks import DeliveryChange, DeliveryExpect, WebhookDelivery, WebhookState

__all__ = ["FakeDeliveries", "FakeWebhookPoster", "PostedRequest"]


class FakeDeliveries:
    """The :class:`lib.ports.webhooks.Deliveries` port over a dict of jobs."""

    def __init__(self, jobs: MutableMapping[str, Job] | None = None) -> None:
        self.jobs: MutableMapping[str, Job] = jobs if jobs is not None else {}
        self._lock = threading.Lock()

    def apply(self, job_id: str, change: DeliveryChange) -> WebhookDelivery | None:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None or not _meets(job, change.expect):
                return None
            if change.replaces or job.webhook is None:
                delivery = change.delivery
            else:
                values = {name: getattr(change.delivery, name) for name in change.fields}
                delivery = dataclasses.replace(job.webhook, **values)
            self.jobs[job_id] = dataclasses.replace(job, webhook=delivery)
            return delivery

    def mark_sent(self, job_id: str, message_id: str) -> None:
        self._update(job_id, message_id, None, message_sent=True)

    def reschedule(self, job_id: str, message_id: str, due: datetime) -> None:
        self._update(job_id, message_id, WebhookState.PENDING, next_attempt_at=due)

    def _update(self, job_id: str, message_id: str, state: WebhookState | None, **values: Any) -> None:
        with self._lock:
            job = self.jobs.get(job_id)
            if job is None or not _meets(job, DeliveryExpect(message_id, state)):
                return
            assert job.webhook is not None
            self.jobs[job_id] = dataclasses.replace(job, webhook=dataclasses.replace(job.webhook, **values))


def _meets(job: Job, expect: DeliveryExpect) -> bool:
    if expect.job_ended and (not job.status.is_final or job.webhook_url is None):
        return False
    delivery = job.webhook
    if expect.message_id is not None and (delivery is None or delivery.message_id != expect.message_id):
        return False
    if expect.state is not None and (delivery is None or delivery.state is not expect.state):
        return False
    return expect.attempts is None or (delivery is not None and delivery.attempts == expect.attempts)


@dataclass(frozen=True)
class PostedRequest:
    """One call the fake poster got."""

    url: str
    message_id: str
    payload: bytes
    secrets: tuple[str, ...]
    now: datetime


class FakeWebhookPoster:
    """The :class:`lib.ports.webhooks.WebhookPoster` port: records each request, answers from a script.

    Answers are given first in, first out; with an empty script it answers
    :attr:`default` (a 204).
    """

    def __init__(self, *answers: PostAnswer) -> None:
        self.default: PostAnswer = ReceiverAnswered(204)
        self.requests: list[PostedRequest] = []
        self.closed = False
        self._script: collections.deque[PostAnswer] = collections.deque(answers)

    def enqueue(self, *answers: PostAnswer) -> None:
        """Add answers to the script."""
        self._script.extend(answers)

    def post(
        self, url: str, *, message_id: str, payload: bytes, secrets: Sequence[str], now: datetime
    ) -> PostAnswer:
        self.requests.append(PostedRequest(url, message_id, payload, tuple(secrets), now))
        return self._script.popleft() if self._script else self.default

    def close(self) -> None:
        self.closed = True
