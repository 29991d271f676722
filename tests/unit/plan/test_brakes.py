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
from failover_sync.plan.partition import PartitionDetector

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
    ("backends", "dead", "refused"),
    [(2, 1, False), (3, 2, False), (4, 2, False), (4, 3, True), (10, 1, False), (10, 6, True)],
)
@pytest.mark.parametrize("names", [1, 4, 1000])
def test_blast_radius_counts_distinct_endpoints(
    backends: int, dead: int, refused: bool, names: int
) -> None:
    values = [f"192.0.2.{i}" for i in range(1, backends + 1)]
    records = [record(f"r{i}.example.test.", "A", *values) for i in range(names)]
    after = tuple(values[dead:])
    changes = [change(r.name, tuple(values), after) for r in records]
    changes.append(change("new.example.test.", (), ("192.0.2.1",)))  # additions never count
    why = brakes.blast_radius(changes, records, 0.5)
    assert (why is not None) is refused
    if why:
        assert f"removes {dead} of {backends} distinct endpoints" in why


def test_endpoints_differ_by_port_and_protocol_not_by_host_header() -> None:
    plain = ProbeTarget("192.0.2.1", HealthCheck(port=80, host="a.example.test"))
    other_host = ProbeTarget("192.0.2.1", HealthCheck(port=80, host="b.example.test"))
    other_port = ProbeTarget("192.0.2.1", HealthCheck(port=8080))
    assert brakes.endpoint_key(plain) == brakes.endpoint_key(other_host)
    assert brakes.endpoint_key(plain) != brakes.endpoint_key(other_port)


def test_keep_answering_keeps_recovering_endpoints_only() -> None:
    rec = record("k.example.test.", "A", "192.0.2.1", "192.0.2.2", "192.0.2.3")
    health = {target("192.0.2.1"): DOWN, target("192.0.2.2"): DOWN, target("192.0.2.3"): UP}
    answering = {target("192.0.2.1"), target("192.0.2.3")}  # .1 recovers, .2 still fails
    plan = zp(change(rec.name, ("192.0.2.1", "192.0.2.2", "192.0.2.3"), ("192.0.2.3",)))
    (kept,) = brakes.keep_answering(plan, [rec], health, answering).changes
    assert kept.after == ("192.0.2.1", "192.0.2.3")


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


@pytest.mark.parametrize("primary", [DOWN, UP])
def test_freeze_leaves_a_live_failover_rrset_alone(primary: EndpointHealth) -> None:
    """The race of a cut: the primary's verdict turned, the standby's probe has not run again
    (still healthy). Swapping, or adding the standby beside the primary, would act on the
    failure the freeze distrusts; a failover RRset that does not exist yet is still created."""
    rec = record("f.example.test.", "A", "192.0.2.1", "192.0.2.2")
    rec = DesiredRecord(rec.name, "A", 60, ZONE.name, Policy.FAILOVER, rec.endpoints)
    health = {target("192.0.2.1"): primary, target("192.0.2.2"): UP}
    swap = zp(change(rec.name, ("192.0.2.1",), ("192.0.2.2",)))
    frozen = brakes.freeze_removals(swap, [rec], health, "cut off")
    assert frozen.changes == ()
    assert frozen.unchanged == 1
    new = zp(change(rec.name, (), ("192.0.2.2",)))
    assert brakes.freeze_removals(new, [rec], health, "x").changes[0].after == ("192.0.2.2",)


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
    detector = PartitionDetector(endpoints, [], 0.5)
    assert detector.window_seconds == CHECK.detection_seconds
    health = {t: UP for t in endpoints}
    for t in endpoints[:3]:
        health[t] = DOWN
        detector.observe(t, False, 10.0)
    assert detector.evaluate(health, 11.0)
    assert detector.evaluate(health, 100.0)  # long after the window: still cut off
    health[endpoints[0]] = UP
    detector.observe(endpoints[0], True, 101.0)
    assert detector.evaluate(health, 101.0) is None  # 2 of 4 is not above 0.5


def test_partition_detector_slow_decline_is_not_a_burst() -> None:
    endpoints = [target(f"192.0.2.{i}") for i in range(1, 5)]
    detector = PartitionDetector(endpoints, [], 0.5)
    health = {t: UP for t in endpoints}
    for minute, t in enumerate(endpoints[:3]):
        health[t] = DOWN
        detector.observe(t, False, 60.0 * minute)
        assert detector.evaluate(health, 60.0 * minute) is None


def test_partition_detector_counts_machines_not_names() -> None:
    """Three servers under six names (each name's Host header differs) are 3 endpoints:
    below the minimum, so a real total outage is left to when_all_unhealthy."""
    targets = [
        ProbeTarget(f"192.0.2.{i}", HealthCheck(host=f"n{n}.example.test", interval_seconds=1))
        for i in range(1, 4)
        for n in range(6)
    ]
    detector = PartitionDetector(targets, [], 0.5)
    assert detector.total == 3
    health = dict.fromkeys(targets, DOWN)
    for t in targets:
        detector.observe(t, False, 1.0)
    assert detector.evaluate(health, 1.0) is None


def test_partition_detector_canaries() -> None:
    canary = target("192.0.2.250")
    detector = PartitionDetector([target("192.0.2.1")], [canary], 0.5)
    answering = EndpointHealth(True, "up", answering=True)
    assert detector.evaluate({canary: answering, target("192.0.2.1"): DOWN}, 0.0) is None
    assert "all 1 canaries fail" in str(detector.evaluate({canary: DOWN}, 0.0))


def test_an_answering_canary_lets_a_real_outage_through() -> None:
    endpoints = [target(f"192.0.2.{i}") for i in range(1, 7)]
    canary = target("192.0.2.250")
    detector = PartitionDetector(endpoints, [canary], 0.5)
    health = dict.fromkeys(endpoints, DOWN)
    for t in endpoints:
        detector.observe(t, False, 1.0)
    assert detector.evaluate({**health, canary: UP}, 1.0)  # canary not probed: proves nothing
    proven = EndpointHealth(True, "up", answering=True)
    assert detector.evaluate({**health, canary: proven}, 1.0) is None
