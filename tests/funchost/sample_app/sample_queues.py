"""Queue functions of the sample app: each records what it got in SAMPLE_OUT_DIR."""

import json
import logging
import os
import time
from pathlib import Path

import azure.functions as func

bp = func.Blueprint()


def _out() -> Path:
    return Path(os.environ["SAMPLE_OUT_DIR"])


def _record(kind: str, msg: func.QueueMessage) -> None:
    data = {
        "id": msg.id,
        "body": msg.get_body().decode("utf-8", "replace"),
        "dequeue_count": msg.dequeue_count,
        "pop_receipt": bool(msg.pop_receipt),
        "insertion_time": bool(msg.insertion_time),
        "expiration_time": bool(msg.expiration_time),
        "time_next_visible": bool(msg.time_next_visible),
        "type": type(msg).__module__ + "." + type(msg).__name__,
    }
    with (_out() / f"{kind}.jsonl").open("a") as file:
        file.write(json.dumps(data) + "\n")


@bp.queue_trigger(arg_name="msg", queue_name="%SAMPLE_QUEUE%", connection="SAMPLE_STORAGE")
def record(msg: func.QueueMessage) -> None:
    body = msg.get_body().decode()
    _record("record-attempts", msg)
    logging.info("sample record function got message %s", msg.id)
    if body.startswith("fail-once") and msg.dequeue_count == 1:
        raise RuntimeError("the first attempt fails")
    if body.startswith("always-fail"):
        raise RuntimeError("this message always fails")
    _record("record", msg)


@bp.queue_trigger(arg_name="msg", queue_name="%SAMPLE_QUEUE%-poison", connection="SAMPLE_STORAGE")
def record_poison(msg: func.QueueMessage) -> None:
    _record("record-poison", msg)


@bp.queue_trigger(arg_name="msg", queue_name="%SAMPLE_FAIL_QUEUE%", connection="")
def always_fails(msg: func.QueueMessage) -> None:
    _record("fail-attempts", msg)
    raise ValueError("this function always fails")


def _sleep(seconds: float) -> None:
    """Sleep in short steps, so a worker restart (an exception raised in this thread) lands soon."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.02)


@bp.queue_trigger(arg_name="text", queue_name="%SAMPLE_SLOW_QUEUE%", connection="AzureWebJobsStorage")
def slow_queue(text: str) -> None:
    (_out() / "slow-started").write_text(text)
    _sleep(float(os.environ.get("SAMPLE_SLOW_SECONDS", "1")))
    (_out() / "slow-done").write_text(text)


@bp.queue_trigger(arg_name="msg", queue_name="%SAMPLE_HANG_QUEUE%", connection="SAMPLE_STORAGE")
def runs_for(msg: func.QueueMessage) -> None:
    """Runs for as many seconds as the message body says; records how each attempt ended."""
    _record("runs-for-attempts", msg)
    try:
        _sleep(float(msg.get_body().decode()))
    except BaseException:  # the host restarted the worker (functionTimeout): record it, then die
        _record("runs-for-interrupted", msg)
        raise
    _record("runs-for-done", msg)
