"""The one reconcile path: batches, split of rejected batches, reviewed plans, stale writes,
foreign writers, readiness, all-unhealthy events, drain and status."""

from __future__ import annotations

import asyncio
import logging

import pytest

from failover_sync.controller.controller import Controller
from failover_sync.controller.events import (
    AllUnhealthyChanged,
    Event,
    ForeignWrite,
    WriteRejected,
)
from failover_sync.controller.reconcile import batches
from failover_sync.model import (
    Action,
    AllUnhealthy,
    Change,
    DesiredRecord,
    Endpoint,
    EndpointStatus,
    HealthCheck,
    Policy,
    ProbeTarget,
    RRset,
    Zone,
)
from failover_sync.plan.ownership import marker_name
from failover_sync.provider.retry import RetryPolicy
from failover_sync.testing import InMemoryProvider, ScriptedProber, standard_guards
from failover_sync.testing.waits import await_for

ZONE = Zone("example.test.", "memory")
CHECK = HealthCheck(interval_seconds=0.05, failure_threshold=2, request_timeout_seconds=0.02)
FAST = RetryPolicy(attempts=3, initial_seconds=0.001, max_seconds=0.002)


def rec(name: str, *values: str, **extra: object) -> DesiredRecord:
    statuses = extra.pop("statuses", {})
    assert isinstance(statuses, dict)
    endpoints = tuple(
        Endpoint(v, ProbeTarget(v, CHECK), status=statuses.get(v, EndpointStatus.OBEY))
        for v in values
    )
    return DesiredRecord(
        f"{name}.example.test.", "A", 60, ZONE.name, Policy.MULTIVALUE, endpoints, **extra
    )  # type: ignore[arg-type]


def make(
    records: list[DesiredRecord], provider: InMemoryProvider | None = None
) -> tuple[Controller, InMemoryProvider, ScriptedProber, list[Event]]:
    provider = provider or InMemoryProvider()
    prober = ScriptedProber()
    desired = {ZONE: records}
    ctl = Controller(
        desired, {"memory": provider}, prober, guards=standard_guards(desired), retry=FAST
    )
    seen: list[Event] = []
    ctl.bus.subscribe(seen.append)
    return ctl, provider, prober, seen


def live(provider: InMemoryProvider, name: str) -> tuple[str, ...]:
    rrset = provider.zones.get(ZONE.name, {}).get((f"{name}.example.test.", "A"))
    return rrset.values if rrset else ()


def change(name: str) -> Change:
    return Change(Action.UPSERT, name, "A", 60, (), ("192.0.2.1",), "r")


def test_batches_never_separate_a_record_from_its_marker() -> None:
    names = [f"n{i}.example.test." for i in range(5)]
    changes = [c for n in names for c in (change(marker_name(n)), change(n))]
    split = batches(changes, 3)
    assert [len(b) for b in split] == [2, 2, 2, 2, 2]
    for batch in split:
        assert {c.name.removeprefix("_failover-sync.") for c in batch} == {batch[-1].name}
    assert batches(changes, None) == [changes]
    assert batches([], 10) == []


def test_a_rejected_rrset_does_not_block_the_rest_of_its_zone() -> None:
    """Issue 12 item 17: a foreign CNAME at one managed name used to fail every batch."""
    records = [rec("app", "192.0.2.1"), rec("bad", "192.0.2.2"), rec("www", "192.0.2.3")]
    ctl, provider, _, seen = make(records)
    provider.rejects = {"bad.example.test."}

    async def body() -> None:
        (outcome,) = await ctl.once()
        assert outcome.error is None
        assert [c.name for c, _ in outcome.rejected if c.type == "A"] == ["bad.example.test."]

    asyncio.run(body())
    assert live(provider, "app") == ("192.0.2.1",)
    assert live(provider, "www") == ("192.0.2.3",)
    assert live(provider, "bad") == ()
    assert [e.change.name for e in seen if isinstance(e, WriteRejected)] == ["bad.example.test."]


def test_a_reviewed_plan_that_changed_is_not_written() -> None:
    records = [rec("app", "192.0.2.1", "192.0.2.2")]
    ctl, provider, _, _ = make(records)

    async def body() -> None:
        await ctl.presume_health()
        await ctl.settle()
        plan, _, _ = await ctl.plan()
        provider.zones[ZONE.name] = {}  # someone edits the zone after the review
        seeded = RRset.of("app.example.test.", "A", 60, ["192.0.2.9"])
        provider.zones[ZONE.name][seeded.key] = seeded
        outcome = await ctl.reconcile_zone(ZONE, write=True, expect=plan.zones[0], retry=False)
        assert outcome.refused is not None
        assert "changed since the plan was shown" in outcome.refused

    asyncio.run(body())
    assert live(provider, "app") == ("192.0.2.9",)
    assert provider.writes == 0


def test_a_stale_write_in_apply_stops_at_once_with_a_clear_message() -> None:
    """Issue 12 item 8: one refused compare-and-swap, not four identical retries."""
    records = [rec("app", "192.0.2.1")]
    ctl, provider, _, _ = make(records)
    attempts = 0
    original = provider.apply

    async def racing_apply(zone: Zone, changes: object) -> None:
        nonlocal attempts
        attempts += 1
        other = RRset.of("app.example.test.", "A", 60, ["203.0.113.1"])
        provider.zones.setdefault(ZONE.name, {})[other.key] = other  # lands first
        await original(zone, changes)  # type: ignore[arg-type]

    provider.apply = racing_apply  # type: ignore[method-assign]

    async def body() -> None:
        await ctl.presume_health()
        await ctl.settle()
        plan, _, _ = await ctl.plan()
        outcome = await ctl.reconcile_zone(ZONE, write=True, expect=plan.zones[0], retry=False)
        assert outcome.error is not None
        assert "run the command again" in str(outcome.error)

    asyncio.run(body())
    assert attempts == 1


def test_a_managed_rrset_rewritten_by_another_writer_is_reported() -> None:
    """Issue 12 item 22: two controllers with different views ping-pong; say so."""
    records = [rec("app", "192.0.2.1")]
    ctl, provider, _, seen = make(records)

    async def body() -> None:
        await ctl.once()
        other = RRset.of("app.example.test.", "A", 60, ["192.0.2.1", "198.51.100.9"])
        provider.zones[ZONE.name][other.key] = other
        await ctl.reconcile_zone(ZONE)

    with pytest.MonkeyPatch.context():
        asyncio.run(body())
    foreign = [e for e in seen if isinstance(e, ForeignWrite)]
    assert [(e.name, e.values) for e in foreign] == [
        ("app.example.test.", ("192.0.2.1", "198.51.100.9"))
    ]
    assert live(provider, "app") == ("192.0.2.1",)  # drift repaired (it was ours)


def test_unsupported_record_types_are_refused_before_a_write() -> None:
    records = [rec("app", "192.0.2.1")]
    provider = InMemoryProvider()
    provider.capabilities = type(provider.capabilities)(record_types=frozenset({"AAAA", "TXT"}))
    ctl, provider, _, _ = make(records, provider)

    async def body() -> None:
        (outcome,) = await ctl.once()
        assert outcome.error is not None
        assert "does not support record type A" in str(outcome.error)

    asyncio.run(body())
    assert provider.writes == 0


def test_ready_only_once_every_zone_was_reconciled() -> None:
    """Issue 12 item 12: /readyz is not ready while every reconcile fails."""
    records = [rec("app", "192.0.2.1")]
    ctl, provider, _, _ = make(records)
    provider.broken_zones = {ZONE.name}

    async def body() -> None:
        stop = asyncio.Event()
        task = asyncio.create_task(ctl.run(stop))
        await await_for(lambda: ctl.running, 5)
        assert not ctl.ready
        provider.broken_zones = set()
        ctl.request_reconcile()
        await await_for(lambda: ctl.ready, 5)
        stop.set()
        await task

    asyncio.run(body())


def test_all_unhealthy_is_a_warning_with_its_own_event(caplog: pytest.LogCaptureFixture) -> None:
    """Issue 12 item 13."""
    records = [rec("app", "192.0.2.1", "192.0.2.2", when_all_unhealthy=AllUnhealthy.KEEP)]
    ctl, _, prober, seen = make(records)

    async def body() -> None:
        await ctl.presume_health()
        prober.down = {"192.0.2.1", "192.0.2.2"}
        with caplog.at_level(logging.INFO):
            await ctl.settle()
            prober.down = set()
            for target in list(ctl.board):
                for _ in range(2):
                    ctl.observe(target, await prober.probe(target))

    asyncio.run(body())
    changes = [e.unhealthy for e in seen if isinstance(e, AllUnhealthyChanged)]
    assert changes == [True, False]
    levels = {r.getMessage(): r.levelno for r in caplog.records}
    assert levels["all_unhealthy"] == logging.WARNING
    assert "all_unhealthy_cleared" in levels


def test_draining_removes_an_endpoint_but_never_empties_the_rrset() -> None:
    """Issue 15 item 3."""
    drained = {"192.0.2.1": EndpointStatus.DOWN}
    records = [
        rec("app", "192.0.2.1", "192.0.2.2", statuses=drained),
        rec("solo", "192.0.2.1", statuses=drained),
        rec("up", "192.0.2.3", statuses={"192.0.2.3": EndpointStatus.UP}),
    ]
    ctl, provider, prober, _ = make(records)
    prober.down = {"192.0.2.3"}

    async def body() -> None:
        (outcome,) = await ctl.once()
        assert outcome.plan is not None
        reasons = {c.name: c.reason for c in outcome.plan.changes}
        assert "forced up" in reasons["up.example.test."]
        data = ctl.status()
        app = next(r for r in data["records"] if r["name"] == "app.example.test.")  # type: ignore[index, union-attr]
        assert [e["why"] for e in app["endpoints"]] == ["drained", "healthy"]

    asyncio.run(body())
    assert live(provider, "app") == ("192.0.2.2",)
    assert live(provider, "solo") == ("192.0.2.1",)  # publish_all: never an empty RRset
    assert live(provider, "up") == ("192.0.2.3",)


def test_the_epoch_marker_travels_with_the_first_batch() -> None:
    names = [f"n{i}.example.test." for i in range(4)]
    epoch = change("_failover-sync-epoch.example.test.")
    split = batches([*map(change, names), epoch], 2)
    assert epoch in split[0]
    assert all(epoch not in b for b in split[1:])
