"""Queue triggers and the queue output binding, against real Azurite queues."""

from __future__ import annotations

import base64

import pytest

from tests.funchost.conftest import MESSAGE_LEASE
from tests.funchost.helpers import SampleApp, call, peek, wait_for
from tools.funchost import Host

pytestmark = pytest.mark.integration


def _with_body(records: list[dict[str, object]], body: str) -> list[dict[str, object]]:
    return [record for record in records if record["body"] == body]


def _queue_empty(sample: SampleApp, setting: str) -> bool:
    return sample.queue(setting).get_queue_properties().approximate_message_count == 0


def test_message_is_processed_then_deleted(host: Host, sample: SampleApp) -> None:
    sent = sample.queue("SAMPLE_QUEUE").send_message("hello-queue")
    (record,) = wait_for(lambda: _with_body(sample.records("record"), "hello-queue"), what="the message")
    assert record == {
        "id": sent.id,
        "body": "hello-queue",
        "dequeue_count": 1,
        "pop_receipt": True,
        "insertion_time": True,
        "expiration_time": True,
        "time_next_visible": True,
        "type": "azure.functions.queue.QueueMessage",
    }
    wait_for(lambda: _queue_empty(sample, "SAMPLE_QUEUE"), what="the message to be deleted")


def test_failed_message_is_retried(host: Host, sample: SampleApp) -> None:
    sample.queue("SAMPLE_QUEUE").send_message("fail-once")
    (record,) = wait_for(lambda: _with_body(sample.records("record"), "fail-once"), what="the retry")
    assert record["dequeue_count"] == 2
    attempts = _with_body(sample.records("record-attempts"), "fail-once")
    assert [attempt["dequeue_count"] for attempt in attempts] == [1, 2]


def test_failing_message_goes_to_poison_queue_after_max_dequeue_count(host: Host, sample: SampleApp) -> None:
    sample.queue("SAMPLE_FAIL_QUEUE").send_message("poison-me")
    poison = sample.queue("SAMPLE_FAIL_QUEUE", "-poison", base64=False)
    (raw,) = wait_for(lambda: peek(poison), what="the poison message")
    # The content is preserved, base64-encoded as messageEncoding says.
    assert raw.content == base64.b64encode(b"poison-me").decode()
    attempts = _with_body(sample.records("fail-attempts"), "poison-me")
    assert [attempt["dequeue_count"] for attempt in attempts] == [1, 2, 3]  # maxDequeueCount is 3
    wait_for(lambda: _queue_empty(sample, "SAMPLE_FAIL_QUEUE"), what="the original to be deleted")


def test_poison_queue_named_with_a_setting_token_is_triggered(host: Host, sample: SampleApp) -> None:
    sample.queue("SAMPLE_QUEUE").send_message("always-fail")
    wait_for(lambda: _with_body(sample.records("record-poison"), "always-fail"), what="the poison handler")
    assert len(_with_body(sample.records("record-attempts"), "always-fail")) == 3


def test_message_that_is_not_base64_is_poisoned_without_running(host: Host, sample: SampleApp) -> None:
    sent = sample.queue("SAMPLE_QUEUE", base64=False).send_message("not base64 !")
    wait_for(lambda: _with_body(sample.records("record-poison"), "not base64 !"), what="the poison handler")
    assert not [attempt for attempt in sample.records("record-attempts") if attempt["id"] == sent.id]


def test_queue_output_binding_sends_a_base64_message(host: Host, sample: SampleApp) -> None:
    reply = call("POST", f"{host.url}/api/enqueue", b"via-output-binding")
    assert reply.status == 202
    # The queue trigger decodes base64, so the body arriving intact shows the binding encoded it.
    wait_for(lambda: _with_body(sample.records("record"), "via-output-binding"), what="the output message")


def test_a_message_stays_hidden_while_its_function_runs_past_the_receive_lease(
    host: Host, sample: SampleApp
) -> None:
    # The in-process host receives with a MESSAGE_LEASE-second visibility timeout (Azure: 10 min)
    # and renews it at half of that while the function runs, so the message is not handed out a
    # second time even though the function runs for more than two leases.
    seconds = 2 * MESSAGE_LEASE + 1
    sample.queue("SAMPLE_HANG_QUEUE").send_message(str(seconds))
    (done,) = wait_for(lambda: sample.records("runs-for-done"), timeout=60, what="the long run to end")
    assert done["dequeue_count"] == 1
    assert [attempt["dequeue_count"] for attempt in sample.records("runs-for-attempts")] == [1]
    wait_for(lambda: _queue_empty(sample, "SAMPLE_HANG_QUEUE"), what="the message to be deleted")
