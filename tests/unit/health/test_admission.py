"""Admission: overload delays whole probes in arrival order; a deadline starts at admission."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator

import pytest

from failover_sync.cli.demo import free_port
from failover_sync.health.admission import Admission, AdmissionStats
from failover_sync.health.probes import Prober
from failover_sync.model import HealthCheck, ProbeTarget
from failover_sync.testing.backends import HttpBackend
from failover_sync.testing.waits import await_for

ADDRESS = "127.0.0.4"


def test_limit_is_what_the_core_finishes_within_a_share_of_the_timeout() -> None:
    gate = Admission(ceiling=1000, floor=4, share=0.5, initial_cpu_per_probe=0.002)

    async def main() -> list[int]:
        limits = []
        for timeout in (10.0, 1.0, 0.01, 5.0):  # the shortest timeout seen counts
            await gate.acquire(timeout)
            gate.release()
            limits.append(gate.stats.limit)
        return limits

    assert asyncio.run(main()) == [1000, 250, 4, 4]


def test_invalid_settings_are_refused() -> None:
    with pytest.raises(ValueError, match="share"):
        Admission(share=0)
    with pytest.raises(ValueError, match="floor"):
        Admission(ceiling=2, floor=3)


def test_overload_delays_in_arrival_order_and_is_announced() -> None:
    gate = Admission(ceiling=1, floor=1)
    events: list[tuple[bool, int]] = []
    gate.listeners.append(lambda on, stats: events.append((on, stats.waiting)))
    order: list[str] = []

    async def worker(name: str) -> None:
        await gate.acquire(1.0)
        order.append(name)
        await asyncio.sleep(0)
        gate.release()

    async def main() -> AdmissionStats:
        await asyncio.gather(*(worker(n) for n in "abcd"))
        return gate.stats

    stats = asyncio.run(main())
    assert order == ["a", "b", "c", "d"]
    assert events == [(True, 1)]  # entered once; leaving needs QUIET_SECONDS without delays
    assert (stats.admitted, stats.finished, stats.delayed) == (4, 4, 3)
    assert (stats.in_flight, stats.waiting) == (0, 0)
    assert stats.overloaded
    assert stats.delay_seconds >= 0
    assert gate.take_max_delay() >= 0
    assert gate.stats.max_delay_seconds == 0


def test_cancelled_waiters_never_hold_a_slot() -> None:
    gate = Admission(ceiling=1, floor=1)

    async def main() -> AdmissionStats:
        await gate.acquire(1.0)
        waiting = asyncio.create_task(gate.acquire(1.0))
        handed = asyncio.create_task(gate.acquire(1.0))
        last = asyncio.create_task(gate.acquire(1.0))
        await await_for(lambda: gate.stats.waiting == 3, 5)
        waiting.cancel()  # cancelled while queued
        await await_for(waiting.done, 5)
        gate.release()  # hands the slot to `handed` ...
        handed.cancel()  # ... which is cancelled before it runs: the slot goes on to `last`
        await asyncio.gather(waiting, handed, return_exceptions=True)
        await last
        assert gate.stats.in_flight == 1
        gate.release()
        return gate.stats

    stats = asyncio.run(main())
    assert (stats.in_flight, stats.waiting) == (0, 0)


@pytest.fixture
def slow_backend() -> Iterator[HttpBackend]:
    server = HttpBackend(ADDRESS, free_port(ADDRESS)).start()
    server.behaviour.delay_seconds = 0.3
    yield server
    server.stop()


def test_a_probe_deadline_starts_when_it_is_admitted(slow_backend: HttpBackend) -> None:
    # Five probes through one slot take 5 x 0.3 s; each has 1 s once admitted. Timed from
    # the call, the last ones would time out.
    check = HealthCheck(port=slow_backend.port, host="app.example.test", request_timeout_seconds=1)
    target = ProbeTarget(ADDRESS, check)

    async def main() -> tuple[list[str], AdmissionStats]:
        prober = Prober(max_concurrency=1)
        try:
            results = await asyncio.gather(*(prober.probe(target) for _ in range(5)))
        finally:
            await prober.aclose()
        return [r.reason for r in results], prober.stats

    reasons, stats = asyncio.run(main())
    assert reasons == ["status 200"] * 5
    assert stats.delayed == 4
    assert stats.limit == 1
    assert slow_backend.behaviour.requests == 5


def test_overload_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    prober = Prober(max_concurrency=1)
    stats = prober.stats
    stats.in_flight, stats.limit, stats.waiting = 1, 1, 3
    with caplog.at_level(logging.INFO):
        for listener in prober.admission.listeners:
            listener(True, stats)
            listener(False, stats)
    assert [(r.levelno, r.getMessage()) for r in caplog.records] == [
        (logging.WARNING, "probe_overload"),
        (logging.INFO, "probe_overload_ended"),
    ]
