"""Unit tests of the pure conversions: Route 53 records <-> RRsets, Changes -> changes."""

from __future__ import annotations

from typing import Any

import pytest
from failover_sync_route53.records import (
    LiveGroup,
    canonical_value,
    decode_name,
    foreign_reason,
    group_records,
    route53_changes,
    set_identifier,
)

from failover_sync import Action, Change, RRset

KEY = ("app.example.com.", "A")


def simple(values: list[str], ttl: int = 60, name: str = "app.example.com.") -> dict[str, Any]:
    return {
        "Name": name,
        "Type": "A",
        "TTL": ttl,
        "ResourceRecords": [{"Value": v} for v in values],
    }


def weighted(value: str, weight: int, ttl: int = 60) -> dict[str, Any]:
    return {**simple([value], ttl), "SetIdentifier": value, "Weight": weight}


def change(
    before: tuple[str, ...],
    after: tuple[str, ...],
    weights: dict[str, int] | None = None,
    ttl: int = 60,
) -> Change:
    return Change(
        Action.UPSERT,
        "app.example.com.",
        "A",
        ttl,
        before,
        after,
        "test",
        weights=tuple(sorted((weights or {}).items())),
    )


def test_decode_name_unescapes_and_normalises() -> None:
    assert decode_name("\\052.Example.COM.") == "*.example.com."
    assert decode_name("app.example.com") == "app.example.com."


@pytest.mark.parametrize(
    ("rtype", "value", "expected"),
    [
        ("AAAA", "2001:db8:0:0::0001", "2001:db8::1"),
        ("A", "192.0.2.1", "192.0.2.1"),
        ("CNAME", "Target.Example.net", "target.example.net."),
        ("TXT", '"Mixed Case"', '"Mixed Case"'),
    ],
)
def test_canonical_value(rtype: str, value: str, expected: str) -> None:
    assert canonical_value(rtype, value) == expected


def test_set_identifier_is_the_value_or_a_bounded_digest() -> None:
    assert set_identifier("192.0.2.1") == "192.0.2.1"
    long = "a" * 200 + ".example.net."
    ident = set_identifier(long)
    assert len(ident) == 128
    assert ident != set_identifier("b" * 200 + ".example.net.")


@pytest.mark.parametrize(
    ("record", "reason"),
    [
        (
            {"Name": "app.example.com.", "Type": "A", "AliasTarget": {"DNSName": "x."}},
            "alias",
        ),
        ({**simple(["192.0.2.1"]), "HealthCheckId": "hc-1"}, "health check"),
        ({**simple(["192.0.2.1"]), "SetIdentifier": "p", "Failover": "PRIMARY"}, "Failover"),
        ({**simple(["192.0.2.1"]), "SetIdentifier": "eu", "Region": "eu-west-1"}, "Region"),
        ({**simple(["192.0.2.1"]), "SetIdentifier": "blue", "Weight": 5}, "not written"),
    ],
)
def test_records_we_do_not_own(record: dict[str, Any], reason: str) -> None:
    assert reason in (foreign_reason(record) or "")
    group = group_records(KEY, [record])
    assert group.foreign is not None
    assert group.rrset() is None
    with pytest.raises(ValueError, match="not managed here"):
        route53_changes(change((), ("192.0.2.1",)), group)


def test_simple_group_and_other_keys_ignored() -> None:
    group = group_records(
        KEY, [simple(["192.0.2.2", "192.0.2.1"]), simple(["198.51.100.1"], name="b.example.com.")]
    )
    assert group.rrset() == RRset.of("app.example.com.", "A", 60, ["192.0.2.1", "192.0.2.2"])


def test_weighted_group_hides_parked_records() -> None:
    group = group_records(
        KEY, [weighted("192.0.2.1", 3), weighted("192.0.2.2", 0), weighted("192.0.2.3", 1)]
    )
    assert group.rrset() == RRset.of(
        "app.example.com.",
        "A",
        60,
        ["192.0.2.1", "192.0.2.3"],
        weights={"192.0.2.1": 3, "192.0.2.3": 1},
    )


def test_weighted_group_all_zero_is_served_whole() -> None:
    group = group_records(KEY, [weighted("192.0.2.1", 0), weighted("192.0.2.2", 0)])
    rrset = group.rrset()
    assert rrset is not None
    assert rrset.values == ("192.0.2.1", "192.0.2.2")


def test_simple_change_is_one_upsert() -> None:
    out = route53_changes(change(("192.0.2.1",), ("192.0.2.2",)), None)
    assert out == [{"Action": "UPSERT", "ResourceRecordSet": simple(["192.0.2.2"])}]


def test_weighted_change_parks_the_removed_value_with_upsert_only() -> None:
    live = group_records(KEY, [weighted("192.0.2.1", 1), weighted("192.0.2.2", 1)])
    out = route53_changes(
        change(("192.0.2.1", "192.0.2.2"), ("192.0.2.1",), {"192.0.2.1": 1}), live
    )
    assert {c["Action"] for c in out} == {"UPSERT"}
    assert [c["ResourceRecordSet"] for c in out] == [
        weighted("192.0.2.1", 1),
        weighted("192.0.2.2", 0),
    ]


def test_weighted_recovery_revives_a_parked_value_and_leaves_others_parked() -> None:
    live = group_records(
        KEY, [weighted("192.0.2.1", 2), weighted("192.0.2.2", 0), weighted("192.0.2.9", 0)]
    )
    out = route53_changes(
        change(("192.0.2.1",), ("192.0.2.1", "192.0.2.2"), {"192.0.2.1": 2, "192.0.2.2": 5}), live
    )
    assert [c["ResourceRecordSet"] for c in out] == [
        weighted("192.0.2.1", 2),
        weighted("192.0.2.2", 5),
    ]


def test_ttl_change_rewrites_parked_records_too() -> None:
    live = group_records(KEY, [weighted("192.0.2.1", 1), weighted("192.0.2.2", 0)])
    out = route53_changes(change(("192.0.2.1",), ("192.0.2.1",), {"192.0.2.1": 1}, ttl=30), live)
    assert [c["ResourceRecordSet"] for c in out] == [
        weighted("192.0.2.1", 1, ttl=30),
        weighted("192.0.2.2", 0, ttl=30),
    ]


def test_simple_to_weighted_deletes_the_simple_record_in_the_same_group() -> None:
    live = group_records(KEY, [simple(["192.0.2.1"])])
    out = route53_changes(change(("192.0.2.1",), ("192.0.2.1",), {"192.0.2.1": 1}), live)
    assert out[0] == {"Action": "DELETE", "ResourceRecordSet": simple(["192.0.2.1"])}
    assert out[1] == {"Action": "UPSERT", "ResourceRecordSet": weighted("192.0.2.1", 1)}


def test_weighted_to_simple_deletes_every_weighted_record() -> None:
    live = group_records(KEY, [weighted("192.0.2.1", 1), weighted("192.0.2.2", 0)])
    out = route53_changes(change(("192.0.2.1",), ("192.0.2.1",)), live)
    assert [c["Action"] for c in out] == ["DELETE", "DELETE", "UPSERT"]


def test_weight_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="outside 0-255"):
        route53_changes(change((), ("192.0.2.1",), {"192.0.2.1": 256}), LiveGroup(KEY))


def test_new_simple_rrset_is_a_create() -> None:
    """Read as absent: CREATE, which Route 53 refuses when the RRset exists by then."""
    out = route53_changes(change((), ("192.0.2.2",)), None)
    assert out == [{"Action": "CREATE", "ResourceRecordSet": simple(["192.0.2.2"])}]
