"""ProbeSchedule: fixed-rate probes from one heap, one probe per target at a time, skips."""

from __future__ import annotations

import asyncio
import collections

from failover_sync.health.probes import Prober
from failover_sync.health.schedule import ProbeSchedule, phase_of
from failover_sync.model import HealthCheck, ProbeResult, ProbeTarget
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


def targets(n: int, interval: float) -> list[ProbeTarget]:
    check = HealthCheck(interval_seconds=interval)
    return [ProbeTarget(f"127.0.0.{i + 1}", check) for i in range(n)]


def test_phase_is_stable_and_in_the_interval() -> None:
    phases = [phase_of(t) for t in targets(50, 1.0)]
    assert all(0 <= p < 1 for p in phases)
    assert phases == [phase_of(t) for t in targets(50, 1.0)]
    assert len(set(phases)) > 40  # staggered, not all at once


def test_every_target_is_probed_again_and_again() -> None:
    seen: collections.Counter[ProbeTarget] = collections.Counter()
    lateness: list[float] = []

    def on_result(target: ProbeTarget, result: ProbeResult, late: float) -> None:
        seen[target] += 1
        lateness.append(late)

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

    async def main() -> ProbeSchedule:
        schedule = ProbeSchedule(prober, targets(3, 0.05), lambda t, r, late: done.append(t))
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
        task = asyncio.create_task(ProbeSchedule(FakeProber(), [], lambda *a: None).run())
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

    def on_result(target: ProbeTarget, result: ProbeResult, late: float) -> None:
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
