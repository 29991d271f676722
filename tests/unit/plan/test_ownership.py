"""Ownership markers, conflicts and adoption as pure functions."""

from __future__ import annotations

from failover_sync.model import (
    Action,
    Change,
    DesiredRecord,
    Endpoint,
    HealthCheck,
    Policy,
    ProbeTarget,
    RRset,
    Zone,
    ZonePlan,
)
from failover_sync.plan import ownership
from failover_sync.plan.document import data_checksum

ZONE = Zone("example.test.", "p")
NAME = "app.example.test."


def record(rtype: str, *values: str, adopt: bool = False) -> DesiredRecord:
    endpoints = tuple(Endpoint(v, ProbeTarget(v, HealthCheck())) for v in values)
    return DesiredRecord(NAME, rtype, 30, ZONE.name, Policy.MULTIVALUE, endpoints, adopt=adopt)


def upsert(rtype: str, before: tuple[str, ...], after: tuple[str, ...]) -> Change:
    return Change(Action.UPSERT, NAME, rtype, 30, before, after, "r", 30 if before else None)


def test_parse_txt() -> None:
    assert ownership.parse_txt('"heritage=failover-sync,owner=a,type=A"') == {
        "heritage": "failover-sync", "owner": "a", "type": "A"
    }  # fmt: skip
    assert ownership.parse_txt('"heritage=external-dns," "external-dns/owner=x"') == {
        "heritage": "external-dns", "external-dns/owner": "x"
    }  # fmt: skip
    assert ownership.parse_txt('"v=spf1 -all"') == {"v": "spf1 -all"}


def test_two_types_share_one_marker_and_keep_other_values() -> None:
    a, aaaa = record("A", "192.0.2.1"), record("AAAA", "2001:db8::1")
    existing = RRset.of(ownership.marker_name(NAME), "TXT", 300, ['"unrelated"'])
    live = {existing.key: existing}
    plan = ZonePlan(
        ZONE, (upsert("A", (), ("192.0.2.1",)), upsert("AAAA", (), ("2001:db8::1",))), 0
    )
    marked = ownership.with_markers(plan, [a, aaaa], live, "blue")
    marker = marked.changes[0]
    assert (marker.name, marker.type, marker.ttl, marker.before_ttl) == (
        ownership.marker_name(NAME), "TXT", 300, 300
    )  # fmt: skip
    assert marker.after == (
        '"heritage=failover-sync,owner=blue,type=A"',
        '"heritage=failover-sync,owner=blue,type=AAAA"',
        '"unrelated"',
    )
    again = {
        RRset.of(marker.name, "TXT", 300, marker.after).key: RRset.of(
            marker.name, "TXT", 300, marker.after
        )
    }
    assert ownership.with_markers(plan, [a, aaaa], again, "blue") == plan


def test_another_owner_of_another_type_is_no_conflict() -> None:
    marker = RRset.of(ownership.marker_name(NAME), "TXT", 60,
                      [ownership.marker_value("green", "AAAA")])  # fmt: skip
    assert ownership.owner_conflict(record("A", "192.0.2.1"), {marker.key: marker}, "blue") is None
    assert ownership.owner_conflict(record("AAAA", "2001:db8::1"), {marker.key: marker}, "blue")


def test_foreign_values_conflict_only_when_written() -> None:
    rec = record("A", "192.0.2.1")
    live_rrset = RRset.of(NAME, "A", 30, ["203.0.113.1"])
    live = {live_rrset.key: live_rrset}
    unchanged = ZonePlan(ZONE, (), 1)
    assert ownership.guard(unchanged, [rec], live, "blue").conflicts == ()
    plan = ZonePlan(ZONE, (upsert("A", ("203.0.113.1",), ("192.0.2.1",)),), 0)
    assert ownership.guard(plan, [rec], live, "blue").changes == ()
    assert ownership.guard(plan, [rec], live, "blue", adopt=True).changes == plan.changes
    claimed = frozenset({rec.key})
    assert ownership.guard(plan, [rec], live, "blue", claimed=claimed).changes == plan.changes


def test_checksum_ignores_its_own_key_and_follows_the_data() -> None:
    data = {"version": 1, "zones": [], "summary": {"changes": 0, "unchanged": 0}}
    digest = data_checksum(data)
    assert len(digest) == 64
    assert data_checksum({**data, "checksum": "x"}) == digest
    assert data_checksum({**data, "version": 2}) != digest
