"""The schedules on a scripted clock: the probe schedule's rapid recheck and phase jitter
against periodic faults (:class:`~failover_sync.health.schedule.ProbeSchedule`, as the
controller runs it), zone workers that retry failed reconciles and wake for hold-down
expiries."""

from __future__ import annotations

import asyncio
import itertools
import random
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import pytest

from failover_sync.controller.reconcile import ZoneOutcome
from failover_sync.controller.schedule import ZoneWorker
from failover_sync.errors import ProviderError, TransientProviderError
from failover_sync.health.admission import Admission
from failover_sync.health.schedule import MAX_RECHECKS_IN_FLIGHT, ProbeSchedule, ResultHook
from failover_sync.health.state import HealthBoard
from failover_sync.model import HealthCheck, ProbeResult, ProbeTarget, Zone, ZonePlan
from failover_sync.testing.clock import run_virtual

ZONE = Zone("example.test.", "memory")


@dataclass
class Backend:
    """A scripted backend: down from ``down_at`` (virtual seconds), or periodically."""

    down_at: float = float("inf")
    period: float | None = None
    offset: float = 0.0
    in_flight: int = 0
    most_in_flight: int = 0
    probes: list[float] = field(default_factory=list)

    def down(self, now: float) -> bool:
        if self.period is not None:
            return ((now + self.offset) % self.period) < self.period / 2
        return now >= self.down_at


class ScriptedEngine:
    """A prober for the virtual clock: ``script`` answers each probe; admission lets
    ``limit`` probes run at once (only its limit is read: probes are never refused)."""

    def __init__(
        self, script: Callable[[ProbeTarget], Awaitable[ProbeResult]], limit: int = 4096
    ) -> None:
        self.script = script
        self.admission = Admission(ceiling=limit, floor=limit)

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        return await self.script(target)


async def run_schedule(
    engine: ScriptedEngine,
    targets: Sequence[ProbeTarget],
    on_result: ResultHook,
    *,
    seed: int,
    run_for: float,
) -> ProbeSchedule:
    """Run a ProbeSchedule on the running (virtual) loop for ``run_for`` seconds."""
    loop = asyncio.get_running_loop()
    schedule = ProbeSchedule(engine, targets, on_result, rng=random.Random(seed), clock=loop.time)
    task = asyncio.create_task(schedule.run())
    await asyncio.sleep(run_for)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    return schedule


def hooks_for(
    backend: Backend, board: HealthBoard, flips: list[float]
) -> tuple[ScriptedEngine, ResultHook]:
    async def probe(t: ProbeTarget) -> ProbeResult:
        loop = asyncio.get_running_loop()
        backend.in_flight += 1
        backend.most_in_flight = max(backend.most_in_flight, backend.in_flight)
        backend.probes.append(loop.time())
        await asyncio.sleep(0.001)
        backend.in_flight -= 1
        return ProbeResult(not backend.down(loop.time()), 0.001, "scripted")

    def observe(t: ProbeTarget, result: ProbeResult, lateness: float) -> bool:
        if board.observe(t, result) is not None:
            flips.append(asyncio.get_running_loop().time())
        return board.state(t).pending

    return ScriptedEngine(probe), observe


def detect(check: HealthCheck, backend: Backend, *, run_for: float, seed: int = 1) -> list[float]:
    """Run one target's loop for ``run_for`` virtual seconds; the moments its verdict flipped."""
    target = ProbeTarget("192.0.2.1", check)
    board = HealthBoard()
    board.presume(target, healthy=True, reason="presumed")
    flips: list[float] = []

    engine, observe = hooks_for(backend, board, flips)
    run_virtual(run_schedule(engine, [target], observe, seed=seed, run_for=run_for), start=0.0)
    return flips


@pytest.mark.parametrize("seed", range(5))
def test_rapid_recheck_detects_within_its_bound(seed: int) -> None:
    check = HealthCheck(
        interval_seconds=1.0,
        failure_threshold=3,
        request_timeout_seconds=0.5,
        recheck_interval_seconds=0.1,
    )
    backend = Backend(down_at=20.0)
    (flip, *_) = detect(check, backend, run_for=30.0, seed=seed)
    took = flip - backend.down_at
    assert took <= check.detection_seconds
    # two rechecks, not two intervals, after the first failed probe
    first_fail = next(t for t in backend.probes if t >= backend.down_at)
    assert flip - first_fail == pytest.approx(2 * (0.1 + 0.001) + 0.001, abs=1e-6)
    assert backend.most_in_flight == 1  # rechecks of one target never overlap


@pytest.mark.parametrize("seed", range(5))
def test_without_recheck_the_threshold_takes_intervals(seed: int) -> None:
    check = HealthCheck(interval_seconds=1.0, failure_threshold=3, request_timeout_seconds=0.5)
    backend = Backend(down_at=20.0)
    (flip, *_) = detect(check, backend, run_for=30.0, seed=seed)
    first_fail = next(t for t in backend.probes if t >= backend.down_at)
    assert flip - first_fail >= 2 * 0.75  # two more probes, each gap at least 0.75 interval
    assert flip - backend.down_at <= check.detection_seconds


def test_recheck_stops_when_the_streak_breaks() -> None:
    check = HealthCheck(
        interval_seconds=1.0, failure_threshold=3, recheck_interval_seconds=0.1,
        request_timeout_seconds=0.05,
    )  # fmt: skip
    backend = Backend(period=0.25)  # never down for three probes 0.1 s apart in a row
    flips = detect(check, backend, run_for=20.0)
    gaps = [b - a for a, b in itertools.pairwise(backend.probes)]
    assert flips == []
    assert max(gaps) > 0.7  # the normal interval resumed between streaks
    assert min(gaps) < 0.2  # and rechecks ran


@pytest.mark.parametrize("cycles", [0.5, 1.0, 2.0])
@pytest.mark.parametrize("offset", [0.0, 0.25, 0.5, 0.75])
def test_periodic_faults_cannot_hide_from_the_jittered_phase(cycles: float, offset: float) -> None:
    """Issue 15 item 2: a backend down half the time, in cycles of 0.5 to 2 intervals, is seen
    failing by a fair share of probes whatever the phase, and is detected within 60 intervals
    (F=2). Without jitter, some phases saw 0 of 60 failures and others 60 of 60."""
    interval = 1.0
    check = HealthCheck(interval_seconds=interval, failure_threshold=2, request_timeout_seconds=0.1)
    backend = Backend(period=cycles * interval, offset=offset * cycles * interval)
    flips = detect(check, backend, run_for=60 * interval)
    failed = sum(1 for t in backend.probes if backend.down(t + 0.001))
    assert 0.2 < failed / len(backend.probes) < 0.8
    assert flips, "never detected"
    assert flips[0] <= 60 * interval


def test_mass_rechecks_are_bounded() -> None:
    check = HealthCheck(
        interval_seconds=1.0, failure_threshold=5, recheck_interval_seconds=0.01,
        request_timeout_seconds=0.5,
    )  # fmt: skip
    targets = [ProbeTarget(f"10.0.{i // 250}.{i % 250}", check) for i in range(1000)]
    in_flight = 0
    most = 0
    most_rechecks = 0
    schedule: ProbeSchedule | None = None

    async def probe(t: ProbeTarget) -> ProbeResult:
        nonlocal in_flight, most, most_rechecks
        in_flight += 1
        most = max(most, in_flight)
        assert schedule is not None
        most_rechecks = max(most_rechecks, schedule.rechecks_in_flight)
        await asyncio.sleep(0.3)  # a slow, failing backend: rechecks pile up
        in_flight -= 1
        return ProbeResult(False, 0.3, "timeout")

    board = HealthBoard()
    for t in targets:
        board.presume(t, healthy=True, reason="presumed")

    def observe(t: ProbeTarget, result: ProbeResult, lateness: float) -> bool:
        board.observe(t, result)
        return board.state(t).pending

    async def main() -> ProbeSchedule:
        nonlocal schedule
        loop = asyncio.get_running_loop()
        schedule = ProbeSchedule(
            ScriptedEngine(probe), targets, observe, rng=random.Random(3), clock=loop.time
        )
        task = asyncio.create_task(schedule.run())
        await asyncio.sleep(10.0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return schedule

    done = run_virtual(main(), start=0.0)
    # scheduled probes (at most one per target) plus bounded rechecks
    assert most <= len(targets) + MAX_RECHECKS_IN_FLIGHT
    assert all(not board.verdict(t).healthy for t in targets)
    assert most_rechecks == MAX_RECHECKS_IN_FLIGHT  # the bound was reached, never passed
    assert done.rechecks > MAX_RECHECKS_IN_FLIGHT  # rechecks waiting for a slot ran later


def outcome(error: ProviderError | None = None, wake_at: float | None = None) -> ZoneOutcome:
    plan = None if error else ZonePlan(ZONE, (), 1)
    return ZoneOutcome(ZONE, plan, error=error, wake_at=wake_at)


def test_a_failed_reconcile_is_retried_with_backoff_until_it_succeeds() -> None:
    """Issue 12 item 14: a zone whose plan is not applied stays dirty (not until resync)."""
    calls: list[float] = []
    script = [TransientProviderError("429", retry_after=120.0)] + [ProviderError("5xx")] * 3

    async def reconcile() -> ZoneOutcome:
        now = asyncio.get_running_loop().time()
        calls.append(now)
        if script:
            error = script.pop(0)
            wake = now + error.retry_after if isinstance(error, TransientProviderError) else None
            return outcome(
                error, wake_at=wake if error.__class__ is TransientProviderError else None
            )
        return outcome()

    async def main() -> None:
        stop = asyncio.Event()
        worker = ZoneWorker(reconcile, resync_seconds=3600.0, rng=random.Random(0))
        task = asyncio.create_task(worker.run(stop))
        worker.poke()
        await asyncio.sleep(400.0)
        stop.set()
        worker.poke()
        await task

    run_virtual(main(), start=0.0)
    assert len(calls) == 5
    assert calls[1] - calls[0] >= 120.0  # the provider's Retry-After is honoured
    gaps = [b - a for a, b in itertools.pairwise(calls[1:])]
    assert all(0.5 <= g <= 30.0 for g in gaps)  # capped exponential backoff
    assert calls[-1] < 3600.0  # well before the next resync


def test_a_hold_down_expiry_wakes_the_zone() -> None:
    """Issue 12 item 15: the held change is planned the moment the hold expires."""
    calls: list[float] = []

    async def reconcile() -> ZoneOutcome:
        now = asyncio.get_running_loop().time()
        calls.append(now)
        return outcome(wake_at=now + 10.0 if len(calls) == 1 else None)

    async def main() -> None:
        stop = asyncio.Event()
        worker = ZoneWorker(reconcile, resync_seconds=3600.0)
        task = asyncio.create_task(worker.run(stop))
        worker.poke()
        await asyncio.sleep(100.0)
        stop.set()
        worker.poke()
        await task

    run_virtual(main(), start=0.0)
    assert len(calls) == 2
    assert calls[1] - calls[0] == pytest.approx(10.0)
