"""Timer trigger: recover stuck jobs and deliveries, fail jobs past their deadline."""

from __future__ import annotations

import logging

import azure.functions as func

from functions.bindings import SWEEP_SCHEDULE
from lib.bootstrap import context, utc_now
from lib.services.sweep import sweep

log = logging.getLogger(__name__)

bp = func.Blueprint()


@bp.timer_trigger(arg_name="timer", schedule=SWEEP_SCHEDULE, run_on_startup=False, use_monitor=True)
def sweep_stuck_work(timer: func.TimerRequest) -> None:
    """One bounded sweep; the host's singleton lock keeps two instances from sweeping at once."""
    if timer.past_due:
        log.info("Sweep is running late")
    sweep(context(), utc_now())
