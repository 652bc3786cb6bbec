"""Reading functions from a FunctionApp, invoking them, and queue message settlement (no services)."""

from __future__ import annotations

import asyncio
import base64
from types import SimpleNamespace
from typing import Any

import azure.functions as func
import pytest

from tools.funchost.config import HostConfigError, QueueOptions
from tools.funchost.invoker import Invoker
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
    """Records what the listener does to messages (a stand-in for QueueClient)."""

    def __init__(self, name: str) -> None:
        self.queue_name = name
        self.calls: list[tuple[Any, ...]] = []

    def create_queue(self) -> None:
        self.calls.append(("create",))

    def delete_message(self, message_id: str, pop_receipt: str) -> None:
        self.calls.append(("delete", message_id))

    def update_message(self, message_id: str, pop_receipt: str, *, visibility_timeout: int) -> None:
        self.calls.append(("release", message_id, visibility_timeout))

    def send_message(self, content: str) -> None:
        self.calls.append(("send", content))


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
    message = SimpleNamespace(
        id="m1",
        content=content,
        dequeue_count=dequeue_count,
        pop_receipt="r",
        inserted_on=None,
        expires_on=None,
        next_visible_on=None,
    )
    asyncio.run(listener._process(message))  # type: ignore[arg-type]
    return seen, queue.calls, poison.calls


def test_success_deletes_the_message() -> None:
    seen, calls, poison = _settle(encode(b"body", "base64"), 1, fails=False)
    assert seen == [(b"body", 1)]
    assert calls == [("delete", "m1")]
    assert poison == []


def test_failure_before_the_last_dequeue_makes_it_visible_again_after_the_visibility_timeout() -> None:
    seen, calls, poison = _settle(encode(b"body", "base64"), 2, fails=True)
    assert len(seen) == 1
    assert calls == [("release", "m1", 5)]
    assert poison == []


def test_failure_on_the_last_allowed_dequeue_moves_it_to_poison() -> None:
    seen, calls, poison = _settle(encode(b"body", "base64"), 3, fails=True)
    assert len(seen) == 1
    assert poison == [("create",), ("send", encode(b"body", "base64"))]
    assert calls == [("delete", "m1")]


def test_a_message_dequeued_too_often_is_poisoned_without_running() -> None:
    seen, calls, poison = _settle(encode(b"body", "base64"), 4, fails=False)
    assert seen == []
    assert poison == [("create",), ("send", encode(b"body", "base64"))]
    assert calls == [("delete", "m1")]


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
