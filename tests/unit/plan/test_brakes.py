"""The pure brakes: blast radius, removal freeze, hold-down, partition detection."""

from __future__ import annotations

import pytest

from failover_sync.model import (
    Action,
    Change,
    DesiredRecord,
    Endpoint,
    EndpointHealth,
    HealthCheck,
    Policy,
    ProbeTarget,
    Zone,
    ZonePlan,
)
from failover_sync.plan import brakes

ZONE = Zone("example.test.", "p")
CHECK = HealthCheck(interval_seconds=1, failure_threshold=2, request_timeout_seconds=0.5)
UP, DOWN = EndpointHealth(True, "up"), EndpointHealth(False, "down")


def target(value: str) -> ProbeTarget:
    return ProbeTarget(value, CHECK)


def record(name: str, rtype: str, *values: str, hold: float = 0.0) -> DesiredRecord:
    endpoints = tuple(Endpoint(v, target(v), weight=2) for v in values)
    return DesiredRecord(name, rtype, 60, ZONE.name, Policy.MULTIVALUE, endpoints,
                         hold_down_seconds=hold)  # fmt: skip


def change(name: str, before: tuple[str, ...], after: tuple[str, ...], rtype: str = "A") -> Change:
    return Change(Action.UPSERT, name, rtype, 60, before, after, "r", 60 if before else None)


def zp(*changes: Change) -> ZonePlan:
    return ZonePlan(ZONE, changes, 0)


@pytest.mark.parametrize(
    ("removing", "managed", "refused"),
    [(3, 3, False), (2, 4, False), (3, 4, True), (1, 10, False), (6, 10, True)],
)
def test_blast_radius(removing: int, managed: int, refused: bool) -> None:
    changes = [change(f"r{i}.example.test.", ("1.1.1.1", "2.2.2.2"), ("1.1.1.1",))
               for i in range(removing)]  # fmt: skip
    changes.append(change("new.example.test.", (), ("1.1.1.1",)))  # additions never count
    why = brakes.blast_radius(changes, managed, 0.5)
    assert (why is not None) is refused
    if why:
        assert f"{removing} of {managed}" in why


def test_freeze_keeps_live_values_and_adds_only_healthy_ones() -> None:
    rec = record("a.example.test.", "A", "192.0.2.1", "192.0.2.2", "192.0.2.3")
    health = {target("192.0.2.1"): DOWN, target("192.0.2.2"): UP, target("192.0.2.3"): DOWN}
    plan = zp(change(rec.name, ("192.0.2.1",), ("192.0.2.2", "192.0.2.3")))
    (frozen,) = brakes.freeze_removals(plan, [rec], health, "cut off").changes
    assert frozen.after == ("192.0.2.1", "192.0.2.2")
    assert "removals frozen (cut off)" in frozen.reason


def test_freeze_drops_publish_all_of_unhealthy_and_lone_markers() -> None:
    rec = record("a.example.test.", "A", "192.0.2.1", "192.0.2.2")
    health = {target("192.0.2.1"): DOWN, target("192.0.2.2"): DOWN}
    marker = change("_failover-sync.a.example.test.", (), ('"x"',), "TXT")
    plan = zp(marker, change(rec.name, ("192.0.2.1",), ("192.0.2.1", "192.0.2.2")))
    frozen = brakes.freeze_removals(plan, [rec], health, "cut off")
    assert frozen.changes == ()
    assert frozen.unchanged == 1


def test_freeze_cname_is_written_only_when_new() -> None:
    rec = record("c.example.test.", "CNAME", "a.example.net.", "b.example.net.")
    health = {target("a.example.net."): DOWN, target("b.example.net."): UP}
    swap = zp(change(rec.name, ("a.example.net.",), ("b.example.net.",), "CNAME"))
    assert brakes.freeze_removals(swap, [rec], health, "x").changes == ()
    new = zp(change(rec.name, (), ("b.example.net.",), "CNAME"))
    assert brakes.freeze_removals(new, [rec], health, "x").changes[0].after == ("b.example.net.",)


def test_freeze_keeps_weights_for_every_published_value() -> None:
    rec = record("w.example.test.", "A", "192.0.2.1", "192.0.2.2")
    health = {target("192.0.2.1"): DOWN, target("192.0.2.2"): UP}
    weighted = Change(Action.UPSERT, rec.name, "A", 60, ("192.0.2.1",), ("192.0.2.2",), "r", 60,
                      (("192.0.2.2", 2),))  # fmt: skip
    (frozen,) = brakes.freeze_removals(zp(weighted), [rec], health, "x").changes
    assert frozen.weights == (("192.0.2.1", 2), ("192.0.2.2", 2))


def test_hold_down() -> None:
    rec = record("h.example.test.", "A", "192.0.2.1", "192.0.2.2", hold=30)
    shrink = change(rec.name, ("192.0.2.1", "192.0.2.2"), ("192.0.2.1",))
    grow = change(rec.name, ("192.0.2.1",), ("192.0.2.1", "192.0.2.2"))
    last = {rec.key: 100.0}
    plan, held = brakes.hold_down(zp(shrink), [rec], last, 110.0)
    assert (plan.changes, held, plan.unchanged) == ((), (shrink,), 1)
    assert brakes.hold_down(zp(grow), [rec], last, 110.0)[0].changes == (grow,)
    assert brakes.hold_down(zp(shrink), [rec], last, 130.0)[0].changes == (shrink,)
    assert brakes.hold_down(zp(shrink), [rec], {}, 110.0)[0].changes == (shrink,)


def test_partition_detector_burst_lasts_until_the_fraction_clears() -> None:
    endpoints = [target(f"192.0.2.{i}") for i in range(1, 5)]
    detector = brakes.PartitionDetector(endpoints, [], 0.5)
    assert detector.window_seconds == CHECK.detection_seconds == 2.5
    health = {t: UP for t in endpoints}
    for t in endpoints[:3]:
        detector.observe(t, False, 10.0)
        health[t] = DOWN
    assert detector.evaluate(health, 11.0)
    assert detector.evaluate(health, 100.0)  # long after the window: still cut off
    detector.observe(endpoints[0], True, 101.0)
    health[endpoints[0]] = UP
    assert detector.evaluate(health, 101.0) is None  # 2 of 4 is not above 0.5


def test_partition_detector_slow_decline_is_not_a_burst() -> None:
    endpoints = [target(f"192.0.2.{i}") for i in range(1, 5)]
    detector = brakes.PartitionDetector(endpoints, [], 0.5)
    health = {t: UP for t in endpoints}
    for minute, t in enumerate(endpoints[:3]):
        detector.observe(t, False, 60.0 * minute)
        health[t] = DOWN
        assert detector.evaluate(health, 60.0 * minute) is None


def test_partition_detector_canaries() -> None:
    canary = target("192.0.2.250")
    detector = brakes.PartitionDetector([target("192.0.2.1")], [canary], 0.5)
    assert detector.evaluate({canary: UP, target("192.0.2.1"): DOWN}, 0.0) is None
    assert "all 1 canaries fail" in str(detector.evaluate({canary: DOWN}, 0.0))
