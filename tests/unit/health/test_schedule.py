"""ProbeSchedule: jittered fixed-rate probes from one heap, one probe per target at a time,
skips, rapid rechecks (bounded, late rather than lost), the admission limit."""

from __future__ import annotations

import asyncio
import collections
import itertools
import random
from collections.abc import Callable

import pytest

from failover_sync.health.admission import Admission
from failover_sync.health.probes import Prober
from failover_sync.health.schedule import ProbeSchedule, ResultHook, first_offset, phase_of
from failover_sync.model import PHASE_JITTER, HealthCheck, ProbeResult, ProbeTarget
from failover_sync.testing.clock import run_virtual
from failover_sync.testing.waits import await_for


class FakeProber(Prober):
    """Answers after ``seconds``; counts probes in flight per target."""

    def __init__(self, seconds: float = 0.0) -> None:
        super().__init__()
        self.seconds = seconds
        self.in_flight: collections.Counter[ProbeTarget] = collections.Counter()
        self.most_at_once = 0

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        self.in_flight[target] += 1
        self.most_at_once = max(self.most_at_once, self.in_flight[target])
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.in_flight[target] -= 1
        return ProbeResult(True, self.seconds, "status 200")


def targets(n: int, interval: float, recheck: float | None = None) -> list[ProbeTarget]:
    check = HealthCheck(
        interval_seconds=interval,
        request_timeout_seconds=min(interval, 1.0),
        recheck_interval_seconds=recheck,
    )
    return [ProbeTarget(f"127.0.0.{i + 1}", check) for i in range(n)]


class VirtualEngine:
    """A prober for the virtual clock: each probe takes ``seconds`` and passes unless
    ``failing(target, now)``; notes (start, target) of every probe and the most in flight.
    Admission lets ``limit`` probes run at once (only its limit is read)."""

    def __init__(
        self,
        seconds: float = 0.001,
        limit: int = 4096,
        failing: Callable[[ProbeTarget, float], bool] = lambda t, now: False,
    ) -> None:
        self.seconds = seconds
        self.failing = failing
        self.admission = Admission(ceiling=limit, floor=limit)
        self.starts: list[tuple[float, ProbeTarget]] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def probe(self, target: ProbeTarget) -> ProbeResult:
        loop = asyncio.get_running_loop()
        self.starts.append((loop.time(), target))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            await asyncio.sleep(self.seconds)
        finally:
            self.in_flight -= 1
        return ProbeResult(not self.failing(target, loop.time()), self.seconds, "scripted")

    def times(self, target: ProbeTarget) -> list[float]:
        return [at for at, t in self.starts if t == target]


def run_for(
    engine: VirtualEngine,
    probed: list[ProbeTarget],
    on_result: ResultHook,
    seconds: float,
    **options: int,
) -> ProbeSchedule:
    """Run a ProbeSchedule for ``seconds`` of virtual time (from 0); the schedule after."""

    async def main() -> ProbeSchedule:
        loop = asyncio.get_running_loop()
        schedule = ProbeSchedule(
            engine, probed, on_result, rng=random.Random(7), clock=loop.time, **options
        )
        task = asyncio.create_task(schedule.run())
        await asyncio.sleep(seconds)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return schedule

    return run_virtual(main(), start=0.0)


def test_phase_is_stable_and_in_the_interval() -> None:
    phases = [phase_of(t) for t in targets(50, 1.0)]
    assert all(0 <= p < 1 for p in phases)
    assert phases == [phase_of(t) for t in targets(50, 1.0)]
    assert len(set(phases)) > 40  # staggered, not all at once


def test_every_target_is_probed_again_and_again() -> None:
    seen: collections.Counter[ProbeTarget] = collections.Counter()
    lateness: list[float] = []

    def on_result(target: ProbeTarget, result: ProbeResult, late: float) -> bool:
        seen[target] += 1
        lateness.append(late)
        return False

    async def main() -> ProbeSchedule:
        schedule = ProbeSchedule(FakeProber(), targets(20, 0.05), on_result)
        task = asyncio.create_task(schedule.run())
        await await_for(lambda: len(seen) == 20 and min(seen.values()) >= 3, 10.0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return schedule

    schedule = asyncio.run(main())
    assert schedule.started >= 60
    assert all(late >= 0 for late in lateness)


def test_a_target_behind_by_an_interval_skips_and_never_overlaps() -> None:
    prober = FakeProber(seconds=0.12)  # each probe takes 2.4 intervals
    done: list[ProbeTarget] = []

    def note(target: ProbeTarget, result: ProbeResult, late: float) -> bool:
        done.append(target)
        return False

    async def main() -> ProbeSchedule:
        schedule = ProbeSchedule(prober, targets(3, 0.05), note)
        task = asyncio.create_task(schedule.run())
        await await_for(lambda: len(done) >= 9, 10.0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return schedule

    schedule = asyncio.run(main())
    assert prober.most_at_once == 1
    assert schedule.skipped >= 6  # two turns skipped per probe after the first
    assert sum(prober.in_flight.values()) == 0  # cancelled with the schedule


def test_an_empty_schedule_waits_until_cancelled() -> None:
    async def main() -> bool:
        task = asyncio.create_task(ProbeSchedule(FakeProber(), [], lambda *a: False).run())
        await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        return task.cancelled()

    assert asyncio.run(main())


class BrokenProber(FakeProber):
    async def probe(self, target: ProbeTarget) -> ProbeResult:
        raise RuntimeError("library bug")


def test_errors_in_the_prober_or_the_hook_keep_the_schedule_going() -> None:
    results: list[str] = []

    def on_result(target: ProbeTarget, result: ProbeResult, late: float) -> bool:
        results.append(result.reason)
        raise ValueError("hook bug")

    async def main() -> None:
        schedule = ProbeSchedule(BrokenProber(), targets(1, 0.02), on_result)
        task = asyncio.create_task(schedule.run())
        await await_for(lambda: len(results) >= 3, 10.0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(main())
    assert set(results) == {"probe error: RuntimeError"}


def test_gaps_are_jittered_around_the_interval() -> None:
    engine = VirtualEngine()
    (target,) = targets(1, 1.0)
    run_for(engine, [target], lambda *a: False, 200.0)
    gaps = [b - a for a, b in itertools.pairwise(engine.times(target))]
    assert len(gaps) > 150
    assert all(1 - PHASE_JITTER <= g <= 1 + PHASE_JITTER + 1e-9 for g in gaps)
    assert max(gaps) - min(gaps) > PHASE_JITTER  # the factor is drawn, not fixed
    assert sum(gaps) / len(gaps) == pytest.approx(1.0, abs=0.05)  # fixed-rate on average


def test_a_streak_of_rechecks_returns_to_the_fixed_rate_slot() -> None:
    """Down for 0.25 s from the first probe after 20 s: rechecks every 0.1 s until the hook
    says the streak broke, then the next scheduled probe comes one jittered gap after the
    slot of the first failure, not after the last recheck."""
    failures = 0
    outage: list[float] = []

    def failing(t: ProbeTarget, now: float) -> bool:
        if now >= 20.0 and not outage:
            outage.append(now)
        return bool(outage) and now < outage[0] + 0.25

    engine = VirtualEngine(failing=failing)
    (target,) = targets(1, 1.0, recheck=0.1)

    def on_result(t: ProbeTarget, result: ProbeResult, late: float) -> bool:
        nonlocal failures
        failures += not result.ok
        return not result.ok  # a failure differs from the healthy verdict

    schedule = run_for(engine, [target], on_result, 30.0)
    times = engine.times(target)
    first = next(i for i, at in enumerate(times) if at >= 20.0)
    rechecks = [b - a for a, b in itertools.pairwise(times[first : first + failures + 1])]
    assert failures == 3  # at the first probe, then 0.101 s and 0.202 s later
    assert rechecks == pytest.approx([0.1 + 0.001] * failures)  # R after each probe ends
    resumed = times[first + failures + 1]
    slot_gap = resumed - times[first]
    assert 1 - PHASE_JITTER <= slot_gap <= 1 + PHASE_JITTER + 1e-9
    assert schedule.rechecks == failures
    assert engine.most_in_flight == 1  # rechecks of one target never overlap


def test_without_a_recheck_interval_a_wanted_recheck_is_not_run() -> None:
    engine = VirtualEngine(failing=lambda t, now: True)
    schedule = run_for(engine, targets(3, 1.0), lambda *a: True, 10.0)
    assert schedule.rechecks == 0
    assert schedule.started == len(engine.starts) >= 3 * 8


def test_a_recheck_waiting_for_a_slot_is_late_not_lost() -> None:
    """One recheck slot, 100 targets in a streak (their first probes 10 ms apart on average,
    each probe 50 ms): every target's rechecks run, one at a time, many of them late."""
    engine = VirtualEngine(seconds=0.05)
    probed = targets(100, 1.0, recheck=0.01)
    streak: collections.Counter[ProbeTarget] = collections.Counter()
    recheck_lateness: list[float] = []

    def on_result(t: ProbeTarget, result: ProbeResult, late: float) -> bool:
        if streak[t]:
            recheck_lateness.append(late)
        streak[t] += 1
        return streak[t] < 3  # three failures in a row flip the verdict

    schedule = run_for(engine, probed, on_result, 30.0, max_rechecks=1)
    assert all(streak[t] >= 3 for t in probed)
    assert schedule.rechecks == 2 * len(probed)
    assert max(recheck_lateness) > 0.05  # waited for another target's recheck to end


def test_no_more_probes_run_than_admission_allows() -> None:
    engine = VirtualEngine(seconds=0.3, limit=4)
    probed = targets(40, 1.0)
    seen: collections.Counter[ProbeTarget] = collections.Counter()

    def on_result(t: ProbeTarget, result: ProbeResult, late: float) -> bool:
        seen[t] += 1
        return False

    run_for(engine, probed, on_result, 30.0)
    assert engine.most_in_flight == 4
    assert set(seen) == set(probed)  # the limit delays probes; none is starved


def test_first_offsets_spread_like_a_schedule_that_has_run_for_long() -> None:
    grid = [i / 1000 for i in range(1000)]
    offsets = [first_offset(p) for p in grid]
    assert offsets == sorted(offsets)
    assert offsets[0] == 0.0
    assert first_offset(1 - PHASE_JITTER) == pytest.approx(1 - PHASE_JITTER)  # continuous
    assert max(offsets) < 1 + PHASE_JITTER


def test_the_probe_rate_is_the_offered_rate_from_the_start() -> None:
    """2,000 targets at 10 s: about 200 probes/s in the first interval and in the next three
    (a uniform stagger over one interval gave 98% there: a lull after the first interval)."""
    probed = [
        ProbeTarget(f"127.0.{i // 250}.{i % 250 + 1}", HealthCheck(interval_seconds=10.0))
        for i in range(2000)
    ]
    engine = VirtualEngine()
    run_for(engine, probed, lambda *a: False, 40.0)
    first = sum(1 for at, _ in engine.starts if at < 10.0)
    after = sum(1 for at, _ in engine.starts if 10.0 <= at < 40.0)
    assert first == pytest.approx(2000, rel=0.02)
    assert after == pytest.approx(3 * 2000, rel=0.01)
