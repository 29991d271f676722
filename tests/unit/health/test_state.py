"""The threshold state machine."""

from __future__ import annotations

import pytest

from failover_sync.health.state import HealthState
from failover_sync.model import ProbeResult

OK = ProbeResult(True, 0.001, "status 200")
FAIL = ProbeResult(False, 0.001, "connection refused")


def state(healthy: bool, failure: int = 3, success: int = 2) -> HealthState:
    return HealthState(
        failure_threshold=failure, success_threshold=success, healthy=healthy, reason="presumed"
    )


def test_unhealthy_after_failure_threshold_consecutive_failures() -> None:
    s = state(True)
    assert s.observe(FAIL) is None
    assert s.observe(FAIL) is None
    transition = s.observe(FAIL)
    assert transition is not None
    assert not transition.healthy
    assert transition.reason == "3 consecutive failures (connection refused)"
    assert not s.healthy


def test_a_success_resets_the_failure_streak() -> None:
    s = state(True)
    for result in (FAIL, FAIL, OK, FAIL, FAIL):
        assert s.observe(result) is None
    assert s.healthy
    assert s.observe(FAIL) is not None


def test_healthy_after_success_threshold() -> None:
    s = state(False, success=2)
    assert s.observe(OK) is None
    assert s.observe(FAIL) is None
    assert s.observe(OK) is None
    transition = s.observe(OK)
    assert transition is not None
    assert transition.healthy
    assert transition.reason == "2 consecutive successes"


def test_threshold_of_one_flips_on_the_first_probe() -> None:
    s = state(True, failure=1, success=1)
    assert s.observe(FAIL) is not None
    assert s.observe(OK) is not None


@pytest.mark.parametrize(
    ("presumed", "results", "probes_until_settled", "verdict"),
    [
        (True, [OK], 1, True),  # published endpoint passes: one probe
        (True, [FAIL, FAIL, FAIL], 3, False),  # up to the failure threshold
        (True, [FAIL, OK], 2, True),
        (False, [FAIL], 1, False),
        (False, [OK, OK], 2, True),
        (False, [OK, FAIL], 2, False),
    ],
)
def test_settled_for_one_shot_runs(
    presumed: bool, results: list[ProbeResult], probes_until_settled: int, verdict: bool
) -> None:
    s = state(presumed)
    assert not s.settled
    for index, result in enumerate(results, start=1):
        s.observe(result)
        assert s.settled == (index == probes_until_settled)
    assert s.healthy is verdict


def test_snapshot_explains_a_streak_in_progress() -> None:
    s = state(True)
    s.observe(FAIL)
    snapshot = s.snapshot()
    assert snapshot.healthy
    assert "1/3 toward a change (connection refused)" in snapshot.reason


def test_thresholds_must_be_positive() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        state(True, failure=0)
