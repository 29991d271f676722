"""Pure record-set conversions, without a network."""

from __future__ import annotations

import pytest
from failover_sync_akamai import records

from failover_sync import MalformedAnswer, RRset
from failover_sync.testing import upsert

APP = "app.example.test."


def test_listed_record_set_becomes_a_canonical_rrset() -> None:
    item = {"name": "App.Example.Test", "type": "cname", "ttl": 60, "rdata": ["Target.Test"]}
    assert records.to_rrset(item, what="t") == RRset.of(APP, "CNAME", 60, ["target.test."])
    a = {"name": "app.example.test", "type": "A", "ttl": 30, "rdata": ["192.0.2.2", "192.0.2.1"]}
    assert records.to_rrset(a, what="t").values == ("192.0.2.1", "192.0.2.2")


@pytest.mark.parametrize(
    "item",
    [
        [],
        {"name": "a", "type": "A", "ttl": 60},
        {"name": "a", "type": "A", "ttl": True, "rdata": ["192.0.2.1"]},
        {"name": "a", "type": "A", "ttl": 60, "rdata": [1]},
        {"name": 5, "type": "A", "ttl": 60, "rdata": ["192.0.2.1"]},
    ],
)
def test_wrong_shapes_are_malformed(item: object) -> None:
    with pytest.raises(MalformedAnswer):
        records.to_rrset(item, what="listing")


def test_change_bodies_add_edit_delete() -> None:
    new = RRset.of(APP, "A", 60, ["192.0.2.1"])
    assert records.change_body(upsert(new)) == {
        "name": "app.example.test",
        "type": "A",
        "op": "ADD",
        "ttl": 60,
        "rdata": ["192.0.2.1"],
    }
    assert records.change_body(upsert(RRset.of(APP, "A", 30, ["192.0.2.2"]), new))["op"] == "EDIT"
    gone = records.change_body(upsert(RRset.of(APP, "A", 60, []), new))
    assert gone == {"name": "app.example.test", "type": "A", "op": "DELETE"}
    alias = records.change_body(upsert(RRset.of(APP, "CNAME", 60, ["t.example.test."])))
    assert alias["rdata"] == ["t.example.test"]


def test_matches_before_compares_values_and_ttl() -> None:
    live = RRset.of(APP, "A", 60, ["192.0.2.1"])
    assert records.matches_before(upsert(live), None)
    assert not records.matches_before(upsert(live), live)
    assert records.matches_before(upsert(live, live), live)
    other_ttl = RRset.of(APP, "A", 300, ["192.0.2.1"])
    assert not records.matches_before(upsert(live, live), other_ttl)


def test_search_terms_cover_the_ownership_markers() -> None:
    keys = [(APP, "A"), ("_failover-sync." + APP, "TXT"), ("api.example.test.", "A")]
    assert records.search_terms(keys) == ["api.example.test", "app.example.test"]
