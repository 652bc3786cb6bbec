"""Use case: the health check pings the job store and the blob store, and keeps the answer a moment."""

from __future__ import annotations

from datetime import timedelta

import pytest

from lib.services.health import HEALTH_CACHE_SECONDS, check_health
from tests.support.fakes.context import Fakes


def test_both_dependencies_up_is_healthy(fakes: Fakes) -> None:
    health = check_health(fakes.ctx)

    assert (health.ok, health.database, health.storage) == (True, True, True)


@pytest.mark.parametrize("down", ["database", "storage"])
def test_either_dependency_down_is_unhealthy_and_says_which_only_internally(fakes: Fakes, down: str) -> None:
    if down == "database":
        fakes.jobs.down = True
    else:
        fakes.blobs.down = True

    health = check_health(fakes.ctx)

    assert health.ok is False
    assert (health.database, health.storage) == (down != "database", down != "storage")


def test_the_answer_is_reused_for_a_moment_then_probed_again(fakes: Fakes) -> None:
    assert check_health(fakes.ctx).ok
    fakes.jobs.down = True

    still_cached = check_health(fakes.ctx)
    fakes.clock.advance(timedelta(seconds=HEALTH_CACHE_SECONDS))
    probed_again = check_health(fakes.ctx)
    fakes.jobs.down = False
    failure_cached = check_health(fakes.ctx)

    assert (still_cached.ok, probed_again.ok, failure_cached.ok) == (True, False, False)
    assert probed_again.checked_at == fakes.clock()


def test_a_clock_that_went_back_probes_again(fakes: Fakes) -> None:
    assert check_health(fakes.ctx).ok
    fakes.blobs.down = True
    fakes.clock.advance(timedelta(seconds=-10))

    assert check_health(fakes.ctx).ok is False
