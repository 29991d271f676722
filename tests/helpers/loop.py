"""Shared helpers of the controller tests: one record on two loopback backends, the
in-memory provider, a controller with fast retries, and a loop runner."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from failover_sync.controller.controller import Controller
from failover_sync.health.probes import Prober
from failover_sync.model import (
    DesiredRecord,
    Endpoint,
    HealthCheck,
    Policy,
    ProbeTarget,
    RRset,
    Zone,
)
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import InMemoryProvider
from failover_sync.testing.waits import await_for as wait_for

ZONE = Zone("example.test.", "memory")
NAME = "app.example.test."
FAST_RETRY = RetryPolicy(attempts=3, initial_seconds=0.01, max_seconds=0.05)


def desired(port: int, policy: Policy = Policy.FAILOVER) -> dict[Zone, list[DesiredRecord]]:
    check = HealthCheck(
        port=port,
        path="/healthz",
        host="app.example.test",
        interval_seconds=0.2,
        failure_threshold=2,
        success_threshold=2,
        request_timeout_seconds=0.1,
    )
    endpoints = tuple(Endpoint(v, ProbeTarget(v, check)) for v in ("127.0.0.2", "127.0.0.3"))
    return {ZONE: [DesiredRecord(NAME, "A", 30, ZONE.name, policy, endpoints)]}


def controller(
    port: int, provider: InMemoryProvider, *, dry_run: bool = False, resync: float = 60.0
) -> Controller:
    return Controller(
        desired=desired(port),
        providers={"memory": provider},
        prober=Prober(),
        dry_run=dry_run,
        resync_seconds=resync,
        retry=FAST_RETRY,
    )


def seed(provider: InMemoryProvider, *values: str, ttl: int = 30) -> None:
    rrset = RRset.of(NAME, "A", ttl, values)
    provider.zones[ZONE.name] = {rrset.key: rrset}


def live(provider: InMemoryProvider) -> tuple[str, ...]:
    rrset = provider.zones.get(ZONE.name, {}).get((NAME, "A"))
    return rrset.values if rrset else ()


def run_loop(ctl: Controller, body: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(ctl.run(stop))
        try:
            await wait_for(lambda: ctl.ready, 5)
            await body()
        finally:
            stop.set()
            await task
            await ctl.prober.aclose()

    asyncio.run(main())
