"""Timer triggers of the sample app, in the in-process host."""

from __future__ import annotations

import itertools

import pytest

from tests.funchost.helpers import SampleApp, at_least, wait_for
from tools.funchost import Host

pytestmark = pytest.mark.integration


def test_timer_runs_on_startup(host: Host, sample: SampleApp) -> None:
    # startup_only's schedule is once a year: its one run can only be the startup run.
    (run,) = wait_for(lambda: sample.records("startup"), what="the startup run")
    assert run["past_due"] is False


def test_timer_runs_on_its_schedule_and_is_not_past_due(host: Host, sample: SampleApp) -> None:
    ticks = wait_for(at_least(3, lambda: sample.records("ticks")), what="three ticks")
    assert all(tick["past_due"] is False for tick in ticks)


def test_runs_of_one_timer_do_not_overlap(host: Host, sample: SampleApp) -> None:
    # long_tick is due every second and takes 1.5 s.
    runs = wait_for(at_least(2, lambda: sample.records("long-ticks")), what="two long runs")
    runs.sort(key=lambda run: run["start"])
    for before, after in itertools.pairwise(runs):
        assert after["start"] >= before["end"]
