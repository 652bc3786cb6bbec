"""Timer functions of the sample app: each appends what it got to a file in SAMPLE_OUT_DIR."""

import json
import os
import time
from pathlib import Path

import azure.functions as func

bp = func.Blueprint()


def _append(kind: str, data: dict[str, object]) -> None:
    with (Path(os.environ["SAMPLE_OUT_DIR"]) / f"{kind}.jsonl").open("a") as file:
        file.write(json.dumps(data) + "\n")


@bp.timer_trigger(arg_name="timer", schedule="%SAMPLE_TICK_SCHEDULE%", run_on_startup=True)
def tick(timer: func.TimerRequest) -> None:
    _append("ticks", {"at": time.time(), "past_due": timer.past_due})


@bp.timer_trigger(arg_name="timer", schedule="0 0 0 1 1 *", run_on_startup=True)
def startup_only(timer: func.TimerRequest) -> None:
    _append("startup", {"at": time.time(), "past_due": timer.past_due})


@bp.timer_trigger(arg_name="timer", schedule="* * * * * *")
def long_tick(timer: func.TimerRequest) -> None:
    started = time.time()
    time.sleep(1.5)
    _append("long-ticks", {"start": started, "end": time.time()})
