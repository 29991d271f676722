"""The safety layer in the controller: blast radius, self-partition, hold-down, ownership.

Health is driven through the real threshold state machine with a scripted prober, the
provider is the in-memory one; each case is one event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import pytest

from failover_sync.controller.controller import Controller
from failover_sync.controller.events import BrakeChanged, Event
from failover_sync.model import (
    DesiredRecord,
    Endpoint,
    EndpointHealth,
    HealthCheck,
    Policy,
    ProbeTarget,
    RRset,
    Zone,
)
from failover_sync.plan import ownership
from failover_sync.plan.guards import GuardChain, standard_chain
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


def Safety(
    *,
    owner_id: str | None = "default",
    canaries: tuple[ProbeTarget, ...] = (),
    clock: object = None,
    **extra: object,
) -> dict[str, object]:
    """The guard settings of a test (the chain is built with the records in make())."""
    return {"owner_id": owner_id, "canaries": canaries, "clock": clock, **extra}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(
    records: list[DesiredRecord], safety: dict[str, object], *, marked: bool = True
) -> tuple[Controller, InMemoryProvider, ScriptedProber]:
    """A controller whose records are all live with every endpoint (and owned)."""
    provider = InMemoryProvider()
    live = {}
    for rec in records:
        rrset = RRset.of(rec.name, rec.type, rec.ttl, [e.value for e in rec.endpoints])
        live[rrset.key] = rrset
        owner = safety["owner_id"]
        if marked and isinstance(owner, str):
            marker = RRset.of(
                ownership.marker_name(rec.name),
                "TXT",
                60,
                [ownership.marker_value(owner, rec.type)],
            )
            live[marker.key] = marker
    provider.zones[ZONE.name] = live
    prober = ScriptedProber()
    settings = dict(safety)
    clock = settings.pop("clock") or time.monotonic
    canaries = settings.pop("canaries")
    guards: GuardChain = standard_chain(
        endpoints=[e.target for r in records for e in r.endpoints],
        canaries=canaries,  # type: ignore[arg-type]
        **settings,  # type: ignore[arg-type]
    )
    ctl = Controller(
        {ZONE: records},
        {"memory": provider},
        prober,
        retry=FAST_RETRY,
        guards=guards,
        canaries=canaries,  # type: ignore[arg-type]
        clock=clock,  # type: ignore[arg-type]
    )
    return ctl, provider, prober


def run(body: Callable[[], Awaitable[None]]) -> None:
    async def main() -> None:
        await body()

    asyncio.run(main())


def values(provider: InMemoryProvider, name: str) -> tuple[str, ...]:
    rrset = provider.zones[ZONE.name].get((name, "A"))
    return rrset.values if rrset else ()


class FreezeRecorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, bool]] = []

    def __call__(self, event: Event) -> None:
        if isinstance(event, BrakeChanged):
            self.calls.append((event.zone.name, event.engaged))


def shared(index: int, backends: tuple[str, ...]) -> DesiredRecord:
    """A multivalue record served by the shared ``backends``."""
    endpoints = tuple(Endpoint(v, target(v)) for v in backends)
    return DesiredRecord(
        f"s{index}.example.test.", "A", 60, ZONE.name, Policy.MULTIVALUE, endpoints
    )


@pytest.mark.parametrize("names", [1, 4, 1000])
def test_one_dead_backend_behind_any_number_of_names_fails_over_everywhere(names: int) -> None:
    backends = ("192.0.2.1", "192.0.2.2")
    records = [shared(i, backends) for i in range(names)]
    ctl, provider, prober = make(records, Safety())

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {"192.0.2.2"}
        await ctl.settle()
        outcome = await ctl.reconcile_zone(ZONE)
        assert outcome.refused is None
        assert outcome.applied
        assert all(values(provider, r.name) == ("192.0.2.1",) for r in records)

    run(body)


def test_one_dead_backend_of_many_is_not_a_blast() -> None:
    backends = tuple(f"192.0.2.{i}" for i in range(1, 11))
    records = [shared(i, backends) for i in range(50)]
    ctl, provider, prober = make(records, Safety())

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {"192.0.2.7"}
        await ctl.settle()
        outcome = await ctl.reconcile_zone(ZONE)
        assert outcome.applied
        assert "192.0.2.7" not in values(provider, "s0.example.test.")

    run(body)


def test_blast_radius_freezes_writes_until_it_clears(caplog: pytest.LogCaptureFixture) -> None:
    # Two names on three backends each, six distinct endpoints; the partition brake is
    # lifted (max_unhealthy_fraction 1) so that this test sees the blast radius alone.
    records = [
        shared(1, ("192.0.2.1", "192.0.2.2", "192.0.2.3")),
        shared(2, ("198.51.100.1", "198.51.100.2", "198.51.100.3")),
    ]
    ctl, provider, prober = make(
        records, Safety(max_change_fraction=0.5, max_unhealthy_fraction=1.0)
    )
    recorder = FreezeRecorder()
    ctl.bus.subscribe(recorder)

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {"192.0.2.2", "192.0.2.3", "198.51.100.2", "198.51.100.3"}  # 4 of 6
        await ctl.settle()
        with caplog.at_level(logging.ERROR):
            outcome = await ctl.reconcile_zone(ZONE)
        assert outcome.refused
        assert "removes 4 of 6 distinct endpoints at once" in outcome.refused
        assert provider.writes == 0
        assert "writes_frozen" in caplog.text
        assert recorder.calls == [(ZONE.name, True)]
        prober.down = {"192.0.2.3", "198.51.100.3"}  # two recover: 2 of 6 is below 0.5
        for value in ("192.0.2.2", "198.51.100.2"):
            for _ in range(3):
                await ctl._settle_one(target(value), None)
        outcome = await ctl.reconcile_zone(ZONE)
        assert outcome.applied
        assert outcome.refused is None
        assert values(provider, "s1.example.test.") == ("192.0.2.1", "192.0.2.2")
        assert recorder.calls == [(ZONE.name, True), (ZONE.name, False)]

    run(body)


def test_blast_radius_lifted_by_force() -> None:
    records = [record(i) for i in range(1, 5)]
    ctl, provider, prober = make(records, Safety(force=True, max_unhealthy_fraction=1.0))

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
        await ctl._settle_one(canary, None)
        await ctl._settle_one(canary, None)
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
            await ctl._settle_one(target(value), None)
            await ctl._settle_one(target(value), None)
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
        await ctl._settle_one(target("198.51.100.1"), None)
        await ctl._settle_one(target("198.51.100.1"), None)
        clock.now += 5
        await ctl.reconcile_zone(ZONE)
        assert values(provider, rec.name) == ("192.0.2.1", "198.51.100.1")
        prober.down = {"198.51.100.1"}  # fails again 5 s later: held down
        await ctl._settle_one(target("198.51.100.1"), None)
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
            # every transition, and the reconcile each one asks for, while cut off
            await wait_for(
                lambda: all(not ctl.board.verdict(t).healthy for t in ctl.board if t != canary), 5
            )
            await wait_for(lambda: not any(w.dirty.is_set() for w in ctl.workers.values()), 5)
            assert provider.writes == writes  # writes while cut off: 0
            prober.down = set()
            await wait_for(lambda: all(ctl.board.verdict(t).healthy for t in ctl.board), 5)
            await wait_for(lambda: not any(w.dirty.is_set() for w in ctl.workers.values()), 5)
            assert provider.zones[ZONE.name] == before
            prober.down = {"192.0.2.1"}  # one real outage still fails over at once
            await wait_for(lambda: values(provider, "r1.example.test.") == ("198.51.100.1",), 5)
        finally:
            stop.set()
            await task

    run(body)


def test_the_partition_brake_sees_every_zone_not_only_the_one_planned() -> None:
    """A zone's plan gets only that zone's verdicts; the detector's view is global, so the
    endpoints of other zones never count as unknown (unhealthy)."""
    other = Zone("other.test.", "memory")
    here = [shared(i, tuple(f"192.0.2.{j}" for j in range(1, 5))) for i in range(2)]
    there = [
        DesiredRecord(f"w{i}.other.test.", "A", 60, other.name, Policy.MULTIVALUE,
                      tuple(Endpoint(v, target(v)) for v in ("198.51.100.1", "198.51.100.2")))
        for i in range(4)
    ]  # fmt: skip
    provider = InMemoryProvider()
    for zone, records in ((ZONE, here), (other, there)):
        provider.zones[zone.name] = {
            r.key: RRset.of(r.name, "A", 60, [e.value for e in r.endpoints]) for r in records
        }
    prober = ScriptedProber()
    desired = {ZONE: here, other: there}
    guards = standard_chain(endpoints=[e.target for rs in desired.values() for r in rs
                                       for e in r.endpoints], owner_id=None)  # fmt: skip
    ctl = Controller(desired, {"memory": provider}, prober, retry=FAST_RETRY, guards=guards)

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {"192.0.2.4"}
        await ctl.settle()
        outcome = await ctl.reconcile_zone(ZONE)
        assert outcome.refused is None
        assert outcome.applied
        assert values(provider, "s0.example.test.") == ("192.0.2.1", "192.0.2.2", "192.0.2.3")

    run(body)


class QuorumSays:
    """A VerdictSource whose quorum votes ``down`` unhealthy (the cluster mode's seam)."""

    def __init__(self, down: set[str]) -> None:
        self.down = down

    def verdicts(self, targets: object) -> dict[ProbeTarget, EndpointHealth]:
        return {
            t: EndpointHealth(t.value not in self.down, "2 of 3 vantages vote")
            for t in targets  # type: ignore[attr-defined]
        }

    def removals_frozen(self) -> str | None:
        return None


def test_a_quorum_removal_stands_on_the_leader_whose_own_probes_pass() -> None:
    """The leader may be the one vantage that still reaches the endpoint: its latest probe
    passing is a dissenting vote, not a recovery that keeps the endpoint published."""
    rec = record(1)
    ctl, provider, prober = make([rec], Safety())
    ctl = Controller(
        {ZONE: [rec]},
        {"memory": provider},
        prober,
        retry=FAST_RETRY,
        guards=standard_chain(owner_id="default", endpoints=[e.target for e in rec.endpoints]),
        verdicts=QuorumSays({"192.0.2.1"}),
    )

    async def body() -> None:
        await ctl.presume_health()
        await ctl.settle()
        assert all(ctl.board.verdict(e.target).healthy for e in rec.endpoints)  # locally up
        outcome = await ctl.reconcile_zone(ZONE)
        assert outcome.applied
        assert values(provider, rec.name) == ("198.51.100.1",)

    run(body)
