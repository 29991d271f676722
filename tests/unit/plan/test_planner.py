"""The planner as a table of cases: plain values in, Plan out."""

from __future__ import annotations

import pytest

from failover_sync.model import (
    AllUnhealthy,
    DesiredRecord,
    Endpoint,
    EndpointHealth,
    Failback,
    HealthCheck,
    Policy,
    ProbeTarget,
    RRset,
    Zone,
)
from failover_sync.plan.planner import plan, plan_record

ZONE = Zone("example.com.", "local")
NAME = "app.example.com."
CHECK = HealthCheck(host="app.example.com")
IPS = ("192.0.2.1", "192.0.2.2", "192.0.2.3")


def record(
    policy: Policy = Policy.FAILOVER,
    *,
    ttl: int = 30,
    mode: AllUnhealthy = AllUnhealthy.PUBLISH_ALL,
    fallback: tuple[str, ...] = (),
    failback: Failback = Failback.AUTO,
    values: tuple[str, ...] = IPS,
    rtype: str = "A",
    weights: tuple[int, ...] = (),
) -> DesiredRecord:
    endpoints = tuple(
        Endpoint(v, ProbeTarget(v, CHECK), weights[i] if weights else 1)
        for i, v in enumerate(values)
    )
    return DesiredRecord(NAME, rtype, ttl, ZONE.name, policy, endpoints, mode, fallback, failback)


def health(*down: str, values: tuple[str, ...] = IPS) -> dict[ProbeTarget, EndpointHealth]:
    return {
        ProbeTarget(v, CHECK): (
            EndpointHealth(False, "3 consecutive failures (connection refused)")
            if v in down
            else EndpointHealth(True, "2 consecutive successes")
        )
        for v in values
    }


def live(*values: str, ttl: int = 30, rtype: str = "A") -> RRset:
    return RRset.of(NAME, rtype, ttl, values)


@pytest.mark.parametrize(
    ("rec", "down", "current", "after"),
    [
        # failover: first healthy in priority order
        (record(), (), live("192.0.2.1"), None),
        (record(), ("192.0.2.1",), live("192.0.2.1"), ("192.0.2.2",)),
        (record(), ("192.0.2.1", "192.0.2.2"), live("192.0.2.1"), ("192.0.2.3",)),
        (record(), (), live("192.0.2.2"), ("192.0.2.1",)),  # failback auto
        (record(failback=Failback.MANUAL), (), live("192.0.2.2"), None),  # stay on secondary
        (record(failback=Failback.MANUAL), ("192.0.2.2",), live("192.0.2.2"), ("192.0.2.1",)),
        (record(), (), None, ("192.0.2.1",)),  # RRset does not exist yet
        # multivalue and weighted: every healthy endpoint
        (record(Policy.MULTIVALUE), ("192.0.2.2",), live(*IPS), ("192.0.2.1", "192.0.2.3")),
        (record(Policy.MULTIVALUE), (), live("192.0.2.1", "192.0.2.3"), IPS),
        (record(Policy.WEIGHTED_ROUND_ROBIN), ("192.0.2.3",), live(*IPS), IPS[:2]),
        # all unhealthy
        (record(), IPS, live("192.0.2.3"), IPS),
        (record(Policy.MULTIVALUE), IPS, live(*IPS), None),  # publish_all already published
        (record(mode=AllUnhealthy.KEEP), IPS, live("192.0.2.3"), None),
        (record(mode=AllUnhealthy.KEEP), IPS, None, None),  # nothing to keep: never empty
        (
            record(mode=AllUnhealthy.FALLBACK, fallback=("198.51.100.9",)),
            IPS,
            live("192.0.2.1"),
            ("198.51.100.9",),
        ),
        # a value that is not an endpoint is removed
        (record(Policy.MULTIVALUE), (), live(*IPS, "203.0.113.5"), IPS),
    ],
)
def test_policy_table(
    rec: DesiredRecord, down: tuple[str, ...], current: RRset | None, after: tuple[str, ...] | None
) -> None:
    change = plan_record(rec, health(*down), current)
    if after is None:
        assert change is None
    else:
        assert change is not None
        assert change.after == after
        assert change.before == (current.values if current else ())
        assert change.after, "never an empty RRset"


def test_cname_publish_all_publishes_the_first() -> None:
    targets = ("a.example.net.", "b.example.net.")
    rec = record(values=targets, rtype="CNAME")
    change = plan_record(rec, health(*targets, values=targets), None)
    assert change is not None
    assert change.after == ("a.example.net.",)


def test_ttl_change_is_a_change() -> None:
    change = plan_record(record(ttl=30), health(), live("192.0.2.1", ttl=300))
    assert change is not None
    assert change.after == change.before == ("192.0.2.1",)
    assert change.before_ttl == 300
    assert change.reason == "TTL 300 -> 30"


def test_reasons_are_human() -> None:
    failover = plan_record(record(), health("192.0.2.1"), live("192.0.2.1"))
    assert failover is not None
    assert failover.reason == "192.0.2.1 unhealthy: 3 consecutive failures (connection refused)"
    failback = plan_record(record(), health(), live("192.0.2.2"))
    assert failback is not None
    assert failback.reason == "192.0.2.1 healthy: 2 consecutive successes"
    created = plan_record(record(), health(), None)
    assert created is not None
    assert created.reason.startswith("RRset does not exist")
    all_down = plan_record(record(), health(*IPS), live("192.0.2.3"))
    assert all_down is not None
    assert "all endpoints unhealthy: publishing all (publish_all)" in all_down.reason
    stray = plan_record(record(Policy.MULTIVALUE), health(), live(*IPS, "203.0.113.5"))
    assert stray is not None
    assert stray.reason == "203.0.113.5 is not a configured endpoint"


def test_unknown_health_counts_as_unhealthy() -> None:
    change = plan_record(record(), {}, live("192.0.2.1"))
    assert change is not None
    assert change.after == IPS  # nothing known healthy: publish_all


def test_weights_only_where_the_provider_has_them() -> None:
    rec = record(Policy.WEIGHTED_ROUND_ROBIN, weights=(3, 1, 0))
    without = plan_record(rec, health(), live(*IPS))
    assert without is None
    with_weights = plan_record(rec, health(), live(*IPS), weights=True)
    assert with_weights is not None
    assert dict(with_weights.weights) == {"192.0.2.1": 3, "192.0.2.2": 1, "192.0.2.3": 0}
    weighted_live = RRset.of(NAME, "A", 30, IPS, {"192.0.2.1": 3, "192.0.2.2": 1, "192.0.2.3": 0})
    assert plan_record(rec, health(), weighted_live, weights=True) is None


def test_plan_is_deterministic_and_counts_unchanged() -> None:
    other_zone = Zone("example.org.", "local")
    recs = {
        other_zone: [
            DesiredRecord(
                "b.example.org.",
                "A",
                60,
                other_zone.name,
                Policy.FAILOVER,
                (Endpoint("192.0.2.1", ProbeTarget("192.0.2.1", CHECK)),),
            )
        ],
        ZONE: [
            record(),
            DesiredRecord(
                "a.example.com.",
                "A",
                60,
                ZONE.name,
                Policy.FAILOVER,
                (Endpoint("192.0.2.1", ProbeTarget("192.0.2.1", CHECK)),),
            ),
        ],
    }
    result = plan(recs, health(), {ZONE.name: {live("192.0.2.1").key: live("192.0.2.1")}})
    assert [z.zone.name for z in result.zones] == ["example.com.", "example.org."]
    assert [c.name for c in result.zones[0].changes] == ["a.example.com."]
    assert result.zones[0].unchanged == 1
    assert result.change_count == 2
    assert result.unchanged_count == 1
    assert result == plan(recs, health(), {ZONE.name: {live("192.0.2.1").key: live("192.0.2.1")}})


def test_automatic_ttl_never_plans_a_ttl_change() -> None:
    proxied = RRset.of(NAME, "A", 1, ["192.0.2.1"], auto_ttl=True)
    assert plan_record(record(ttl=30), health(), proxied) is None
    failover = plan_record(record(ttl=30), health("192.0.2.1"), proxied)
    assert failover is not None
    assert failover.before_ttl == failover.ttl  # renders as no TTL change
    assert "TTL" not in failover.reason
