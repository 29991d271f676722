"""The safety layer in the controller: blast radius, self-partition, hold-down, ownership.

Health is driven through the real threshold state machine with a scripted prober, the
provider is the in-memory one; each case is one event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import pytest

from failover_sync.controller.controller import Controller
from failover_sync.controller.events import ControllerListener
from failover_sync.model import (
    DesiredRecord,
    Endpoint,
    HealthCheck,
    Policy,
    ProbeTarget,
    RRset,
    Zone,
)
from failover_sync.plan import ownership
from failover_sync.plan.safety import Safety
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import InMemoryProvider, ScriptedProber
from failover_sync.testing.waits import await_for as wait_for

ZONE = Zone("example.test.", "memory")
CHECK = HealthCheck(
    interval_seconds=0.01, failure_threshold=2, success_threshold=2, request_timeout_seconds=0.005
)
FAST_RETRY = RetryPolicy(attempts=3, initial_seconds=0.001, max_seconds=0.005)


def target(value: str) -> ProbeTarget:
    return ProbeTarget(value, CHECK)


def record(index: int, policy: Policy = Policy.MULTIVALUE, **extra: object) -> DesiredRecord:
    values = (f"192.0.2.{index}", f"198.51.100.{index}")
    endpoints = tuple(Endpoint(v, target(v)) for v in values)
    return DesiredRecord(f"r{index}.example.test.", "A", 60, ZONE.name, policy, endpoints, **extra)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(
    records: list[DesiredRecord], safety: Safety, *, marked: bool = True
) -> tuple[Controller, InMemoryProvider, ScriptedProber]:
    """A controller whose records are all live with every endpoint (and owned)."""
    provider = InMemoryProvider()
    live = {}
    for rec in records:
        rrset = RRset.of(rec.name, rec.type, rec.ttl, [e.value for e in rec.endpoints])
        live[rrset.key] = rrset
        if marked and safety.owner_id is not None:
            marker = RRset.of(
                ownership.marker_name(rec.name),
                "TXT",
                60,
                [ownership.marker_value(safety.owner_id, rec.type)],
            )
            live[marker.key] = marker
    provider.zones[ZONE.name] = live
    prober = ScriptedProber()
    ctl = Controller(
        desired={ZONE: records},
        providers={"memory": provider},
        prober=prober,
        retry=FAST_RETRY,
        safety=safety,
    )
    return ctl, provider, prober


def run(body: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        await body()

    asyncio.run(main())


def values(provider: InMemoryProvider, name: str) -> tuple[str, ...]:
    rrset = provider.zones[ZONE.name].get((name, "A"))
    return rrset.values if rrset else ()


class FreezeRecorder(ControllerListener):
    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def on_freeze(self, zone: Zone, frozen: bool, reason: str) -> None:
        self.calls.append((zone.name, frozen))


def test_blast_radius_freezes_writes_until_it_clears(caplog: pytest.LogCaptureFixture) -> None:
    records = [record(i) for i in range(1, 5)]
    ctl, provider, prober = make(records, Safety(max_change_fraction=0.5))
    recorder = FreezeRecorder()
    ctl.listeners.append(recorder)

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {"198.51.100.1", "198.51.100.2", "198.51.100.3"}  # 3 of 4 RRsets
        await ctl.settle()
        with caplog.at_level(logging.ERROR):
            outcome = await ctl.reconcile_zone(ZONE)
        assert outcome.refused
        assert "3 of 4 managed RRsets" in outcome.refused
        assert provider.writes == 0
        assert "writes_frozen" in caplog.text
        assert recorder.calls == [(ZONE.name, True)]  # the metric and notification hook
        prober.down = {"198.51.100.1"}  # one recovers for good: 2 of 4 is not above 0.5
        for _ in range(3):
            await ctl._settle_one(target("198.51.100.2"))
            await ctl._settle_one(target("198.51.100.3"))
        outcome = await ctl.reconcile_zone(ZONE)
        assert outcome.applied
        assert outcome.refused is None
        assert values(provider, "r1.example.test.") == ("192.0.2.1",)
        assert recorder.calls == [(ZONE.name, True), (ZONE.name, False)]

    run(body)


def test_blast_radius_lifted_by_force() -> None:
    records = [record(i) for i in range(1, 5)]
    ctl, provider, prober = make(records, Safety(force=True))

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {f"198.51.100.{i}" for i in range(1, 5)}
        await ctl.settle()
        outcome = await ctl.reconcile_zone(ZONE)
        assert outcome.applied
        assert values(provider, "r4.example.test.") == ("192.0.2.4",)

    run(body)


def test_cut_off_from_every_endpoint_writes_nothing(caplog: pytest.LogCaptureFixture) -> None:
    """The figure for the note: writes issued while cut off from every endpoint = 0."""
    records = [record(i, Policy.FAILOVER) for i in range(1, 5)]
    canary = target("192.0.2.250")
    ctl, provider, prober = make(records, Safety(canaries=(canary,), force=True))
    for rec in records:  # failover: only the primaries are live
        rrset = RRset.of(rec.name, "A", 60, [rec.endpoints[0].value])
        provider.zones[ZONE.name][rrset.key] = rrset

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {e.value for r in records for e in r.endpoints} | {canary.value}
        await ctl.settle()
        for _ in range(3):
            with caplog.at_level(logging.ERROR):
                outcome = await ctl.reconcile_zone(ZONE)
            assert outcome.error is None
            assert not outcome.applied
        assert provider.writes == 0
        assert "removals_frozen" in caplog.text

    run(body)


def test_canaries_down_freeze_removals_but_not_recoveries() -> None:
    records = [record(i) for i in range(1, 3)]
    canary = target("192.0.2.250")
    ctl, provider, prober = make(records, Safety(canaries=(canary,)))
    r1 = records[0]
    provider.zones[ZONE.name][r1.key] = RRset.of(r1.name, "A", 60, ["192.0.2.1"])

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {canary.value, "198.51.100.2"}
        await ctl.settle()
        await ctl.reconcile_zone(ZONE)
        # 198.51.100.1 (healthy, unpublished) is added; 198.51.100.2 (down) is not removed.
        assert values(provider, r1.name) == ("192.0.2.1", "198.51.100.1")
        assert values(provider, "r2.example.test.") == ("192.0.2.2", "198.51.100.2")
        prober.down = {"198.51.100.2"}  # the canary answers again: the removal goes through
        await ctl._settle_one(canary)
        await ctl._settle_one(canary)
        await ctl.reconcile_zone(ZONE)
        assert values(provider, "r2.example.test.") == ("192.0.2.2",)

    run(body)


def test_unhealthy_burst_freezes_removals_until_the_fraction_clears() -> None:
    records = [record(i) for i in range(1, 5)]  # 8 endpoints
    ctl, provider, prober = make(records, Safety(force=True, max_unhealthy_fraction=0.5))

    async def body() -> None:
        await ctl.presume_health()
        down = {f"198.51.100.{i}" for i in range(1, 5)} | {"192.0.2.1"}  # 5 of 8
        prober.down = set(down)
        await ctl.settle()
        await ctl.reconcile_zone(ZONE)
        assert provider.writes == 0
        prober.down = {"198.51.100.1", "198.51.100.2"}  # 2 of 8 now: removals resume
        for value in down - prober.down:
            await ctl._settle_one(target(value))
            await ctl._settle_one(target(value))
        await ctl.reconcile_zone(ZONE)
        assert values(provider, "r1.example.test.") == ("192.0.2.1",)
        assert values(provider, "r3.example.test.") == ("192.0.2.3", "198.51.100.3")

    run(body)


def test_hold_down_damps_a_flap_but_not_a_recovery() -> None:
    clock = Clock()
    rec = record(1, hold_down_seconds=30.0)
    ctl, provider, prober = make([rec], Safety(clock=clock))

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {"198.51.100.1"}
        await ctl.settle()
        await ctl.reconcile_zone(ZONE)
        assert values(provider, rec.name) == ("192.0.2.1",)
        prober.down = set()  # recovery restores an endpoint: not held
        await ctl._settle_one(target("198.51.100.1"))
        await ctl._settle_one(target("198.51.100.1"))
        clock.now += 5
        await ctl.reconcile_zone(ZONE)
        assert values(provider, rec.name) == ("192.0.2.1", "198.51.100.1")
        prober.down = {"198.51.100.1"}  # fails again 5 s later: held down
        await ctl._settle_one(target("198.51.100.1"))
        clock.now += 5
        writes = provider.writes
        outcome = await ctl.reconcile_zone(ZONE)
        assert provider.writes == writes
        assert outcome.plan
        assert outcome.plan.unchanged == 1
        clock.now += 30  # after the hold-down the removal goes through
        await ctl.reconcile_zone(ZONE)
        assert values(provider, rec.name) == ("192.0.2.1",)

    run(body)


def test_first_write_carries_the_marker_in_the_same_batch() -> None:
    rec = record(1)
    ctl, provider, _prober = make([rec], Safety(owner_id="blue"), marked=False)
    provider.zones[ZONE.name] = {}

    async def body() -> None:
        outcomes = await ctl.once()
        assert outcomes[0].applied
        assert provider.writes == 1
        marker = provider.zones[ZONE.name][(ownership.marker_name(rec.name), "TXT")]
        assert marker.values == ('"heritage=failover-sync,owner=blue,type=A"',)
        again = await ctl.reconcile_zone(ZONE)
        assert not again.applied
        assert provider.writes == 1

    run(body)


@pytest.mark.parametrize(
    ("txt_name", "txt_value", "expected"),
    [
        (
            "_failover-sync.r1.example.test.",
            '"heritage=failover-sync,owner=green,type=A"',
            "owner 'green'",
        ),
        ("r1.example.test.", '"heritage=external-dns,external-dns/owner=x"', "external-dns"),
        ("a-r1.example.test.", '"heritage=external-dns,external-dns/owner=x"', "external-dns"),
        (None, None, "not configured endpoints"),
    ],
)
def test_rrsets_of_other_owners_are_never_written(
    txt_name: str | None, txt_value: str | None, expected: str
) -> None:
    rec = record(1)
    ctl, provider, _prober = make([rec], Safety(owner_id="blue"), marked=False)
    live = RRset.of(rec.name, "A", 60, ["203.0.113.9"])
    provider.zones[ZONE.name] = {live.key: live}
    if txt_name and txt_value:
        txt = RRset.of(txt_name, "TXT", 60, [txt_value])
        provider.zones[ZONE.name][txt.key] = txt

    async def body() -> None:
        outcome = (await ctl.once())[0]
        assert outcome.plan is not None
        assert not outcome.plan.changes
        (conflict,) = outcome.plan.conflicts
        assert expected in conflict.reason
        assert provider.writes == 0

    run(body)


@pytest.mark.parametrize("per_record", [True, False])
def test_adopt_takes_over_unknown_values(per_record: bool) -> None:
    rec = record(1, adopt=per_record)
    ctl, provider, _prober = make([rec], Safety(adopt=not per_record), marked=False)
    live = RRset.of(rec.name, "A", 60, ["203.0.113.9"])
    provider.zones[ZONE.name] = {live.key: live}

    async def body() -> None:
        outcome = (await ctl.once())[0]
        assert outcome.applied
        assert outcome.plan is not None
        assert not outcome.plan.conflicts
        assert values(provider, rec.name) == ("192.0.2.1", "198.51.100.1")

    run(body)


@pytest.mark.parametrize("canaries", [True, False])
def test_run_loop_cut_off_from_every_endpoint_writes_nothing(canaries: bool) -> None:
    """The loop, not one reconcile: probes run every 10 ms, every transition reconciles. While
    every endpoint (and canary) fails, nothing is written; when they answer, nothing needed."""
    records = [record(i, Policy.FAILOVER) for i in range(1, 5)]
    canary = target("192.0.2.250")
    safety = Safety(canaries=(canary,) if canaries else (), force=True)
    ctl, provider, prober = make(records, safety)
    for rec in records:
        rrset = RRset.of(rec.name, "A", 60, [rec.endpoints[0].value])
        provider.zones[ZONE.name][rrset.key] = rrset
    before = dict(provider.zones[ZONE.name])

    async def body() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(ctl.run(stop))
        try:
            await wait_for(lambda: ctl.ready, 5)
            writes = provider.writes
            prober.down = {e.value for r in records for e in r.endpoints} | {canary.value}
            await asyncio.sleep(0.3)  # ~30 probe rounds, the transitions, their reconciles
            assert all(not state.healthy for t, state in ctl.states.items() if t != canary)
            assert provider.writes == writes  # writes while cut off: 0
            prober.down = set()
            await asyncio.sleep(0.2)
            assert provider.zones[ZONE.name] == before
            prober.down = {"192.0.2.1"}  # one real outage still fails over at once
            await asyncio.sleep(0.2)
            assert values(provider, "r1.example.test.") == ("198.51.100.1",)
        finally:
            stop.set()
            await task

    run(body)
