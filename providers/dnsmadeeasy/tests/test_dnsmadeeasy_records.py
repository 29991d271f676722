"""Pure record mapping and diffing: relative names, absolute targets, quoted TXT, ids kept."""

from __future__ import annotations

from typing import Any

import pytest
from failover_sync_dnsmadeeasy import records
from failover_sync_dnsmadeeasy.records import LiveRecord

from failover_sync import Action, Change

ZONE = "example.test."


def rec(rid: int, name: str, rtype: str, value: str, ttl: int = 60) -> LiveRecord:
    raw: dict[str, Any] = {"id": rid, "name": name, "type": rtype, "value": value, "ttl": ttl}
    return records.from_api(raw, ZONE)


@pytest.mark.parametrize(
    ("name", "relative"),
    [("example.test.", ""), ("app.example.test.", "app"), ("A.B.Example.Test", "a.b")],
)
def test_relative_name(name: str, relative: str) -> None:
    assert records.relative_name(name, ZONE) == relative


def test_name_outside_the_domain_is_refused() -> None:
    with pytest.raises(ValueError, match="not inside the domain"):
        records.relative_name("app.example.org.", ZONE)


@pytest.mark.parametrize(
    ("rtype", "value", "canonical"),
    [
        ("A", "192.0.2.1", "192.0.2.1"),
        ("AAAA", "2001:DB8::0001", "2001:db8::1"),
        ("CNAME", "lb.example.net.", "lb.example.net."),
        ("CNAME", "www", "www.example.test."),
        ("CNAME", "", "example.test."),
        ("TXT", '"v=spf1 -all"', '"v=spf1 -all"'),
        ("TXT", "bare", '"bare"'),
    ],
)
def test_values_read_in_the_core_form(rtype: str, value: str, canonical: str) -> None:
    assert rec(1, "app", rtype, value).value == canonical


@pytest.mark.parametrize(
    "raw",
    [
        [],
        {"id": "x", "name": "a", "type": "A", "value": "192.0.2.1", "ttl": 60},
        {"id": True, "name": "a", "type": "A", "value": "192.0.2.1", "ttl": 60},
        {"id": 1, "type": "A", "value": "192.0.2.1", "ttl": 60},
        {"id": 1, "name": "a.example.test.", "type": "A", "value": "192.0.2.1", "ttl": 60},
        {"id": 1, "name": "a", "type": "A", "value": None, "ttl": 60},
        {"id": 1, "name": "a", "type": "A", "value": "192.0.2.1", "ttl": "soon"},
    ],
)
def test_malformed_records_raise(raw: object) -> None:
    with pytest.raises((TypeError, ValueError)):
        records.from_api(raw, ZONE)


def test_diff_keeps_staying_ids_creates_joining_and_deletes_leaving() -> None:
    live = [rec(11, "app", "A", "192.0.2.1"), rec(12, "app", "A", "192.0.2.2")]
    change = Change(
        Action.UPSERT,
        "app.example.test.",
        "A",
        60,
        ("192.0.2.1", "192.0.2.2"),
        ("192.0.2.2", "192.0.2.3"),
        "t",
        60,
    )
    diff = records.diff(change, live, ZONE)
    assert diff.creates == (
        {"name": "app", "type": "A", "value": "192.0.2.3", "ttl": 60, "gtdLocation": "DEFAULT"},
    )
    assert diff.updates == ()
    assert diff.deletes == (11,)


def test_diff_updates_the_ttl_of_staying_records_whole() -> None:
    live = [rec(11, "app", "A", "192.0.2.1", ttl=300)]
    change = Change(
        Action.UPSERT, "app.example.test.", "A", 60, ("192.0.2.1",), ("192.0.2.1",), "t", 300
    )
    diff = records.diff(change, live, ZONE)
    assert diff.creates == ()
    assert diff.deletes == ()
    assert diff.updates == (
        {"id": 11, "name": "app", "type": "A", "value": "192.0.2.1", "ttl": 60},
    )


def test_cname_target_is_always_sent_absolute() -> None:
    body = records.body("www.example.test.", "CNAME", "lb.example.net", 60, ZONE)
    assert body["value"] == "lb.example.net."


def test_mixed_ttls_report_the_highest() -> None:
    live = [rec(1, "app", "A", "192.0.2.1", 30), rec(2, "app", "A", "192.0.2.2", 300)]
    assert records.to_rrset(("app.example.test.", "A"), live).ttl == 300


def test_chunks() -> None:
    assert records.chunks(range(5), 2) == [[0, 1], [2, 3], [4]]
    assert records.chunks([], 2) == []
