"""Reading functions from a FunctionApp, invoking them, and queue message settlement (no services)."""

from __future__ import annotations

import asyncio
import base64
import threading
import time
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest

from tests.funchost.helpers import wait_for
from tools.funchost.config import HostConfigError, QueueOptions
from tools.funchost.invoker import Invoker, Outcome, WorkerKilled
from tools.funchost.loader import describe
from tools.funchost.queues import QueueListener, decode, encode, message_bodies


def _functions(app: func.FunctionApp) -> dict[str, Any]:
    return {function.get_function_name(): function for function in app.get_functions()}


def test_functions_are_described_from_their_bindings() -> None:
    app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)

    @app.route(route="a/{x}", methods=["POST"])
    @app.queue_output(arg_name="out", queue_name="%Q%", connection="C")
    def http_with_output(req: func.HttpRequest, out: func.Out[str]) -> func.HttpResponse:
        return func.HttpResponse()

    @app.queue_trigger(arg_name="message", queue_name="q", connection="")
    async def on_queue(message: func.QueueMessage) -> None:
        return None

    @app.blob_trigger(arg_name="blob", path="c/{name}", connection="")
    def on_blob(blob: func.InputStream) -> None:
        return None

    infos = {name: describe(function, None) for name, function in _functions(app).items()}
    http_info, queue_info = infos["http_with_output"], infos["on_queue"]
    assert http_info is not None
    assert queue_info is not None
    assert (http_info.kind, http_info.trigger.route, [b.name for b in http_info.outputs]) == (
        "httpTrigger",
        "a/{x}",
        ["out"],
    )
    assert (queue_info.kind, queue_info.trigger.queue_name, queue_info.is_async) == (
        "queueTrigger",
        "q",
        True,
    )
    assert infos["on_blob"] is None  # unsupported trigger: skipped, not fatal


def test_host_json_functions_list_restricts_what_runs() -> None:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="* * * * * *")
    def tick(timer: func.TimerRequest) -> None:
        return None

    (function,) = app.get_functions()
    assert describe(function, frozenset({"other"})) is None
    assert describe(function, frozenset({"tick"})) is not None


def test_a_parameter_no_binding_fills_is_an_error() -> None:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="* * * * * *")
    def needs_context(timer: func.TimerRequest, context: func.Context) -> None:
        return None

    (function,) = app.get_functions()
    with pytest.raises(HostConfigError, match="context"):
        describe(function, None)


@pytest.mark.parametrize("encoding", ["base64", "none"])
def test_message_encodings_round_trip(encoding: str) -> None:
    assert decode(encode("héllo".encode(), encoding), encoding) == "héllo".encode()


def test_base64_encoding_is_what_the_sdk_policies_produce() -> None:
    assert encode(b"hello", "base64") == base64.b64encode(b"hello").decode()
    with pytest.raises(ValueError, match="base64"):
        decode("not base64 !", "base64")


class FakeQueue:
    """Records what the listener does to messages (a stand-in for QueueClient).

    Like the service, every visibility update hands out a new pop receipt, and only the latest
    one deletes or updates the message. ``renewed`` is set after ``renewals_wanted`` updates.
    """

    def __init__(self, name: str, renewals_wanted: int = 0) -> None:
        self.queue_name = name
        self.calls: list[tuple[Any, ...]] = []
        self.receipt = "r"
        self.renewed = threading.Event()
        self.renewals_wanted = renewals_wanted

    def create_queue(self) -> None:
        self.calls.append(("create",))

    def delete_message(self, message_id: str, pop_receipt: str) -> None:
        assert pop_receipt == self.receipt, "a stale pop receipt cannot delete the message"
        self.calls.append(("delete", message_id, pop_receipt))

    def update_message(
        self, message_id: str, pop_receipt: str, *, visibility_timeout: int
    ) -> SimpleNamespace:
        assert pop_receipt == self.receipt, "a stale pop receipt cannot update the message"
        self.calls.append(("visibility", message_id, pop_receipt, visibility_timeout))
        self.receipt = f"r{len(self.calls)}"
        if sum(call[0] == "visibility" for call in self.calls) >= self.renewals_wanted > 0:
            self.renewed.set()
        return SimpleNamespace(pop_receipt=self.receipt, next_visible_on=None)

    def send_message(self, content: str) -> None:
        self.calls.append(("send", content))


def _message(content: str, dequeue_count: int) -> Any:
    return SimpleNamespace(
        id="m1",
        content=content,
        dequeue_count=dequeue_count,
        pop_receipt="r",
        inserted_on=None,
        expires_on=None,
        next_visible_on=None,
    )


def _process(
    handler: Any,
    dequeue_count: int,
    *,
    queue: FakeQueue | None = None,
    lease_seconds: float = 600,
    timeout: float | None = None,
) -> tuple[list[Any], list[Any]]:
    """Run one message through a listener for ``handler``; return (queue calls, poison calls)."""
    app = func.FunctionApp()
    app.queue_trigger(arg_name="msg", queue_name="q", connection="")(handler)
    info = describe(app.get_functions()[0], None)
    assert info is not None
    queue, poison = queue or FakeQueue("q"), FakeQueue("q-poison")
    options = QueueOptions(max_dequeue_count=3, visibility_timeout=5.0)
    invoker = Invoker(max_workers=2, timeout=timeout)
    listener = QueueListener(info, invoker, queue, poison, options, lease_seconds)  # type: ignore[arg-type]
    asyncio.run(listener._process(_message(encode(b"body", "base64"), dequeue_count)))
    invoker.shutdown()
    return queue.calls, poison.calls


def _settle(content: str, dequeue_count: int, *, fails: bool) -> tuple[list[Any], list[Any], list[Any]]:
    """Process one message with a function that fails or not; return (seen, queue calls, poison calls)."""
    app, seen = func.FunctionApp(), []

    @app.queue_trigger(arg_name="msg", queue_name="q", connection="")
    def handler(msg: func.QueueMessage) -> None:
        seen.append((msg.get_body(), msg.dequeue_count))
        if fails:
            raise RuntimeError("fails")

    info = describe(app.get_functions()[0], None)
    assert info is not None
    queue, poison = FakeQueue("q"), FakeQueue("q-poison")
    options = QueueOptions(max_dequeue_count=3, visibility_timeout=5.0)
    listener = QueueListener(info, Invoker(max_workers=1), queue, poison, options)  # type: ignore[arg-type]
    asyncio.run(listener._process(_message(content, dequeue_count)))
    return seen, queue.calls, poison.calls


def test_success_deletes_the_message() -> None:
    seen, calls, poison = _settle(encode(b"body", "base64"), 1, fails=False)
    assert seen == [(b"body", 1)]
    assert calls == [("delete", "m1", "r")]
    assert poison == []


def test_failure_before_the_last_dequeue_makes_it_visible_again_after_the_visibility_timeout() -> None:
    seen, calls, poison = _settle(encode(b"body", "base64"), 2, fails=True)
    assert len(seen) == 1
    assert calls == [("visibility", "m1", "r", 5)]
    assert poison == []


def test_failure_on_the_last_allowed_dequeue_moves_it_to_poison() -> None:
    seen, calls, poison = _settle(encode(b"body", "base64"), 3, fails=True)
    assert len(seen) == 1
    assert poison == [("create",), ("send", encode(b"body", "base64"))]
    assert calls == [("delete", "m1", "r")]


def test_a_message_dequeued_too_often_is_poisoned_without_running() -> None:
    seen, calls, poison = _settle(encode(b"body", "base64"), 4, fails=False)
    assert seen == []
    assert poison == [("create",), ("send", encode(b"body", "base64"))]
    assert calls == [("delete", "m1", "r")]


def test_a_running_message_has_its_visibility_renewed_and_is_deleted_with_the_latest_receipt() -> None:
    # The Functions queue listener renews a running message's visibility when half of it has
    # passed, for as long as the function runs; each renewal gives a new pop receipt.
    queue = FakeQueue("q", renewals_wanted=2)

    def handler(msg: func.QueueMessage) -> None:
        assert queue.renewed.wait(30), "the listener never renewed the message's visibility"

    calls, poison = _process(handler, 1, queue=queue, lease_seconds=0.2)
    renewals = [call for call in calls if call[0] == "visibility"]
    assert len(renewals) >= 2
    assert all(call[3] == 1 for call in renewals)  # each hides it for another lease (whole seconds)
    assert [call[2] for call in renewals[:2]] == ["r", "r1"]  # every renewal uses the newest receipt
    assert calls[-1] == ("delete", "m1", queue.receipt)
    assert poison == []


def _blocks_until_killed(record: list[str]) -> Any:
    def handler(msg: func.QueueMessage) -> None:
        try:
            for _ in range(3000):  # 60 s at most, in short steps: the restart lands between them
                time.sleep(0.02)
            record.append("ran to the end")
        except WorkerKilled:
            record.append("interrupted")
            raise

    return handler


@pytest.mark.parametrize(
    ("dequeue_count", "settled"), [(1, ("visibility", "m1", "r", 5)), (3, ("delete", "m1", "r"))]
)
def test_a_timed_out_invocation_counts_as_a_failed_dequeue(
    dequeue_count: int, settled: tuple[Any, ...]
) -> None:
    # host.json functionTimeout: the invocation fails; the message is released after the
    # visibility timeout, or poisoned on the last allowed dequeue, like any failure.
    record: list[str] = []
    calls, poison = _process(_blocks_until_killed(record), dequeue_count, timeout=1.0)
    assert calls == [settled]
    assert poison == ([] if dequeue_count == 1 else [("create",), ("send", encode(b"body", "base64"))])
    wait_for(lambda: record, what="the timed-out function to be interrupted")
    assert record == ["interrupted"]


def _app_info(handler: Any) -> Any:
    app = func.FunctionApp()
    app.timer_trigger(arg_name="timer", schedule="* * * * * *")(handler)
    info = describe(app.get_functions()[0], None)
    assert info is not None
    return info


def test_a_time_out_restarts_the_worker_and_fails_every_invocation_in_flight_on_it() -> None:
    # Azure restarts the Python worker process when an invocation exceeds functionTimeout, and
    # every invocation running in it dies too (azure-functions-host issue 8720).
    record: list[str] = []

    def sync_work(timer: Any) -> str:
        try:
            for _ in range(3000):
                time.sleep(0.02)
        except WorkerKilled:
            record.append("sync interrupted")
            raise
        return "finished"

    async def async_work(timer: Any) -> str:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            record.append("async cancelled")
            raise
        return "finished"

    async def scenario() -> tuple[list[Outcome], Outcome, int]:
        invoker = Invoker(max_workers=4, timeout=2.0)  # all three are in flight when it runs out
        sync_info, async_info = _app_info(sync_work), _app_info(async_work)
        calls = [
            invoker.invoke(sync_info, "a"),
            invoker.invoke(sync_info, "b"),
            invoker.invoke(async_info, "c"),
        ]
        outcomes = list(await asyncio.gather(*calls))
        later = await invoker.invoke(_app_info(lambda timer: "fresh worker"), "d")
        invoker.shutdown()
        return outcomes, later, invoker.restarts

    outcomes, later, restarts = asyncio.run(scenario())
    assert not any(outcome.ok for outcome in outcomes)
    assert sum(outcome.timed_out for outcome in outcomes) >= 1
    assert all(outcome.timed_out or outcome.worker_restarted for outcome in outcomes)
    assert restarts == sum(outcome.timed_out for outcome in outcomes)
    assert (later.ok, later.value) == (True, "fresh worker")  # the next invocation gets a new worker
    wait_for(lambda: len(record) == 3, what="the old worker's invocations to be interrupted")
    assert sorted(record) == ["async cancelled", "sync interrupted", "sync interrupted"]


def test_output_bindings_are_written_after_success_only() -> None:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule="* * * * * *")
    @app.queue_output(arg_name="out", queue_name="q1", connection="")
    @app.queue_output(arg_name="$return", queue_name="q2", connection="")
    def produce(timer: Any, out: func.Out[str]) -> list[str]:
        out.set("via-out")
        if timer == "fail":
            raise RuntimeError("nothing is written")
        return ["ret-1", "ret-2"]

    info = describe(app.get_functions()[0], None)
    assert info is not None
    written: list[tuple[str, Any]] = []

    def recorder(name: str) -> Any:
        async def write(value: Any) -> None:
            written.append((name, value))

        return write

    info.writers = {"out": recorder("out"), "$return": recorder("$return")}
    invoker = Invoker(max_workers=1)
    assert asyncio.run(invoker.invoke(info, "fail")).ok is False
    assert written == []
    assert asyncio.run(invoker.invoke(info, "ok")).ok is True
    assert sorted(written) == [("$return", ["ret-1", "ret-2"]), ("out", "via-out")]


def test_queue_output_accepts_text_bytes_messages_and_lists() -> None:
    message = func.QueueMessage(body="m")
    assert message_bodies("s") == [b"s"]
    assert message_bodies([b"b", message, "t"]) == [b"b", b"m", b"t"]
    with pytest.raises(TypeError):
        message_bodies(42)
